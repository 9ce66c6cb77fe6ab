"""Oracle: finite differences of the engine's own forward pass, with an error estimate.

Central differences at steps h, h/2, h/4, h/8 are combined by Richardson extrapolation (the error
of a central difference is a series in h**2); the estimate's error is judged from the last two
extrapolation levels plus the rounding error of the differences. An estimate is *unreliable*, and
never evidence against the engine, when that error is large, when the stencil crosses a kink or a
domain edge, or when the forward pass fails anywhere on it. Written out here rather than taken from
scipy: it is a few lines, and scipy's vectorized interface would cost a dependency and an array
round trip per scalar forward pass.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradtrio.strategies.domain import float_values
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS

__all__ = ["FDEstimate", "directional_derivative", "fd_gradients", "random_direction"]

LEVELS = 4
STEP = 2.0**-7  # first step, relative to 1 + |x|
UNIT_ROUNDOFF = 2.0**-53
SUBNORMAL = 5e-324
# Richardson's error estimate is a heuristic; it must miss by this factor before we are fooled.
SAFETY = 10.0
# An estimate whose error exceeds this fraction of its scale cannot judge a float64 gradient.
MAX_RELATIVE_ERROR = 1e-6


@dataclass
class FDEstimate:
    value: float
    error: float
    reliable: bool
    why: str = ""
    direction: list[float] | None = None  # set for a directional derivative


def _side_pattern(expression: Expression, values: Sequence[float]) -> tuple[int, ...]:
    """Which side of each kink, and of each domain edge, every node's operands are on."""
    pattern = []
    for node in expression.nodes:
        op = OPS[node.op]
        operands = node.operands(values)
        if any(math.isnan(x) for x in operands):
            pattern.append(2)
            continue
        for kink in op.kinks:
            offset = kink.offset(operands)
            pattern.append((offset > 0) - (offset < 0))
        pattern.append(int(op.distance_to_edge(operands, node.form) > 0))
    return tuple(pattern)


def _richardson(f: Callable[[float], float], h: float, noise: float) -> tuple[float, float]:
    table: list[list[float]] = []
    fmax = 0.0
    for level in range(LEVELS):
        step = h / 2**level
        hi, lo = f(step), f(-step)
        fmax = max(fmax, abs(hi), abs(lo))
        row = [(hi - lo) / (2 * step)]
        for j in range(1, level + 1):
            row.append(row[j - 1] + (row[j - 1] - table[level - 1][j - 1]) / (4**j - 1))
        table.append(row)
    best = table[-1][-1]
    truncation = max(abs(best - table[-1][-2]), abs(best - table[-2][-2]))
    # Each value is off by its own rounding (relative u, or the subnormal spacing near underflow)
    # and by the rounding of the intermediate nodes, ``noise``: when 1 + 1e-60 rounds to 1 inside
    # the expression, every difference is 0 however large the true derivative is.
    rounding = 4 * (UNIT_ROUNDOFF * fmax + noise + SUBNORMAL) / (h / 2 ** (LEVELS - 1))
    return best, SAFETY * (truncation + rounding)


def _estimate(
    forward: Callable[[Sequence[float]], float],
    expression: Expression,
    point: Sequence[float],
    direction: Sequence[float],
    h: float,
    noise: float = 0.0,
) -> FDEstimate:
    def along(t: float) -> list[float]:
        return [x + t * d for x, d in zip(point, direction)]

    if _on_kink(expression, point):
        return FDEstimate(math.nan, math.inf, False, "point lies exactly on a kink")
    center = _side_pattern(expression, float_values(expression, point))
    for t in (h, -h):
        if _side_pattern(expression, float_values(expression, along(t))) != center:
            return FDEstimate(math.nan, math.inf, False, "stencil crosses a kink or domain edge")
    try:
        value, error = _richardson(lambda t: forward(along(t)), h, noise)
    except Exception as exc:  # the engine's forward failing on the stencil: not evidence
        return FDEstimate(math.nan, math.inf, False, f"forward failed: {type(exc).__name__}")
    if not (math.isfinite(value) and math.isfinite(error)):
        return FDEstimate(value, math.inf, False, "non-finite difference")
    if error > MAX_RELATIVE_ERROR * max(abs(value), 1.0):
        return FDEstimate(value, error, False, f"error estimate {error:.2g} too large")
    return FDEstimate(value, error, True)


def _on_kink(expression: Expression, point: Sequence[float]) -> bool:
    values = float_values(expression, point)
    return any(
        kink.offset(node.operands(values)) == 0
        for node in expression.nodes
        for kink in OPS[node.op].kinks
    )


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
    estimates = []
    for i, x in enumerate(point):
        direction = [0.0] * len(point)
        direction[i] = 1.0
        step = STEP * (1 + abs(x))
        estimates.append(_estimate(forward, expression, point, direction, step, noise))
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
) -> FDEstimate:
    """The derivative along ``direction``, for wide-range points where per-input steps would be
    too coarse; the estimate keeps its direction. ``noise`` as for :func:`fd_gradients`."""
    scale = 1 + max(abs(x) for x in point)
    estimate = _estimate(forward, expression, point, direction, STEP * scale * 1e-3, noise)
    estimate.direction = list(direction)
    return estimate
