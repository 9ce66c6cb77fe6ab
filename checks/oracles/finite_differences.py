"""Oracle: finite differences of the engine's own forward pass, with an error estimate.

Central differences at steps h, h/2, h/4, ... are combined by Richardson extrapolation (the error
of a central difference is a series in h**2); the estimate's error is judged from the last two
extrapolation levels plus the rounding error of the differences. Each forward call is an engine
forward pass of the whole expression, so levels are added only while the error estimate is not
yet good enough (at most ``LEVELS``; two suffice for most generated cases), and what depends only
on the center (whether it is on a kink, which side of every kink and domain edge the nodes that
have one lie on) is worked out once for all inputs; nodes with neither are not looked at on the
stencil at all.

An estimate is *unreliable*, and never evidence against the engine, when its error is large, when
the stencil crosses a kink or a domain edge, or when the forward pass fails anywhere on it. Written
out here rather than taken from scipy: it is a few lines, and scipy's vectorized interface would
cost a dependency and an array round trip per scalar forward pass.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from gradtrio.strategies.domain import float_values
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS

__all__ = [
    "MANY_INPUTS",
    "FDEstimate",
    "directional_derivative",
    "estimates",
    "fd_gradients",
    "random_direction",
]

LEVELS = 4
STEP = 2.0**-7  # first step of a per-input estimate, relative to 1 + |x|
DIRECTIONAL_STEP = 2.0**-7 * 1e-3  # first step along a direction, relative to 1 + max |x|
WIDE = 100.0  # beyond this input magnitude, per-input steps are too coarse
MANY_INPUTS = 4
"""Beyond this many inputs the finite differences estimate one directional derivative."""
UNIT_ROUNDOFF = 2.0**-53
SUBNORMAL = 5e-324
# Richardson's error estimate is a heuristic; it must miss by this factor before we are fooled.
SAFETY = 10.0
# An estimate whose error exceeds this fraction of its scale cannot judge a float64 gradient.
MAX_RELATIVE_ERROR = 1e-6
# Levels stop being added once the error is below this fraction of the scale.
GOOD_ENOUGH = MAX_RELATIVE_ERROR


@dataclass
class FDEstimate:
    value: float
    error: float
    reliable: bool
    why: str = ""
    direction: list[float] | None = None  # set for a directional derivative
    evaluations: int = 0  # forward passes spent on it


class _Center:
    """What the stencils of every input share: whether the point is on a kink, and which
    side of each kink and domain edge the nodes that have one are on."""

    def __init__(self, expression: Expression, point: Sequence[float]) -> None:
        self.expression = expression
        values = float_values(expression, point)
        self.on_kink = any(
            kink.offset(node.operands(values)) == 0
            for node in expression.nodes
            for kink in OPS[node.op].kinks
        )
        # Only nodes with a kink, or a domain edge at a finite distance, can change sides.
        self.watched = [
            node
            for node in expression.nodes
            if OPS[node.op].kinks or math.isfinite(_edge(node, values))
        ]
        self.pattern = self.sides(values)

    def sides(self, values: Sequence[float]) -> tuple[int, ...]:
        pattern = []
        for node in self.watched:
            operands = node.operands(values)
            if any(math.isnan(x) for x in operands):
                pattern.append(2)
                continue
            for kink in OPS[node.op].kinks:
                offset = kink.offset(operands)
                pattern.append((offset > 0) - (offset < 0))
            pattern.append(int(OPS[node.op].distance_to_edge(operands, node.form) > 0))
        return tuple(pattern)

    def same_piece(self, point: Sequence[float]) -> bool:
        if not self.watched:
            return True
        return self.sides(float_values(self.expression, point)) == self.pattern


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the forward passes of one case (as ``timeit`` does).

    Each pass builds a whole graph and drops it; the allocations trigger collections that
    rescan every long-lived object (torch's, Hypothesis's) again and again, for graphs that
    reference counting frees anyway (and an engine whose graphs hold cycles is collected as
    soon as the collector is back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _edge(node: Node, values: Sequence[float]) -> float:
    operands = node.operands(values)
    if any(math.isnan(x) for x in operands):
        return 0.0
    return OPS[node.op].distance_to_edge(operands, node.form)


def _richardson(
    f: Callable[[float], float], h: float, noise: float, size: float
) -> tuple[float, float, int]:
    """(estimate, error, forward calls): levels added until the error is good enough. ``size``
    is the largest input magnitude on the stencil, for the rounding of the stencil's inputs."""
    table: list[list[float]] = []
    fmax = 0.0
    best, error = math.nan, math.inf
    for level in range(LEVELS):
        step = h / 2**level
        hi, lo = f(step), f(-step)
        fmax = max(fmax, abs(hi), abs(lo))
        row = [(hi - lo) / (2 * step)]
        for j in range(1, level + 1):
            row.append(row[j - 1] + (row[j - 1] - table[level - 1][j - 1]) / (4**j - 1))
        table.append(row)
        if level == 0:
            continue
        # The last entry against the next-to-last of this level and of the level before (the
        # last there when it has only one).
        best, previous = row[-1], table[-2]
        truncation = max(abs(best - row[-2]), abs(best - previous[max(0, len(previous) - 2)]))
        # Each value is off by its own rounding (relative u, or the subnormal spacing near
        # underflow), by the rounding of the intermediate nodes, ``noise`` (when 1 + 1e-60
        # rounds to 1 inside the expression, every difference is 0 however large the true
        # derivative is), and by the rounding of its inputs: x + t is off by up to u |x + t|,
        # which moves f by about |f'| times that, |f'| taken from the estimate itself.
        inputs = UNIT_ROUNDOFF * size * max(abs(best), abs(table[0][0]))
        rounding = 4 * (UNIT_ROUNDOFF * fmax + noise + inputs + SUBNORMAL) / step
        error = SAFETY * (truncation + rounding)
        if not math.isfinite(best) or error <= GOOD_ENOUGH * max(abs(best), 1.0):
            break
    return best, error, 2 * len(table)


