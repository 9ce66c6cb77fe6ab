"""Oracle: derivatives derived by SymPy from each op's SymPy form, evaluated with mpmath.

Each (op, form) is differentiated once, symbolically, and compiled to an mpmath function returning
the value, the first and the second partial derivatives; an expression is then evaluated node by
node and back-propagated in reverse order at ``DIGITS`` significant digits, so the cost is linear
in the DAG's size however much it reuses nodes. Binary floats enter exactly (``mpf(0.1)`` is the
double nearest 0.1, not 1/10).

Alongside, a first-order rounding-error analysis gives, for a faithful float64 implementation of
the same DAG (an engine, or torch), a bound on the error of the output value and of every node's
gradient: the tolerance the verdict grants. See :func:`_rounding_bounds`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import mpmath
import sympy
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS, Form, Kink

__all__ = ["DIGITS", "Reference", "reference"]

DIGITS = 40
UNIT_ROUNDOFF = 2.0**-53
# Below this, float64 results have lost relative precision to underflow anyway.
UNDERFLOW_FLOOR = 1e-290
# Absolute error of one rounding near underflow (the smallest subnormal, twice the exact half
# ulp, which is not a float): a quantity below the subnormal range flushes to 0, and a huge
# factor downstream can make that error visible.
UNDERFLOW_STEP = 5e-324
# The analysis is first order; twice the bound covers the neglected O(u^2) terms with room.
SAFETY = 2.0

KinkChoice = Literal["convention", "left", "right", "mean"]

_A, _B, _C = sympy.symbols("a b c", real=True)


@dataclass
class _Compiled:
    fn: Callable[..., Any]  # (node operands..., const?) -> (value, [d_k], [[d_kl]])


@functools.lru_cache(maxsize=512)
def _compile(name: str, form: Form, const: float | None = None) -> _Compiled:
    """Value, first and second partials of an op, as one mpmath function of its node operands
    and (unless ``const`` is given, to be substituted exactly before differentiating) its
    constant."""
    op = OPS[name]
    if op.arity == 1:
        symbols, operands = [_A], [_A]
    elif form == "nodes":
        symbols, operands = [_A, _B], [_A, _B]
    elif form == "left":
        symbols, operands = [_A], [_C, _A]
    else:
        symbols, operands = [_A], [_A, _C]
    if const is not None:
        operands = [sympy.Rational(const) if x is _C else x for x in operands]
    f = op.sympy(*operands)
    # powsimp keeps x**c's derivative as c*x**(c-1), defined at x = 0 for c >= 1.
    first = [sympy.powsimp(sympy.diff(f, s)) for s in symbols]
    second = [[sympy.powsimp(sympy.diff(d, s)) for s in symbols] for d in first]
    args = symbols + ([_C] if form != "nodes" and const is None else [])
    return _Compiled(sympy.lambdify(args, [f, first, second], modules="mpmath"))


def _evaluate(name: str, form: Form, const: float | None, args: list[Any]) -> Any:
    """The compiled op at ``args`` (node operands, then the constant). Where the general form
    has a removable singularity (x**c with c = 0 at x = 0: c * x**(c-1) is 0 * inf), the op is
    differentiated again with its constant substituted exactly."""
    try:
        return _compile(name, form).fn(*args)
    except (ValueError, ZeroDivisionError, OverflowError):
        if const is None:
            raise
        return _compile(name, form, const).fn(*args[:-1])


class OutOfDomain(Exception):
    """The exact value of some node is undefined or complex at this point."""


@dataclass
class Reference:
    """High-precision values and gradients, with float64 rounding bounds.

    ``values``/``adjoints`` are mpmath numbers for every node (inputs first); ``grads`` are the
    input adjoints. ``value_bounds`` and ``grad_bounds`` bound a faithful float64
    implementation's error in every node's value and gradient. ``kink_nodes`` lists nodes whose
    operand lies exactly on a kink.
    """

    n_inputs: int
    values: list[Any]
    adjoints: list[Any]
    value_bounds: list[float]
    grad_bounds: list[float]
    kink_nodes: list[int]

    @property
    def value(self) -> Any:
        return self.values[-1]

    @property
    def grads(self) -> list[Any]:
        return self.adjoints[: self.n_inputs]


def _kink_at(name: str, operands: Sequence[Any]) -> Kink | None:
    for kink in OPS[name].kinks:
        if kink.offset(operands) == 0:
            return kink
    return None


def reference(
    expression: Expression, point: Sequence[float], *, kinks: KinkChoice = "convention"
) -> Reference:
    """Evaluate and differentiate ``expression`` at ``point`` to ``DIGITS`` digits.

    ``kinks`` chooses the derivative used where an operand lies exactly on a kink: the registry's
    convention (PyTorch's), either one-sided derivative, or their mean (SymPy's Heaviside(0)).
    Raises :class:`OutOfDomain` when a node's exact value is undefined or not real.
    """
    n = expression.size
    with mpmath.workdps(DIGITS):
        values: list[Any] = [mpmath.mpf(float(x)) for x in point]
        first: list[list[Any]] = []
        second: list[list[list[Any]]] = []
        kink_nodes: list[int] = []
        for k, node in enumerate(expression.nodes, start=expression.n_inputs):
            args = [values[i] for i in node.args]
            if node.side is not None:
                args.append(mpmath.mpf(node.const))
            try:
                value, d1, d2 = _evaluate(node.op, node.form, node.const, args)
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                where = f"{expression.name(k)} = {expression.node_source(k)}"
                raise OutOfDomain(f"{where}: {exc}") from None
            parts = [value, *d1, *(x for row in d2 for x in row)]
            if any(isinstance(x, mpmath.mpc) or not mpmath.isfinite(x) for x in parts):
                raise OutOfDomain(
                    f"{expression.name(k)} = {expression.node_source(k)} is not real and finite"
                )
            kink = _kink_at(node.op, node.operands(values)) if OPS[node.op].kinks else None
            if kink is not None:
                kink_nodes.append(k)
                if kinks != "convention":
                    chosen = {
                        "left": kink.left,
                        "right": kink.right,
                        "mean": (kink.left + kink.right) / 2,
                    }[kinks]
                    d1 = [mpmath.mpf(d) for d in kink.partials(chosen, len(node.args))]
            values.append(mpmath.mpf(value))
            first.append([mpmath.mpf(d) for d in d1])
            second.append([[mpmath.mpf(x) for x in row] for row in d2])

        adjoints: list[Any] = [mpmath.mpf(0)] * n
        adjoints[-1] = mpmath.mpf(1)
        for k in range(n - 1, expression.n_inputs - 1, -1):
            node = expression.node(k)
            for i, d in zip(node.args, first[k - expression.n_inputs]):
                adjoints[i] += adjoints[k] * d
        value_bounds, grad_bounds = _rounding_bounds(expression, values, first, second, adjoints)
    return Reference(expression.n_inputs, values, adjoints, value_bounds, grad_bounds, kink_nodes)


def _rounding_bounds(
    expression: Expression,
    values: list[Any],
    first: list[list[Any]],
    second: list[list[list[Any]]],
    adjoints: list[Any],
) -> tuple[list[float], list[float]]:
    """First-order error bounds for a float64 evaluation of the same DAG.

    Forward: node k's computed value is off by at most
        e_k = sum_j |d_kj| e_(operand j) + r_op u |v_k|,
    its operands' errors carried through the local derivatives, plus its own rounding (r_op from
    the registry's ``roundoff``). Each local derivative d_kj is then off by at most
        eps_kj = sum_l |dd_kjl| e_(operand l) + r_op u (|d_kj| + |dd_kjj / d_kj| |v_k|),
    the operand errors carried through the second derivatives, plus rounding in a derivative
    formula that may be written in terms of the output (tanh' = 1 - t*t loses digits as t -> 1).
    Reverse: the gradient of node i, a sum over its consumers k of g_k d_ki, is off by at most
        E_i = sum_k (E_k |d_ki| + |g_k| eps_ki) + (m_i + 1) u sum_k |g_k d_ki|
    for m_i terms. Every rounding also gets an absolute allowance UNDERFLOW_STEP, for results
    in or below the subnormal range. Returns bounds on every node's value and on every node's
    gradient, each already scaled by SAFETY and floored at UNDERFLOW_FLOOR.
    """
    # In float64, where a huge factor times a zero error must give 0, not nan (inf * 0).
    u, step = UNIT_ROUNDOFF, UNDERFLOW_STEP
    n, n_in = expression.size, expression.n_inputs
    e = [0.0] * n
    eps: list[list[float]] = []
    for k in range(n_in, n):
        node = expression.node(k)
        r = OPS[node.op].roundoff
        d1, d2 = first[k - n_in], second[k - n_in]
        err_in = [e[i] for i in node.args]
        vk = abs(float(values[k]))
        e[k] = sum(_mul(abs(float(d)), ei) for d, ei in zip(d1, err_in)) + r * u * vk + step
        row = []
        for j, d in enumerate(d1):
            carried = sum(_mul(abs(float(x)), el) for x, el in zip(d2[j], err_in))
            from_output = float(abs(d2[j][j] / d * values[k])) if d != 0 else 0.0
            row.append(carried + r * u * (abs(float(d)) + from_output) + step)
        eps.append(row)

    big_e = [0.0] * n
    abs_terms = [0.0] * n
    count = [0] * n
    for k in range(n - 1, n_in - 1, -1):
        big_e[k] += (count[k] + 1) * (u * abs_terms[k] + step)
        node = expression.node(k)
        gk = abs(float(adjoints[k]))
        for i, d, ek in zip(node.args, first[k - n_in], eps[k - n_in]):
            dk = abs(float(d))
            big_e[i] += _mul(big_e[k], dk) + _mul(gk, ek)
            abs_terms[i] += _mul(gk, dk)
            count[i] += 1
    for i in range(n_in):
        big_e[i] += (count[i] + 1) * (u * abs_terms[i] + step)
    return (
        [SAFETY * x + UNDERFLOW_FLOOR for x in e],
        [SAFETY * x + UNDERFLOW_FLOOR for x in big_e],
    )


def _mul(a: float, b: float) -> float:
    """a * b for non-negative bounds, where 0 times anything (inf included) is 0."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b
