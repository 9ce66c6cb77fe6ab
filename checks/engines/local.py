"""An engine in this process: what the Value-class adapter and the library adapters share.

Its time limit is a SIGALRM limit (:class:`~gradtrio.checks.engines.limits.TimeLimit`), its run
of a case is computed when the result is read, and the finite differences of its forward pass run
here. A worker process holds one such engine and calls its protocol methods on request, one round
trip each (:mod:`gradtrio.checks.engines.worker`). Nothing here imports an oracle but the finite
differences, so that a worker starts without torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from gradtrio.checks.engines.limits import TimeLimit
from gradtrio.checks.engines.protocol import (
    CaseShare,
    EngineCrash,
    EngineRun,
    Limitation,
    Outcome,
    rounded_to,
)
from gradtrio.checks.oracles.finite_differences import FDEstimate, estimates
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import Form

__all__ = ["LocalEngine", "LocalShare"]


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
    flushes_subnormals: ClassVar[bool] = False
    case_output: ClassVar[str] = ""  # what it prints goes to the terminal, not to a report
    compiles: ClassVar[bool] = False
    """Does the engine compile every new graph before it runs it (tinygrad, ``jax.jit``)? Then a
    very large graph (a 10,000-node chain) can take longer to compile than any case's time limit:
    a limitation of how the library works, not a wrong result. Such a graph gets
    :data:`~gradtrio.checks.engines.limits.COMPILE_LIMIT` seconds at most, and a run judges one
    deep chain, not every one."""
    points_per_expression: ClassVar[int] = 1
    """Points the search judges per expression it draws, in one :meth:`run_many`: more than 1
    where a call costs about the same for one point as for many (see the engine protocol)."""

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
        return rounded_to(self.dtype, x, self.flushes_subnormals)

    def share(self, expression: Expression, point: tuple[float, ...], scale: float) -> CaseShare:
        return LocalShare(self, expression, point)

    def fd_estimates(
        self, expression: Expression, point: tuple[float, ...], noise: float
    ) -> tuple[FDEstimate, ...]:
        def forward(p: Sequence[float]) -> float:
            return self.forward(expression, p)

        return estimates(forward, expression, point, noise)

    def run_many(self, expression: Expression, points: Sequence[Sequence[float]]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for point in points:
            try:
                outcomes.append(self.run(expression, point))
            except (EngineCrash, RecursionError) as exc:
                outcomes.append(exc)
            # A time-out ends the batch, as it ends a run: an engine that hangs on this
            # expression would hang at every other point too, each a whole time limit.
        return outcomes

    def node_details(
        self, expression: Expression, point: Sequence[float]
    ) -> tuple[list[float], list[float | None]]:
        run = self.run(expression, point)
        return list(run.node_values), list(run.node_grads)


class LocalShare(CaseShare):
    """A case's run on an engine in this process: it runs at :meth:`result`."""

    def __init__(self, engine: LocalEngine, expression: Expression, point: tuple[float, ...]):
        self._engine, self._expression, self._point = engine, expression, point

    def result(self) -> EngineRun:
        return self._engine.run(self._expression, self._point)
