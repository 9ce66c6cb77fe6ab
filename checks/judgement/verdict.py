"""The verdict: one case judged against the three oracles.

:func:`judge` runs in three steps: :func:`observe` gathers what the oracles and the engine say
about the case (the only step that runs the engine, besides the blame), :func:`classify` turns
those observations into a frozen :class:`Verdict` (a pure function), and a failing verdict is then
blamed by replaying suspects on the engine.

An engine result is wrong only when the SymPy reference and at least one other oracle (torch, or
a reliable finite difference) agree with each other and not with the engine, each comparison
within a tolerance derived from an error bound. Points outside the case's rules, or where
rounding could put a kink operand on the other side, are skipped, never failed.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradtrio.checks.engines.limits import PLAIN_SIZE, CaseTimeout, case_scale
from gradtrio.checks.engines.protocol import (
    Engine,
    EngineCrash,
    EngineRun,
    Limitation,
    LimitationKind,
    format_of,
)
from gradtrio.checks.judgement.blame import (
    blame_backward,
    blame_crash,
    blame_forward,
    kink_convention_differs,
)
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.judgement.outcome import (
    Agreement,
    Blame,
    Crash,
    Culprit,
    Kind,
    Mismatch,
    Severity,
    Skip,
    Status,
)
from gradtrio.checks.judgement.severity import (
    crash_severity,
    mismatch_severity,
    non_finite_severity,
)
from gradtrio.checks.oracles.finite_differences import FDEstimate
from gradtrio.checks.oracles.reference.enclose import OutOfDomain, Reference, Undecided, reference
from gradtrio.checks.oracles.reference.rounding import FLOAT64, FORMATS, FloatFormat
from gradtrio.checks.oracles.torch_float64 import TorchResult, torch_gradients
from gradtrio.strategies.case import Case
from gradtrio.strategies.domain import float_values, point_problem
from gradtrio.strategies.expression import Expression, typed
from gradtrio.strategies.ops import OPS

__all__ = [
    "DEEP_GRAPH",
    "Observations",
    "Verdict",
    "classify",
    "explain",
    "judge",
    "judge_many",
    "observe",
]

DEEP_GRAPH = sys.getrecursionlimit() // 10
"""Op nodes of depth below which a RecursionError is the engine's bug, not a limitation: a
traversal that recurses once per level, a few frames each, meets Python's limit far deeper."""


@dataclass(frozen=True)
class Verdict:
    """The judgement of one case. ``kind`` and ``severity`` are set for a failure, ``skip``
    for a case that was not judged; ``limitation`` for a finding that is engine behaviour
    rather than a wrong number (RecursionError on a deep graph, a hang)."""

    case: Case
    status: Status
    kind: Kind | None = None
    severity: Severity | None = None
    skip: Skip | None = None
    reason: str = ""
    mismatches: tuple[Mismatch, ...] = ()
    agreement: Agreement | None = None
    blame: Blame | None = None
    engine: EngineRun | None = None
    reference: Reference | None = None
    torch: TorchResult | None = None
    fd: tuple[FDEstimate, ...] = ()
    limitation: Limitation | None = None
    crash: Crash | None = None
    output: str = ""

    @property
    def expression(self) -> Expression:
        return self.case.expression

    @property
    def point(self) -> tuple[float, ...]:
        return self.case.point

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    @property
    def is_bug(self) -> bool:
        return self.failed and self.severity is Severity.BUG

    def fails(self, strict: bool) -> bool:
        """Does this verdict fail a run: a bug always, any finding when ``strict``."""
        return self.is_bug or strict and self.failed


@dataclass(frozen=True)
class Observations:
    """Everything the oracles and the engine said about one case, before any classification."""

    case: Case
    problem: tuple[Skip, str] | None = None
    reference: Reference | None = None
    crash: BaseException | None = None
    run: EngineRun | None = None
    torch: TorchResult | None = None
    fd: tuple[FDEstimate, ...] = ()
    kink_alone_breaks: bool = False
    kink_alternative_matches: bool = False
    output: str = ""
    compiles: bool = False  # the engine compiles every new graph (see Engine.compiles)


def _kink_ambiguous(expression: Expression, ref: Reference) -> str | None:
    """A kink operand whose float value and exact value lie on different sides (rounding moved
    it across): engine and reference legitimately take different branches there."""
    floats = float_values(expression, [float(v) for v in ref.values[: ref.n_inputs]])
    for k, node in enumerate(expression.nodes, start=expression.n_inputs):
        for kink in OPS[node.op].kinks:
            exact = kink.offset(node.operands(ref.values))
            rounded = kink.offset(node.operands(floats))
            if (exact > 0) != (rounded > 0) or (exact == 0) != (rounded == 0):
                return f"{expression.name(k)}: rounding moves {node.op}'s operand across its kink"
    return None


