"""Ball arithmetic for the reference: SymPy's derivatives compiled to Arb, an expression evaluated
and back-propagated in balls.

Each (op, form) has its value, first and second partials and derivative ratios derived by SymPy
(:mod:`checks.derivatives`); a small printer turns them, after common-subexpression elimination,
into one Python function over ``flint.arb`` balls. Every ball returned encloses the exact value:
binary floats enter exactly, and Arb rounds outward. Where a ball is too wide to tell which side
of a branch, a kink or a domain edge the exact value lies on, :class:`TooWide` asks the caller
for more precision instead of guessing; :class:`NotReal` says the exact value is undefined.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sympy
from flint import arb, ctx
from gradtrio.checks.derivatives import derivatives
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS, Form
from sympy.codegen.cfunctions import log1p

__all__ = ["Balls", "NotReal", "TooWide", "arb_function", "evaluate"]

KinkChoice = Literal["convention", "left", "right", "mean"]


class TooWide(ArithmeticError):
    """A ball straddles a branch condition, a kink or a domain edge: raise the precision."""


class NotReal(ArithmeticError):
    """An exact value is undefined or not real: its operands are exact and it is still not a
    finite real number."""


# -- the printer -------------------------------------------------------------------------------

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


def _sign(x: arb) -> int:
    """The sign of the exact value in ``x``; :class:`TooWide` when the ball holds 0 and more."""
    if x > 0:
        return 1
    if x < 0:
        return -1
    if x.is_zero():  # exactly 0, radius 0
        return 0
    raise TooWide(f"cannot tell the sign of {x.str(5, radius=True)}")


def _rational(p: int, q: int) -> arb:
    return arb(p) / q


class _Printer:
    """Python source over arb balls for SymPy expressions. Numbers that are exact binary
    fractions become constants made once; others are divided at the working precision."""

    def __init__(self) -> None:
        self.constants: dict[str, arb] = {}

    def constant(self, value: sympy.Expr) -> str:
        old = ctx.prec
        ctx.prec = 4096
        try:
            ball = arb(int(value.p)) / int(value.q)
        finally:
            ctx.prec = old
        if not ball.is_exact():
            return f"_rational({int(value.p)}, {int(value.q)})"
        name = f"_k{len(self.constants)}"
        self.constants[name] = ball
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


def arb_function(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> Callable[..., tuple]:
    """One Python function of arb balls ``symbols`` returning ``exprs`` as a tuple of balls,
    common subexpressions computed once."""
    printer = _Printer()
    replacements, reduced = sympy.cse([_prepare(sympy.sympify(e)) for e in exprs])
    lines = [f"def _f({', '.join(s.name for s in symbols)}):"]
    lines += [f"    {s.name} = {printer(e)}" for s, e in replacements]
    lines.append(f"    return ({', '.join(printer(e) for e in reduced)},)")
    namespace: dict[str, Any] = {
        "_arb": arb,
        "_sign": _sign,
        "_rational": _rational,
        **printer.constants,
    }
    exec("\n".join(lines), namespace)  # source printed above from SymPy nodes
    return namespace["_f"]


@dataclass(frozen=True)
class _Compiled:
    """An op's compiled parts: value, partials, second partials (row by row), ratios."""

    fn: Callable[..., tuple]
    arity: int  # node operands
    magnitudes: tuple[float | None, ...]  # |part| where it is a number, for every part but value


@functools.lru_cache(maxsize=512)
def _compiled(name: str, form: Form, const: float | None = None) -> _Compiled:
    d = derivatives(name, form, const)
    parts = [*d.first, *(x for row in d.second for x in row), *d.ratio]
    magnitudes = tuple(abs(float(x)) if x.is_number and x.is_finite else None for x in parts)
    return _Compiled(arb_function(d.symbols, [d.value, *parts]), len(d.first), magnitudes)


# -- evaluation --------------------------------------------------------------------------------


@dataclass
class Balls:
    """Enclosures for every node: its value, its adjoint d(output)/d(node), and for every op
    node k its parts ``parts[k - n_inputs]``: local partials d_kj for each operand j, second
    partials (row by row), ratios (see :class:`~checks.derivatives.Derivatives`), with
    ``magnitudes`` giving |part| in advance where the part is a constant."""

    values: list[arb]
    parts: list[tuple[arb, ...]]
    magnitudes: list[tuple[float | None, ...]]
    adjoints: list[arb]
    kink_nodes: list[int]


