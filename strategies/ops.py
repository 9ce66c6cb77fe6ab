"""The op registry: one row per op, read by the strategies, every oracle and the engine adapter.

An op node applies its op to operands that are either earlier nodes or one Python-number constant
standing on the left or the right (``2 - x`` and ``x - 2`` are different cases). Each row says how
to apply the op to an engine value and to a torch tensor (the same Python operator or method, so the
reflected forms are exercised too), its SymPy form (from which the reference derives every
derivative), where it is defined and smooth, and its kinks with the convention used there.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from typing import Any, Literal

import sympy

__all__ = ["OPS", "Form", "Kink", "Op", "get_op", "op_names"]

Form = Literal["nodes", "left", "right"]
"""How a binary op meets its operands: two nodes, a constant on the left, or on the right."""

INF = math.inf


@dataclass(frozen=True)
class Kink:
    """A point where an op is continuous but not differentiable.

    ``at`` is the operand value of the kink; ``left`` and ``right`` are the one-sided derivatives
    and ``convention`` is the value PyTorch (and so the reference) uses exactly at the kink.
    """

    at: float
    left: float
    right: float
    convention: float


def _float_pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return INF if a > 0 or float(b).is_integer() and b % 2 == 0 else -INF


def _float_exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def _float_sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _pow_edge(args: Sequence[float], form: Form) -> float:
    """Distance to the edge of pow's smooth domain for ``a ** b``."""
    base, exponent = args
    if form == "left":  # c ** x: the strategies only draw c > 0
        return base
    if form == "right" and float(exponent).is_integer():
        return INF if exponent >= 0 else abs(base)
    return base  # fractional or Value exponent: base must be > 0


def _everywhere(args: Sequence[float], form: Form) -> float:
    return INF


@dataclass(frozen=True)
class Op:
    """One row of the registry.

    Attributes:
        name: the op's name in expressions, JSON and reports.
        arity: number of operands (1 or 2).
        apply: applies the op to engine values or numbers; the constant, if any, is passed in its
            place, so ``operator.sub(2.0, x)`` reaches the engine's reflected ``__rsub__``.
        torch: the same on torch tensors.
        sympy: the op as a SymPy expression of its operands; every derivative the reference uses
            is derived from it by SymPy.
        float_fn: the op on Python floats (overflow gives inf), for the strategies' domain checks.
        python: a template for printing a node as Python source.
        engine_attrs: per form, the attribute an engine class must have for the op to be generated.
        edge: signed distance from the operands to the edge of the smooth domain (positive inside).
        kinks: kinks of the first operand, for unary ops.
        roundoff: rounding allowance of a faithful float64 implementation, in units of the unit
            roundoff u = 2**-53: 1 for a correctly rounded result, more for library functions and
            for ops an engine may compose from several roundings (sigmoid from exp, add, div).
        constants: for binary ops, values the strategies draw for a constant on each side.
    """

    name: str
    arity: int
    apply: Callable[..., Any]
    torch: Callable[..., Any]
    sympy: Callable[..., sympy.Expr]
    float_fn: Callable[..., float]
    python: str
    engine_attrs: dict[Form, str]
    edge: Callable[[Sequence[float], Form], float] = _everywhere
    kinks: tuple[Kink, ...] = ()
    roundoff: float = 1.0
    constants: dict[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def forms(self) -> tuple[Form, ...]:
        return tuple(self.engine_attrs)

    def source(self, operands: Sequence[str]) -> str:
        """Python source applying this op to operand expressions (names or number literals)."""
        return self.python.format(*operands)


_SMALL = (2.0, -1.0, 0.5, 3.0, -2.5, 1.5, 0.1, 10.0)
_NONZERO = (2.0, -1.0, 0.5, 3.0, -2.5, 0.1, 10.0)
_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5, 4.0, -0.5, 2.5, 1.0)
_BASES = (2.0, 0.5, 3.0, 10.0, 1.5)


def _binary(name: str, fn: Callable[[Any, Any], Any], symbol: str, dunder: str, **kw: Any) -> Op:
    return Op(
        name=name,
        arity=2,
        apply=fn,
        torch=fn,
        sympy=fn,
        float_fn=kw.pop("float_fn", fn),
        python="{0} " + symbol + " {1}",
        engine_attrs={"nodes": f"__{dunder}__", "right": f"__{dunder}__", "left": f"__r{dunder}__"},
        **kw,
    )


def _unary(
    name: str, sympy_form: Callable[[Any], Any], float_fn: Callable[[float], float], **kw: Any
) -> Op:
    return Op(
        name=name,
        arity=1,
        apply=methodcaller(name),
        torch=methodcaller(name),
        sympy=sympy_form,
        float_fn=float_fn,
        python="{0}." + name + "()",
        engine_attrs={"nodes": name},
        **kw,
    )


def _relu_sympy(a: Any) -> Any:
    # The closed side of the first branch is the convention at the kink: relu'(0) = 0, as in torch.
    return sympy.Piecewise((0, a <= 0), (a, True))


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        _binary("add", operator.add, "+", "add", constants={"left": _SMALL, "right": _SMALL}),
        _binary("sub", operator.sub, "-", "sub", constants={"left": _SMALL, "right": _SMALL}),
        _binary("mul", operator.mul, "*", "mul", constants={"left": _SMALL, "right": _SMALL}),
        _binary(
            "div",
            operator.truediv,
            "/",
            "truediv",
            float_fn=lambda a, b: a / b if b else math.nan,
            edge=lambda args, form: abs(args[1]),
            constants={"left": _SMALL, "right": _NONZERO},
        ),
        _binary(
            "pow",
            operator.pow,
            "**",
            "pow",
            float_fn=_float_pow,
            edge=_pow_edge,
            roundoff=4.0,
            constants={"left": _BASES, "right": _EXPONENTS},
        ),
        Op(
            name="neg",
            arity=1,
            apply=operator.neg,
            torch=operator.neg,
            sympy=operator.neg,
            float_fn=operator.neg,
            python="-{0}",
            engine_attrs={"nodes": "__neg__"},
            roundoff=0.0,
        ),
        _unary("exp", sympy.exp, _float_exp, roundoff=2.0),
        _unary(
            "log",
            sympy.log,
            lambda a: math.log(a) if a > 0 else math.nan,
            edge=lambda args, form: args[0],
            roundoff=2.0,
        ),
        _unary("tanh", sympy.tanh, math.tanh, roundoff=4.0),
        _unary("sigmoid", lambda a: 1 / (1 + sympy.exp(-a)), _float_sigmoid, roundoff=8.0),
        _unary(
            "relu",
            _relu_sympy,
            lambda a: a if a > 0 else 0.0,
            kinks=(Kink(at=0.0, left=0.0, right=1.0, convention=0.0),),
            roundoff=0.0,
        ),
    )
}


def op_names() -> tuple[str, ...]:
    """Every op name in the registry, in registry order."""
    return tuple(OPS)


def get_op(name: str) -> Op:
    """The registry row for ``name``; ``KeyError`` naming the known ops otherwise."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown op {name!r}; known ops: {', '.join(OPS)}") from None
