"""The tensor expression IR: inputs with shapes, then an SSA list of tensor op nodes.

A tensor node applies an elementwise op of the registry (every unary row, and the binary rows in
:data:`ELEMENTWISE_BINARY` between two nodes, with NumPy broadcasting) or one of the ops of
:data:`TENSOR_OPS` (``sum`` and ``mean`` over an axis or all of them, ``matmul``, ``reshape``,
``transpose``), with its parameters in the node as a scalar node carries its constant. Each
node's shape follows from its op's shape rule, which is NumPy's (the rules are evaluated on empty
arrays, so they cannot drift from the library that defines them); an ill-formed expression is a
``ValueError`` naming the node and the shape.

The output is reduced to a scalar inside the DAG: ``(last * W).sum()`` with the constant tensor
``W = output_weights(shape)`` of distinct weights, so that every engine's plain backward applies
and an element of the wrong value or place cannot hide behind a plain sum. JSON format
``gradtrio.tensor-expression/1``.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from gradtrio.strategies.ops import OPS

__all__ = [
    "ELEMENTWISE_BINARY",
    "FORMAT",
    "MAX_ELEMENTS",
    "TENSOR_OPS",
    "Shape",
    "TensorExpression",
    "TensorNode",
    "TensorOp",
    "output_weights",
    "unary_ops",
]

FORMAT = "gradtrio.tensor-expression/1"
MAX_ELEMENTS = 256
"""Most elements of any node: the expansion encloses every element of every node in a ball."""

Shape = tuple[int, ...]

ELEMENTWISE_BINARY = ("add", "sub", "mul", "div", "max", "min")
"""The binary registry rows a tensor node applies elementwise between two nodes."""


def unary_ops() -> tuple[str, ...]:
    """Every unary row of the registry, each applied elementwise."""
    return tuple(name for name, op in OPS.items() if op.arity == 1)


@dataclass(frozen=True)
class TensorNode:
    """One tensor op node: ``op`` applied to earlier nodes ``args``, with the parameters its op
    takes: ``axis`` (None for all axes) and ``keepdims`` for ``sum`` and ``mean``, ``perm`` for
    ``transpose``, ``shape`` for ``reshape``."""

    op: str
    args: tuple[int, ...]
    axis: int | None = None
    keepdims: bool = False
    perm: Shape | None = None
    shape: Shape | None = None

    def params(self) -> dict[str, Any]:
        """The parameters the node's op takes, by name (as in the JSON)."""
        row = TENSOR_OPS.get(self.op)
        return {} if row is None else {name: getattr(self, name) for name in row.params}


@dataclass(frozen=True)
class TensorOp:
    """A row for an op of the tensor IR that the scalar registry has no row for.

    ``shape`` gives the node's shape from its operands' and raises ``ValueError`` with the
    reason; ``source`` prints the node as Python in terms of its operands' names."""

    name: str
    arity: int
    params: tuple[str, ...]
    shape: Callable[[TensorNode, Sequence[Shape]], Shape]
    source: Callable[[TensorNode, Sequence[str]], str]


def _reduced(node: TensorNode, shapes: Sequence[Shape]) -> Shape:
    (shape,) = shapes
    if not isinstance(node.keepdims, bool):
        raise ValueError(f"keepdims={node.keepdims!r}: expected True or False")
    if node.axis is not None and (
        isinstance(node.axis, bool)
        or not isinstance(node.axis, int)
        or not 0 <= node.axis < len(shape)
    ):
        raise ValueError(f"axis={node.axis!r}: expected None or an axis of shape {shape}")
    return np.sum(np.zeros(shape), axis=node.axis, keepdims=node.keepdims).shape


def _matmul(node: TensorNode, shapes: Sequence[Shape]) -> Shape:
    a, b = shapes
    if not a or not b:
        raise ValueError(f"matmul of shapes {a} and {b}: expected operands of rank >= 1")
    try:
        return np.matmul(np.zeros(a), np.zeros(b)).shape
    except ValueError:
        raise ValueError(f"matmul of shapes {a} and {b}: inner dimensions differ") from None


def _reshaped(node: TensorNode, shapes: Sequence[Shape]) -> Shape:
    (shape,) = shapes
    new = _checked_shape(node.shape, "shape")
    if math.prod(new) != math.prod(shape):
        raise ValueError(f"shape={new}: expected {math.prod(shape)} elements, as in {shape}")
    return new


