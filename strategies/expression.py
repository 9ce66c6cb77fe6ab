"""The expression IR: an immutable SSA list of nodes that every backend interprets.

Indices 0 .. n_inputs-1 are the inputs ``x0, x1, ...``; each op node after them names its operands
by index into earlier nodes, so one node can feed many (shared subexpressions by construction), and
carries at most one constant together with the side it stands on. The last node is the output.
Nothing else in the project defines expression structure: backends supply one function that
applies an op row to operands, and :func:`interpret` does the rest.

A constant is kept as people type it: a Python ``float`` (``x * 2.5``), a Python ``int`` where the
value is integral (``x ** 2``, ``1 - x``), or a NumPy ``float64`` scalar; each kind reaches the
engine as it is, so ``x ** 2`` and ``x ** 2.0`` are different cases. The JSON format
``gradtrio.expression/2`` records the kind; files of ``/1`` (floats only) still load.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from gradtrio.strategies.ops import OPS, Form, Op

__all__ = [
    "FORMAT",
    "KINDS",
    "Const",
    "Expression",
    "Node",
    "alone",
    "const_kind",
    "interpret",
    "typed",
]

FORMAT = "gradtrio.expression/2"
FORMAT_1 = "gradtrio.expression/1"
T = TypeVar("T")

Const = float | int
"""A constant as typed: a float, an int, or a NumPy float64 (a subclass of float)."""
KINDS = ("float", "int", "numpy.float64")
"""The kinds of constant, as :func:`const_kind` names them."""


def const_kind(value: object) -> str:
    """ "float", "int" or "numpy.float64" for a constant of that type; "" for anything else."""
    kind = type(value)
    if kind is float:
        return "float"
    if kind is int:
        return "int"
    if kind.__name__ == "float64" and kind.__module__ == "numpy" and isinstance(value, float):
        return "numpy.float64"
    return ""


def typed(value: float, kind: str) -> Const:
    """``value`` as a constant of ``kind`` (see :data:`KINDS`)."""
    if kind == "int":
        if not float(value).is_integer():
            raise ValueError(f"const={value!r}: kind 'int' needs an integral value")
        return int(value)
    if kind == "numpy.float64":
        import numpy

        return numpy.float64(value)
    if kind == "float":
        return float(value)
    raise ValueError(f"const kind={kind!r}: expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Node:
    """One op node: ``op`` applied to earlier nodes ``args`` and, for a binary op with one node
    operand, the constant ``const`` standing on ``side`` ("left" for ``2 - x``, "right" for
    ``x - 2``)."""

    op: str
    args: tuple[int, ...]
    const: Const | None = None
    side: Literal["left", "right"] | None = None
    # The constant's kind takes part in equality and hashing: 2 == 2.0, but x ** 2 is not x ** 2.0.
    kind: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", const_kind(self.const) if self.const is not None else "")

    @property
    def form(self) -> Form:
        return "nodes" if self.side is None else self.side

    @property
    def number(self) -> float | None:
        """The constant as a plain float (the same value), for backends that need no kind."""
        return None if self.const is None else float(self.const)

    @property
    def plain(self) -> float | int | None:
        """The constant as a plain Python number: an int stays one, a NumPy scalar is a float."""
        return self.const if self.kind == "int" else self.number

    def literal(self) -> str:
        """The constant as source: ``2``, ``2.0``, ``np.float64(2.0)``."""
        if self.kind == "numpy.float64":
            return f"np.float64({float(self.const)!r})"  # type: ignore[arg-type]
        return repr(self.const)

    def operands(self, values: Sequence[T]) -> list[T | float]:
        """The operands in call order, taken from ``values`` with the constant in its place, as
        a plain number (a NumPy scalar as a float): what the harness computes with.
        :func:`interpret` gives the engine the constant as typed."""
        picked: list[T | float] = [values[i] for i in self.args]
        if self.side == "left":
            picked.insert(0, self.plain)  # type: ignore[arg-type]
        elif self.side == "right":
            picked.append(self.plain)  # type: ignore[arg-type]
        return picked


@dataclass(frozen=True)
class Expression:
    """An expression DAG over ``n_inputs`` inputs; see the module docstring for the layout."""

    n_inputs: int
    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.n_inputs, int) or self.n_inputs < 1:
            raise ValueError(f"n_inputs={self.n_inputs!r}: expected an int >= 1")
        for k, node in enumerate(self.nodes):
            _validate_node(node, self.n_inputs + k)

    # -- shape -------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of nodes, inputs included."""
        return self.n_inputs + len(self.nodes)

    @property
    def output(self) -> int:
        return self.size - 1

    def node(self, index: int) -> Node:
        return self.nodes[index - self.n_inputs]

    def name(self, index: int) -> str:
        return f"x{index}" if index < self.n_inputs else f"n{index}"

    def consumers(self) -> list[list[int]]:
        """For each node, the distinct later nodes that use it, in order."""
        out: list[list[int]] = [[] for _ in range(self.size)]
        for k, node in enumerate(self.nodes, start=self.n_inputs):
            for i in dict.fromkeys(node.args):
                out[i].append(k)
        return out

    def has_shared_node(self) -> bool:
        """True when some node feeds two or more later nodes."""
        return any(len(c) >= 2 for c in self.consumers())

    def has_repeated_operand(self) -> bool:
        """True when some node uses one operand twice (``x * x``)."""
        return any(len(n.args) == 2 and n.args[0] == n.args[1] for n in self.nodes)

    def levels(self) -> list[int]:
        """Each node's longest chain of op nodes from an input (0 for the inputs)."""
        levels = [0] * self.size
        for k, node in enumerate(self.nodes, start=self.n_inputs):
            levels[k] = 1 + max(levels[i] for i in node.args)
        return levels

    def depth(self) -> int:
        """The longest chain of op nodes from an input to the output."""
        return self.levels()[self.output]

    def live(self) -> list[bool]:
        """Which nodes the output depends on."""
        alive = [False] * self.size
        alive[self.output] = True
        for k in range(self.size - 1, self.n_inputs - 1, -1):
            if alive[k]:
                for i in self.node(k).args:
                    alive[i] = True
        return alive

    def pruned(self, point: Sequence[float]) -> tuple[Expression, tuple[float, ...]]:
        """The expression without the nodes and inputs its output does not depend on, and the
        point for it."""
        alive = self.live()
        keep = [i for i in range(self.size) if alive[i]]
        if not any(alive[: self.n_inputs]):  # a constant output still needs one input
            keep.insert(0, 0)
        new_index = {old: new for new, old in enumerate(keep)}
        inputs = [i for i in keep if i < self.n_inputs]
        nodes = tuple(
            Node(n.op, tuple(new_index[i] for i in n.args), n.const, n.side)
            for n in (self.node(k) for k in keep if k >= self.n_inputs)
        )
        return Expression(len(inputs), nodes), tuple(float(point[i]) for i in inputs)

    def without_node(self, index: int) -> Expression:
        """The expression with op node ``index`` removed: its users take its first operand
        instead (so ``t = x * x; u = t + 1`` becomes ``u = x + 1``)."""
        if not self.n_inputs <= index < self.size:
            raise ValueError(
                f"index={index}: expected an op node in {self.n_inputs}..{self.size - 1}"
            )
        return self.without_nodes([index])

    def without_nodes(self, indices: Iterable[int]) -> Expression:
        """The expression with the op nodes ``indices`` removed in one pass, each replaced in
        its users by its first operand (itself replaced if removed too)."""
        removed = {i for i in indices if i >= self.n_inputs}
        new_index: dict[int, int] = {i: i for i in range(self.n_inputs)}
        nodes: list[Node] = []
        for k, n in enumerate(self.nodes, start=self.n_inputs):
            if k in removed:
                new_index[k] = new_index[n.args[0]]
                continue
            nodes.append(Node(n.op, tuple(new_index[i] for i in n.args), n.const, n.side))
            new_index[k] = self.n_inputs + len(nodes) - 1
        return Expression(self.n_inputs, tuple(nodes))

    @functools.cached_property
    def _plan(self) -> tuple[tuple[str, Node, int, int, Any], ...]:
        """Per op node, what :func:`interpret` needs to gather its operands without looking at
        the node's fields: (op name, node, shape, first operand, second operand or constant), the
        shape being 1 (one node), 2 (two nodes), 3 (constant on the left) or 4 (on the right).
        Cached on the instance; not a field, so equality, hashing and repr ignore it."""
        shapes = {None: 0, "left": 3, "right": 4}
        plan = []
        for node in self.nodes:
            shape = shapes[node.side] or len(node.args)
            second = node.args[1] if shape == 2 else node.const
            plan.append((node.op, node, shape, node.args[0], second))
        return tuple(plan)

    def uses_numpy(self) -> bool:
        """Does a constant of the expression print as ``np.float64(...)``?"""
        return any(n.kind == "numpy.float64" for n in self.nodes)

    def ops_used(self) -> list[str]:
        return sorted({n.op for n in self.nodes})

    # -- serialization -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        nodes = []
        for n in self.nodes:
            row: dict[str, Any] = {"op": n.op, "args": list(n.args)}
            if n.side is not None:
                row["const"] = n.number
                row["side"] = n.side
                if n.kind != "float":
                    row["kind"] = n.kind
            nodes.append(row)
        return {"format": FORMAT, "inputs": self.n_inputs, "nodes": nodes}

    @classmethod
    def from_dict(cls, data: Any) -> Expression:
        """Rebuild from :meth:`to_dict` output; ``ValueError`` naming the bad field otherwise."""
        if not isinstance(data, dict) or data.get("format") not in (FORMAT, FORMAT_1):
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"format={got!r}: expected a {FORMAT!r} object")
        try:
            nodes = tuple(
                Node(
                    op=row["op"],
                    args=tuple(row["args"]),
                    const=None
                    if row.get("side") is None
                    else typed(float(row["const"]), row.get("kind", "float")),
                    side=row.get("side"),
                )
                for row in data["nodes"]
            )
            return cls(n_inputs=data["inputs"], nodes=nodes)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed expression: missing or mistyped field {exc}") from None

    def to_json(self) -> str:
        # json writes floats with repr, which round-trips every binary float exactly.
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Expression:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        return cls.from_dict(data)

    # -- printing ----------------------------------------------------------------------------
    def node_source(self, index: int, *, wrap: str | None = None) -> str:
        """Python source for one op node, in terms of its operands' names; ``wrap`` names a
        class to wrap its constant in, for engines that do not take plain numbers."""
        node = self.node(index)
        operands = [self.name(i) for i in node.args]
        if node.const is not None:
            const = node.literal()
            if wrap is not None:
                const = f"{wrap}({const})"
            elif node.const < 0:  # -2.0 ** x would mean -(2.0 ** x)
                const = f"({const})"
            operands.insert(0 if node.side == "left" else 1, const)
        return OPS[node.op].source(operands)

    def to_python(
        self,
        point: Sequence[float],
        *,
        engine: str = "Value",
        engine_import: str = "from gradtrio.autograd import Value",
        backward: str = "backward()",
        value_attr: str = "data",
        grad_attr: str = "grad",
        wrap_constants: bool = False,
    ) -> str:
        """A standalone snippet that builds this expression at ``point`` and prints the output
        value and every input's gradient (constants wrapped in ``engine`` if asked)."""
        wrap = engine if wrap_constants else None
        lines = ["import numpy as np"] if self.uses_numpy() else []
        lines += [engine_import] if engine_import else []
        lines += [f"{self.name(i)} = {engine}({float(point[i])!r})" for i in range(self.n_inputs)]
        lines += [
            f"{self.name(k)} = {self.node_source(k, wrap=wrap)}"
            for k in range(self.n_inputs, self.size)
        ]
        out = self.name(self.output)
        inputs = ", ".join(f"{self.name(i)}.{grad_attr}" for i in range(self.n_inputs))
        lines += [
            f"{out}.{backward}",
            f'print("value:", {out}.{value_attr})',
            f'print("grads:", [{inputs}])',
        ]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        body = "; ".join(
            f"{self.name(k)} = {self.node_source(k)}" for k in range(self.n_inputs, self.size)
        )
        return body or self.name(self.output)


