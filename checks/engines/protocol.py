"""The engine protocol: all that the other stages know of an engine under test.

Every engine the harness drives implements :class:`Engine`: the Value-class adapter
(:class:`~gradtrio.checks.engines.value_class.ValueClassEngine`), each library adapter
(:class:`~gradtrio.checks.engines.libraries.base.LibraryAdapter`) and the worker proxy that holds
either of them in a process of its own
(:class:`~gradtrio.checks.engines.isolation.IsolatedEngine`). What crosses the seam is plain data:
an :class:`EngineRun`, an :class:`EngineCrash`, a :class:`Limitation`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from gradtrio.checks.engines.loading import LoadError
from gradtrio.checks.oracles.finite_differences import FDEstimate
from gradtrio.checks.oracles.reference.rounding import FORMATS, FloatFormat
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import Form

__all__ = [
    "CaseShare",
    "Engine",
    "EngineCrash",
    "EngineError",
    "EngineInfo",
    "EngineRun",
    "Limitation",
    "LimitationKind",
    "Outcome",
    "format_of",
    "rounded_to",
]


class EngineError(LoadError):
    """The engine spec or class cannot be used; the message is one line for the user."""


class EngineCrash(Exception):
    """The engine raised or returned something unusable while running one case. ``error`` is
    the name of the exception the engine raised ("" when it returned something unusable)."""

    def __init__(self, where: str, detail: str, node: int | None = None, error: str = "") -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail
        self.node = node
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:  # crosses from a worker process whole
        return (type(self), (self.where, self.detail, self.node, self.error))


@dataclass
class EngineRun:
    """What the engine computed for one case: the output value, each input's gradient, and every
    node's gradient where the engine keeps them (None where it does not)."""

    value: float
    grads: list[float]
    node_grads: Sequence[float | None]
    node_values: list[float]


class Deferred:
    """Stands for a run's node values or gradients that a worker did not send: a library that
    compiles computes them with a second compiled graph, and only the blame of a failing case
    reads them, so the harness asks for them then (:meth:`Engine.node_details`)."""

    def __reduce__(self) -> str:
        return "DEFERRED"  # one object on both sides of the pipe

    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED = Deferred()


class LimitationKind(Enum):
    RECURSION = "recursion"  # RecursionError on a very deep graph
    HANG = "hang"  # no result within the time limit
    COMPILE_TIME = "compile time"  # a library that compiles: no result for a very large graph
    BACKWARD_TWICE = "backward twice"  # a second backward double-counts
    UNCHECKED = "unchecked"  # methods that look like ops gradtrio has no row for


@dataclass(frozen=True)
class Limitation:
    """Behaviour of the engine that is not a wrong gradient, but that a user should know of."""

    kind: LimitationKind
    text: str


@dataclass(frozen=True)
class EngineInfo:
    """What describes an engine, sent once by its worker process when it has loaded it."""

    spec: str
    ops: dict[str, tuple[Form, ...]]
    unchecked: dict[str, str]
    dtype: str
    text: str  # what ``describe()`` says
    timeout: float | None  # seconds one case may take (None: no limit)
    flushes_subnormals: bool
    compiles: bool = False
    points_per_expression: int = 1


def rounded_to(dtype: str, x: float, flush_subnormals: bool = False) -> float:
    """``x`` as an engine of ``dtype`` ("float64" or "float32") holds it: the inputs and the
    constants of a case go in rounded, and the oracles judge the rounded case. An engine that
    ``flush_subnormals`` reads a subnormal operand as a zero of its sign (DAZ)."""
    if dtype == "float32":
        import numpy

        with numpy.errstate(over="ignore"):  # beyond float32's range: inf, as the engine holds it
            x = float(numpy.float32(x))
    x = float(x)
    if flush_subnormals and abs(x) < FORMATS[dtype].normal:
        return math.copysign(0.0, x)
    return x


def format_of(engine: Engine) -> FloatFormat:
    """The format ``engine`` computes in, as the reference's tolerances need it."""
    fmt = FORMATS[engine.dtype]
    return fmt.flushing() if engine.flushes_subnormals else fmt


