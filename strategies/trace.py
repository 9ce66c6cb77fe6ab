"""Turn Python code on values into an Expression by running it on tracers.

A :class:`Tracer` supports every op in the registry through the same operators and methods an
engine value does, and records each call as a node, so any function written for an engine
(including ``autograd.nn``'s layers) can be captured as IR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gradtrio.strategies.expression import Expression, Node

__all__ = ["Tape", "Tracer", "trace"]


class Tape:
    """The inputs and nodes recorded so far; inputs must all be made before the first op."""

    def __init__(self) -> None:
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
            node = Node(op, args, const=float(operands[i]), side="left" if i == 0 else "right")
        else:
            node = Node(op, args)
        self.nodes.append(node)
        return Tracer(self, len(self.point) + len(self.nodes) - 1)

    def expression(self) -> Expression:
        return Expression(len(self.point), tuple(self.nodes))


def _binary(op: str, reflected: bool = False) -> Callable[[Tracer, Any], Any]:
    def method(self: Tracer, other: Any) -> Any:
        if not isinstance(other, (Tracer, int, float)) or isinstance(other, bool):
            return NotImplemented
        return self.tape.record(op, (other, self) if reflected else (self, other))

    return method


def _unary(op: str) -> Callable[[Tracer], Tracer]:
    return lambda self: self.tape.record(op, (self,))


class Tracer:
    """A stand-in value that records the ops applied to it on its :class:`Tape`."""

    __slots__ = ("index", "tape")

    def __init__(self, tape: Tape, index: int) -> None:
        self.tape = tape
        self.index = index

    __add__, __radd__ = _binary("add"), _binary("add", reflected=True)
    __sub__, __rsub__ = _binary("sub"), _binary("sub", reflected=True)
    __mul__, __rmul__ = _binary("mul"), _binary("mul", reflected=True)
    __truediv__, __rtruediv__ = _binary("div"), _binary("div", reflected=True)
    __pow__, __rpow__ = _binary("pow"), _binary("pow", reflected=True)
    __neg__ = _unary("neg")
    exp, log, tanh = _unary("exp"), _unary("log"), _unary("tanh")
    sigmoid, relu = _unary("sigmoid"), _unary("relu")


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
