"""Turn Python code on values into an Expression by running it on tracers.

A :class:`Tracer` supports every op in the registry through the same operators and methods an
engine value does (generated from the registry's ``engine_attrs``), and records each call as a
node, so any function written for an engine (including ``autograd.nn``'s layers) can be
captured as IR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS, Op

__all__ = ["Tape", "Tracer", "trace"]


class Tape:
    """The inputs and nodes recorded so far; inputs must all be made before the first op."""

    def __init__(self) -> None:
        _sync()
        self.point: list[float] = []
        self.nodes: list[Node] = []

    def input(self, value: float) -> Tracer:
        if self.nodes:
            raise ValueError("inputs must be created before the first op is recorded")
        self.point.append(float(value))
        return Tracer(self, len(self.point) - 1)

    def record(self, op: str, operands: Sequence[Any]) -> Tracer:
        args = tuple(o.index for o in operands if isinstance(o, Tracer))
        consts = [i for i, o in enumerate(operands) if not isinstance(o, Tracer)]
        if consts:
            (i,) = consts
            # The constant as the code typed it: x ** 2 stays an int.
            node = Node(op, args, const=operands[i], side="left" if i == 0 else "right")
        else:
            node = Node(op, args)
        self.nodes.append(node)
        return Tracer(self, len(self.point) + len(self.nodes) - 1)

    def expression(self) -> Expression:
        return Expression(len(self.point), tuple(self.nodes))


def _recorder(op: Op, form: str) -> Callable[..., Any]:
    """The tracer method for one form of an op: it records the call as a node."""
    if op.arity == 1:
        return lambda self: self.tape.record(op.name, (self,))
    reflected = form == "left"

    def method(self: Tracer, other: Any) -> Any:
        if not isinstance(other, (Tracer, int, float)) or isinstance(other, bool):
            return NotImplemented
        return self.tape.record(op.name, (other, self) if reflected else (self, other))

    return method


class Tracer:
    """A stand-in value that records the ops applied to it on its :class:`Tape`. Its operators
    and methods are generated from the registry (see :func:`_sync`), under the same names an
    engine value has them."""

    __slots__ = ("index", "tape")

    def __init__(self, tape: Tape, index: int) -> None:
        self.tape = tape
        self.index = index


_installed: dict[str, Op] = {}


def _sync() -> None:
    """Give :class:`Tracer` a method for every form of every registered op (rows registered
    after import included)."""
    for op in list(OPS.values()):
        if _installed.get(op.name) is op:
            continue
        for form, attr in op.engine_attrs.items():
            setattr(Tracer, attr, _recorder(op, form))
        _installed[op.name] = op


def trace(fn: Callable[..., Any], point: Sequence[float]) -> Expression:
    """The expression ``fn`` computes from ``len(point)`` inputs (``fn`` gets one tracer each).

    >>> str(trace(lambda x, y: (x * y).tanh() + x, [0.5, 2.0]))
    'n2 = x0 * x1; n3 = n2.tanh(); n4 = n3 + x0'
    """
    tape = Tape()
    inputs = [tape.input(x) for x in point]
    out = fn(*inputs)
    if not isinstance(out, Tracer) or out.tape is not tape:
        raise ValueError(f"fn returned {out!r}, expected a value computed from its inputs")
    if out.index != len(tape.point) + len(tape.nodes) - 1:
        tape.record("add", (out, 0.0))  # the output must be the last node
    return tape.expression()
