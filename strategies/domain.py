"""Where a point is a fair test of an expression: every node defined, finite, bounded, and away
from domain edges and kinks by a margin (so finite differences on either side see one smooth
piece). Read by the strategies when they choose points and by the verdict before it judges."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_MAGNITUDE",
    "float_values",
    "node_problem",
    "point_problem",
]

DEFAULT_MARGIN = 1e-2
"""Smallest distance, relative to ``1 + |operand|``, from a domain edge or kink."""

DEFAULT_MAX_MAGNITUDE = 1e6
"""Largest node value of an ordinary case; wide cases raise it to just below overflow."""


def node_problem(
    node: Node,
    operands: Sequence[float],
    value: float,
    *,
    margin: float = DEFAULT_MARGIN,
    max_magnitude: float = DEFAULT_MAX_MAGNITUDE,
    exact_kinks: bool = False,
    overflow: bool = False,
    float_max: float = math.inf,
) -> str | None:
    """Why ``value = node(operands)`` is not a fair test point, or None when it is.

    With ``exact_kinks`` an operand lying exactly on a kink is fair (to check the convention
    there); one merely near a kink never is. With ``overflow`` a value that overflows to ±inf
    from finite operands is fair (the engine must give inf, as float64 does, not raise).
    ``float_max`` is the largest finite number of the engine's format, beyond which a value
    overflows there (float32's 3.4e38: exp(100) is inf in float32).
    """
    op = OPS[node.op]
    edge = op.distance_to_edge(operands, node.form)
    scale = 1.0 + max(abs(x) for x in operands)
    if not edge > margin * scale:
        return f"{node.op} operands {list(operands)!r} within {margin} of its domain edge"
    for kink in op.kinks:
        distance = abs(kink.offset(operands))
        if distance == 0.0 and exact_kinks:
            continue
        if distance <= margin * scale:
            return f"{node.op} operands {list(operands)!r} near a kink"
    overflows = math.isinf(value) or abs(value) > float_max
    if overflow and overflows and all(math.isfinite(x) and abs(x) <= float_max for x in operands):
        return None
    if overflows and not math.isinf(value):
        return f"{node.op} value {value!r} overflows the engine's format"
    if math.isnan(value) or not abs(value) <= max_magnitude:
        return f"{node.op} value {value!r} beyond magnitude {max_magnitude:g}"
    return None


def float_values(expression: Expression, point: Sequence[float]) -> list[float]:
    """Every node's value in plain float arithmetic (overflow gives inf, outside domain nan)."""
    values = list(map(float, point))
    append, ops = values.append, OPS
    for name, _, shape, first, second in expression._plan:  # see interpret()
        fn = ops[name].float_fn
        try:
            if shape == 1:
                value = fn(values[first])
            elif shape == 2:
                value = fn(values[first], values[second])
            elif shape == 3:
                value = fn(float(second), values[first])
            else:
                value = fn(values[first], float(second))
            append(float(value))
        except (ValueError, ZeroDivisionError, OverflowError):
            append(math.nan)
    return values


def point_problem(
    expression: Expression,
    point: Sequence[float],
    *,
    margin: float = DEFAULT_MARGIN,
    max_magnitude: float = DEFAULT_MAX_MAGNITUDE,
    exact_kinks: bool = False,
    overflow_output: bool = False,
    float_max: float = math.inf,
) -> str | None:
    """Why ``point`` is not a fair test point for ``expression``, or None when it is; with
    ``overflow_output`` the output (only) may overflow to ±inf (beyond ``float_max``, the
    largest finite number of the engine's format)."""
    if any(not math.isfinite(x) for x in point):
        return f"point {list(point)!r} is not finite"
    values = float_values(expression, point)
    for k, node in enumerate(expression.nodes, start=expression.n_inputs):
        problem = node_problem(
            node,
            node.operands(values),
            values[k],
            margin=margin,
            max_magnitude=max_magnitude,
            exact_kinks=exact_kinks,
            overflow=overflow_output and k == expression.output,
            float_max=float_max,
        )
        if problem is not None:
            return f"{expression.name(k)}: {problem}"
    return None