def _all_finite(parts: Sequence[arb]) -> bool:
    total = parts[0]
    for x in parts[1:]:
        total += x  # nan and inf survive a sum, so one test covers every part
    return total.is_finite()


def _node_parts(node: Any, args: list[arb]) -> tuple[tuple, _Compiled]:
    """Value and parts of one op node. Where the general form has a removable singularity
    (x**c with c = 0 at x = 0: c * x**(c-1) is 0 * inf), the op differentiated with its constant
    substituted exactly is used instead."""
    compiled = _compiled(node.op, node.form)
    out = compiled.fn(*args)
    m = compiled.arity
    if _all_finite(out[: 1 + m + m * m]):  # the ratios are checked where they are used
        return out, compiled
    if node.const is not None:
        compiled = _compiled(node.op, node.form, node.const)
        out = compiled.fn(*args[:-1])
        if _all_finite(out[: 1 + m + m * m]):
            return out, compiled
    if all(a.is_exact() for a in args):
        raise NotReal("not a finite real number")
    raise TooWide("a ball meets the edge of the domain")


def evaluate(
    expression: Expression,
    point: Sequence[float],
    *,
    precision: int,
    kinks: KinkChoice = "convention",
) -> Balls:
    """Every node's value, parts and adjoint as balls at ``precision`` bits.

    ``kinks`` chooses the derivative where an operand lies exactly on a kink: the registry's
    convention (from its Piecewise form), either one-sided derivative, or their mean. Raises
    :class:`TooWide` or :class:`NotReal` with the node's index as ``args[1]``."""
    old = ctx.prec
    ctx.prec = precision
    try:
        return _evaluate(expression, point, kinks)
    finally:
        ctx.prec = old


def _evaluate(expression: Expression, point: Sequence[float], kinks: KinkChoice) -> Balls:
    n_in = expression.n_inputs
    values = [arb(float(x)) for x in point]
    parts: list[tuple[arb, ...]] = []
    magnitudes: list[tuple[float | None, ...]] = []
    kink_nodes: list[int] = []
    for k, node in enumerate(expression.nodes, start=n_in):
        args = [values[i] for i in node.args]
        if node.side is not None:
            args.append(arb(node.const))
        try:
            out, compiled = _node_parts(node, args)
            mags = compiled.magnitudes
            if OPS[node.op].kinks:
                operands = node.operands(values)
                out, mags = _at_kink(node, operands, out, mags, kinks, k, kink_nodes)
        except (TooWide, NotReal) as exc:
            raise type(exc)(str(exc), k) from None
        values.append(out[0])
        parts.append(out[1:])
        magnitudes.append(mags)

    adjoints = [_ZERO] * expression.size
    adjoints[-1] = _ONE
    for k in range(expression.size - 1, n_in - 1, -1):
        g = adjoints[k]
        if g.is_zero():  # an exact zero adds nothing: skip the products
            continue
        for i, d in zip(expression.node(k).args, parts[k - n_in]):
            adjoints[i] = adjoints[i] + g * d
    return Balls(values, parts, magnitudes, adjoints, kink_nodes)


_ZERO, _ONE = arb(0), arb(1)


def _at_kink(
    node: Node,
    operands: Sequence[Any],
    out: tuple,
    mags: tuple[float | None, ...],
    kinks: KinkChoice,
    k: int,
    kink_nodes: list[int],
) -> tuple[tuple, tuple[float | None, ...]]:
    """The parts of a node whose op has kinks: exactly on one, the chosen side's derivatives;
    straddling one, :class:`TooWide`."""
    for kink in OPS[node.op].kinks:
        offset = arb(kink.offset(operands))
        if offset.is_exact() and offset == 0:
            kink_nodes.append(k)
            if kinks == "convention":
                return out, mags
            chosen = {
                "left": kink.left,
                "right": kink.right,
                "mean": (kink.left + kink.right) / 2,
            }[kinks]
            partials = kink.partials(chosen, len(node.args))
            n = len(partials)
            replaced = (out[0], *(arb(d) for d in partials), *out[1 + n :])
            return replaced, (*(abs(d) for d in partials), *mags[n:])
        if 0 in offset:  # the exact operands may lie on either side
            raise TooWide(
                f"operands straddle a kink of {node.op}: offset {offset.str(5, radius=True)}"
            )
    return out, mags