def _transposed(node: TensorNode, shapes: Sequence[Shape]) -> Shape:
    (shape,) = shapes
    perm = node.perm
    if not isinstance(perm, tuple) or sorted(perm) != list(range(len(shape))):
        raise ValueError(f"perm={perm!r}: expected a permutation of the axes of shape {shape}")
    return tuple(shape[i] for i in perm)


def _reduction_source(node: TensorNode, names: Sequence[str]) -> str:
    if node.axis is None and not node.keepdims:
        return f"{names[0]}.{node.op}()"
    return f"{names[0]}.{node.op}(axis={node.axis}, keepdims={node.keepdims})"


TENSOR_OPS: dict[str, TensorOp] = {
    row.name: row
    for row in (
        TensorOp("sum", 1, ("axis", "keepdims"), _reduced, _reduction_source),
        TensorOp("mean", 1, ("axis", "keepdims"), _reduced, _reduction_source),
        TensorOp("matmul", 2, (), _matmul, lambda node, names: f"{names[0]} @ {names[1]}"),
        TensorOp(
            "reshape", 1, ("shape",), _reshaped, lambda n, names: f"{names[0]}.reshape({n.shape})"
        ),
        TensorOp(
            "transpose",
            1,
            ("perm",),
            _transposed,
            lambda n, names: f"{names[0]}.transpose({n.perm})",
        ),
    )
}
"""The structural ops, by name: what the tensor IR adds to the registry's elementwise rows."""


def _checked_shape(shape: object, what: str) -> Shape:
    if not isinstance(shape, tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape
    ):
        raise ValueError(f"{what}={shape!r}: expected a tuple of ints >= 1")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{what}={shape}: more than {MAX_ELEMENTS} elements")
    return shape


def output_weights(shape: Shape) -> np.ndarray:
    """The constant tensor the output is weighted by: distinct, exact in binary (1, 1.125, 1.25,
    ... in C order) and of alternating sign, so that a wrong or misplaced element shows."""
    k = np.arange(math.prod(shape), dtype=np.float64)
    return ((1.0 + k / 8.0) * np.where(k % 2 == 0, 1.0, -1.0)).reshape(shape)


