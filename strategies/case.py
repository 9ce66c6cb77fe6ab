"""A case: an expression, the point to judge it at, the family that drew it, and the rules it is
judged by. Everything downstream (the verdict, shrinking, the report, the corpus) reads the rules
from the case instead of restating or guessing them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from gradtrio.strategies.expression import Expression

__all__ = ["Case", "Rules"]


@dataclass(frozen=True)
class Rules:
    """Which points a case may be judged at; a point outside them is skipped, never failed.

    The defaults judge every point the reference can decide: an operand exactly on a kink is
    judged against the registry's convention, node values may be as large as ``max_magnitude``,
    and an output that overflows from finite operands must come out ±inf, as float64 does. The
    strategies draw within narrower limits (a margin from kinks and edges, ordinary magnitudes);
    a rule set narrower than the default is for a user who wants such points skipped.

    Attributes:
        exact_kinks: judge an operand lying exactly on a kink (default True).
        max_magnitude: largest node value judged (default 1e300).
        overflow_output: judge an output that overflows to ±inf from finite operands (default
            True); an intermediate node that overflows is always skipped.
        margin: smallest distance, relative to ``1 + |operand|``, from a domain edge or kink
            (default 0: any point strictly inside the domain).
    """

    exact_kinks: bool = True
    max_magnitude: float = 1e300
    overflow_output: bool = True
    margin: float = 0.0

    def __post_init__(self) -> None:
        for name in ("exact_kinks", "overflow_output"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r}: expected True or False")
        magnitude = self.max_magnitude
        if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float)):
            raise ValueError(f"max_magnitude={magnitude!r}: expected a positive number")
        if not magnitude > 0:
            raise ValueError(f"max_magnitude={magnitude!r}: expected a positive number")
        margin = self.margin
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < 1:
            raise ValueError(f"margin={margin!r}: expected a number in [0, 1)")

    def changes(self) -> dict[str, Any]:
        """The rules that differ from the defaults, by name (empty for the default rules)."""
        default = Rules()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    def to_dict(self) -> dict[str, Any]:
        # By hand rather than asdict(): the verdict asks for them on every case it judges.
        return {
            "exact_kinks": self.exact_kinks,
            "max_magnitude": self.max_magnitude,
            "overflow_output": self.overflow_output,
            "margin": self.margin,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Rules:
        """Rules from :meth:`to_dict` (or a subset of it); ``ValueError`` naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError(f"rules={data!r}: expected an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"rules: unknown {unknown!r}; expected some of {sorted(known)}")
        return cls(**data)


@dataclass(frozen=True)
class Case:
    """An expression and a point to judge it at; ``family`` says which strategy drew it
    ("interior", "kink", "wide", "deep", "mlp", or "user" for a case built by hand)."""

    expression: Expression
    point: tuple[float, ...]
    family: str = "user"
    rules: Rules = field(default_factory=Rules)

    def __post_init__(self) -> None:
        if not isinstance(self.expression, Expression):
            raise ValueError(f"expression={self.expression!r}: expected an Expression")
        try:
            point = tuple(float(x) for x in self.point)
        except (TypeError, ValueError):
            raise ValueError(f"point={self.point!r}: expected a sequence of numbers") from None
        if len(point) != self.expression.n_inputs:
            raise ValueError(
                f"point has {len(point)} values: expected {self.expression.n_inputs} "
                f"for {self.expression}"
            )
        if not all(math.isfinite(x) for x in point):
            raise ValueError(f"point={list(point)!r}: expected finite numbers")
        object.__setattr__(self, "point", point)
        if not isinstance(self.rules, Rules):
            raise ValueError(f"rules={self.rules!r}: expected a Rules")

    @classmethod
    def of(cls, expression: Expression, point: Sequence[float], **rules: Any) -> Case:
        """A hand-built case; keyword arguments are :class:`Rules` fields."""
        return cls(expression, tuple(point), "user", Rules(**rules))

    def with_expression(self, expression: Expression, point: Sequence[float]) -> Case:
        """The same family and rules on another (smaller) expression."""
        return Case(expression, tuple(point), self.family, self.rules)
