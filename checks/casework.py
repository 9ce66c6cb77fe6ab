"""The engine's share of one case: its forward and backward pass, and the forward passes the
finite differences need.

These are the functions an isolated engine runs in its worker process, each in one round trip:
an :class:`~gradtrio.checks.isolation.IsolatedEngine` sends the call there, any other engine
runs it in this process. The verdict's :class:`EngineShare` begins a case's run before the
reference is known and sends the finite differences their noise once it is (``run_then_fd``,
one round trip and one follow-up message). They import no oracle but the finite differences, so
that a worker starts without torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from gradtrio.checks.oracle_fd import FDEstimate, estimates
from gradtrio.strategies.expression import Expression

__all__ = ["FOLLOWED", "TASKS", "EngineShare", "fd_estimates", "run_case"]


def _fd_estimates(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float
) -> tuple[FDEstimate, ...]:
    def forward(p: Sequence[float]) -> float:
        return engine.forward(expression, p)

    return estimates(forward, expression, point, noise)


def _run_then_fd(
    engine: Any,
    expression: Expression,
    point: tuple[float, ...],
    noise_later: Callable[[], float | None],
) -> tuple[Any, tuple[FDEstimate, ...]]:
    """The run, begun before the harness has the reference; then the finite differences with
    the noise it sends once it has (None: none)."""
    run = engine.run(expression, point)
    noise = noise_later()
    return run, () if noise is None else _fd_estimates(engine, expression, point, noise)


def _run_case(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float, with_fd: bool
) -> tuple[Any, tuple[FDEstimate, ...]]:
    return _run_then_fd(engine, expression, point, lambda: noise if with_fd else None)


#: What a worker may be asked to run, by name, on the engine it holds.
TASKS: dict[str, Callable[..., Any]] = {
    "run_case": _run_case,
    "run_then_fd": _run_then_fd,
    "fd_estimates": _fd_estimates,
}
#: The tasks that wait for one more message from the harness (passed as their last argument).
FOLLOWED = frozenset({"run_then_fd"})


def _where_it_lives(engine: Any, name: str, *args: Any) -> Any:
    task = getattr(engine, "task", None)  # an isolated engine runs it in its worker
    return task(name, *args) if task is not None else TASKS[name](engine, *args)


def run_case(
    engine: Any,
    expression: Expression,
    point: tuple[float, ...],
    noise: float,
    with_fd: bool = True,
) -> tuple[Any, tuple[FDEstimate, ...]]:
    """The engine's run of the case and, when ``with_fd``, the finite differences of its
    forward pass (``noise`` bounds the rounding of the output), in one round trip."""
    return _where_it_lives(engine, "run_case", expression, point, noise, with_fd)


class EngineShare:
    """The engine's share of one case, begun as soon as the case is known: where the engine
    lives in a worker, it runs the case while this process computes the reference, which the
    finite differences need (their noise), and then the other oracles.

    Call :meth:`finite_differences` once the noise is known, then :meth:`result` inside
    ``engine.time_limit(scale)``; :meth:`close` (always, as a ``with`` block does) settles a
    share whose result is not wanted. An engine in this process runs it all at :meth:`result`.
    """

    def __init__(
        self, engine: Any, expression: Expression, point: tuple[float, ...], scale: float = 1.0
    ) -> None:
        self._engine, self._expression, self._point = engine, expression, point
        self._noise: float | None = None
        self._told = self._done = False
        start = getattr(engine, "start_task", None)
        self._finish = (
            None if start is None else start("run_then_fd", expression, point, scale=scale)
        )

    def __enter__(self) -> EngineShare:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finite_differences(self, noise: float | None) -> None:
        """Ask for the finite differences, ``noise`` bounding the rounding of the output (None:
        none). Once per share."""
        if self._told:
            raise RuntimeError("finite_differences() already asked for")
        self._told, self._noise = True, noise
        if self._finish is not None:
            self._engine.follow_up(noise)

    def result(self) -> tuple[Any, tuple[FDEstimate, ...]]:
        """The engine's run and the finite differences asked for."""
        if not self._told:
            self.finite_differences(None)
        self._done = True
        if self._finish is None:
            noise = self._noise
            return TASKS["run_case"](
                self._engine, self._expression, self._point, noise or 0.0, noise is not None
            )
        return self._finish()

    def close(self) -> None:
        """Settle a share whose result was not taken: the worker's answer is read and dropped."""
        if self._done:
            return
        if self._finish is not None:
            if not self._told:
                self.finite_differences(None)
            with contextlib.suppress(Exception):  # a dead or stopped worker is started anew
                self._finish()
        self._done = True


def fd_estimates(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float
) -> tuple[FDEstimate, ...]:
    """Finite differences of the engine's own forward pass at ``point``."""
    return _where_it_lives(engine, "fd_estimates", expression, point, noise)