def _validate_node(node: Any, index: int) -> None:
    if not isinstance(node, Node):
        raise ValueError(f"node {index}={node!r}: expected a Node")
    op: Op | None = OPS.get(node.op)
    if op is None:
        raise ValueError(f"node {index} op={node.op!r}: expected one of {', '.join(OPS)}")
    if node.side not in (None, "left", "right"):
        raise ValueError(f"node {index} side={node.side!r}: expected 'left', 'right' or None")
    node_operands = op.arity - (node.side is not None)
    if len(node.args) != node_operands or node.side is not None and op.arity != 2:
        raise ValueError(
            f"node {index} ({node.op}) args={list(node.args)!r}: expected {op.arity} operands, "
            "one of which may be a constant for a binary op"
        )
    for i in node.args:
        if not isinstance(i, int) or not 0 <= i < index:
            raise ValueError(f"node {index} operand={i!r}: expected an index of an earlier node")
    if node.side is not None and not (node.kind and math.isfinite(node.const)):  # type: ignore[arg-type]
        raise ValueError(
            f"node {index} const={node.const!r}: expected a finite float, int or numpy.float64"
        )


def alone(op: Op, index: int) -> Node:
    """``op`` applied to node ``index`` alone: ``exp(v)``, ``v * v``, or with the row's
    ``self_const`` on the right (``v ** 64``)."""
    if op.arity == 1:
        return Node(op.name, (index,))
    if op.self_const is None:
        return Node(op.name, (index, index))
    return Node(op.name, (index,), const=op.self_const, side="right")


def interpret(
    expression: Expression,
    inputs: Sequence[T],
    apply: Callable[[Op, Node, list[Any]], T],
) -> list[T]:
    """Evaluate ``expression`` in any backend: ``apply(op_row, node, operands)`` computes one node
    from its operands (earlier results, with the constant in place). Returns every node's result,
    inputs first; a shared node is the same object wherever it is used."""
    if len(inputs) != expression.n_inputs:
        raise ValueError(
            f"point has {len(inputs)} values: expected {expression.n_inputs} for {expression}"
        )
    values: list[Any] = list(inputs)
    append, ops = values.append, OPS
    # The hot loop of every backend (finite differences run it thousands of times per case):
    # operands are gathered from the cached plan rather than by Node.operands.
    for name, node, shape, first, second in expression._plan:
        if shape == 1:
            operands = [values[first]]
        elif shape == 2:
            operands = [values[first], values[second]]
        elif shape == 3:
            operands = [second, values[first]]
        else:
            operands = [values[first], second]
        append(apply(ops[name], node, operands))
    return values
