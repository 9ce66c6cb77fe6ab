"""The public check: judge one case and raise a readable AssertionError when the engine is wrong.

Use it inside any Hypothesis test::

    @given(cases())
    def test_my_engine(case):
        check(case.expression, case.point, engine=MyValue)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from gradtrio.checks.engine import DEFAULT_ENGINE, Engine
from gradtrio.checks.report import format_verdict
from gradtrio.checks.verdict import Verdict, judge
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


FAILURES: dict[str, type[CheckFailure]] = {
    "gradient": GradientMismatch,
    "forward": ForwardMismatch,
    "crash": EngineCrashed,
    "convention": ConventionMismatch,
}


@functools.lru_cache(maxsize=32)
def _engine_for(target: Any) -> Engine:
    if isinstance(target, str):
        return Engine.load(target)
    return Engine.from_class(target)


def resolve_engine(engine: Engine | type | str | None) -> Engine:
    """An :class:`Engine` from an Engine, a value class, or a spec string (cached)."""
    if isinstance(engine, Engine):
        return engine
    return _engine_for(DEFAULT_ENGINE if engine is None else engine)


def check(
    expression: Expression,
    point: Sequence[float],
    engine: Engine | type | str | None = None,
    **options: Any,
) -> Verdict:
    """Judge ``engine`` (default: this project's ``autograd:Value``) on one case.

    Returns the verdict when the engine agrees with the oracles (or the point is outside the
    domain); raises a :class:`CheckFailure` subclass whose message is the report otherwise.
    """
    resolved = resolve_engine(engine)
    verdict = judge(resolved, expression, point, **options)
    if verdict.failed:
        assert verdict.kind is not None
        raise FAILURES[verdict.kind](verdict, format_verdict(verdict, engine_name=resolved.spec))
    return verdict