def _estimate(
    forward: Callable[[Sequence[float]], float],
    center: _Center,
    point: Sequence[float],
    direction: Sequence[float],
    h: float,
    noise: float = 0.0,
) -> FDEstimate:
    def along(t: float) -> list[float]:
        return [x + t * d for x, d in zip(point, direction)]

    if center.on_kink:
        return FDEstimate(math.nan, math.inf, False, "point lies exactly on a kink")
    if not (center.same_piece(along(h)) and center.same_piece(along(-h))):
        return FDEstimate(math.nan, math.inf, False, "stencil crosses a kink or domain edge")
    size = max(abs(x) for x in along(h)) + max(abs(x) for x in along(-h))
    try:
        value, error, calls = _richardson(lambda t: forward(along(t)), h, noise, size)
    except Exception as exc:  # the engine's forward failing on the stencil: not evidence
        return FDEstimate(math.nan, math.inf, False, f"forward failed: {type(exc).__name__}")
    if not (math.isfinite(value) and math.isfinite(error)):
        return FDEstimate(value, math.inf, False, "non-finite difference", evaluations=calls)
    if error > MAX_RELATIVE_ERROR * max(abs(value), 1.0):
        return FDEstimate(
            value, error, False, f"error estimate {error:.2g} too large", evaluations=calls
        )
    return FDEstimate(value, error, True, evaluations=calls)


def fd_gradients(
    forward: Callable[[Sequence[float]], float],
    expression: Expression,
    point: Sequence[float],
    *,
    noise: float = 0.0,
) -> list[FDEstimate]:
    """One estimate per input of d(output)/d(input), from ``forward(point) -> float``.

    ``noise`` bounds the rounding error of a forward pass's output (the reference's forward
    bound); without it, rounding inside the expression is invisible to the error estimate."""
    center = _Center(expression, point)
    estimates = []
    with _collector_paused():
        for i, x in enumerate(point):
            direction = [0.0] * len(point)
            direction[i] = 1.0
            step = STEP * (1 + abs(x))
            estimates.append(_estimate(forward, center, point, direction, step, noise))
    return estimates


def random_direction(n: int, *, seed: int = 0) -> list[float]:
    """A unit vector in ``n`` dimensions, the same for the same ``seed``."""
    rng = random.Random(seed)
    direction = [rng.gauss(0.0, 1.0) for _ in range(n)]
    norm = math.sqrt(sum(d * d for d in direction)) or 1.0
    return [d / norm for d in direction]


def directional_derivative(
    forward: Callable[[Sequence[float]], float],
    expression: Expression,
    point: Sequence[float],
    direction: Sequence[float],
    *,
    noise: float = 0.0,
    step: float = DIRECTIONAL_STEP,
) -> FDEstimate:
    """The derivative along ``direction``: for wide-range points, where per-input steps would
    be too coarse, and for many inputs, where one estimate checks the whole gradient for the
    price of one input. The first step is ``step`` (default ``DIRECTIONAL_STEP``) times
    ``1 + max |x|``; the estimate keeps its direction. ``noise`` as for :func:`fd_gradients`."""
    scale = 1 + max(abs(x) for x in point)
    center = _Center(expression, point)
    with _collector_paused():
        estimate = _estimate(forward, center, point, direction, step * scale, noise)
    estimate.direction = list(direction)
    return estimate


def estimates(
    forward: Callable[[Sequence[float]], float],
    expression: Expression,
    point: Sequence[float],
    noise: float,
) -> tuple[FDEstimate, ...]:
    """The finite differences a case gets: one estimate per input, or one along a random
    direction for wide points (the small ``DIRECTIONAL_STEP``) and for more than
    ``MANY_INPUTS`` inputs, an MLP's parameters (``STEP``): one estimate that checks the whole
    gradient, as gradcheck's fast mode does, for the forward passes of one input, not dozens."""
    wide = max(abs(x) for x in point) > WIDE
    if wide or len(point) > MANY_INPUTS:
        step = DIRECTIONAL_STEP if wide else STEP
        direction = random_direction(len(point))
        along = directional_derivative(
            forward, expression, point, direction, noise=noise, step=step
        )
        return (along,)
    return tuple(fd_gradients(forward, expression, point, noise=noise))
