"""Blame for a failing tensor case: each tensor op node is replayed alone, on fresh inputs of its
operands' shapes (one input per distinct operand, so ``x * x`` stays ``x * x``), in order, and
the first that the verdict fails is named. A case whose every op is right alone is named as
such: the fault lies in how the engine composes them (accumulation, the visiting order)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gradtrio.checks.tensors.engines import TensorEngine
from gradtrio.checks.tensors.verdict import TensorStatus, TensorVerdict, judge_tensor
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_expression import TensorExpression, TensorNode

__all__ = ["TensorBlame", "alone", "blame_tensor"]

_ATTEMPTS = 4  # fresh points tried per op before it counts as untestable alone


@dataclass(frozen=True)
class TensorBlame:
    """The node blamed (None when every op is right alone), its op, and what its replay gave."""

    node: int | None
    op: str | None
    message: str
    replay: TensorVerdict | None = None


def alone(expression: TensorExpression, index: int) -> TensorExpression:
    """Node ``index`` of ``expression`` applied to fresh inputs of its operands' shapes."""
    node = expression.node(index)
    distinct = list(dict.fromkeys(node.args))
    fresh = TensorNode(
        node.op,
        tuple(distinct.index(i) for i in node.args),
        node.axis,
        node.keepdims,
        node.perm,
        node.shape,
    )
    return TensorExpression(tuple(expression.shapes[i] for i in distinct), (fresh,))


def _fresh_cases(expression: TensorExpression) -> list[TensorCase]:
    """Points for a replay: distinct values in [0.5, 2], positive first (inside every domain but
    where ops meet), then of mixed sign."""
    cases = []
    for attempt in range(_ATTEMPTS):
        rng = np.random.default_rng(attempt)
        values = rng.uniform(0.5, 2.0, expression.elements())
        if attempt % 2:
            values *= rng.choice((-1.0, 1.0), values.size)
        cases.append(TensorCase(expression, tuple(values.tolist()), "blame"))
    return cases


def blame_tensor(engine: TensorEngine, verdict: TensorVerdict) -> TensorBlame:
    """The first tensor op of ``verdict``'s case that is wrong alone (see the module docstring)."""
    expression = verdict.case.expression
    for k in range(expression.n_inputs, expression.size):
        single = alone(expression, k)
        for case in _fresh_cases(single):
            replay = judge_tensor(engine, case)
            if replay.failed:
                node = expression.node(k)
                shapes = ", ".join(str(s) for s in single.inputs)
                message = (
                    f"{expression.name(k)} ({node.op}) is wrong alone on {shapes}: "
                    f"{single} gives {replay.summary()}"
                )
                return TensorBlame(k, node.op, message, replay)
            if replay.status is TensorStatus.PASS:
                break
    return TensorBlame(
        None,
        None,
        "every op is right alone: the engine goes wrong where they meet (a node feeding "
        "several, the order of the backward pass)",
    )
