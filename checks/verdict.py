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
from typing import Any, Literal

from checks.engine import CaseTimeout, Engine, EngineCrash, EngineRun
from checks.oracle_fd import FDEstimate, directional_derivative, fd_gradients, random_direction
from checks.oracle_sympy import OutOfDomain, Reference, reference
from checks.oracle_torch import TorchResult, torch_gradients
from strategies.domain import float_values, point_problem
from strategies.expression import Expression, Node
from strategies.ops import OPS

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
class Blame:
    node: int | None
    op: str
    reason: str


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


def _close(a: float, b: float, tol: float, *, gradient: bool = False) -> bool:
    """Is ``a`` within ``tol`` of the expected ``b``? Where the exact ``b`` overflows float64, a
    faithful result is ±inf; a gradient may also be nan where overflowing paths meet (inf - inf).
    """
    if math.isinf(b):
        return a == b or gradient and math.isnan(a)
    if math.isinf(a):
        return False
    return abs(a - b) <= tol


def _float(x: Any) -> float:
    return float(x)


def _kink_ambiguous(expression: Expression, ref: Reference) -> str | None:
    """A kink operand whose float value and exact value lie on different sides (rounding moved
    it across): engine and reference legitimately take different branches there."""
    floats = float_values(expression, [_float(v) for v in ref.values[: ref.n_inputs]])
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

    expected_value = _float(ref.value)
    value = Mismatch("value", run.value, expected_value, ref.value_bounds[-1])
    grads = [
        Mismatch(expression.name(i), g, _float(r), ref.grad_bounds[i])
        for i, (g, r) in enumerate(zip(run.grads, ref.grads))
    ]
    non_finite = [
        m for m in [value, *grads] if not math.isfinite(m.engine) and math.isfinite(m.expected)
    ]
    wrong_value = not _close(value.engine, value.expected, value.tolerance)
    wrong_grads = [m for m in grads if not _close(m.engine, m.expected, m.tolerance, gradient=True)]
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
            _blame_forward(engine, expression, run, ref)
            if non_finite[0] is value
            else _blame_backward(engine, expression, run, ref)
        )
    elif wrong_value:
        verdict.kind, verdict.mismatches = "forward", [value]
        verdict.reason = "forward value differs from the reference"
        verdict.blame = _blame_forward(engine, expression, run, ref)
    elif _kink_convention_differs(engine, expression, run, ref) and _explained_by_kinks(
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
        verdict.blame = _blame_backward(engine, expression, run, ref)
    return verdict


def _crashed(verdict: Verdict, engine: Engine, exc: BaseException) -> Verdict:
    verdict.status, verdict.kind = "fail", "crash"
    if isinstance(exc, EngineCrash):
        verdict.reason = str(exc)
        node = exc.node
        op = verdict.expression.node(node).op if node is not None else exc.where
        verdict.blame = _wrong_before(engine, verdict, node) or Blame(node, op, exc.detail)
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


def _wrong_before(engine: Engine, verdict: Verdict, crashed: int | None) -> Blame | None:
    """When the engine crashed at node ``crashed``, an earlier node whose value was already wrong
    (``2 - x`` computed as ``x - 2``, then ``log`` of it raising) is the real culprit."""
    e, ref = verdict.expression, verdict.reference
    if crashed is None or ref is None or crashed <= e.n_inputs:
        return None
    prefix = Expression(e.n_inputs, e.nodes[: crashed - e.n_inputs])
    try:
        run = engine.run(prefix, verdict.point)
    except (EngineCrash, CaseTimeout, RecursionError):
        return None
    blame = _blame_forward(engine, prefix, run, ref)
    return blame if blame.node is not None else None


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
        "engine~sympy": _close(value.engine, value.expected, value.tolerance)
        and all(_close(m.engine, m.expected, m.tolerance, gradient=True) for m in grads),
        "torch~sympy": _close(torch.value, value.expected, value.tolerance)
        and all(
            _close(t, m.expected, m.tolerance, gradient=True) for t, m in zip(torch.grads, grads)
        ),
        "engine~torch": _close(run.value, torch.value, 2 * value.tolerance)
        and all(_close(m.engine, t, 2 * m.tolerance) for t, m in zip(torch.grads, grads)),
    }
    fd_pairs = _fd_pairs(verdict, grads)
    if fd_pairs:
        agree["engine~fd"] = all(_close(e, f.value, tol + f.error) for e, f, _, tol in fd_pairs)
        agree["sympy~fd"] = all(_close(s, f.value, tol + f.error) for _, f, s, tol in fd_pairs)
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


def _kink_convention_differs(
    engine: Engine, expression: Expression, run: EngineRun, ref: Reference
) -> bool:
    """Does some op on an exact kink, replayed alone there, break the convention?"""
    return any(
        _op_alone(engine, expression.node(k), [run.node_values[i] for i in expression.node(k).args])
        for k in ref.kink_nodes
    )


def _explained_by_kinks(expression: Expression, point: tuple[float, ...], run: EngineRun) -> bool:
    """Does some other choice of derivative at the kinks reproduce the engine's gradients?"""
    for choice in ("left", "right", "mean"):
        alt = reference(expression, point, kinks=choice)  # type: ignore[arg-type]
        if all(
            _close(g, _float(r), tol) for g, r, tol in zip(run.grads, alt.grads, alt.grad_bounds)
        ):
            return True
    return False


