"""A second implementation of the reference for its tests, and the former one: the same SymPy
derivatives evaluated with mpmath at ``DIGITS`` significant digits, which do not say how many of
them are right.

It cancels where exact arithmetic would not (``1 - tanh(48)**2`` is 0 at 40 digits), so it is no
longer what the verdict uses; ``tests/test_reference_arb.py`` checks the balls against it, and
``benchmarks/bench_harness.py`` compares its cost with theirs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy
from gradtrio.checks.oracles.reference.derivatives import derivatives
from gradtrio.checks.oracles.reference.enclose import KinkChoice, OutOfDomain, Reference
from gradtrio.checks.oracles.reference.rounding import FLOAT64, rounding_bounds
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS, Form

__all__ = ["DIGITS", "reference_mpmath"]

DIGITS = 40


@functools.lru_cache(maxsize=512)
def _compiled(name: str, form: Form, const: float | None = None) -> Callable[..., Any]:
    d = derivatives(name, form, const)
    return sympy.lambdify(d.symbols, [d.value, list(d.first), list(d.second)], modules="mpmath")


def _parts(name: str, form: Form, const: float | None, args: list[Any]) -> Any:
    try:
        return _compiled(name, form)(*args)
    except (ValueError, ZeroDivisionError, OverflowError):
        if const is None:
            raise
        return _compiled(name, form, const)(*args[:-1])


def reference_mpmath(
    expression: Expression, point: Sequence[float], *, kinks: KinkChoice = "convention"
) -> Reference:
    """Values and adjoints as mpmath numbers at ``DIGITS`` digits, and float64 bounds computed
    from them as before (the ratio of second to first derivative taken numerically)."""
    n, n_in = expression.size, expression.n_inputs
    with mpmath.workdps(DIGITS):
        values: list[Any] = [mpmath.mpf(float(x)) for x in point]
        first, second, ratio, kink_nodes = [], [], [], []
        for k, node in enumerate(expression.nodes, start=n_in):
            args = [values[i] for i in node.args]
            if node.side is not None:
                args.append(mpmath.mpf(node.const))
            try:
                value, d1, d2 = _parts(node.op, node.form, node.const, args)
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                raise OutOfDomain(f"{expression.name(k)}: {exc}") from None
            flat = [mpmath.mpf(x) for row in d2 for x in row]
            d1 = [mpmath.mpf(d) for d in d1]
            if any(
                isinstance(x, mpmath.mpc) or not mpmath.isfinite(x) for x in [value, *d1, *flat]
            ):
                raise OutOfDomain(f"{expression.name(k)} is not real and finite")
            for kink in OPS[node.op].kinks:
                if values[node.args[0]] == kink.at:
                    kink_nodes.append(k)
                    side = {"left": kink.left, "right": kink.right}
                    if kinks in side:
                        d1 = [mpmath.mpf(side[kinks])]
                    elif kinks == "mean":
                        d1 = [mpmath.mpf((kink.left + kink.right) / 2)]
            m = len(d1)
            values.append(mpmath.mpf(value))
            first.append(d1)
            second.append(flat)
            ratio.append([flat[j * m + j] / d if d != 0 else 0 for j, d in enumerate(d1)])
        adjoints: list[Any] = [mpmath.mpf(0)] * n
        adjoints[-1] = mpmath.mpf(1)
        for k in range(n - 1, n_in - 1, -1):
            for i, d in zip(expression.node(k).args, first[k - n_in]):
                adjoints[i] += adjoints[k] * d

    def mags(xs: Sequence[Any]) -> list[float]:
        return [abs(float(x)) for x in xs]

    parts = [mags([*d1, *d2, *q]) for d1, d2, q in zip(first, second, ratio)]
    value_bounds, grad_bounds = rounding_bounds(
        expression, mags(values), parts, mags(adjoints), FLOAT64
    )
    return Reference(n_in, values, adjoints, value_bounds, grad_bounds, kink_nodes, digits=0.0)
