"""The verdict: one case judged against the three oracles, classified, triangulated and blamed.

An engine result is wrong only when the SymPy reference and at least one other oracle (torch, or a
reliable finite difference) agree with each other and not with the engine, each comparison within
a tolerance derived from an error bound. Points outside the domain, or where rounding could put a
kink operand on the other side, are skipped, never failed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from gradtrio.checks.blame import (
    Blame,
    blame_backward,
    blame_forward,
    kink_convention_differs,
    wrong_before,
)
from gradtrio.checks.compare import as_float, close
from gradtrio.checks.engine import CaseTimeout, Engine, EngineCrash, EngineRun
from gradtrio.checks.oracle_fd import (
    FDEstimate,
    directional_derivative,
    fd_gradients,
    random_direction,
)
from gradtrio.checks.oracle_sympy import OutOfDomain, Reference, reference
from gradtrio.checks.oracle_torch import TorchResult, torch_gradients
from gradtrio.strategies.domain import float_values, point_problem
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS

__all__ = ["Blame", "Mismatch", "Verdict", "judge"]

Kind = Literal["gradient", "forward", "crash", "convention"]
Status = Literal["pass", "fail", "skip"]


@dataclass
class Mismatch:
    """One compared quantity: ``what`` is "value" or an input's name."""

    what: str
    engine: float
    expected: float
    tolerance: float

    @property
    def error(self) -> float:
        return abs(self.engine - self.expected)


@dataclass
class Verdict:
    expression: Expression
    point: tuple[float, ...]
    status: Status
    kind: Kind | None = None
    reason: str = ""
    mismatches: list[Mismatch] = field(default_factory=list)
    agreement: dict[str, bool] = field(default_factory=dict)
    blame: Blame | None = None
    engine: EngineRun | None = None
    reference: Reference | None = None
    torch: TorchResult | None = None
    fd: list[FDEstimate] = field(default_factory=list)
    limitation: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def _kink_ambiguous(expression: Expression, ref: Reference) -> str | None:
    """A kink operand whose float value and exact value lie on different sides (rounding moved
    it across): engine and reference legitimately take different branches there."""
    floats = float_values(expression, [as_float(v) for v in ref.values[: ref.n_inputs]])
    for k, node in enumerate(expression.nodes, start=expression.n_inputs):
        for kink in OPS[node.op].kinks:
            exact = ref.values[node.args[0]] - kink.at
            rounded = floats[node.args[0]] - kink.at
            if (exact > 0) != (rounded > 0) or (exact == 0) != (rounded == 0):
                return f"{expression.name(k)}: rounding moves {node.op}'s operand across its kink"
    return None


def judge(
    engine: Engine,
    expression: Expression,
    point: Sequence[float],
    *,
    exact_kinks: bool = True,
    max_magnitude: float = 1e300,
    overflow_output: bool = False,
    with_fd: bool = True,
) -> Verdict:
    """Judge ``engine`` on ``expression`` at ``point``; ``with_fd=False`` skips the finite
    differences on cases where the engine agrees with the reference."""
    point = tuple(float(x) for x in point)
    verdict = Verdict(expression, point, "skip")
    problem = point_problem(
        expression,
        point,
        margin=0.0,
        max_magnitude=max_magnitude,
        exact_kinks=exact_kinks,
        overflow_output=overflow_output,
    )
    if problem is not None:
        verdict.reason = f"outside the domain: {problem}"
        return verdict
    try:
        ref = reference(expression, point)
    except OutOfDomain as exc:
        verdict.reason = f"outside the domain: {exc}"
        return verdict
    ambiguous = _kink_ambiguous(expression, ref)
    if ambiguous:
        verdict.reason = ambiguous
        return verdict
    verdict.reference = ref

    with engine.time_limit():  # one limit for the whole case, finite differences included
        return _judge_engine(engine, verdict, ref, with_fd)


def _judge_engine(engine: Engine, verdict: Verdict, ref: Reference, with_fd: bool) -> Verdict:
    expression, point = verdict.expression, verdict.point
    try:
        run = engine.run(expression, point)
    except (EngineCrash, CaseTimeout, RecursionError) as exc:
        return _crashed(verdict, engine, exc)
    verdict.engine = run
    verdict.torch = torch_gradients(expression, point)

    expected_value = as_float(ref.value)
    value = Mismatch("value", run.value, expected_value, ref.value_bounds[-1])
    grads = [
        Mismatch(expression.name(i), g, as_float(r), ref.grad_bounds[i])
        for i, (g, r) in enumerate(zip(run.grads, ref.grads))
    ]
    non_finite = [
        m for m in [value, *grads] if not math.isfinite(m.engine) and math.isfinite(m.expected)
    ]
    wrong_value = not close(value.engine, value.expected, value.tolerance)
    wrong_grads = [m for m in grads if not close(m.engine, m.expected, m.tolerance, gradient=True)]
    # Finite differences decide nothing when the engine agrees with the reference; a caller
    # that only needs the verdict (e.g. while shrinking) may skip them there.
    if with_fd or wrong_value or wrong_grads:
        verdict.fd = _fd(engine, expression, point, ref.value_bounds[-1])
    verdict.agreement = _triangulate(verdict, value, grads)
    if not (wrong_value or wrong_grads):
        verdict.status = "pass"
        return verdict
    if not _confirmed(verdict, wrong_value, wrong_grads):
        verdict.reason = "oracles disagree with each other; not judged"
        return verdict

    verdict.status = "fail"
    if non_finite:
        verdict.kind, verdict.mismatches = "crash", non_finite
        verdict.reason = (
            f"returned {non_finite[0].engine!r} for {non_finite[0].what} "
            "where the reference is finite"
        )
        verdict.blame = (
            blame_forward(engine, expression, run, ref)
            if non_finite[0] is value
            else blame_backward(engine, expression, run, ref)
        )
    elif wrong_value:
        verdict.kind, verdict.mismatches = "forward", [value]
        verdict.reason = "forward value differs from the reference"
        verdict.blame = blame_forward(engine, expression, run, ref)
    elif kink_convention_differs(engine, expression, run, ref) and _explained_by_kinks(
        expression, point, run
    ):
        verdict.kind, verdict.mismatches = "convention", wrong_grads
        names = ", ".join(expression.name(k) for k in ref.kink_nodes)
        verdict.reason = f"gradient differs only through the kink convention at {names}"
        k = ref.kink_nodes[0]
        verdict.blame = Blame(
            k,
            expression.node(k).op,
            f"derivative at the kink differs from the convention "
            f"{OPS[expression.node(k).op].kinks[0].convention!r}",
        )
    else:
        verdict.kind, verdict.mismatches = "gradient", wrong_grads
        verdict.reason = "gradient differs from the reference"
        verdict.blame = blame_backward(engine, expression, run, ref)
    return verdict


