"""The engine's share of one case: its forward and backward pass, and the forward passes the
finite differences need.

These are the functions an isolated engine runs in its worker process, each in one round trip:
an :class:`~gradtrio.checks.isolation.IsolatedEngine` sends the call there, any other engine
runs it in this process. They import no
oracle but the finite differences, so that a worker starts without torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gradtrio.checks.oracle_fd import (
    STEP,
    FDEstimate,
    directional_derivative,
    fd_gradients,
    random_direction,
)
from gradtrio.strategies.expression import Expression

__all__ = ["MANY_INPUTS", "TASKS", "fd_estimates", "run_case", "start_run_case"]

MANY_INPUTS = 4
"""Beyond this many inputs the finite differences estimate one directional derivative."""


def _fd_estimates(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float
) -> tuple[FDEstimate, ...]:
    def forward(p: Sequence[float]) -> float:
        return engine.forward(expression, p)

    # Wide points get one random direction, not a step per input, and so do many inputs (an
    # MLP's parameters): one estimate that checks the whole gradient, as gradcheck's fast mode
    # does, for the forward passes of one input instead of dozens.
    if max(abs(x) for x in point) > 100:
        direction = random_direction(len(point))
        return (directional_derivative(forward, expression, point, direction, noise=noise),)
    if len(point) > MANY_INPUTS:
        direction = random_direction(len(point))
        return (
            directional_derivative(forward, expression, point, direction, noise=noise, step=STEP),
        )
    return tuple(fd_gradients(forward, expression, point, noise=noise))


def _run_case(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float, with_fd: bool
) -> tuple[Any, tuple[FDEstimate, ...]]:
    run = engine.run(expression, point)
    return run, _fd_estimates(engine, expression, point, noise) if with_fd else ()


#: What a worker may be asked to run, by name, on the engine it holds.
TASKS: dict[str, Callable[..., Any]] = {"run_case": _run_case, "fd_estimates": _fd_estimates}


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


def start_run_case(
    engine: Any,
    expression: Expression,
    point: tuple[float, ...],
    noise: float,
    with_fd: bool,
    scale: float = 1.0,
) -> Callable[[], tuple[Any, tuple[FDEstimate, ...]]]:
    """:func:`run_case`, begun now where the engine lives in a worker (which then works while
    this process runs the other oracles); the returned call gives its result, and must be made
    inside ``engine.time_limit(scale)``. An engine in this process runs it at that call."""
    start = getattr(engine, "start_task", None)
    if start is not None:
        return start("run_case", expression, point, noise, with_fd, scale=scale)
    return lambda: TASKS["run_case"](engine, expression, point, noise, with_fd)


def fd_estimates(
    engine: Any, expression: Expression, point: tuple[float, ...], noise: float
) -> tuple[FDEstimate, ...]:
    """Finite differences of the engine's own forward pass at ``point``."""
    return _where_it_lives(engine, "fd_estimates", expression, point, noise)
