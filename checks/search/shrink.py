"""Minimisation after the search, always within a time budget.

Hypothesis shrinks within a family's shape; what it leaves (and the deep chains, which it does not
shrink) is reduced here: nodes the output does not use are pruned, then op nodes are removed in
halving chunks (delta debugging: a 10,000-node chain needs a few dozen judgements, not 10,000),
then one at a time once the case is small, keeping each removal only while the same finding
remains. A failure of a structured family (MLPs, wide, kink or deep cases) is then looked for among
plain DAGs over the same ops, where a smaller case of the same finding is kept.
"""

from __future__ import annotations

import time

from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import Verdict, judge
from gradtrio.checks.search.hypothesis_search import finding_key, search
from gradtrio.strategies.dags import cases, kink_cases
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS, Form

__all__ = ["Deadline", "minimise", "refine"]

ONE_AT_A_TIME = 40
"""Below this many op nodes, single nodes are tried too."""


class Deadline:
    """A point in time; ``cut`` records that some phase ran out of it."""

    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds
        self.cut = False

    def passed(self) -> bool:
        if self.end is not None and time.monotonic() > self.end:
            self.cut = True
        return self.cut

    def remaining(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - time.monotonic())


def _same(
    engine: Engine, verdict: Verdict, expression: Expression, point: tuple[float, ...]
) -> Verdict | None:
    case = verdict.case.with_expression(expression, point)
    again = judge(engine, case, thorough=False)
    return again if again.failed and finding_key(again) == finding_key(verdict) else None


def minimise(engine: Engine, verdict: Verdict, deadline: Deadline) -> Verdict:
    """The smallest case of the same finding reachable by removing nodes before ``deadline``."""
    expression, point = verdict.expression.pruned(verdict.point)
    if expression != verdict.expression:
        verdict = _same(engine, verdict, expression, point) or verdict
    chunks = 2
    while len(verdict.expression.nodes) > 1 and not deadline.passed():
        e = verdict.expression
        indices = list(range(e.n_inputs, e.size))
        size = max(1, len(indices) // chunks)
        reduced = False
        for start in range(0, len(indices), size):
            if deadline.passed():
                break
            if size == 1 and len(indices) > ONE_AT_A_TIME:
                break
            smaller, point = e.without_nodes(indices[start : start + size]).pruned(verdict.point)
            if not smaller.nodes:
                continue
            found = _same(engine, verdict, smaller, point)
            if found is not None:
                verdict, reduced = found, True
                break
        if reduced:
            chunks = max(chunks - 1, 2)
        elif size == 1:
            break
        else:
            chunks = min(chunks * 2, len(indices))
    return verdict


def refine(engine: Engine, verdict: Verdict, run_seed: int, deadline: Deadline) -> list[Verdict]:
    """Structured families shrink only within their own shape, and a large failure of one kind
    may hide a small one of another (an imprecise tanh first seen as a gradient error deep in an
    MLP is, alone, a forward error). Search plain DAGs over the failing case's ops: keep the
    smaller case of the same finding, and add the smallest of each other finding."""
    if len(verdict.expression.nodes) <= 2 or verdict.kind is None or deadline.passed():
        return [verdict]
    ops = {name: engine.ops[name] for name in verdict.expression.ops_used() if name in engine.ops}
    family = (
        kink_cases(ops=ops)
        if verdict.kind is Kind.CONVENTION and any(_kinked(ops))
        else cases(ops=ops, max_nodes=6)
    )
    remaining = deadline.remaining()
    retry = search(
        engine,
        family,
        examples=300,
        seed_value=run_seed,
        budget=remaining,
        shrink_budget=None if remaining is None else remaining / 2,
        points=engine.points_per_expression,
    )
    smallest: dict[tuple[object, ...], Verdict] = {finding_key(verdict): verdict}
    for v in retry.failures:
        key = finding_key(v)
        best = smallest.get(key)
        if best is None or len(v.expression.nodes) < len(best.expression.nodes):
            smallest[key] = v
    return list(smallest.values())


def _kinked(ops: dict[str, tuple[Form, ...]]) -> list[str]:
    return [name for name in ops if OPS[name].kinks]