def observe(engine: Engine, case: Case) -> Observations:
    """Run the engine and the reference on ``case``; where they disagree, the other two oracles
    too (PyTorch float64 and the finite differences of the engine's forward pass), which decide
    whether the reference is backed. Where they agree, the others could only confirm it: they are
    not run, and torch is not even imported by a run that never needs it."""
    dtype = format_of(engine)
    case, problem = _prepared(engine, case)
    if problem is not None:
        return Observations(case, (Skip.OUTSIDE_DOMAIN, problem))
    expression, point = case.expression, case.point
    scale = case_scale(len(expression.nodes), engine.compiles, engine.timeout)
    # A worker runs the engine meanwhile: the reference is computed here.
    with engine.share(expression, point, scale) as share:
        try:
            ref = reference(expression, point, dtype=dtype)
        except Undecided as exc:  # the reference cannot enclose the exact result tightly enough
            why = str(exc).removeprefix("undecided: ")
            return Observations(case, (Skip.UNDECIDED, f"the reference cannot decide it: {why}"))
        except OutOfDomain as exc:
            return Observations(case, (Skip.OUTSIDE_DOMAIN, str(exc)))
        ambiguous = _kink_ambiguous(expression, ref)
        if ambiguous:
            return Observations(case, (Skip.KINK_AMBIGUOUS, ambiguous), ref)
        try:
            with engine.time_limit(scale):
                run = share.result()
        except (EngineCrash, CaseTimeout, RecursionError) as exc:
            torch = torch_gradients(expression, point)  # what PyTorch gives there, for the report
            output, compiles = engine.case_output, engine.compiles
            return Observations(
                case, reference=ref, crash=exc, torch=torch, output=output, compiles=compiles
            )
    return observe_run(engine, case, ref, run, engine.case_output)


def _prepared(engine: Engine, case: Case) -> tuple[Case, str | None]:
    """``case`` as the engine holds it (inputs and constants rounded to its dtype), and why it
    is no fair test there (None when it is): a node beyond the format's range is outside the
    domain, as float64's overflow is, but for an output that overflows from finite operands."""
    if engine.dtype == "float64":
        if engine.flushes_subnormals:  # subnormal inputs and constants held as zeros
            case = _rounded(case, engine.rounded)
        return case, point_problem(case.expression, case.point, **case.rules.to_dict())
    fmt = FORMATS[engine.dtype]
    beyond = [x for x in case.point if not abs(x) <= fmt.max]
    if beyond:  # held as inf there: not a point of the format
        return case, f"input {beyond[0]!r} is beyond {fmt.name}'s largest number {fmt.max:g}"
    case = _rounded(case, engine.rounded)
    rules = {**case.rules.to_dict(), "max_magnitude": min(case.rules.max_magnitude, fmt.max)}
    return case, point_problem(case.expression, case.point, **rules, float_max=fmt.max)


def judge_many(
    engine: Engine, cases: Sequence[Case], *, raise_timeout: bool = False
) -> list[Verdict | None]:
    """Cases of one expression at many points, the engine's runs in one round trip
    (:meth:`~gradtrio.checks.engines.protocol.Engine.run_many`): a verdict for each case that
    is skipped or where the engine agrees with the reference; None for each that must be judged
    in full, with every oracle and the blame (:func:`judge`): a disagreement or a crash. A
    batch past its time limit gives None for every case, or with ``raise_timeout`` raises the
    :class:`CaseTimeout`."""
    verdicts: list[Verdict | None] = [None] * len(cases)
    todo: list[tuple[int, Case]] = []
    for k, case in enumerate(cases):
        case, problem = _prepared(engine, case)
        if problem is None:
            todo.append((k, case))
        else:
            verdicts[k] = classify(Observations(case, (Skip.OUTSIDE_DOMAIN, problem)))
    if not todo:
        return verdicts
    try:
        outcomes = engine.run_many(todo[0][1].expression, [case.point for _, case in todo])
    except CaseTimeout:
        if raise_timeout:
            raise
        return verdicts
    except (EngineCrash, RecursionError):  # the batch as a whole: judged one by one
        return verdicts
    for (k, case), outcome in zip(todo, outcomes, strict=True):
        try:
            ref = reference(case.expression, case.point, dtype=format_of(engine))
        except Undecided as exc:
            why = f"the reference cannot decide it: {str(exc).removeprefix('undecided: ')}"
            verdicts[k] = classify(Observations(case, (Skip.UNDECIDED, why)))
            continue
        except OutOfDomain as exc:
            verdicts[k] = classify(Observations(case, (Skip.OUTSIDE_DOMAIN, str(exc))))
            continue
        ambiguous = _kink_ambiguous(case.expression, ref)
        if ambiguous:
            verdicts[k] = classify(Observations(case, (Skip.KINK_AMBIGUOUS, ambiguous), ref))
        elif isinstance(outcome, EngineRun) and all(_engine_agrees(outcome, ref)):
            verdicts[k] = classify(Observations(case, reference=ref, run=outcome))
    return verdicts


