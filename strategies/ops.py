"""The op registry: one row per op, read by the strategies, every oracle and the engine adapter.

An op node applies its op to operands that are either earlier nodes or one Python-number constant
standing on the left or the right (``2 - x`` and ``x - 2`` are different cases). Each row says how
to apply the op to an engine value and to a torch tensor (the same Python operator or method, so the
reflected forms are exercised too), its SymPy form (from which the reference derives every
derivative), where it is defined and smooth, and its kinks with the convention used there.
"""

from __future__ import annotations

import functools
import math
import operator
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import sympy

__all__ = [
    "BUILT_IN",
    "OPS",
    "Form",
    "Kink",
    "Op",
    "binary_op",
    "get_op",
    "leaky_relu_op",
    "method_op",
    "op_names",
    "register",
    "unary_op",
]

Form = Literal["nodes", "left", "right"]
"""How a binary op meets its operands: two nodes, a constant on the left, or on the right."""

INF = math.inf


@dataclass(frozen=True)
class Kink:
    """A point where an op is continuous but not differentiable.

    The kink lies where :meth:`offset` of the operands is 0: the first operand minus ``at``, or,
    for an op that picks one of two operands (``between``: max, min), the first operand minus the
    second. ``left`` and ``right`` are the one-sided derivatives in the first operand (offset
    below and above 0) and ``convention`` is the value PyTorch (and so the reference) uses
    exactly at the kink; for a ``between`` kink the two partials sum to 1.
    """

    at: float
    left: float
    right: float
    convention: float
    between: bool = False

    def offset(self, operands: Sequence[Any]) -> Any:
        """Signed distance of the operands from the kink (works on floats and on exact numbers)."""
        if self.between:
            return operands[0] - operands[1] - self.at
        return operands[0] - self.at

    def partials(self, derivative: float, node_operands: int) -> tuple[float, ...]:
        """The partials in the node operands when the first operand's derivative is
        ``derivative`` (one of left, right, convention or their mean)."""
        if self.between and node_operands == 2:
            return (derivative, 1.0 - derivative)
        return (derivative,)


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


def _pow_formula_raises(args: Sequence[float], form: Form) -> bool:
    """Where a common formula of ``x ** c`` raises, or gives inf or nan, although the exact
    result exists: a base <= 0 for ``exp(c log x)``, a base so small that ``1 / x`` overflows
    (its chain rule gives ``out * c * inf``), and micrograd's derivative ``c * x ** (c - 1)``
    where ``x ** (c - 1)`` leaves float64 (at 0, or at a subnormal base)."""
    if form == "left":
        return False
    base, exponent = args
    if base <= 0 or base < 1.0 / sys.float_info.max:
        return True
    try:
        return math.isinf(math.pow(base, exponent - 1))
    except (OverflowError, ValueError):
        return True


