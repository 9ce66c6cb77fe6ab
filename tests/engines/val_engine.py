"""An engine that keeps its number in ``.val`` and drives backward with ``.backprop()``."""

import math


class Value:
    def __init__(self, val, _prev=(), _local=()):
        self.val = float(val)
        self.grad = 0.0
        self._prev = _prev
        self._local = _local

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.val + other.val, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.val * other.val, (self, other), (other.val, self.val))

    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.val)
        return Value(t, (self,), (1.0 - t * t,))

    def backprop(self):
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += node.grad * local