def observe_run(
    engine: Engine, case: Case, ref: Reference, run: EngineRun, output: str
) -> Observations:
    """The observations once the engine's run and the reference are known: the other oracles
    and the kink replays only where the two disagree."""
    value_ok, grads_ok = _engine_agrees(run, ref)
    if value_ok and grads_ok:
        return Observations(case, reference=ref, run=run, output=output)
    expression, point = case.expression, case.point
    scale = case_scale(len(expression.nodes), engine.compiles, engine.timeout)
    try:
        with engine.time_limit(scale):
            fd = engine.fd_estimates(expression, point, ref.value_bounds[-1])
        kink_breaks = kink_matches = False
        if value_ok and not grads_ok and ref.kink_nodes:
            kink_breaks = kink_convention_differs(engine, expression, run, ref)
            kink_matches = kink_breaks and _explained_by_kinks(
                expression, point, run, format_of(engine)
            )
    except (EngineCrash, CaseTimeout, RecursionError):  # the run is what is judged; no fd then
        fd, kink_breaks, kink_matches = (), False, False
    return Observations(
        case,
        reference=ref,
        run=run,
        torch=torch_gradients(expression, point),
        fd=fd,
        kink_alone_breaks=kink_breaks,
        kink_alternative_matches=kink_matches,
        output=output,
    )


def _engine_agrees(run: EngineRun, ref: Reference) -> tuple[bool, bool]:
    value_ok = close(run.value, ref.expected_value, ref.value_bounds[-1])
    grads_ok = all(
        close(g, r, tol, gradient=True)
        for g, r, tol in zip(run.grads, ref.expected_grads, ref.grad_bounds)
    )
    return value_ok, grads_ok


def classify(obs: Observations) -> Verdict:
    """The verdict on a case from what was observed: a pure function, no engine calls."""
    verdict = _classify(obs)
    return dataclasses.replace(verdict, output=obs.output) if obs.output else verdict


def _classify(obs: Observations) -> Verdict:
    case, ref = obs.case, obs.reference
    if obs.problem is not None:
        skip, why = obs.problem
        return Verdict(case, Status.SKIP, skip=skip, reason=f"{skip.value}: {why}", reference=ref)
    assert ref is not None
    if obs.crash is not None:
        return _crashed(case, ref, obs.crash, obs.torch, obs.compiles)
    run, torch = obs.run, obs.torch
    assert run is not None
    expression = case.expression
    value = Mismatch("value", run.value, ref.expected_value, ref.value_bounds[-1])
    grads = [
        Mismatch(expression.name(i), g, r, ref.grad_bounds[i])
        for i, (g, r) in enumerate(zip(run.grads, ref.expected_grads))
    ]
    if torch is None:  # the engine agrees with the reference: the other oracles were not asked
        return Verdict(
            case, Status.PASS, agreement=Agreement(engine_sympy=True), engine=run, reference=ref
        )
    agreement = _triangulate(run, torch, obs.fd, value, grads)
    base = Verdict(
        case, Status.PASS, agreement=agreement, engine=run, reference=ref, torch=torch, fd=obs.fd
    )
    wrong_value = not close(value.engine, value.expected, value.tolerance)
    wrong = [
        i
        for i, m in enumerate(grads)
        if not close(m.engine, m.expected, m.tolerance, gradient=True)
    ]
    wrong_grads = [grads[i] for i in wrong]
    if not (wrong_value or wrong_grads):
        return base
    if not _confirmed(agreement, wrong_value):
        return dataclasses.replace(
            base,
            status=Status.SKIP,
            skip=Skip.UNDECIDED,
            reason=f"{Skip.UNDECIDED.value}: the oracles disagree with each other; not judged",
        )
    non_finite = [
        m for m in [value, *grads] if not math.isfinite(m.engine) and math.isfinite(m.expected)
    ]
    failed = dataclasses.replace(base, status=Status.FAIL)
    if non_finite:
        first = non_finite[0]
        severity, why = non_finite_severity(case, ref, obs.torch)
        return dataclasses.replace(
            failed,
            kind=Kind.CRASH,
            severity=severity,
            mismatches=tuple(non_finite),
            reason=f"returned {first.engine!r} for {first.what} where the reference is finite"
            + why,
        )
    if wrong_value:
        return dataclasses.replace(
            failed,
            kind=Kind.FORWARD,
            severity=mismatch_severity([value], [ref.precision_bounds[0][-1]]),
            mismatches=(value,),
            reason="forward value differs from the reference",
        )
    if obs.kink_alone_breaks and obs.kink_alternative_matches:
        names = ", ".join(expression.name(k) for k in ref.kink_nodes)
        return dataclasses.replace(
            failed,
            kind=Kind.CONVENTION,
            severity=Severity.WARNING,
            mismatches=tuple(wrong_grads),
            reason=f"gradient differs only through the kink convention at {names}",
        )
    return dataclasses.replace(
        failed,
        kind=Kind.GRADIENT,
        severity=mismatch_severity(wrong_grads, [ref.precision_bounds[1][i] for i in wrong]),
        mismatches=tuple(wrong_grads),
        reason="gradient differs from the reference",
    )