@dataclass(frozen=True)
class Op:
    """One row of the registry. A user's module adds rows of the same shape with
    :func:`register` (see :func:`load_op_modules`).

    Attributes:
        name: the op's name in expressions, JSON and reports.
        arity: number of operands (1 or 2).
        apply: applies the op to engine values or numbers; the constant, if any, is passed in its
            place, so ``operator.sub(2.0, x)`` reaches the engine's reflected ``__rsub__``.
        torch: the same on torch float64 tensors: what the PyTorch oracle runs, so never the
            implementation under test.
        sympy: the op as a SymPy expression of its operands; every derivative the reference uses
            is derived from it by SymPy.
        float_fn: the op on Python floats (overflow gives inf), for the strategies' domain checks.
        python: a template for printing a node as Python source.
        engine_attrs: per form, the attribute an engine class must have for the op to be generated.
        edge: signed distance from the operands to the edge of the smooth domain (positive
            inside); None for an op defined and smooth everywhere but at its kinks.
        kinks: where the op is continuous but not differentiable.
        roundoff: rounding allowance of a faithful float64 implementation, in units of the unit
            roundoff u = 2**-53: 1 for a correctly rounded result, more for library functions and
            for ops an engine may compose from several roundings (sigmoid from exp, add, div).
        constants: for binary ops, values the strategies draw for a constant on each side.

    Traits, which the strategies, the blame and the tracer query instead of naming ops:
        bounded: the output lies in [-1, 1] for every input (tanh, sigmoid): deep chains end
            each step with such an op so that values stay bounded.
        can_overflow: a finite operand can give an infinite result (exp, x * x, x ** 64): the
            wide family ends some cases on such a node.
        control: a primitive with a simple derivative that the blame may use as a control and as
            a scaler of the upstream gradient, once it has passed alone; controls are tried in
            registry order, so the more primitive ones (add, mul) come first.
        self_const: for a binary op, the constant it takes when applied to one node alone (see
            :func:`~gradtrio.strategies.expression.alone`); None means the node against itself
            (``x * x``).
        singular: where a common formula of the op raises although the exact value and
            derivative exist (``x ** c`` at x = 0, where micrograd's ``c * x ** (c - 1)`` is
            ``0 * inf``, or at x < 0 for ``exp(c log x)``): an engine that raises there is warned
            about, not failed.
        formula_error: what a reasonable float64 formula of the op other than a correctly
            rounded call may lose, in units of u, given the operands' magnitudes and that of the
            quantity (its value or a local derivative): the precision tier's allowance. The
            default, two roundings of the quantity, covers ops composed of two (``a * b ** -1``,
            ``a + (-b)``); functions that engines write from exp add an absolute allowance.
        probe: operands and the value the row assumes there (e.g. leaky_relu's slope): an engine
            whose op gives another value there has another parameter, and the op is not checked.
        derivative_from_output: engines may write the local derivative from the op's output
            (tanh' = 1 - t*t, sigmoid' = s (1 - s), exp' = out), whose rounding the faithful
            bound then allows for. False where nobody does (cos' is -sin x, not -sqrt(1 - c*c)):
            allowing for it would make cos's tolerance at x = 1e-100 some 1e84.
        thresholds: values of the first operand where common formulas of the op change
            behaviour (tanh saturates, exp overflows, a naive ``exp(2x)`` overflows, sin's
            range reduction): the sweep judges the op there and just beside, both signs.
        implementations: the user's own implementations under test, by library (``"torch"``,
            ``"jax"``, ``"autograd"``, ``"mygrad"``, ``"tinygrad"``): each a callable on that
            library's values (a constant operand as a Python float), such as a
            ``torch.autograd.Function``'s ``apply``. That library's adapter checks the op
            through it; the oracles never run it (``torch`` may not be the torch one).
    """

    name: str
    arity: int
    apply: Callable[..., Any]
    torch: Callable[..., Any]
    sympy: Callable[..., sympy.Expr]
    float_fn: Callable[..., float]
    python: str
    engine_attrs: dict[Form, str]
    edge: Callable[[Sequence[float], Form], float] | None = None
    kinks: tuple[Kink, ...] = ()
    roundoff: float = 1.0
    constants: dict[str, tuple[float, ...]] = field(default_factory=dict)
    bounded: bool = False
    can_overflow: bool = False
    control: bool = False
    self_const: float | None = None
    probe: tuple[tuple[float, ...], float] | None = None
    singular: Callable[[Sequence[float], Form], bool] | None = None
    formula_error: Callable[[Sequence[float], float], float] = field(
        default=lambda operands, of: 2.0 * of
    )
    derivative_from_output: bool = True
    thresholds: tuple[float, ...] = ()
    implementations: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.arity not in (1, 2):
            raise ValueError(f"op {self.name!r}: arity={self.arity!r}, expected 1 or 2")
        allowed: tuple[Form, ...] = ("nodes", "left", "right") if self.arity == 2 else ("nodes",)
        bad = [form for form in self.engine_attrs if form not in allowed]
        if not self.engine_attrs or bad:
            raise ValueError(
                f"op {self.name!r}: engine_attrs forms {sorted(self.engine_attrs)}, expected "
                f"some of {allowed}"
            )
        missing = [
            form for form in self.engine_attrs if form != "nodes" and form not in self.constants
        ]
        if missing:
            raise ValueError(f"op {self.name!r}: no constants for form {missing[0]!r}")
        self._check_implementations()

    def _check_implementations(self) -> None:
        if not isinstance(self.implementations, Mapping):
            raise ValueError(
                f"op {self.name!r}: implementations={self.implementations!r:.60}, expected a "
                "dict of library name -> callable"
            )
        for library, implementation in self.implementations.items():
            if not isinstance(library, str) or not callable(implementation):
                raise ValueError(
                    f"op {self.name!r}: implementations[{library!r}]={implementation!r:.60}, "
                    "expected a library name and a callable on that library's values"
                )
        # ``==``: a Function's ``apply`` is a new bound method at every attribute access.
        if self.implementations.get("torch") == self.torch:
            raise ValueError(
                f"op {self.name!r}: its torch oracle is its torch implementation under test, "
                "which would be judged by itself; give torch= a form built from torch's own "
                "ops, or leave it out (the SymPy form on tensors)"
            )

    @property
    def forms(self) -> tuple[Form, ...]:
        return tuple(self.engine_attrs)

    def distance_to_edge(self, operands: Sequence[float], form: Form) -> float:
        """Signed distance from the edge of the smooth domain (inf for an op without one)."""
        return INF if self.edge is None else self.edge(operands, form)

    def source(self, operands: Sequence[str]) -> str:
        """Python source applying this op to operand expressions (names or number literals)."""
        return self.python.format(*operands)


