"""SymPy's derivatives printed as Python source over ``flint.arb`` balls.

:func:`op_source` differentiates an op (:mod:`.derivatives`) and prints its value, first and
second partials and ratios, after common-subexpression elimination, as the source of one
function ``_f``; :mod:`.parts` loads it and :mod:`.balls` runs it. Numbers that are exact binary
fractions become constants made once, kept as ``(p, q)``; others are divided at the working
precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy
from gradtrio.checks.oracles.reference.derivatives import derivatives
from gradtrio.checks.oracles.reference.parts import ArbSource
from gradtrio.strategies.ops import Form
from sympy.codegen.cfunctions import log1p

__all__ = ["arb_source", "op_source"]


def op_source(name: str, form: Form, const: float | None = None) -> ArbSource:
    """The compiled parts of op ``name`` in ``form`` (``const`` substituted when given)."""
    d = derivatives(name, form, const)
    parts = [*d.first, *(x for row in d.second for x in row), *d.ratio]
    magnitudes = tuple(abs(float(x)) if x.is_number and x.is_finite else None for x in parts)
    text, constants = arb_source(d.symbols, [d.value, *parts])
    return ArbSource(text, constants, len(d.first), magnitudes)


def arb_source(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> tuple[str, dict[str, tuple[int, int]]]:
    """The source of ``_f(*symbols)`` returning ``exprs`` as a tuple, and its constants."""
    printer = _Printer()
    replacements, reduced = sympy.cse([_prepare(sympy.sympify(e)) for e in exprs])
    lines = [f"def _f({', '.join(s.name for s in symbols)}):"]
    lines += [f"    {s.name} = {printer(e)}" for s, e in replacements]
    lines.append(f"    return ({', '.join(printer(e) for e in reduced)},)")
    return "\n".join(lines), printer.constants


_FUNCTIONS = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.tanh: "tanh",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.atan: "atan",
    sympy.sech: "sech",
    sympy.erf: "erf",
    log1p: "log1p",
}
_RELATIONS = {
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
    sympy.Equality: "==",
    sympy.Unequality: "!=",
}


class _Printer:
    """Python source over arb balls for SymPy expressions. Numbers that are exact binary
    fractions become constants made once; others are divided at the working precision."""

    def __init__(self) -> None:
        self.constants: dict[str, tuple[int, int]] = {}

    def constant(self, value: sympy.Expr) -> str:
        p, q = int(value.p), int(value.q)
        # Exact as a ball only as a binary fraction, within the precision it is made at.
        if q & (q - 1) or p.bit_length() > 4000:
            return f"_rational({p}, {q})"
        name = f"_k{len(self.constants)}"
        self.constants[name] = (p, q)
        return name

    def __call__(self, e: Any) -> str:
        if isinstance(e, sympy.Symbol):
            return e.name
        if isinstance(e, sympy.Rational):  # Integer included
            return self.constant(e)
        if isinstance(e, sympy.Float):
            return self.constant(sympy.Rational(float(e)))
        if e is sympy.nan or e is sympy.zoo:
            return "_arb.nan()"
        if e is sympy.oo:
            return "_arb.pos_inf()"
        if e is sympy.S.NegativeInfinity:
            return "_arb.neg_inf()"
        if e is sympy.E:
            return "_arb.const_e()"
        if e is sympy.pi:
            return "_arb.pi()"
        if isinstance(e, sympy.Add):
            return "(" + " + ".join(map(self, e.args)) + ")"
        if isinstance(e, sympy.Mul):
            return "(" + " * ".join(map(self, e.args)) + ")"
        if isinstance(e, sympy.Pow):
            return self.power(e.base, e.exp)
        if isinstance(e, sympy.Abs):
            return f"abs({self(e.args[0])})"
        if isinstance(e, sympy.Function) and type(e) in _FUNCTIONS:
            return f"_arb.{_FUNCTIONS[type(e)]}({self(e.args[0])})"
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e)
        if isinstance(e, sympy.core.relational.Relational) and type(e) in _RELATIONS:
            return f"(_sign({self(e.lhs - e.rhs)}) {_RELATIONS[type(e)]} 0)"
        if isinstance(e, sympy.And):
            return "(" + " and ".join(map(self, e.args)) + ")"
        if isinstance(e, sympy.Or):
            return "(" + " or ".join(map(self, e.args)) + ")"
        if isinstance(e, sympy.Not):
            return f"(not {self(e.args[0])})"
        if e is sympy.true or e is sympy.false:
            return str(bool(e))
        raise TypeError(f"no arb form for {type(e).__name__}: {e}")

    def power(self, base: Any, exponent: Any) -> str:
        b = self(base)
        if exponent == 2 and isinstance(base, sympy.Symbol):
            return f"({b} * {b})"
        if isinstance(exponent, sympy.Integer):
            return f"({b} ** {int(exponent)})"
        if isinstance(exponent, sympy.Rational) and exponent.q == 2:
            # sqrt, exact at 0, where the general power exp(c log x) is not
            root = f"_arb.sqrt({b})"
            return root if exponent.p == 1 else f"({root} ** {int(exponent.p)})"
        return f"({b} ** {self(exponent)})"

    def piecewise(self, e: sympy.Piecewise) -> str:
        # The first branch whose condition holds, conditions tried in order: exactly on a
        # boundary the first closed branch wins, which is how the registry writes conventions.
        out = "_arb.nan()"
        for branch, condition in reversed(e.args):
            if condition is sympy.true:
                out = self(branch)
            else:
                out = f"({self(branch)} if {self(condition)} else {out})"
        return out


def _prepare(e: sympy.Expr) -> sympy.Expr:
    """Branching functions as Piecewise, whose conditions the printer decides on balls."""
    return (
        e.rewrite(sympy.Piecewise)
        if e.has(sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
        else e
    )
