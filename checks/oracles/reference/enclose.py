"""The reference oracle: derivatives derived by SymPy from each op's SymPy form, evaluated in
ball arithmetic.

Each (op, form) is differentiated once, symbolically (:mod:`.derivatives`), and compiled to a
function over Arb balls (:mod:`.balls`); an expression is evaluated node by node and
back-propagated in reverse order, so the cost is linear in the DAG's size however much it
reuses nodes. Binary floats enter exactly, and every value and adjoint comes back as a ball that
encloses the exact one.

Alongside, a first-order rounding-error analysis (:func:`.rounding.rounding_bounds`) gives, for
a faithful implementation of the same DAG in a binary format (float64 unless told), a bound
on the error of every node's value and gradient: the tolerance the verdict grants.

Precision policy: evaluate at ``PRECISION`` bits; where a ball cannot decide something (a branch
of a Piecewise, the side of a kink or domain edge), or its radius exceeds ``WIDTH`` times the
tolerance it is compared within, evaluate again at twice the precision, up to ``MAX_PRECISION``;
past that, :class:`Undecided` (so too where a judged quantity is finite but an overflowing
intermediate leaves it without a bound). Each tolerance includes its ball's radius, so comparing
a result with the ball's midpoint is as good as comparing it with the exact value.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flint import arb
from gradtrio.checks.oracles.reference.balls import Balls, KinkChoice, evaluate
from gradtrio.checks.oracles.reference.parts import NotReal, TooWide
from gradtrio.checks.oracles.reference.rounding import (
    FLOAT32,
    FLOAT64,
    FORMATS,
    FloatFormat,
    rounding_bounds,
)
from gradtrio.strategies.expression import Expression

__all__ = [
    "FLOAT32",
    "FLOAT64",
    "MAX_PRECISION",
    "PRECISION",
    "FloatFormat",
    "KinkChoice",
    "OutOfDomain",
    "Reference",
    "Undecided",
    "reference",
]

PRECISION = 128
"""Bits of the first evaluation; almost every case is decided there."""
MAX_PRECISION = 4096
"""Bits of the last evaluation before the case is :class:`Undecided`."""
WIDTH = 2.0**-20
"""Largest ball radius, as a fraction of the tolerance it is compared within."""
_ACCURATE = 60  # bits of relative accuracy past which a midpoint serves as the magnitude


class OutOfDomain(Exception):
    """The exact value of some node is undefined or complex at this point."""


class Undecided(OutOfDomain):
    """Even at ``MAX_PRECISION`` bits some ball straddles a branch, kink or domain edge (the
    exact value may lie on it: ``tanh(x) - tanh(x)`` computed twice), or is wider than its
    tolerance allows. A subclass of :class:`OutOfDomain`, so that a caller that knows only that
    skips the case rather than guess."""


@dataclass
class Reference:
    """Enclosures of the exact values and gradients, with rounding bounds for ``fmt``.

    ``values``/``adjoints`` are ``flint.arb`` balls for every node (inputs first); ``float()``
    gives the midpoint. ``grads`` are the input adjoints. ``value_bounds`` and ``grad_bounds``
    bound a faithful implementation's error in every node's value and gradient, measured from
    the midpoint (the ball's radius is included). ``kink_nodes`` lists nodes whose operand lies
    exactly on a kink. ``precision`` is the bits the case was decided at, ``digits`` the certain
    significant decimal digits of the least certain of the output value and input gradients
    (``inf`` when all are exact; 0 when a ball holds 0 and is narrow only next to its tolerance).
    """

    n_inputs: int
    values: list[Any]
    adjoints: list[Any]
    value_bounds: list[float]
    grad_bounds: list[float]
    kink_nodes: list[int]
    precision: int = PRECISION
    digits: float = math.inf
    fmt: FloatFormat = field(default=FLOAT64)
    magnitudes: tuple[Any, ...] = field(default=(), repr=False)

    @functools.cached_property
    def precision_bounds(self) -> tuple[list[float], list[float]]:
        """Bounds on what any reasonable formula of the same ops may be off by (digits lost,
        see :func:`~.rounding.rounding_bounds`), on every value and gradient."""
        expression, values, parts, adjoints = self.magnitudes
        return rounding_bounds(expression, values, parts, adjoints, self.fmt, any_formula=True)

    @property
    def value(self) -> Any:
        return self.values[-1]

    @property
    def grads(self) -> list[Any]:
        return self.adjoints[: self.n_inputs]

    @functools.cached_property
    def expected_values(self) -> list[float]:
        """Every node's exact value as the format holds it: the ball's midpoint, or ±inf where
        the exact value is beyond the format's range (float32's exp(360) is inf, as IEEE says)."""
        return [self.fmt.held(float(x)) for x in self.values]

    @functools.cached_property
    def expected_adjoints(self) -> list[float]:
        """Every node's exact gradient as the format holds it (see :attr:`expected_values`)."""
        return [self.fmt.held(float(x)) for x in self.adjoints]

    @property
    def expected_value(self) -> float:
        return self.expected_values[-1]

    @property
    def expected_grads(self) -> list[float]:
        return self.expected_adjoints[: self.n_inputs]

    def overflowing(self) -> list[int]:
        """The nodes whose exact value is beyond the format's range."""
        return [k for k, x in enumerate(self.values) if abs(float(x)) > self.fmt.max]

    def overflowing_adjoints(self) -> list[int]:
        """The nodes whose exact gradient is beyond the format's range."""
        return [k for k, x in enumerate(self.adjoints) if abs(float(x)) > self.fmt.max]


