"""The public check: judge one case and raise a readable AssertionError when the engine is wrong.

Use it inside any Hypothesis test::

    @given(cases())
    def test_my_engine(case):
        check(case, engine=MyValue)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from gradtrio.checks.defaults import DEFAULT_ENGINE
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import Verdict, judge
from gradtrio.checks.report.text import format_verdict
from gradtrio.strategies.case import Case
from gradtrio.strategies.expression import Expression

__all__ = [
    "CheckFailure",
    "ConventionMismatch",
    "EngineCrashed",
    "ForwardMismatch",
    "GradientMismatch",
    "check",
    "resolve_engine",
]


class CheckFailure(AssertionError):
    """The engine disagrees with the oracles; the message is the full report."""

    def __init__(self, verdict: Verdict, message: str | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict
        self._message = message

    def __str__(self) -> str:
        # Formatting simplifies gradients with SymPy: done only when someone reads the message,
        # not for every failing case met while shrinking.
        if self._message is None:
            self._message = format_verdict(self.verdict)
        return self._message


class GradientMismatch(CheckFailure):
    """An input gradient is wrong."""


class ForwardMismatch(CheckFailure):
    """The output value is wrong."""


class EngineCrashed(CheckFailure):
    """The engine raised, hung, returned a non-number, or a non-finite result."""


class ConventionMismatch(CheckFailure):
    """A gradient differs only at an exact kink (e.g. relu'(0) != 0)."""


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
