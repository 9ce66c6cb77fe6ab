"""The per-case time limit: a hang in pure-Python engine code becomes :class:`CaseTimeout`."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    "COMPILE_LIMIT",
    "PLAIN_SIZE",
    "CaseTimeout",
    "TimeLimit",
    "case_scale",
    "check_seconds",
    "size_scale",
]


class CaseTimeout(Exception):
    """One case ran past its time limit."""


def check_seconds(name: str, value: Any) -> float:
    """``value`` as a usable number of seconds; ``ValueError`` naming ``name`` otherwise."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r}: expected a number of seconds") from None
    if not (math.isfinite(seconds) and seconds >= 1e-3):
        raise ValueError(f"{name}={value!r}: expected a finite number of seconds >= 0.001")
    return seconds


#: Op nodes a case may have within the plain time limit; a larger one gets proportionally more.
PLAIN_SIZE = 2_000


def size_scale(nodes: int) -> float:
    """How many times the time limit a case of ``nodes`` op nodes gets: 1 up to
    :data:`PLAIN_SIZE`, in proportion beyond (a correct engine's 10,000-node chain, its finite
    differences included, takes seconds on a loaded machine; it must not count as a hang)."""
    return max(1.0, nodes / PLAIN_SIZE)


COMPILE_LIMIT = 20.0
"""Seconds at most for a case of more than :data:`PLAIN_SIZE` op nodes on an engine that
compiles every new graph: its compile time grows faster than the graph (measured, cold:
tinygrad 57 s for a 100-node tanh chain, a 500-node one unfinished after 6 minutes; jax.jit 4 to
5 minutes for 10,000 nodes), so such a case is a limitation to report, not one to wait five
times the time limit for."""


def case_scale(nodes: int, compiles: bool, timeout: float | None) -> float:
    """The time-limit scale of a case of ``nodes`` op nodes on an engine with time limit
    ``timeout``: :func:`size_scale`, at most :data:`COMPILE_LIMIT` seconds in all for a large
    graph on an engine that ``compiles``."""
    scale = size_scale(nodes)
    if compiles and timeout is not None and nodes > PLAIN_SIZE:
        return min(scale, COMPILE_LIMIT / timeout)
    return scale


class TimeLimit:
    """A SIGALRM-based limit, shared by nested uses: a whole case (its run and its finite
    differences) gets one limit, set once by the outermost ``with``."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._active = False

    @contextlib.contextmanager
    def __call__(self, scale: float = 1.0) -> Iterator[None]:
        """The limit, ``scale`` times ``seconds`` (see :func:`size_scale`)."""
        usable = (
            not self._active
            and self.seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if not usable:
            yield
            return
        seconds = self.seconds * scale  # type: ignore[operator]

        def expire(signum: int, frame: Any) -> None:
            raise CaseTimeout(f"case exceeded the {seconds:g} s time limit")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        self._active = True
        try:
            yield
        finally:
            self._active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