def _crashed(verdict: Verdict, engine: Engine, exc: BaseException) -> Verdict:
    verdict.status, verdict.kind = "fail", "crash"
    if isinstance(exc, EngineCrash):
        verdict.reason = str(exc)
        node = exc.node
        op = verdict.expression.node(node).op if node is not None else exc.where
        verdict.blame = wrong_before(
            engine, verdict.expression, verdict.point, verdict.reference, node
        ) or Blame(node, op, exc.detail)
        if "RecursionError" in exc.detail:
            verdict.limitation = (
                f"{exc.where} raises RecursionError on a graph of {verdict.expression.size:,} nodes"
            )
    elif isinstance(exc, CaseTimeout):
        verdict.reason = str(exc)
        verdict.blame = Blame(None, "engine", "hang: no result within the time limit")
        verdict.limitation = str(exc)
    else:
        verdict.reason = f"RecursionError while building the graph: {exc}"
        verdict.blame = Blame(None, "forward", "recursion")
        verdict.limitation = f"RecursionError on a graph of {verdict.expression.size:,} nodes"
    return verdict


def _fd(
    engine: Engine, expression: Expression, point: tuple[float, ...], noise: float
) -> list[FDEstimate]:
    def forward(p: Sequence[float]) -> float:
        return engine.forward(expression, p)

    if max(abs(x) for x in point) > 100:  # wide points: one random direction, not per input
        direction = random_direction(len(point))
        return [directional_derivative(forward, expression, point, direction, noise=noise)]
    return fd_gradients(forward, expression, point, noise=noise)


def _triangulate(verdict: Verdict, value: Mismatch, grads: list[Mismatch]) -> dict[str, bool]:
    """Which pairs agree: engine, sympy, torch on everything; fd on the gradients."""
    ref, torch = verdict.reference, verdict.torch
    assert ref is not None and torch is not None and verdict.engine is not None
    run = verdict.engine
    agree = {
        "engine~sympy": close(value.engine, value.expected, value.tolerance)
        and all(close(m.engine, m.expected, m.tolerance, gradient=True) for m in grads),
        "torch~sympy": close(torch.value, value.expected, value.tolerance)
        and all(
            close(t, m.expected, m.tolerance, gradient=True) for t, m in zip(torch.grads, grads)
        ),
        "engine~torch": close(run.value, torch.value, 2 * value.tolerance)
        and all(close(m.engine, t, 2 * m.tolerance) for t, m in zip(torch.grads, grads)),
    }
    fd_pairs = _fd_pairs(verdict, grads)
    if fd_pairs:
        agree["engine~fd"] = all(close(e, f.value, tol + f.error) for e, f, _, tol in fd_pairs)
        agree["sympy~fd"] = all(close(s, f.value, tol + f.error) for _, f, s, tol in fd_pairs)
    return agree


def _fd_pairs(
    verdict: Verdict, grads: list[Mismatch]
) -> list[tuple[float, FDEstimate, float, float]]:
    """(engine, fd, sympy, tolerance) for every reliable finite difference."""
    directional = [f for f in verdict.fd if f.direction is not None]
    if not directional:
        return [
            (m.engine, f, m.expected, m.tolerance) for m, f in zip(grads, verdict.fd) if f.reliable
        ]
    f = directional[0]
    if f.reliable and f.direction is not None:
        direction = f.direction
        eng = sum(d * m.engine for d, m in zip(direction, grads))
        ref = sum(d * m.expected for d, m in zip(direction, grads))
        tol = sum(abs(d) * m.tolerance for d, m in zip(direction, grads))
        return [(eng, f, ref, tol)]
    return []


def _confirmed(verdict: Verdict, wrong_value: bool, wrong_grads: list[Mismatch]) -> bool:
    """The engine is wrong only if another oracle backs the reference on what it got wrong."""
    agree = verdict.agreement
    if agree["torch~sympy"]:
        return True
    return not wrong_value and agree.get("sympy~fd", False) and not agree.get("engine~fd", True)


def _explained_by_kinks(expression: Expression, point: tuple[float, ...], run: EngineRun) -> bool:
    """Does some other choice of derivative at the kinks reproduce the engine's gradients?"""
    for choice in ("left", "right", "mean"):
        alt = reference(expression, point, kinks=choice)  # type: ignore[arg-type]
        if all(
            close(g, as_float(r), tol) for g, r, tol in zip(run.grads, alt.grads, alt.grad_bounds)
        ):
            return True
    return False
