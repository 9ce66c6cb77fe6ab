"""The public checks: judge one case, or one op in every region, and raise a readable
AssertionError when the engine is wrong.

Use :func:`check` inside any Hypothesis test, :func:`check_op` in any test at all::

    @given(cases())
    def test_my_engine(case):
        check(case, engine=MyValue)

    def test_my_op():
        check_op("logcosh", engine="torch", ops="my_ops.py")
"""

from __future__ import annotations

import contextlib
import functools
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gradtrio.checks.defaults import DEFAULT_ENGINE, VERIFY_EXAMPLES
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import Verdict, judge
from gradtrio.checks.report.op_report import op_report
from gradtrio.checks.report.text import format_verdict
from gradtrio.checks.search.op_check import cannot_check, check_one_op
from gradtrio.checks.search.run import RunResult
from gradtrio.strategies.case import Case
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS

__all__ = [
    "CheckFailure",
    "ConventionMismatch",
    "EngineCrashed",
    "ForwardMismatch",
    "GradientMismatch",
    "OpCheckFailure",
    "check",
    "check_op",
    "resolve_engine",
]


class CheckFailure(AssertionError):
    """The engine disagrees with the oracles; the message is the full report."""

    def __init__(self, verdict: Verdict | None, message: str | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict
        self._message = message

    def __str__(self) -> str:
        # Formatting simplifies gradients with SymPy: done only when someone reads the message,
        # not for every failing case met while shrinking.
        if self._message is None:
            self._message = "" if self.verdict is None else format_verdict(self.verdict)
        return self._message


class GradientMismatch(CheckFailure):
    """An input gradient is wrong."""


class ForwardMismatch(CheckFailure):
    """The output value is wrong."""


class EngineCrashed(CheckFailure):
    """The engine raised, hung, returned a non-number, or a non-finite result."""


class ConventionMismatch(CheckFailure):
    """A gradient differs only at an exact kink (e.g. relu'(0) != 0)."""


class OpCheckFailure(CheckFailure):
    """:func:`check_op` found the op wrong somewhere: the message is the whole report (every
    region, every finding shrunk, blamed and with its reproducer); ``verdict`` is the first
    failing finding and ``result`` the whole run."""

    def __init__(self, result: RunResult, message: str) -> None:
        # None when only the count of undecided cases failed the run.
        super().__init__(result.failing[0] if result.failing else None, message)
        self.result = result


FAILURES: dict[Kind, type[CheckFailure]] = {
    Kind.GRADIENT: GradientMismatch,
    Kind.FORWARD: ForwardMismatch,
    Kind.CRASH: EngineCrashed,
    Kind.CONVENTION: ConventionMismatch,
}


@functools.lru_cache(maxsize=32)
def _engine_for(target: Any) -> Engine:
    if isinstance(target, str):
        return load_engine(target)
    return ValueClassEngine.from_class(target)


def resolve_engine(engine: Engine | type | str | None) -> Engine:
    """An engine from an engine object, a value class, or a spec string (cached)."""
    if engine is None or isinstance(engine, (str, type)):
        return _engine_for(DEFAULT_ENGINE if engine is None else engine)
    return engine  # an Engine, a library adapter, or one in a worker process


def check(
    case: Case | Expression,
    point: Sequence[float] | None = None,
    *,
    engine: Engine | type | str | None = None,
    strict: bool = False,
    **rules: Any,
) -> Verdict:
    """Judge ``engine`` (default: this project's ``gradtrio.autograd:Value``) on one case: a
    :class:`~gradtrio.strategies.Case` as drawn (its rules go with it), or an expression and a
    point (keyword arguments are :class:`~gradtrio.strategies.Rules` fields).

    Returns the verdict when the engine agrees with the oracles, when the point is outside the
    rules, or when the finding is only a warning or a precision finding (unless ``strict``);
    raises a :class:`CheckFailure` subclass whose message is the report otherwise.
    """
    if not isinstance(case, Case):
        if point is None:
            raise TypeError("check(expression, point): point is missing")
        case = Case.of(case, point, **rules)
    elif point is not None or rules:
        raise TypeError("check(case): a Case carries its own point and rules")
    resolved = resolve_engine(engine)
    verdict = judge(resolved, case)
    if verdict.fails(strict):
        assert verdict.kind is not None
        raise FAILURES[verdict.kind](verdict, format_verdict(verdict, engine=resolved))
    return verdict


def check_op(
    name: str,
    *,
    engine: str = DEFAULT_ENGINE,
    ops: str | Path | Sequence[str | Path] = (),
    examples: int = VERIFY_EXAMPLES,
    seed: int = 0,
    strict: bool = False,
    isolated: bool = True,
) -> RunResult:
    """Check the op ``name`` of ``engine`` (a spec: ``"torch"``, ``"jax"``,
    ``"path/to/file.py:Value"``; default this project's engine) as ``gradtrio verify-op`` does:
    the sweep, then ``examples`` cases in each region, alone and inside random DAGs.

    ``ops`` names the modules of op rows to register (``"my_ops.py"``, ``"my_ops:ROWS"``): for
    the check only, the registry is restored afterwards. ``isolated`` runs the engine in a
    worker process, so that a crash or a hang of the op is a finding, not the end of the test.

    Returns the run when the op passes (warnings and precision findings are in it, unless
    ``strict``); raises :class:`OpCheckFailure`, whose message is the full report, when it
    fails; ``ValueError`` naming the op when it is unknown or the engine cannot check it, and
    :class:`~gradtrio.checks.EngineError` when the engine or a module cannot be loaded.
    """
    __tracebackhide__ = True  # pytest shows the report, not this function's frame
    modules = [str(m) for m in ([ops] if isinstance(ops, (str, Path)) else ops)]
    with _registered_for_the_check():
        loaded = load_engine(engine, isolated=isolated, ops_modules=modules)
        try:
            problem = cannot_check(loaded, name)
            if problem is not None:
                raise ValueError(f"check_op: {problem}")
            done = check_one_op(loaded, name, examples=examples, run_seed=seed, strict=strict)
            text, _ = op_report(done, loaded, _rerun(name, engine, modules, examples, seed, strict))
        finally:
            stop = getattr(loaded, "shutdown", None)  # an isolated engine's worker processes
            if stop is not None:
                stop()
    if not done.result.passed:
        raise OpCheckFailure(done.result, text)
    return done.result


@contextlib.contextmanager
def _registered_for_the_check() -> Iterator[None]:
    saved = dict(OPS)
    try:
        yield
    finally:
        OPS.clear()
        OPS.update(saved)


def _rerun(
    name: str, engine: str, modules: list[str], examples: int, seed: int, strict: bool
) -> str:
    """The command line that reruns the check."""
    words = ["gradtrio", "verify-op", name, "--engine", engine]
    for module in modules:
        words += ["--ops", module]
    words += ["--examples", str(examples), "--seed", str(seed)]
    return shlex.join(words + (["--strict"] if strict else []))
