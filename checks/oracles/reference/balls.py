"""Ball arithmetic for the reference: SymPy's derivatives compiled to Arb, an expression evaluated
and back-propagated in balls.

Each (op, form) has its value, first and second partials and derivative ratios derived by SymPy
(:mod:`.derivatives`); a small printer (:mod:`.codegen`) turns them, after common-subexpression
elimination, into the source of one Python function over ``flint.arb`` balls (:mod:`.parts`).
The built-in ops' sources are kept on disk (:mod:`.table`), so that a run imports SymPy only for
an op of the user's own. Every ball returned encloses the exact value: binary floats enter
exactly, and Arb rounds outward. Where a ball is too wide to tell which side of a branch, a kink
or a domain edge the exact value lies on, :class:`~.parts.TooWide` asks the caller for more
precision instead of guessing; :class:`~.parts.NotReal` says the exact value is undefined.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flint import arb, ctx
from gradtrio.checks.oracles.reference.parts import NotReal, TooWide, load
from gradtrio.checks.oracles.reference.table import built_in_parts, keep_substituted
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS, Form

__all__ = ["Balls", "KinkChoice", "arb_function", "evaluate"]

KinkChoice = Literal["convention", "left", "right", "mean"]


def arb_function(symbols: Sequence[Any], exprs: Sequence[Any]) -> Callable[..., tuple]:
    """One Python function of arb balls ``symbols`` (SymPy symbols) returning ``exprs`` (SymPy
    expressions) as a tuple of balls, common subexpressions computed once."""
    from gradtrio.checks.oracles.reference.codegen import arb_source

    return load(*arb_source(symbols, exprs))


@dataclass(frozen=True)
class _Compiled:
    """An op's compiled parts: value, partials, second partials (row by row), ratios."""

    fn: Callable[..., tuple]
    arity: int  # node operands
    magnitudes: tuple[float | None, ...]  # |part| where it is a number, for every part but value


@functools.lru_cache(maxsize=512)
def _compiled(name: str, form: Form, const: float | None = None) -> _Compiled:
    source = built_in_parts(name, form, const)  # kept on disk: no SymPy in most runs
    if source is None:
        from gradtrio.checks.oracles.reference.codegen import op_source

        source = op_source(name, form, const)
        if const is not None:
            keep_substituted(name, form, const, source)
    return _Compiled(load(source.text, source.constants), source.arity, source.magnitudes)


# -- evaluation --------------------------------------------------------------------------------


@dataclass
class Balls:
    """Enclosures for every node: its value, its adjoint d(output)/d(node), and for every op
    node k its parts ``parts[k - n_inputs]``: local partials d_kj for each operand j, second
    partials (row by row), ratios (see :class:`~.derivatives.Derivatives`), with ``magnitudes``
    giving |part| in advance where the part is a constant."""

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
        compiled = _compiled(node.op, node.form, node.number)
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
            args.append(arb(node.number))
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
