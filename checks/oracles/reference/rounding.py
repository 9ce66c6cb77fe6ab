"""The tolerance: a first-order rounding-error bound for a faithful evaluation of the same DAG in a
binary floating-point format (float64 by default), from the reference's values and partials."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS

__all__ = ["FLOAT32", "FLOAT64", "FORMATS", "FloatFormat", "rounding_bounds"]

# The analysis is first order; twice the bound covers the neglected O(u^2) terms with room.
SAFETY = 2.0


@dataclass(frozen=True)
class FloatFormat:
    """What the bound needs to know about a binary format.

    ``unit_roundoff`` is u (half an ulp of 1); ``subnormal`` the smallest positive subnormal,
    the absolute error one rounding may make near underflow (twice the exact half ulp, which is
    not a number of the format), since a quantity below the subnormal range flushes to 0 and a
    huge factor downstream can make that error visible; ``max`` the largest finite number,
    beyond which a result overflows and no error bound holds; ``floor`` a magnitude below which
    results have lost their relative precision to underflow anyway, added to every bound;
    ``normal`` the smallest positive normal number.
    """

    name: str
    unit_roundoff: float
    subnormal: float
    max: float
    floor: float
    normal: float

    def flushing(self) -> FloatFormat:
        """The format as an evaluation that flushes subnormal operands and results to zero
        (x86's FTZ and DAZ, which XLA sets on CPU) has it: one rounding may then be off by the
        smallest normal number."""
        return dataclasses.replace(self, subnormal=self.normal)

    def held(self, x: float) -> float:
        """``x`` (a float64 midpoint of an exact value) as far as this format's range goes: ±inf
        beyond its largest finite number, as a faithful evaluation overflows there."""
        return x if abs(x) <= self.max else math.copysign(math.inf, x)


FLOAT64 = FloatFormat("float64", 2.0**-53, 5e-324, 1.7976931348623157e308, 1e-290, 2.0**-1022)
# The floor keeps float64's distance above the smallest normal number (about 2**59 times it).
FLOAT32 = FloatFormat("float32", 2.0**-24, 2.0**-149, 3.4028234663852886e38, 2.0**-67, 2.0**-126)
FORMATS = {f.name: f for f in (FLOAT64, FLOAT32)}


def rounding_bounds(
    expression: Expression,
    values: Sequence[float],
    parts: Sequence[Sequence[float]],
    adjoints: Sequence[float],
    fmt: FloatFormat = FLOAT64,
    *,
    any_formula: bool = False,
) -> tuple[list[float], list[float]]:
    """First-order error bounds for an evaluation of the same DAG in ``fmt``.

    With ``any_formula`` each op's own rounding (of its value and of each local derivative)
    also gets the registry's ``formula_error``: what a reasonable formula other than a
    correctly rounded library call may lose (``tanh`` through ``exp``, ``x ** c`` through
    ``exp(c log x)``, ``a / b`` as ``a * b ** -1``), cancellation and underflow to zero
    included. That is the precision bound: beyond it a result is wrong, not imprecise.

    Every argument is a magnitude (an upper bound on the absolute value of the exact quantity):
    node values, adjoints, and for op node k ``parts[k - n_inputs]``: its local partials d_kj for
    its m operands, its m*m second partials dd_kjl row by row, and its m ratios dd_kjj / d_kj
    (simplified symbolically, see :class:`~.derivatives.Derivatives`).

    Forward: node k's computed value is off by at most
        e_k = sum_j |d_kj| e_(operand j) + r_op u |v_k|,
    its operands' errors carried through the local derivatives, plus its own rounding (r_op from
    the registry's ``roundoff``). Each local derivative d_kj is then off by at most
        eps_kj = sum_l |dd_kjl| e_(operand l) + r_op u (|d_kj| + |dd_kjj / d_kj| |v_k|),
    the operand errors carried through the second derivatives, plus rounding in a derivative
    formula that may be written in terms of the output (tanh' = 1 - t*t loses digits as t -> 1;
    the last term, for the ops whose ``derivative_from_output`` trait says engines do so).
    Reverse: the gradient of node i, a sum over its consumers k of g_k d_ki, is off by at most
        E_i = sum_k (E_k |d_ki| + |g_k| eps_ki) + (m_i + 1) u sum_k |g_k d_ki|
    for m_i terms. Every rounding also gets an absolute allowance ``fmt.subnormal``, for results
    in or below the subnormal range; a value beyond ``fmt.max`` overflows, and its bound is
    infinite. Returns bounds on every node's value and on every node's gradient, each already
    scaled by SAFETY and floored at ``fmt.floor``.
    """
    u, step, big = fmt.unit_roundoff, fmt.subnormal, fmt.max
    n, n_in = expression.size, expression.n_inputs
    e = [0.0] * n
    eps: list[tuple[float, ...]] = []
    for k in range(n_in, n):
        node = expression.node(k)
        op = OPS[node.op]
        ru = op.roundoff * u
        p = parts[k - n_in]
        vk = values[k]
        if any_formula:
            step = fmt.subnormal + u * _formula_error(op, node, values, vk)
        if len(node.args) == 1:  # unrolled for speed: parts are (d, dd, q)
            d, dd, q = p
            ei = e[node.args[0]]
            e[k] = _mul(d, ei) + ru * vk + step
            if any_formula:
                step = fmt.subnormal + u * _formula_error(op, node, values, d)
            from_v = _mul(q, vk) if d and op.derivative_from_output else 0.0
            eps.append((_mul(dd, ei) + ru * (d + from_v) + step,))
        else:  # (d_0, d_1, dd_00, dd_01, dd_10, dd_11, q_0, q_1)
            d0, d1, dd00, dd01, dd10, dd11, q0, q1 = p
            e0, e1 = e[node.args[0]], e[node.args[1]]
            e[k] = _mul(d0, e0) + _mul(d1, e1) + ru * vk + step
            s0 = s1 = step
            if any_formula:
                s0 = fmt.subnormal + u * _formula_error(op, node, values, d0)
                s1 = fmt.subnormal + u * _formula_error(op, node, values, d1)
            eps.append(
                (
                    _mul(dd00, e0)
                    + _mul(dd01, e1)
                    + ru * (d0 + (_mul(q0, vk) if d0 and op.derivative_from_output else 0.0))
                    + s0,
                    _mul(dd10, e0)
                    + _mul(dd11, e1)
                    + ru * (d1 + (_mul(q1, vk) if d1 and op.derivative_from_output else 0.0))
                    + s1,
                )
            )
        if vk > big:
            e[k] = float("inf")
    step = fmt.subnormal

    big_e = [0.0] * n
    abs_terms = [0.0] * n
    count = [0] * n
    for k in range(n - 1, n_in - 1, -1):
        big_e[k] += (count[k] + 1) * (u * abs_terms[k] + step)
        gk, ek_ = adjoints[k], big_e[k]
        for i, d, ek in zip(expression.node(k).args, parts[k - n_in], eps[k - n_in]):
            big_e[i] += _mul(ek_, d) + _mul(gk, ek)
            abs_terms[i] += _mul(gk, d)
            count[i] += 1
    for i in range(n_in):
        big_e[i] += (count[i] + 1) * (u * abs_terms[i] + step)
    floor = fmt.floor
    return [SAFETY * x + floor for x in e], [SAFETY * x + floor for x in big_e]


def _formula_error(op: Any, node: Any, values: Sequence[float], of: float) -> float:
    """The registry's allowance for a reasonable formula, in units of u, for a quantity of
    magnitude ``of`` (the node's value or one of its local derivatives)."""
    operands = node.operands(values)
    return op.formula_error([abs(x) for x in operands], of)


def _mul(a: float, b: float) -> float:
    """a * b for non-negative bounds, where 0 times anything (inf included) is 0."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b
