"""A tensor expression's scalar expansion: the same computation as a scalar :class:`Expression`
over the inputs' elements, which the scalar oracles judge unchanged.

The elements of the inputs, in order and each in C order, become the scalar inputs ``x0, x1,
...``; every element of every tensor node becomes one scalar node (or is one already: a
``reshape`` or ``transpose`` only re-indexes, a broadcast operand's element is the same scalar
node wherever it is used). ``sum`` is a chain of ``add``, ``mean`` that chain divided by the
count, ``matmul`` a ``mul`` per term and a chain of ``add``, and the output is
``(last * W).sum()`` as :mod:`.tensor_expression` says. The exact reference of the expansion then
gives every element of every tensor node and every input element's gradient.

An engine may add the terms of a reduction in any order (NumPy's pairwise sum, a BLAS kernel),
so :attr:`Expansion.sums` names, for each ``add`` of a reduction, every term of that reduction:
what a tolerance for any order needs.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.tensor_expression import TENSOR_OPS, TensorExpression, output_weights

__all__ = ["Expansion", "expand"]


@dataclass(frozen=True)
class Expansion:
    """``expression`` computes ``tensor``; ``elements[k]`` holds, in the shape of tensor node k,
    the index of the scalar node of each of its elements."""

    tensor: TensorExpression
    expression: Expression
    elements: tuple[np.ndarray, ...]
    sums: dict[int, tuple[int, ...]]

    @property
    def offsets(self) -> list[int]:
        """Where each tensor input's elements start among the scalar inputs."""
        sizes = (math.prod(s) for s in self.tensor.inputs)
        return list(itertools.accumulate(sizes, initial=0))

    def input_elements(self, i: int) -> range:
        """The scalar inputs standing for tensor input ``i``'s elements, in C order."""
        offsets = self.offsets
        return range(offsets[i], offsets[i + 1])

    def element_name(self, scalar: int) -> str:
        """The tensor input element a scalar input stands for: ``x1[2, 0]`` (``x1`` for rank 0)."""
        i = next(i for i, end in enumerate(self.offsets[1:]) if scalar < end)
        shape = self.tensor.inputs[i]
        if not shape:
            return f"x{i}"
        index = np.unravel_index(scalar - self.offsets[i], shape)
        return f"x{i}[{', '.join(str(int(j)) for j in index)}]"


class _Builder:
    def __init__(self, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.nodes: list[Node] = []
        self.sums: dict[int, tuple[int, ...]] = {}

    def add(self, node: Node) -> int:
        self.nodes.append(node)
        return self.n_inputs + len(self.nodes) - 1

    def total(self, terms: list[int]) -> int:
        """The sum of ``terms`` as a chain of adds (the term itself when there is one)."""
        acc = terms[0]
        for term in terms[1:]:
            acc = self.add(Node("add", (acc, term)))
            self.sums[acc] = tuple(terms)
        return acc

    def each(self, shape: tuple[int, ...], element: Callable[[tuple[int, ...]], int]) -> np.ndarray:
        out = np.empty(shape, dtype=np.int64)
        for index in np.ndindex(shape):
            out[index] = element(index)
        return out


def _elementwise(b: _Builder, op: str, operands: list[np.ndarray]) -> np.ndarray:
    if len(operands) == 1:
        (x,) = operands
        return b.each(x.shape, lambda i: b.add(Node(op, (int(x[i]),))))
    x, y = np.broadcast_arrays(*operands)  # a broadcast element is one scalar node, reused
    return b.each(x.shape, lambda i: b.add(Node(op, (int(x[i]), int(y[i])))))


def _reduce(b: _Builder, x: np.ndarray, axis: int | None, keepdims: bool, mean: bool) -> np.ndarray:
    moved = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    count = moved.shape[-1]

    def element(index: tuple[int, ...]) -> int:
        total = b.total([int(t) for t in moved[index]])
        if mean and count > 1:
            return b.add(Node("div", (total,), const=float(count), side="right"))
        return total

    out = b.each(moved.shape[:-1], element)
    if keepdims:
        out = out.reshape((1,) * x.ndim) if axis is None else np.expand_dims(out, axis)
    return out


def _matmul(b: _Builder, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NumPy's rule: a vector operand is a matrix of one row (left) or one column (right), whose
    # axis the result then drops; the batch axes broadcast.
    a = x[None, :] if x.ndim == 1 else x
    c = y[:, None] if y.ndim == 1 else y
    batch = np.broadcast_shapes(a.shape[:-2], c.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    c = np.broadcast_to(c, batch + c.shape[-2:])
    inner = a.shape[-1]

    def element(index: tuple[int, ...]) -> int:
        *at, i, j = index
        terms = [
            b.add(Node("mul", (int(a[(*at, i, k)]), int(c[(*at, k, j)])))) for k in range(inner)
        ]
        return b.total(terms)

    out = b.each(batch + (a.shape[-2], c.shape[-1]), element)
    dropped = [out.ndim - 2] * (x.ndim == 1) + [out.ndim - 1] * (y.ndim == 1)
    return np.squeeze(out, axis=tuple(dropped)) if dropped else out


@functools.lru_cache(maxsize=256)
def expand(tensor: TensorExpression) -> Expansion:
    """The scalar expansion of ``tensor`` (see the module docstring). Cached: the strategies,
    the verdict and the blame each ask for it; its arrays are read-only."""
    n = tensor.elements()
    b = _Builder(n)
    offsets = itertools.accumulate((math.prod(s) for s in tensor.inputs), initial=0)
    elements = [
        np.arange(start, start + math.prod(shape), dtype=np.int64).reshape(shape)
        for start, shape in zip(offsets, tensor.inputs)
    ]
    for node in tensor.nodes:
        operands = [elements[i] for i in node.args]
        if node.op in ("sum", "mean"):
            out = _reduce(b, operands[0], node.axis, node.keepdims, mean=node.op == "mean")
        elif node.op == "matmul":
            out = _matmul(b, *operands)
        elif node.op == "reshape":
            out = operands[0].reshape(node.shape)
        elif node.op == "transpose":
            out = operands[0].transpose(node.perm)
        else:
            assert node.op not in TENSOR_OPS  # every structural op is handled above
            out = _elementwise(b, node.op, operands)
        out.flags.writeable = False
        elements.append(out)
    last = elements[-1]
    weights = output_weights(last.shape)
    terms = [
        b.add(Node("mul", (int(e),), const=float(w), side="right"))
        for e, w in zip(last.flat, weights.flat)
    ]
    b.total(terms)
    return Expansion(tensor, Expression(n, tuple(b.nodes)), tuple(elements), b.sums)
