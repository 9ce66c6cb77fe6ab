"""An op's compiled parts: the Python source of one function over ``flint.arb`` balls that
returns its value, first and second partials and ratios, and how such source is loaded.

The source is printed from SymPy's derivatives (:mod:`.codegen`) or read back from disk
(:mod:`.table`); it decides branch conditions with :func:`_sign`, which asks for more precision
(:class:`TooWide`) rather than guess the side of a ball that holds 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flint import arb, ctx

__all__ = ["ArbSource", "NotReal", "TooWide", "load"]


class TooWide(ArithmeticError):
    """A ball straddles a branch condition, a kink or a domain edge: raise the precision."""


class NotReal(ArithmeticError):
    """An exact value is undefined or not real: its operands are exact and it is still not a
    finite real number."""


@dataclass(frozen=True)
class ArbSource:
    """An op's compiled parts: the source of ``_f`` (value, partials, second partials row by
    row, ratios), its exact constants, the number of node operands, and |part| for every part
    but the value where the part is a number (None where it is not)."""

    text: str
    constants: dict[str, tuple[int, int]]
    arity: int
    magnitudes: tuple[float | None, ...]


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


def load(text: str, constants: dict[str, tuple[int, int]]) -> Callable[..., tuple]:
    """The function ``_f`` that ``text`` defines, its exact constants ``p / q`` made once."""
    old = ctx.prec
    ctx.prec = 4096  # the constants are binary fractions: exact at any precision this high
    try:
        namespace: dict[str, Any] = {name: arb(p) / q for name, (p, q) in constants.items()}
    finally:
        ctx.prec = old
    namespace |= {"_arb": arb, "_sign": _sign, "_rational": _rational}
    exec(text, namespace)  # source printed from SymPy nodes by the codegen
    function: Callable[..., tuple] = namespace["_f"]
    return function