def _crashed(
    case: Case, ref: Reference, exc: BaseException, torch: TorchResult | None, compiles: bool
) -> Verdict:
    if isinstance(exc, EngineCrash):
        crash = Crash(exc.where, exc.detail, exc.node, exc.error)
    else:
        crash = Crash(
            "forward" if isinstance(exc, RecursionError) else "engine",
            str(exc),
            None,
            type(exc).__name__,
        )
    failed = Verdict(
        case, Status.FAIL, kind=Kind.CRASH, reference=ref, torch=torch, reason=str(exc), crash=crash
    )
    if isinstance(exc, CaseTimeout):
        size = len(case.expression.nodes)
        if compiles and size > PLAIN_SIZE:  # what compiling so large a graph costs
            text = (
                f"{str(exc).partition(';')[0]} on a graph of {size:,} op nodes: the library "
                "compiles every new graph, and so large a one can take longer than that"
            )
            limitation = Limitation(LimitationKind.COMPILE_TIME, text)
            return dataclasses.replace(failed, severity=Severity.WARNING, limitation=limitation)
        limitation = Limitation(LimitationKind.HANG, str(exc))
        return dataclasses.replace(failed, severity=Severity.BUG, limitation=limitation)
    if crash.error == "RecursionError":
        where = crash.where if isinstance(exc, EngineCrash) else "building the graph"
        reason = str(exc) if isinstance(exc, EngineCrash) else f"RecursionError: {exc}"
        depth = case.expression.depth()
        if depth < DEEP_GRAPH:
            return dataclasses.replace(
                failed,
                severity=Severity.BUG,
                reason=f"{reason}, on a graph only {depth} op nodes deep: the engine recurses "
                f"without end (a recursive traversal meets Python's limit only past some "
                f"{DEEP_GRAPH} levels)",
            )
        size = case.expression.size
        return dataclasses.replace(
            failed,
            severity=Severity.WARNING,
            reason=reason,
            limitation=Limitation(
                LimitationKind.RECURSION,
                f"{where} raises RecursionError on a graph of {size:,} nodes",
            ),
        )
    severity, why = crash_severity(case, ref, crash, torch)
    return dataclasses.replace(failed, severity=severity, reason=f"{exc}{why}")


def judge(
    engine: Engine,
    case: Case | Expression,
    point: Sequence[float] | None = None,
    *,
    thorough: bool = True,
) -> Verdict:
    """Judge ``engine`` on ``case`` (or on ``expression`` at ``point``, with the default
    rules). A failing verdict comes blamed: ``thorough`` replays suspects in every context of
    :mod:`.replays`; without it, in the first two (what a search that shrinks can afford; see
    :func:`explain`)."""
    if not isinstance(case, Case):
        if point is None:
            raise TypeError("judge(engine, expression, point): point is missing")
        case = Case.of(case, point)
    verdict = classify(observe(engine, case))
    if verdict.failed:
        verdict = dataclasses.replace(verdict, blame=_blame(engine, verdict, thorough))
    return verdict


def explain(engine: Engine, verdict: Verdict) -> Verdict:
    """``verdict`` blamed thoroughly (a failing one judged without ``thorough``)."""
    if not verdict.failed:
        return verdict
    return dataclasses.replace(verdict, blame=_blame(engine, verdict, thorough=True))