# -- blame --------------------------------------------------------------------------------------


def _blame_forward(engine: Engine, expression: Expression, run: EngineRun, ref: Reference) -> Blame:
    for k in range(expression.n_inputs, expression.size):
        if not _close(run.node_values[k], _float(ref.values[k]), ref.value_bounds[k]):
            node = expression.node(k)
            return Blame(
                k,
                node.op,
                f"{expression.name(k)} = {expression.node_source(k)} is "
                f"{run.node_values[k]!r}, expected {_float(ref.values[k])!r}",
            )
    return Blame(None, "forward", "no single node's value is wrong")


def _blame_backward(
    engine: Engine, expression: Expression, run: EngineRun, ref: Reference
) -> Blame:
    """The op whose backward is wrong: find the last node (in topological order) whose gradient
    is wrong; every later node's is right, so the fault lies in what one of its consumers passed
    back. Each consumer's op is then replayed alone on the engine to see which one errs."""
    live = expression.live()
    wrong = [
        i
        for i in range(expression.size)
        if live[i]
        and run.node_grads[i] is not None
        and not _close(run.node_grads[i], _float(ref.adjoints[i]), ref.grad_bounds[i])  # type: ignore[arg-type]
    ]
    if not wrong:  # intermediate gradients unavailable: replay every op alone, output first
        suspects = list(range(expression.size - 1, expression.n_inputs - 1, -1))
        first_wrong = None
    else:
        first_wrong = wrong[-1]
        if first_wrong == expression.output:
            return Blame(first_wrong, "backward", "the output's own gradient is not 1")
        suspects = [k for k in expression.consumers()[first_wrong] if live[k]]
    for k in suspects:
        node = expression.node(k)
        why = _op_alone(engine, node, [run.node_values[i] for i in node.args])
        if why:
            control = _control(engine, node)
            if control is not None and _op_alone(
                engine, control, [0.75] * len(control.args), avoid=frozenset({node.op})
            ):
                return Blame(
                    k,
                    "backward",
                    f"{why}; {control.op} fails alone the same way, so "
                    "the fault is in backward itself, not in one op",
                )
            return Blame(k, node.op, why)
    if first_wrong is None:
        return Blame(None, "backward", "every op is right alone; the traversal is wrong")
    users = ", ".join(expression.name(k) for k in suspects)
    return Blame(
        first_wrong,
        "traversal",
        f"every op is right alone, but {expression.name(first_wrong)}'s gradient from "
        f"{users} is wrong: accumulation or visiting order in backward",
    )


def _control(engine: Engine, node: Node) -> Node | None:
    """A different op with the same sharing pattern, to tell a bug in one op's derivative from a
    bug in the backward loop every op goes through."""
    repeated = len(node.args) == 2 and node.args[0] == node.args[1]
    for name in ("add", "mul") if repeated else ("neg", "tanh", "exp"):
        if name != node.op and "nodes" in engine.ops.get(name, ()):
            return Node(name, (0, 0) if repeated else (0,))
    return None


def _scaler(engine: Engine, avoid: set[str], index: int) -> tuple[Node | None, str]:
    """A node after ``index`` that makes the upstream gradient differ from 1, so a dropped
    upstream factor shows, built from an op not in ``avoid`` (the ops under test)."""
    choices = (
        ("mul", "right", Node("mul", (index,), const=3.0, side="right"), " (times 3)"),
        ("add", "nodes", Node("add", (index, index)), " (doubled)"),
        ("neg", "nodes", Node("neg", (index,)), " (negated)"),
    )
    for name, form, node, note in choices:
        if name not in avoid and form in engine.ops.get(name, ()):
            return node, note
    return None, ""


def _op_alone(
    engine: Engine, node: Node, operand_values: list[float], avoid: frozenset[str] = frozenset()
) -> str:
    """Replay one op on fresh leaves (keeping a repeated operand repeated), followed by a scaling
    by an op other than it and those in ``avoid``, so that a missing upstream factor shows;
    '' when it is right."""
    distinct = list(dict.fromkeys(node.args))
    leaf_of = {i: j for j, i in enumerate(distinct)}
    values = dict(zip(node.args, operand_values))
    nodes = [Node(node.op, tuple(leaf_of[i] for i in node.args), node.const, node.side)]
    scaler, scaled = _scaler(engine, {node.op, *avoid}, len(distinct))
    if scaler is not None:
        nodes.append(scaler)
    alone = Expression(len(distinct), tuple(nodes))
    point = [values[i] for i in distinct]
    try:
        ref = reference(alone, point)
        run = engine.run(alone, point)
    except (OutOfDomain, EngineCrash, CaseTimeout, RecursionError):
        return ""
    for j, (g, r, tol) in enumerate(zip(run.grads, ref.grads, ref.grad_bounds)):
        if not _close(g, _float(r), tol):
            return (
                f"alone, {alone.node_source(len(distinct))} at {point} gives "
                f"d/d{alone.name(j)} = {g!r}{scaled}, expected {_float(r)!r}"
            )
    return ""