_SMALL = (2.0, -1.0, 0.5, 3.0, -2.5, 1.5, 0.1, 10.0)
_NONZERO = (2.0, -1.0, 0.5, 3.0, -2.5, 0.1, 10.0)
# Integer exponents (0 included) are their own cases: x ** 0 and x ** 3 have exact derivatives
# at a zero or negative base, where a fractional exponent has none.
_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5, 4.0, -0.5, 2.5, 1.0, 0.0, 5.0, -3.0)
_BASES = (2.0, 0.5, 3.0, 10.0, 1.5)


def binary_op(name: str, fn: Callable[[Any, Any], Any], symbol: str, dunder: str, **kw: Any) -> Op:
    """A row for an operator (``a + b``), with its reflected form (``2 + a``) and both constants."""
    kw.setdefault("constants", {"left": _SMALL, "right": _SMALL})
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


def unary_op(
    name: str, sympy_form: Callable[[Any], Any], float_fn: Callable[[float], float], **kw: Any
) -> Op:
    """A row for a method ``x.name()``; ``torch`` defaults to the tensor method of that name
    when torch has one, else to the SymPy form evaluated on tensors."""
    return Op(
        name=name,
        arity=1,
        apply=methodcaller(name),
        torch=kw.pop("torch", None) or _tensor_method_or_sympy(name, sympy_form),
        sympy=sympy_form,
        float_fn=float_fn,
        python="{0}." + name + "()",
        engine_attrs={"nodes": name},
        **kw,
    )


def method_op(
    name: str,
    sympy_form: Callable[[Any, Any], Any],
    float_fn: Callable[[float, float], float],
    **kw: Any,
) -> Op:
    """A row for a binary method ``x.name(y)``, with another node or a constant as ``y``."""
    return Op(
        name=name,
        arity=2,
        apply=lambda a, b: getattr(a, name)(b),
        torch=kw.pop("torch"),
        sympy=sympy_form,
        float_fn=float_fn,
        python="{0}." + name + "({1})",
        engine_attrs={"nodes": name, "right": name},
        **kw,
    )


# SymPy is imported by the SymPy forms when they are first applied (by the reference, once per
# op): the registry itself is read by modules that never need it, such as the engine adapter.


