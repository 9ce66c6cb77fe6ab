"""An engine in this process: what the Value-class adapter and the library adapters share.

Its time limit is a SIGALRM limit (:class:`~gradtrio.checks.engines.limits.TimeLimit`), its share
of a case is computed when the result is read, and the finite differences of its forward pass run
here. A worker process holds one such engine and runs the :data:`TASKS` on it by name, one round
trip each (:mod:`gradtrio.checks.engines.worker`). Nothing here imports an oracle but the finite
differences, so that a worker starts without torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from gradtrio.checks.engines.limits import TimeLimit
from gradtrio.checks.engines.protocol import (
    CaseShare,
    EngineRun,
    Limitation,
    ShareResult,
    rounded_to,
)
from gradtrio.checks.oracles.finite_differences import FDEstimate, estimates
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import Form

__all__ = ["FOLLOWED", "TASKS", "LocalEngine", "LocalShare"]


class LocalEngine:
    """The base of engines that run in this process; subclasses provide :meth:`run`,
    :meth:`forward`, :meth:`describe` and :meth:`reproducer`, and set ``spec``, ``ops``,
    ``unchecked``, ``dtype``, ``timeout`` and ``time_limit`` (a limit of ``timeout``
    seconds)."""

    spec: str
    ops: dict[str, tuple[Form, ...]]
    unchecked: dict[str, str]
    dtype: str = "float64"
    timeout: float | None
    time_limit: TimeLimit
    case_output: ClassVar[str] = ""  # what it prints goes to the terminal, not to a report

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        raise NotImplementedError

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        raise NotImplementedError

    def limitations(self) -> list[Limitation]:
        return []

    def rounded(self, x: float) -> float:
        return rounded_to(self.dtype, x)

    def share(self, expression: Expression, point: tuple[float, ...], scale: float) -> CaseShare:
        return LocalShare(self, expression, point)

    def fd_estimates(
        self, expression: Expression, point: tuple[float, ...], noise: float
    ) -> tuple[FDEstimate, ...]:
        def forward(p: Sequence[float]) -> float:
            return self.forward(expression, p)

        return estimates(forward, expression, point, noise)


def _run_then_fd(
    engine: LocalEngine,
    expression: Expression,
    point: tuple[float, ...],
    noise_later: Callable[[], float | None],
) -> ShareResult:
    """The run, begun before the harness has the reference; then the finite differences with
    the noise ``noise_later()`` gives once it has (None: none)."""
    run = engine.run(expression, point)
    noise = noise_later()
    return run, () if noise is None else engine.fd_estimates(expression, point, noise)


def _fd_estimates(
    engine: LocalEngine, expression: Expression, point: tuple[float, ...], noise: float
) -> tuple[FDEstimate, ...]:
    return engine.fd_estimates(expression, point, noise)


#: What a worker may be asked to run, by name, on the engine it holds.
TASKS: dict[str, Callable[..., Any]] = {"run_then_fd": _run_then_fd, "fd_estimates": _fd_estimates}
#: The tasks that wait for one more message from the harness (passed as their last argument).
FOLLOWED = frozenset({"run_then_fd"})


class LocalShare(CaseShare):
    """A case's share on an engine in this process: it all runs at :meth:`result`."""

    def __init__(self, engine: LocalEngine, expression: Expression, point: tuple[float, ...]):
        super().__init__()
        self._engine, self._expression, self._point = engine, expression, point
        self._noise: float | None = None

    def _tell(self, noise: float | None) -> None:
        self._noise = noise

    def result(self) -> ShareResult:
        noise = self._noise
        return _run_then_fd(self._engine, self._expression, self._point, lambda: noise)
