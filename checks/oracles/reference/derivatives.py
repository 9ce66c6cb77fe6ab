"""Every op's value, first and second partial derivatives, derived once by SymPy.

The registry gives each op as a SymPy expression of its operands (``OPS[name].sympy``); this module
differentiates it symbolically, once per (op, form), and hands the expressions to the printer
(:mod:`.codegen`). Nothing here is numeric.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy
from gradtrio.strategies.ops import OPS, Form

__all__ = ["Derivatives", "derivatives"]

_A, _B, _C = sympy.symbols("a b c", real=True)


@dataclass(frozen=True)
class Derivatives:
    """One op's value and partials as SymPy expressions of ``symbols`` (the node operands, then
    the constant unless it was substituted).

    ``ratio[j]`` is ``second[j][j] / first[j]`` simplified: the derivative of the local derivative
    with respect to the op's output, for a derivative formula written in terms of the output
    (``tanh' = 1 - t*t``). Simplified symbolically, it stays accurate where ``first[j]`` itself
    cancels to nothing (``1 - tanh(48)**2``).
    """

    symbols: tuple[sympy.Symbol, ...]
    value: sympy.Expr
    first: tuple[sympy.Expr, ...]
    second: tuple[tuple[sympy.Expr, ...], ...]
    ratio: tuple[sympy.Expr, ...]


def _ratio(second: sympy.Expr, first: sympy.Expr) -> sympy.Expr:
    if second == 0:
        return sympy.Integer(0)
    # powsimp first so that a**(c-2) / a**(c-1) becomes 1/a, then cancel common factors.
    return sympy.cancel(sympy.powsimp(sympy.piecewise_fold(second / first)))


@functools.lru_cache(maxsize=512)
def derivatives(name: str, form: Form, const: float | None = None) -> Derivatives:
    """Value, first and second partials of op ``name`` in ``form`` with respect to its node
    operands; with ``const`` given, the constant is substituted exactly (as a binary rational)
    before differentiating, which removes singularities such as ``c * x**(c-1)`` at c = 0."""
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
    first = tuple(sympy.powsimp(sympy.diff(f, s)) for s in symbols)
    second = tuple(tuple(sympy.powsimp(sympy.diff(d, s)) for s in symbols) for d in first)
    ratio = tuple(_ratio(second[j][j], first[j]) for j in range(len(symbols)))
    args = tuple(symbols) + ((_C,) if form != "nodes" and const is None else ())
    return Derivatives(args, sympy.sympify(f), first, second, ratio)