def _sympy_function(name: str) -> Callable[[Any], Any]:
    """The SymPy function ``name`` (``exp``, ``log``, ...) as a SymPy form."""

    def form(a: Any) -> Any:
        import sympy

        return getattr(sympy, name)(a)

    form.__name__ = form.__qualname__ = f"sympy.{name}"
    return form


def _sigmoid_sympy(a: Any) -> Any:
    import sympy

    return 1 / (1 + sympy.exp(-a))


def _softplus_sympy(a: Any) -> Any:
    import sympy

    return _sympy_log1p(sympy.exp(a))


def _relu_sympy(a: Any) -> Any:
    import sympy

    # The closed side of the first branch is the convention at the kink: relu'(0) = 0, as in torch.
    return sympy.Piecewise((0, a <= 0), (a, True))


def _abs_sympy(a: Any) -> Any:
    import sympy

    # The constant branch exactly at 0 makes abs'(0) = 0, as in torch.
    return sympy.Piecewise((-a, a < 0), (0, sympy.Eq(a, 0)), (a, True))


LEAKY_SLOPE = 0.01


def leaky_relu_op(slope: float = LEAKY_SLOPE, name: str = "leaky_relu") -> Op:
    """``x.leaky_relu()`` for an engine whose default slope is ``slope``; the derivative at 0 is
    the slope, as in torch. Register another slope's row for an engine with another default."""

    def form(a: Any) -> Any:
        import sympy

        exact = sympy.Rational(slope)  # the double nearest the slope, exactly
        return sympy.Piecewise((exact * a, a <= 0), (a, True))

    return unary_op(
        name,
        form,
        lambda a: a if a > 0 else slope * a,
        torch=lambda x: _torch().nn.functional.leaky_relu(x, slope),
        kinks=(Kink(at=0.0, left=slope, right=1.0, convention=slope),),
        probe=((-1.0,), -slope),
        thresholds=(0.0, 1e-300),
    )


