"""The vocabulary of outcomes: what a judged case can end as, as values rather than strings.

A :class:`~gradtrio.checks.judgement.verdict.Verdict` is built from these (and from the engine's
:class:`~gradtrio.checks.engines.protocol.Limitation`); reports, the summary, the JSON and the
corpus read their fields, and nothing parses a reason string to learn what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Agreement",
    "Blame",
    "Crash",
    "Culprit",
    "Kind",
    "Mismatch",
    "Severity",
    "Skip",
    "Status",
]


class Status(Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class Skip(Enum):
    """Why a case was not judged."""

    OUTSIDE_DOMAIN = "outside the domain"
    KINK_AMBIGUOUS = "rounding moves a kink operand across its kink"
    UNDECIDED = "undecided"  # the reference cannot decide it, or the oracles disagree
    MISSING_OP = "the engine lacks an op of the case"


class Kind(Enum):
    """What is wrong in a failing case."""

    GRADIENT = "gradient"  # an input gradient differs from the reference
    FORWARD = "forward"  # the output value differs
    CRASH = "crash"  # the engine raised, hung, or returned a non-number or a non-finite result
    CONVENTION = "convention"  # a gradient differs only at an exact kink


class Severity(Enum):
    """How much a finding matters; only bugs fail a run unless it is strict."""

    BUG = "bug"  # a wrong value or gradient, or a crash where every exact quantity is finite
    PRECISION = "precision"  # lost digits within what a reasonable float64 formula may lose
    WARNING = "warning"  # float semantics, a singular point, a convention, a limitation

    @property
    def rank(self) -> int:
        return {"bug": 0, "precision": 1, "warning": 2}[self.value]


class Culprit(Enum):
    """What the blame names: one op's local derivative or value, or a part of the engine that
    every op goes through."""

    OP = "op"
    BACKWARD = "backward"  # the backward loop itself (every op fails the same way)
    TRAVERSAL = "traversal"  # accumulation or visiting order
    FORWARD = "forward"  # no single node's value is wrong, yet the output is
    HANG = "hang"
    OUTPUT = "output"  # the output's own gradient is not 1
    INPUT = "input"  # the value class cannot hold an input of the case


@dataclass(frozen=True)
class Blame:
    """``node`` (an expression index, or None) and what is at fault there."""

    node: int | None
    culprit: Culprit
    op: str | None
    reason: str

    def label(self, name_of_node: str | None = None) -> str:
        """``n3 (mul)``, ``mul (used by sub)``, ``backward``, ... for reports."""
        if self.culprit is Culprit.OP and self.op:
            return f"{name_of_node} ({self.op})" if name_of_node else self.op
        return f"{name_of_node}: {self.culprit.value}" if name_of_node else self.culprit.value


@dataclass(frozen=True)
class Agreement:
    """Which oracles agree on the case: every pair on the value and gradients; the finite
    differences only on the gradients, and only when they are reliable. None where a pair was
    not compared: PyTorch and the finite differences are asked only when the engine disagrees
    with the reference, to say whether the reference is backed."""

    engine_sympy: bool
    torch_sympy: bool | None = None
    engine_torch: bool | None = None
    engine_fd: bool | None = None
    sympy_fd: bool | None = None

    def pairs(self) -> dict[str, bool]:
        """The compared pairs by name (``engine~sympy``...), for reports and the JSON."""
        names = {
            "engine~sympy": self.engine_sympy,
            "torch~sympy": self.torch_sympy,
            "engine~torch": self.engine_torch,
            "engine~fd": self.engine_fd,
            "sympy~fd": self.sympy_fd,
        }
        return {name: ok for name, ok in names.items() if ok is not None}

    @property
    def confirms_reference(self) -> bool:
        """Does an oracle other than the engine back the reference?"""
        return bool(self.torch_sympy) or bool(self.sympy_fd) and self.engine_fd is False


@dataclass(frozen=True)
class Mismatch:
    """One compared quantity: ``what`` is "value" or an input's name."""

    what: str
    engine: float
    expected: float
    tolerance: float

    @property
    def error(self) -> float:
        return abs(self.engine - self.expected)


@dataclass(frozen=True)
class Crash:
    """Where the engine failed to give a number: ``node`` (an expression index, or None for
    backward), what it did (``detail``) and the exception's name (``error``, "" when it
    returned something unusable, "CaseTimeout" for a hang)."""

    where: str
    detail: str
    node: int | None = None
    error: str = ""