@dataclass(frozen=True)
class TensorExpression:
    """Inputs ``x0, x1, ...`` of the shapes ``inputs``, then ``nodes``; the last node (or the last
    input, without nodes) is reduced to the scalar output ``(last * W).sum()``."""

    inputs: tuple[Shape, ...]
    nodes: tuple[TensorNode, ...]
    shapes: tuple[Shape, ...] = field(init=False, repr=False, compare=False)
    """Every node's shape, inputs first, from the ops' shape rules."""

    def __post_init__(self) -> None:
        if not isinstance(self.inputs, tuple) or not self.inputs:
            raise ValueError(f"inputs={self.inputs!r}: expected a tuple of at least one shape")
        shapes = [_checked_shape(s, f"input x{i} shape") for i, s in enumerate(self.inputs)]
        for k, node in enumerate(self.nodes, start=len(shapes)):
            shapes.append(_node_shape(node, k, shapes))
        object.__setattr__(self, "shapes", tuple(shapes))

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def size(self) -> int:
        return self.n_inputs + len(self.nodes)

    @property
    def output(self) -> int:
        """The index of the node the weighted sum reduces."""
        return self.size - 1

    def node(self, index: int) -> TensorNode:
        return self.nodes[index - self.n_inputs]

    def name(self, index: int) -> str:
        return f"x{index}" if index < self.n_inputs else f"n{index}"

    def elements(self) -> int:
        """The number of scalar inputs: every element of every input."""
        return sum(math.prod(s) for s in self.inputs)

    def max_rank(self) -> int:
        return max(len(s) for s in self.shapes)

    def ops_used(self) -> list[str]:
        return sorted({n.op for n in self.nodes})

    def pruned(self, point: Sequence[float]) -> tuple[TensorExpression, tuple[float, ...]]:
        """The expression without the nodes and inputs its output does not depend on, and the
        point (the inputs' elements in order) for it."""
        alive = [False] * self.size
        alive[self.output] = True
        for k in range(self.size - 1, self.n_inputs - 1, -1):
            if alive[k]:
                for i in self.node(k).args:
                    alive[i] = True
        keep = [i for i in range(self.size) if alive[i]]
        new_index = {old: new for new, old in enumerate(keep)}
        offsets = list(itertools.accumulate((math.prod(s) for s in self.inputs), initial=0))
        inputs = [i for i in keep if i < self.n_inputs]
        nodes = tuple(
            TensorNode(
                n.op, tuple(new_index[i] for i in n.args), n.axis, n.keepdims, n.perm, n.shape
            )
            for n in (self.node(k) for k in keep if k >= self.n_inputs)
        )
        values = tuple(float(x) for i in inputs for x in point[offsets[i] : offsets[i + 1]])
        return TensorExpression(tuple(self.inputs[i] for i in inputs), nodes), values

    def without_node(self, index: int) -> TensorExpression:
        """The expression with op node ``index`` removed, its users taking its first operand
        instead; ``ValueError`` where a shape then no longer fits."""
        if not self.n_inputs <= index < self.size:
            raise ValueError(
                f"index={index}: expected an op node in {self.n_inputs}..{self.size - 1}"
            )
        first = self.node(index).args[0]

        def moved(i: int) -> int:  # later nodes move down by one
            return first if i == index else i - (i > index)

        nodes = [
            TensorNode(n.op, tuple(map(moved, n.args)), n.axis, n.keepdims, n.perm, n.shape)
            for k, n in enumerate(self.nodes, start=self.n_inputs)
            if k != index
        ]
        return TensorExpression(self.inputs, tuple(nodes))

    # -- serialization -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        nodes = []
        for n in self.nodes:
            row: dict[str, Any] = {"op": n.op, "args": list(n.args)}
            for name, value in n.params().items():
                row[name] = list(value) if isinstance(value, tuple) else value
            nodes.append(row)
        return {"format": FORMAT, "inputs": [list(s) for s in self.inputs], "nodes": nodes}

    @classmethod
    def from_dict(cls, data: Any) -> TensorExpression:
        """Rebuild from :meth:`to_dict` output; ``ValueError`` naming the bad field otherwise."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"format={got!r}: expected a {FORMAT!r} object")
        try:
            nodes = tuple(
                TensorNode(
                    op=row["op"],
                    args=tuple(row["args"]),
                    axis=row.get("axis"),
                    keepdims=row.get("keepdims", False),
                    perm=_tuple_or_none(row.get("perm")),
                    shape=_tuple_or_none(row.get("shape")),
                )
                for row in data["nodes"]
            )
            return cls(tuple(tuple(s) for s in data["inputs"]), nodes)
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"malformed tensor expression: missing or mistyped field {exc}"
            ) from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> TensorExpression:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        return cls.from_dict(data)

    # -- printing ----------------------------------------------------------------------------
    def node_source(self, index: int) -> str:
        """Python source for one op node, in terms of its operands' names."""
        node = self.node(index)
        names = [self.name(i) for i in node.args]
        row = TENSOR_OPS.get(node.op)
        return row.source(node, names) if row else OPS[node.op].source(names)

    def __str__(self) -> str:
        lines = [f"{self.name(k)} = {self.node_source(k)}" for k in range(self.n_inputs, self.size)]
        lines.append(f"out = ({self.name(self.output)} * W).sum()")
        return "; ".join(lines)

    def signature(self) -> str:
        """The inputs' shapes, as a report names them: ``x0: (2, 3), x1: (3,)``."""
        return ", ".join(f"x{i}: {s}" for i, s in enumerate(self.inputs))


def _tuple_or_none(value: Any) -> Shape | None:
    return None if value is None else tuple(value)


def _node_shape(node: Any, index: int, shapes: Sequence[Shape]) -> Shape:
    if not isinstance(node, TensorNode):
        raise ValueError(f"node {index}={node!r}: expected a TensorNode")
    row = TENSOR_OPS.get(node.op)
    scalar = OPS.get(node.op)
    if row is not None:
        arity = row.arity
    elif scalar is not None and (scalar.arity == 1 or node.op in ELEMENTWISE_BINARY):
        arity = scalar.arity
    else:
        known = [*unary_ops(), *ELEMENTWISE_BINARY, *TENSOR_OPS]
        raise ValueError(f"node {index} op={node.op!r}: expected one of {', '.join(known)}")
    if not isinstance(node.args, tuple) or len(node.args) != arity:
        raise ValueError(f"node {index} ({node.op}) args={node.args!r}: expected {arity} operands")
    for i in node.args:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < index:
            raise ValueError(f"node {index} operand={i!r}: expected an index of an earlier node")
    operands = [shapes[i] for i in node.args]
    try:
        if row is not None:
            shape = row.shape(node, operands)
        elif arity == 1:
            shape = operands[0]
        else:
            shape = _broadcast(*operands)
        return _checked_shape(shape, "shape")
    except ValueError as exc:
        raise ValueError(f"node {index} ({node.op}): {exc}") from None


def _broadcast(a: Shape, b: Shape) -> Shape:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"shapes {a} and {b} do not broadcast") from None
