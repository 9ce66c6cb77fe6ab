"""The checkers the mutation battery compares gradtrio with, and what a verdict blames.

* micrograd's two hand-written checks (``test_sanity_check`` at x = -4 and ``test_more_ops`` at
  a = -4, b = 2) rewritten for this engine, compared with PyTorch float64 at tolerance 1e-6;
* ``torch.autograd.gradcheck`` of each op alone, in each of its forms, wrapped as a
  ``torch.autograd.Function`` whose forward and backward call the engine.

Used by ``tests/test_mutants.py`` and ``benchmarks/mutation_battery.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch
from gradtrio.checks.judgement.outcome import Culprit
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.strategies.expression import Node
from gradtrio.strategies.ops import OPS, Form


def blamed_op(verdict: Verdict) -> str:
    """The op name a verdict's blame points at ("traversal"/"backward" for loop bugs)."""
    blame = verdict.blame
    if blame is None:
        return ""
    if blame.culprit is Culprit.OP and blame.op:
        return blame.op
    return blame.culprit.value


# -- baseline (a): micrograd's two fixed tests, rewritten -------------------------------------

FIXED_TOL = 1e-6


def _sanity_graph(x: Any) -> Any:
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops_graph(a: Any, b: Any) -> Any:
    """The expression of micrograd's README and of its ``test_more_ops``."""
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + (b + a).relu())
    d = d + (3 * d + (b - a).relu())
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def _fixed_case(value_cls: type, graph: Callable[..., Any], inputs: tuple[float, ...]) -> bool:
    """True when the engine matches torch float64 on ``graph`` at ``inputs`` (value and grads)."""
    leaves = [value_cls(x) for x in inputs]
    out = graph(*leaves)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    expected = graph(*tensors)
    expected.backward()
    pairs = [(out.data, expected.item())]
    pairs += [(leaf.grad, t.grad.item()) for leaf, t in zip(leaves, tensors, strict=True)]
    return all(abs(got - want) < FIXED_TOL for got, want in pairs)  # nan compares False


def fixed_tests(value_cls: type) -> bool:
    """True when micrograd's fixed tests kill the engine (a test fails or raises)."""
    for graph, inputs in ((_sanity_graph, (-4.0,)), (more_ops_graph, (-4.0, 2.0))):
        try:
            if not _fixed_case(value_cls, graph, inputs):
                return True
        except Exception:
            return True
    return False


# -- baseline (b): torch.autograd.gradcheck on each op alone -----------------------------------


class _EngineOp(torch.autograd.Function):
    """One engine op as a torch function: forward and backward both computed by the engine."""

    @staticmethod
    def forward(ctx: Any, value_cls: type, node: Node, *xs: torch.Tensor) -> torch.Tensor:
        leaves = [value_cls(float(x)) for x in xs]
        out = OPS[node.op].apply(*node.operands(leaves))
        out.backward()
        ctx.save_for_backward(torch.tensor([leaf.grad for leaf in leaves], dtype=torch.float64))
        return torch.tensor(float(out.data), dtype=torch.float64)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        (grads,) = ctx.saved_tensors
        return (None, None, *(grad_out * grads[i] for i in range(grads.numel())))


def _operand(rng: random.Random, name: str, role: str) -> float:
    """A random operand inside ``name``'s smooth domain (role: "x" or "denominator"/"base")."""
    if name == "log" or role == "base":
        return rng.uniform(0.2, 2.0)
    if role == "denominator":
        return rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.0)
    return rng.choice((-1.0, 1.0)) * rng.uniform(0.05, 2.0)  # never exactly relu's kink


GRADCHECKED = ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "tanh", "sigmoid", "relu")
"""The ops the battery's mutants are planted in (those of the engine at the time it was made)."""


def gradcheck_cases(points: int, seed: int) -> list[tuple[Node, tuple[float, ...]]]:
    """(node, point) pairs: every op in every form at ``points`` random points."""
    rng = random.Random(seed)
    out: list[tuple[Node, tuple[float, ...]]] = []
    for name, op in OPS.items():
        if name not in GRADCHECKED:
            continue
        for form in op.forms:
            for k in range(points):
                out.append(_one_case(rng, name, form, k))
    return out


def _one_case(rng: random.Random, name: str, form: Form, k: int) -> tuple[Node, tuple[float, ...]]:
    op = OPS[name]
    if op.arity == 1:
        return Node(name, (0,)), (_operand(rng, name, "x"),)
    if form == "nodes":
        first = _operand(rng, name, "base" if name == "pow" else "x")
        second = _operand(rng, name, "denominator" if name == "div" else "x")
        return Node(name, (0, 1)), (first, second)
    constants = op.constants[form]
    const = constants[k % len(constants)]
    role = {("div", "left"): "denominator", ("pow", "right"): "base"}.get((name, form), "x")
    return Node(name, (0,), const, form), (_operand(rng, name, role),)


def gradcheck_kills(value_cls: type, cases: list[tuple[Node, tuple[float, ...]]]) -> str:
    """The first op form that gradcheck flags on this engine, or '' when every check passes."""
    for node, point in cases:
        inputs = tuple(torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point)

        def fn(*xs: torch.Tensor, node: Node = node) -> torch.Tensor:
            return _EngineOp.apply(value_cls, node, *xs)

        try:
            ok = torch.autograd.gradcheck(fn, inputs)
        except Exception:
            ok = False
        if not ok:
            return f"{node.op}/{node.form}"
    return ""


# -- the table ----------------------------------------------------------------------------------