_NO_RESULT = (LimitationKind.HANG, LimitationKind.COMPILE_TIME)


def _blame(engine: Engine, verdict: Verdict, thorough: bool) -> Blame:
    expression, ref, run = verdict.expression, verdict.reference, verdict.engine
    limitation = verdict.limitation
    if limitation is not None and limitation.kind in _NO_RESULT:
        return Blame(None, Culprit.HANG, None, "no result within the time limit")
    if run is None:  # the engine raised
        assert verdict.crash is not None  # set with every crash
        return blame_crash(engine, expression, verdict.point, ref, verdict.crash)
    assert ref is not None
    if verdict.kind is Kind.CONVENTION:
        k = ref.kink_nodes[0]
        op = expression.node(k).op
        return Blame(
            k,
            Culprit.OP,
            op,
            f"derivative at the kink differs from the convention {OPS[op].kinks[0].convention!r}",
        )
    upstream = blame_forward(expression, run, ref)
    if verdict.kind is Kind.FORWARD or verdict.mismatches[0].what == "value":
        return upstream
    if upstream.node is not None:  # a wrong value feeds the local derivatives after it
        return dataclasses.replace(upstream, reason=f"{upstream.reason}, and gradients use it")
    return blame_backward(engine, expression, run, ref, thorough=thorough)


def _triangulate(
    run: EngineRun,
    torch: TorchResult,
    fd: Sequence[FDEstimate],
    value: Mismatch,
    grads: list[Mismatch],
) -> Agreement:
    """Which pairs agree: engine, sympy, torch on everything; fd on the gradients."""
    fd_pairs = _fd_pairs(fd, grads)
    return Agreement(
        engine_sympy=close(value.engine, value.expected, value.tolerance)
        and all(close(m.engine, m.expected, m.tolerance, gradient=True) for m in grads),
        torch_sympy=close(torch.value, value.expected, value.tolerance)
        and all(
            close(t, m.expected, m.tolerance, gradient=True) for t, m in zip(torch.grads, grads)
        ),
        engine_torch=close(run.value, torch.value, 2 * value.tolerance)
        and all(close(m.engine, t, 2 * m.tolerance) for t, m in zip(torch.grads, grads)),
        engine_fd=all(close(e, f.value, tol + f.error) for e, f, _, tol in fd_pairs)
        if fd_pairs
        else None,
        sympy_fd=all(close(s, f.value, tol + f.error) for _, f, s, tol in fd_pairs)
        if fd_pairs
        else None,
    )


def _fd_pairs(
    fd: Sequence[FDEstimate], grads: list[Mismatch]
) -> list[tuple[float, FDEstimate, float, float]]:
    """(engine, fd, sympy, tolerance) for every reliable finite difference."""
    directional = [f for f in fd if f.direction is not None]
    if not directional:
        return [(m.engine, f, m.expected, m.tolerance) for m, f in zip(grads, fd) if f.reliable]
    f = directional[0]
    if f.reliable and f.direction is not None:
        direction = f.direction
        eng = sum(d * m.engine for d, m in zip(direction, grads))
        ref = sum(d * m.expected for d, m in zip(direction, grads))
        tol = sum(abs(d) * m.tolerance for d, m in zip(direction, grads))
        return [(eng, f, ref, tol)]
    return []


def _confirmed(agreement: Agreement, wrong_value: bool) -> bool:
    """The engine is wrong only if another oracle backs the reference on what it got wrong."""
    if agreement.torch_sympy:
        return True
    return not wrong_value and agreement.confirms_reference


def _rounded(case: Case, rounded: Callable[[float], float]) -> Case:
    """``case`` with its point and constants as an engine of another dtype holds them."""
    nodes = tuple(
        node
        if node.number is None
        else dataclasses.replace(node, const=typed(rounded(node.number), node.kind))
        for node in case.expression.nodes
    )
    expression = Expression(case.expression.n_inputs, nodes)
    return case.with_expression(expression, [rounded(x) for x in case.point])


def _explained_by_kinks(
    expression: Expression, point: tuple[float, ...], run: EngineRun, dtype: FloatFormat = FLOAT64
) -> bool:
    """Does some other choice of derivative at the kinks reproduce the engine's gradients?"""
    for choice in ("left", "right", "mean"):
        alt = reference(expression, point, kinks=choice, dtype=dtype)  # type: ignore[arg-type]
        if all(
            close(g, r, tol) for g, r, tol in zip(run.grads, alt.expected_grads, alt.grad_bounds)
        ):
            return True
    return False