def _pick_sympy(pick_first_when: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # Ties split the gradient in half, as torch.maximum and torch.minimum do.
    def form(a: Any, b: Any) -> Any:
        import sympy

        return sympy.Piecewise(((a + b) / 2, sympy.Eq(a, b)), (a, pick_first_when(a, b)), (b, True))

    return form


def _sympy_log1p(a: Any) -> Any:
    # log1p, not log(1 + a): at a fixed working precision 1 + 1e-290 is 1.
    from sympy.codegen.cfunctions import log1p

    return log1p(a)


def _pick_op(
    name: str, first_when: Callable[[Any, Any], Any], torch_name: str, *, first_wins_above: bool
) -> Op:
    """``x.max(y)`` or ``x.min(y)``: a tie is the kink, where the gradient splits in half as in
    torch.maximum and torch.minimum (``x.max(x)`` gives x a gradient of 1)."""

    def on_tensors(a: Any, b: Any) -> Any:
        torch = _torch()
        other = b if isinstance(b, torch.Tensor) else torch.tensor(b, dtype=a.dtype)
        return getattr(torch, torch_name)(a, other)

    one_sided = (0.0, 1.0) if first_wins_above else (1.0, 0.0)
    return method_op(
        name,
        _pick_sympy(first_when),
        max if first_wins_above else min,
        torch=on_tensors,
        kinks=(Kink(0.0, *one_sided, convention=0.5, between=True),),
        constants={"right": _SMALL},
        roundoff=0.0,
    )


def _tensor_method_or_sympy(name: str, sympy_form: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        method = getattr(x, name, None)
        if method is not None:
            return method()
        return _sympy_on_tensors(sympy_form)(x)

    return apply


# SymPy's functions that torch has under the same name (the rest would be math's, on floats,
# which would cut the tensor out of PyTorch's graph).
_TORCH_FUNCTIONS = (
    *("exp", "expm1", "log", "log1p", "sqrt", "erf", "erfc"),
    *("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh"),
    "atanh",
)


@functools.cache
def _sympy_on_tensors(sympy_form: Callable[..., Any]) -> Callable[..., Any]:
    """The SymPy form as a function of torch tensors (for rows of the user's own ops, so that
    a row needs no torch form): PyTorch's autograd then differentiates it in float64."""
    import sympy

    torch = _torch()
    a = sympy.Symbol("a", real=True)
    functions = {name: getattr(torch, name) for name in _TORCH_FUNCTIONS}
    functions |= {"Abs": torch.abs, "sign": torch.sign}
    return sympy.lambdify([a], sympy_form(a), modules=[functions, "math"])


def _torch() -> Any:
    import torch

    return torch


def _float_log1p(a: float) -> float:
    return math.log1p(a) if a > -1 else math.nan


def _float_softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _from_exp(operands: Sequence[float], of: float) -> float:
    """Functions engines write from exp and log (tanh as (e^2x - 1)/(e^2x + 1), sigmoid as
    0.5 (1 + tanh(x/2)), log1p as log(1 + x)): each rounding of an intermediate near 1 costs
    up to u absolutely, so a result far below 1 may lose all its digits (sigmoid(-360) = 0)."""
    return 8.0 * (1.0 + of)


def _shifted_angle(operands: Sequence[float], of: float) -> float:
    """sin and cos written from each other (``cos(x)`` as ``sin(x + pi/2)``, tinygrad's way):
    the rounding of the shifted angle, u |x| or so, plus pi/2's own, reaches the result whole
    (its slope is at most 1), so a value near a zero of the function keeps fewer digits."""
    return 2.0 * of + abs(operands[0]) + 2.0


_LOG_TINY = math.log(sys.float_info.min)


def _through_exp_and_log(operands: Sequence[float], of: float) -> float:
    """``a ** b`` as ``exp(b * log(a))``: the rounding of ``b log a`` is amplified by its size,
    and where ``a ** b`` underflows, its derivative through the chain rule (``b * out / a``)
    keeps no digit at all (``out`` is 0 or subnormal), though ``b * a ** (b - 1)`` is normal."""
    base, exponent = operands
    if base > 0 and exponent * math.log(base) < _LOG_TINY:
        return of * 2.0**53  # all of it
    amplified = exponent * abs(math.log(base)) if base > 0 else 0.0
    return of * (4.0 + 2.0 * amplified)


OPS: dict[str, Op] = {}
"""The registry: every op by name, gradtrio's own and those registered by users' modules."""


def register(*ops: Op, replace: bool = False) -> None:
    """Add rows to the registry; a name already there is an error unless ``replace``."""
    for op in ops:
        if not isinstance(op, Op):
            raise TypeError(f"register({op!r}): expected an Op row")
        if op.name in OPS and not replace and OPS[op.name] is not op:
            raise ValueError(f"op {op.name!r} is already registered")
    for op in ops:
        OPS[op.name] = op


register(
    binary_op("add", operator.add, "+", "add", control=True),
    binary_op("sub", operator.sub, "-", "sub"),
    binary_op(
        "mul", operator.mul, "*", "mul", control=True, can_overflow=True, thresholds=(1.3407e154,)
    ),
    binary_op(
        "div",
        operator.truediv,
        "/",
        "truediv",
        float_fn=lambda a, b: a / b if b else math.nan,
        edge=lambda args, form: abs(args[1]),
        constants={"left": _SMALL, "right": _NONZERO},
    ),
    binary_op(
        "pow",
        operator.pow,
        "**",
        "pow",
        float_fn=_float_pow,
        edge=_pow_edge,
        roundoff=4.0,
        constants={"left": _BASES, "right": _EXPONENTS},
        can_overflow=True,
        self_const=64.0,
        singular=_pow_formula_raises,
        formula_error=_through_exp_and_log,
        thresholds=(0.0, 1e-300, 1.0),
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
        control=True,
    ),
    unary_op(
        "exp",
        _sympy_function("exp"),
        _float_exp,
        roundoff=2.0,
        can_overflow=True,
        control=True,
        thresholds=(709.782712893384, 709.79, 708.4, 745.2, 1e-300),
        # e ** x: the rounding of x is amplified by |x| in relative terms.
        formula_error=lambda operands, of: of * (2.0 + operands[0]),
    ),
    unary_op(
        "log",
        _sympy_function("log"),
        lambda a: math.log(a) if a > 0 else math.nan,
        edge=lambda args, form: args[0],
        roundoff=2.0,
        formula_error=_from_exp,
        thresholds=(1.0, 1.0000000001, 5e-324),
    ),
    unary_op(
        "tanh",
        _sympy_function("tanh"),
        math.tanh,
        roundoff=4.0,
        bounded=True,
        control=True,
        formula_error=_from_exp,
        thresholds=(10.0, 19.06, 36.8, 354.9, 710.0, 1e-8),
    ),
    unary_op(
        "sigmoid",
        _sigmoid_sympy,
        _float_sigmoid,
        roundoff=8.0,
        bounded=True,
        formula_error=_from_exp,
        thresholds=(36.7, 709.8, 745.2, 1e-8),
    ),
    unary_op(
        "relu",
        _relu_sympy,
        lambda a: a if a > 0 else 0.0,
        kinks=(Kink(at=0.0, left=0.0, right=1.0, convention=0.0),),
        roundoff=0.0,
        thresholds=(0.0, 1e-300),
    ),
    unary_op(
        "sqrt",
        _sympy_function("sqrt"),
        lambda a: math.sqrt(a) if a >= 0 else math.nan,
        edge=lambda args, form: args[0],
        thresholds=(5e-324, 1e-300),
    ),
    unary_op(
        "abs",
        _abs_sympy,
        abs,
        kinks=(Kink(at=0.0, left=-1.0, right=1.0, convention=0.0),),
        roundoff=0.0,
        thresholds=(0.0, 1e-300),
    ),
    unary_op(
        "sin",
        _sympy_function("sin"),
        math.sin,
        roundoff=2.0,
        bounded=True,
        derivative_from_output=False,
        formula_error=_shifted_angle,
        thresholds=(math.pi, math.pi / 2, 1e5, 1e15),
    ),
    unary_op(
        "cos",
        _sympy_function("cos"),
        math.cos,
        roundoff=2.0,
        bounded=True,
        derivative_from_output=False,
        formula_error=_shifted_angle,
        thresholds=(math.pi, math.pi / 2, 1e5, 1e15),
    ),
    unary_op(
        "square", lambda a: a**2, lambda a: a * a, can_overflow=True, thresholds=(1.3407e154,)
    ),
    unary_op(
        "log1p",
        lambda a: _sympy_log1p(a),
        _float_log1p,
        edge=lambda args, form: args[0] + 1,
        roundoff=2.0,
        formula_error=_from_exp,
        thresholds=(-0.9999999999, 1e-16, 1e-300),
    ),
    unary_op(
        "softplus",
        _softplus_sympy,
        _float_softplus,
        # torch's softplus returns x itself past x = 20; logaddexp(x, 0) is the exact function.
        torch=lambda x: _torch().logaddexp(x, _torch().zeros_like(x)),
        roundoff=4.0,
        formula_error=_from_exp,
        thresholds=(20.0, 20.5, 36.8, 709.8, 745.2),
    ),
    leaky_relu_op(),
    _pick_op("max", lambda a, b: a > b, "maximum", first_wins_above=True),
    _pick_op("min", lambda a, b: a < b, "minimum", first_wins_above=False),
)

#: The rows gradtrio itself defines (a row registered later under one of these names is not).
BUILT_IN: dict[str, Op] = dict(OPS)


def op_names() -> tuple[str, ...]:
    """Every op name in the registry, in registry order."""
    return tuple(OPS)


def get_op(name: str) -> Op:
    """The registry row for ``name``; ``KeyError`` naming the known ops otherwise."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown op {name!r}; known ops: {', '.join(OPS)}") from None