class CaseShare(ABC):
    """The engine's run of one case, begun as soon as the case is known (an engine in a worker
    runs it while the harness computes the reference); :meth:`result` is read inside
    ``engine.time_limit(scale)``, and :meth:`close` settles a share whose result is not wanted
    (a ``with`` block calls it)."""

    def __enter__(self) -> CaseShare:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def result(self) -> EngineRun: ...

    def close(self) -> None:  # noqa: B027 - a share that began nothing has nothing to settle
        """Settle a share whose result was not taken."""


Outcome = EngineRun | BaseException
"""One point's run in :meth:`Engine.run_many`: the run, or what the engine raised there
(an :class:`EngineCrash`, a time-out, a RecursionError)."""


class Engine(Protocol):
    """An engine under test, as the oracles, the verdict, the search and the reports drive it.

    ``ops`` are the registry ops (and their forms) it has; ``unchecked`` names what it has but
    gradtrio cannot check, with why; ``dtype`` is "float64" or "float32", and :meth:`rounded`
    gives a number as the engine holds it. Inside ``with engine.time_limit(scale):`` every call
    spends from one case's limit (``scale`` times ``timeout`` seconds); ``case_output`` is what
    the engine printed during the last case (kept by an engine in a worker, else "").

    ``compiles`` says the engine compiles every new graph before it runs it (tinygrad,
    ``jax.jit``): a very large graph may then take longer to compile than a case's time limit, a
    limitation of how it works rather than a hang. ``points_per_expression`` is how many points
    the search judges per expression it draws: 1 for an engine whose cost is per point, more
    for one whose cost is per expression (building or compiling a graph, dispatching every op),
    which :meth:`run_many` then pays once for all of them."""

    @property
    def spec(self) -> str: ...

    @property
    def ops(self) -> dict[str, tuple[Form, ...]]: ...

    @property
    def unchecked(self) -> dict[str, str]: ...

    @property
    def dtype(self) -> str: ...

    @property
    def timeout(self) -> float | None: ...

    @property
    def flushes_subnormals(self) -> bool:
        """Does the engine read subnormal operands, and give subnormal results, as zero (x86's
        DAZ and FTZ)? Then a case is judged at the point it holds, with zeros in their place."""
        ...

    @property
    def case_output(self) -> str: ...

    @property
    def compiles(self) -> bool: ...

    @property
    def points_per_expression(self) -> int: ...

    def describe(self) -> str:
        """One line naming the engine and how it is driven."""
        ...

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        """Forward and backward; :class:`EngineCrash` (naming the node) or a time-out."""
        ...

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        """The output value only (the finite differences call this many times)."""
        ...

    def time_limit(self, scale: float = 1.0) -> AbstractContextManager[None]: ...

    def limitations(self) -> list[Limitation]:
        """What the engine does differently outside one forward and backward pass."""
        ...

    def rounded(self, x: float) -> float: ...

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        """A standalone snippet in the engine's own API that builds the case, differentiates it
        and prints ``value: v`` and ``grads: [...]``."""
        ...

    def share(self, expression: Expression, point: tuple[float, ...], scale: float) -> CaseShare:
        """The engine's run of one case, begun now (see :class:`CaseShare`)."""
        ...

    def run_many(self, expression: Expression, points: Sequence[Sequence[float]]) -> list[Outcome]:
        """:meth:`run` at every point, each outcome a run or what the engine raised there: one
        round trip for many cases (the sweep judges thousands of one-node cases). A time-out
        at any point ends the whole call (:class:`CaseTimeout`)."""
        ...

    def node_details(
        self, expression: Expression, point: Sequence[float]
    ) -> tuple[list[float], list[float | None]]:
        """Every node's value and gradient in the run at ``point`` (what :meth:`run` gives as
        ``node_values`` and ``node_grads``), for the blame of a failing case."""
        ...

    def fd_estimates(
        self, expression: Expression, point: tuple[float, ...], noise: float
    ) -> tuple[FDEstimate, ...]:
        """Finite differences of the engine's own forward pass at ``point``."""
        ...