def reference(
    expression: Expression,
    point: Sequence[float],
    *,
    kinks: KinkChoice = "convention",
    dtype: FloatFormat | str = FLOAT64,
    precision: int = PRECISION,
    max_precision: int = MAX_PRECISION,
) -> Reference:
    """Enclose the value and every adjoint of ``expression`` at ``point``, with tolerances for
    an evaluation in ``dtype`` (a :class:`FloatFormat` or its name, "float64" or "float32").

    ``kinks`` chooses the derivative used where an operand lies exactly on a kink: the registry's
    convention (PyTorch's), either one-sided derivative, or their mean (SymPy's Heaviside(0)).
    Raises :class:`OutOfDomain` when a node's exact value is undefined or not real, and
    :class:`Undecided` when ``max_precision`` bits do not decide the case, or when the output
    value or an input gradient is finite but has no bound (see :func:`_check_bounded`).
    """
    fmt = FORMATS[dtype] if isinstance(dtype, str) else dtype
    bits = precision
    while True:
        try:
            balls = evaluate(expression, point, precision=bits, kinks=kinks)
            ref = _reference(expression, balls, fmt, bits)
            _check_bounded(expression, ref)
            return ref
        except NotReal as exc:
            raise OutOfDomain(f"{_where(expression, exc)}: {exc.args[0]}") from None
        except TooWide as exc:
            if bits * 2 > max_precision:
                raise Undecided(
                    f"undecided at {bits} bits: {_where(expression, exc)}: {exc.args[0]}"
                ) from None
            bits *= 2


def _check_bounded(expression: Expression, ref: Reference) -> None:
    """:class:`Undecided` where a judged quantity (the output value or an input gradient) is
    finite in the format but its bound is infinite: an intermediate overflows, and a faithful
    evaluation may then give anything, nan included (the exact gradient through a relu that is
    off is 0, while float64's inf * 0 is nan)."""
    judged = [("the value", ref.value, ref.value_bounds[-1])]
    judged += [
        (f"d/d{expression.name(i)}", g, b)
        for i, (g, b) in enumerate(zip(ref.grads, ref.grad_bounds))
    ]
    for what, ball, bound in judged:
        if bound == math.inf and abs(float(ball)) <= ref.fmt.max:
            raise Undecided(
                f"undecided: {what} is {float(ball):.3g} but has no {ref.fmt.name} bound "
                "(an intermediate overflows)"
            )


def _where(expression: Expression, exc: ArithmeticError) -> str:
    k = exc.args[1] if len(exc.args) > 1 else None
    if k is None:
        return "the reference"
    if k < expression.n_inputs:
        return expression.name(k)
    return f"{expression.name(k)} = {expression.node_source(k)}"


def _magnitude(x: arb) -> float:
    """An upper bound on |exact| for a finite ball (to the rounding of one float)."""
    if x.rel_accuracy_bits() >= _ACCURATE:
        return abs(float(x))  # the radius is below 2**-60 of it: negligible in a bound
    return abs(float(x)) + float(x.rad())


def _radius(x: arb, magnitude: float) -> float:
    acc = x.rel_accuracy_bits()
    if acc >= _ACCURATE:  # radius < |mid| * 2**-acc, without building the radius
        return math.ldexp(magnitude, -acc)  # 0.0 for an exact ball
    return float(x.rad())


def _part_magnitudes(parts: tuple[arb, ...], known: tuple[float | None, ...]) -> list[float]:
    """|part| for every part of one node, ratios included; ``known`` gives those of constants.
    A ratio that is not finite (a 0/0 SymPy left in it) is bounded from the partials."""
    mags = [_magnitude(x) if m is None else m for x, m in zip(parts, known)]
    arity = 1 if len(parts) == 3 else 2
    for j in range(arity):
        q = parts[arity + arity * arity + j]
        if known[arity + arity * arity + j] is None and not q.is_finite():
            d, dd = parts[j], parts[arity + j * arity + j]
            if d.is_zero():
                mags[arity + arity * arity + j] = 0.0
            elif 0 in d:
                raise TooWide("cannot bound a derivative ratio")
            else:
                mags[arity + arity * arity + j] = _magnitude(dd / d)
    return mags


def _reference(expression: Expression, balls: Balls, fmt: FloatFormat, bits: int) -> Reference:
    values = [_magnitude(v) for v in balls.values]
    adjoints = [_magnitude(g) for g in balls.adjoints]
    parts = [_part_magnitudes(p, m) for p, m in zip(balls.parts, balls.magnitudes)]
    value_bounds, grad_bounds = rounding_bounds(expression, values, parts, adjoints, fmt)
    for balls_, mags, bounds, what in (
        (balls.values, values, value_bounds, "value"),
        (balls.adjoints, adjoints, grad_bounds, "gradient"),
    ):
        for k, (x, mag) in enumerate(zip(balls_, mags)):
            r = _radius(x, mag)
            if r > WIDTH * bounds[k]:
                raise TooWide(f"{what} ball radius {r:.3g} against tolerance {bounds[k]:.3g}", k)
            bounds[k] += r
    n_in = expression.n_inputs
    return Reference(
        n_in,
        balls.values,
        balls.adjoints,
        value_bounds,
        grad_bounds,
        balls.kink_nodes,
        precision=bits,
        digits=min(_digits(x) for x in [balls.values[-1], *balls.adjoints[:n_in]]),
        fmt=fmt,
        magnitudes=(expression, values, parts, adjoints),
    )


def _digits(x: arb) -> float:
    """Certain significant decimal digits of a ball: inf when exact."""
    if x.is_exact():
        return math.inf
    return max(0.0, x.rel_accuracy_bits() * math.log10(2))
