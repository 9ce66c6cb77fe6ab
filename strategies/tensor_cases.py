"""Hypothesis strategies for tensor cases: small shapes, broadcasting, reductions, matmul and
movement ops, nodes that feed several others, and points inside every op's domain.

Shapes come from :mod:`hypothesis.extra.numpy` (``array_shapes`` for the first input,
``broadcastable_shapes`` for an operand that broadcasts against a node), and shrink toward lower
rank and size-1 dimensions. As in :mod:`.dags`, operands are drawn as back-offsets from the
newest node (0 = the newest: chains, and ``x * x`` where a node is reused) and the draw loop
decides how many nodes there are, so a failing case shrinks toward fewer nodes. The point is
judged by :func:`~gradtrio.strategies.domain.point_problem` on the scalar expansion: every
element of every node inside its op's domain, away from kinks and edges.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Collection

from gradtrio.strategies.domain import point_problem
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_expansion import expand
from gradtrio.strategies.tensor_expression import (
    ELEMENTWISE_BINARY,
    TENSOR_OPS,
    Shape,
    TensorExpression,
    TensorNode,
    unary_ops,
)
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

__all__ = ["all_tensor_ops", "tensor_cases", "tensor_expressions"]


_STOP = st.integers(0, 4)


def all_tensor_ops() -> tuple[str, ...]:
    """Every op a tensor node may apply: the unary rows, the binary ones, the structural ones."""
    return (*unary_ops(), *ELEMENTWISE_BINARY, *TENSOR_OPS)


def _resolve(ops: Collection[str] | None) -> frozenset[str]:
    known = all_tensor_ops()
    if ops is None:
        return frozenset(known)
    if isinstance(ops, str):
        raise InvalidArgument(f"ops={ops!r}: expected a collection of op names, not a string")
    for name in ops:
        if name not in known:
            raise InvalidArgument(f"ops contains unknown op {name!r}; known: {', '.join(known)}")
    if not ops:
        raise InvalidArgument("ops=(): expected at least one op")
    return frozenset(ops)


def _check_bounds(max_nodes: int, max_rank: int, max_side: int) -> None:
    for name, value, lo, hi in (
        ("max_nodes", max_nodes, 1, 32),
        ("max_rank", max_rank, 0, 3),
        ("max_side", max_side, 1, 4),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise InvalidArgument(f"{name}={value!r}: expected an int in {lo}..{hi}")


@functools.cache
def _reshapes(shape: Shape, max_rank: int, max_side: int) -> tuple[Shape, ...]:
    """Every other shape of the same size within the bounds, lowest rank first."""
    size = math.prod(shape)
    found = [
        dims
        for rank in range(max_rank + 1)
        for dims in itertools.product(range(1, max_side + 1), repeat=rank)
        if math.prod(dims) == size and dims != shape
    ]
    return tuple(found)


@functools.cache
def _perms(rank: int) -> tuple[Shape, ...]:
    """Every permutation but the identity; first those that are not their own inverse (a
    backward that forgets to invert is right on the others), which Hypothesis draws most."""
    perms = [p for p in itertools.permutations(range(rank)) if p != tuple(range(rank))]
    return tuple(sorted(perms, key=lambda p: tuple(p[i] for i in p) == tuple(range(rank))))


def _matmul_shape(a: Shape, b: Shape) -> bool:
    if not a or not b:
        return False
    inner_a, inner_b = a[-1], (b[0] if len(b) == 1 else b[-2])
    if inner_a != inner_b:
        return False
    batch_a, batch_b = a[:-2], b[:-2]
    return all(x == y or 1 in (x, y) for x, y in zip(batch_a[::-1], batch_b[::-1]))


def _broadcasts(a: Shape, b: Shape) -> bool:
    return all(x == y or 1 in (x, y) for x, y in zip(a[::-1], b[::-1]))


@st.composite
def _matmul_partner(
    draw: st.DrawFn, shape: Shape, on_left: bool, max_rank: int, max_side: int
) -> Shape:
    """A shape that ``shape`` multiplies with, ``shape`` standing on the left or the right:
    a vector, a matrix, or a batch of matrices whose batch axis broadcasts."""
    inner = shape[-1] if on_left else (shape[0] if len(shape) == 1 else shape[-2])
    rank = draw(st.integers(1, max(1, max_rank)))
    if rank == 1:
        return (inner,)
    free = draw(st.integers(1, max_side))
    matrix = (inner, free) if on_left else (free, inner)
    if rank == 2:
        return matrix
    batch = (
        draw(st.sampled_from((1, shape[0]))) if len(shape) == 3 else draw(st.integers(1, max_side))
    )
    return (batch, *matrix)


def tensor_expressions(
    *,
    ops: Collection[str] | None = None,
    max_nodes: int = 4,
    max_rank: int = 3,
    max_side: int = 4,
) -> SearchStrategy[TensorExpression]:
    """Tensor expressions of 1 to ``max_nodes`` op nodes (default 4) whose inputs have rank 0 to
    ``max_rank`` (default 3) and dimensions 1 to ``max_side`` (default 4).

    ``ops`` (default: every op of :func:`all_tensor_ops`) limits the ops drawn. A node's operand
    is a back-offset from the newest node, so a node may feed several; a binary op's other
    operand is an earlier node of a compatible shape or a new input. Nodes the output does not
    depend on are pruned. Examples shrink toward fewer nodes, lower rank and size-1 dimensions::

        >>> tensor_expressions(ops={"add", "sum"}, max_nodes=2).example()  # doctest: +SKIP
        TensorExpression(inputs=((2, 1), (3,)), nodes=(TensorNode(op='add', args=(0, 1)), ...))
    """
    available = _resolve(ops)
    _check_bounds(max_nodes, max_rank, max_side)
    return _expressions(available, max_nodes, max_rank, max_side)


@st.composite
def _expressions(
    draw: st.DrawFn, available: frozenset[str], max_nodes: int, max_rank: int, max_side: int
) -> TensorExpression:
    unary = [name for name in unary_ops() if name in available]
    binary = [name for name in ELEMENTWISE_BINARY if name in available]
    # Slots: ("input", j) or ("node", j), laid out inputs first once the drawing is done.
    slots: list[tuple[str, int]] = []
    shapes: list[Shape] = []
    inputs: list[Shape] = []
    nodes: list[tuple[str, list[int], dict[str, object]]] = []

    def new_input(shape: Shape) -> int:
        slots.append(("input", len(inputs)))
        inputs.append(shape)
        shapes.append(shape)
        return len(slots) - 1

    def new_node(op: str, args: list[int], out: Shape, **params: object) -> None:
        slots.append(("node", len(nodes)))
        nodes.append((op, args, params))
        shapes.append(out)

    # The rank first, evenly (array_shapes alone mostly draws low ranks), then its dims.
    rank = draw(st.integers(0, max_rank))
    new_input(draw(hnp.array_shapes(min_dims=rank, max_dims=rank, min_side=1, max_side=max_side)))

    # Stop with probability 1/5 per node (a draw of 0, where shrinking goes); the operand is the
    # newest node half the time, so that most nodes feed the output. The first node draws its
    # stop too (and ignores it), so that every node's draws look alike and deleting one node's
    # draws leaves the others' meaning, which is how Hypothesis removes a node.
    @st.composite
    def one_node(sub: st.DrawFn) -> bool:
        # One node's draws are one span, which Hypothesis's shrinker deletes as a whole.
        if sub(_STOP) == 0 and nodes:
            return False
        back = sub(st.integers(0, len(slots) - 1)) if sub(st.booleans()) else 0
        first = len(slots) - 1 - back
        shape = shapes[first]
        # Elementwise ops twice: there are many unary ones, and broadcasting is where most
        # tensor gradients go wrong.
        kinds = [k for k in ("unary",) * 2 if unary] + [k for k in ("binary",) * 2 if binary]
        kinds += [k for k in ("sum", "mean") if k in available]
        if "matmul" in available and shape:
            kinds.append("matmul")
        if "reshape" in available and _reshapes(shape, max_rank, max_side):
            kinds.append("reshape")
        if "transpose" in available and len(shape) >= 2:
            # Twice at rank 3, the only rank with permutations that are not their own inverse.
            kinds += ["transpose"] * (len(shape) - 1)
        kind = sub(st.sampled_from(kinds))
        if kind == "unary":
            new_node(sub(st.sampled_from(unary)), [first], shape)
        elif kind in ("sum", "mean"):
            axis = sub(st.sampled_from((*range(len(shape)), None)))  # None last: rarer
            keepdims = sub(st.booleans())
            node = TensorNode(kind, (0,), axis=axis, keepdims=keepdims)
            out = TENSOR_OPS[kind].shape(node, [shape])
            new_node(kind, [first], out, axis=axis, keepdims=keepdims)
        elif kind == "reshape":
            target = sub(st.sampled_from(_reshapes(shape, max_rank, max_side)))
            new_node("reshape", [first], target, shape=target)
        elif kind == "transpose":
            perm = sub(st.sampled_from(_perms(len(shape))))
            new_node("transpose", [first], tuple(shape[i] for i in perm), perm=perm)
        else:
            swap = sub(st.booleans())
            fits = _matmul_shape if kind == "matmul" else _broadcasts
            reusable = [
                slot
                for slot in range(len(slots))
                if (fits(shapes[slot], shape) if swap else fits(shape, shapes[slot]))
            ]
            reuse = sub(st.booleans())
            if reusable and reuse:
                other = sub(st.sampled_from(sorted(reusable, reverse=True)))  # newest first
            elif kind == "matmul":
                other = new_input(sub(_matmul_partner(shape, not swap, max_rank, max_side)))
            else:
                other = new_input(
                    sub(
                        hnp.broadcastable_shapes(
                            shape, min_dims=0, max_dims=max_rank, min_side=1, max_side=max_side
                        )
                    )
                )
            args = [other, first] if swap else [first, other]
            op = "matmul" if kind == "matmul" else sub(st.sampled_from(binary))
            probe = TensorExpression((shapes[args[0]], shapes[args[1]]), (TensorNode(op, (0, 1)),))
            new_node(op, args, probe.shapes[-1])
        return True

    while len(nodes) < max_nodes and draw(one_node()):
        pass
    index = {
        slot: j if what == "input" else len(inputs) + j for slot, (what, j) in enumerate(slots)
    }
    built = TensorExpression(
        tuple(inputs),
        tuple(
            TensorNode(op, tuple(index[a] for a in args), **params)  # type: ignore[arg-type]
            for op, args, params in nodes
        ),
    )
    return built.pruned((0.0,) * built.elements())[0]


def tensor_cases(
    *,
    ops: Collection[str] | None = None,
    max_nodes: int = 4,
    max_rank: int = 3,
    max_side: int = 4,
) -> SearchStrategy[TensorCase]:
    """A :func:`tensor_expressions` expression (same arguments) and a point where every element
    of every node is a fair test: inside its op's domain, away from kinks and domain edges,
    of ordinary magnitude (:func:`~gradtrio.strategies.domain.point_problem` on the expansion).

    Each element is drawn from [0.25, 2], negated in the cases drawn as signed, so that ``log``
    and ``sqrt`` of an input are defined unless the case is signed. Examples shrink toward the
    expression's minimal form and toward unsigned, simple values."""
    return _cases(
        tensor_expressions(ops=ops, max_nodes=max_nodes, max_rank=max_rank, max_side=max_side)
    )


@st.composite
def _cases(draw: st.DrawFn, expressions: SearchStrategy[TensorExpression]) -> TensorCase:
    expression = draw(expressions)
    signed = draw(st.booleans())
    magnitude = st.floats(0.25, 2.0, allow_nan=False, allow_infinity=False)
    point = []
    for _ in range(expression.elements()):
        value = draw(magnitude)
        point.append(-value if signed and draw(st.booleans()) else value)
    assume(point_problem(expand(expression).expression, point) is None)
    return TensorCase(expression, tuple(point), "tensor")
