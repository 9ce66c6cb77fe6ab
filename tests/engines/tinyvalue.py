"""A tiny correct engine, the base the deliberately broken engines beside it change one thing of.

``Arith`` has the arithmetic ops and backward; ``Value`` adds the unary functions. Every op builds
its result with ``type(self)`` so that subclasses keep their own class.
"""

import math


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow(a, b):
    try:
        return a**b
    except (OverflowError, ZeroDivisionError):
        # float64 gives -inf for a negative base to an odd integer power, +inf otherwise.
        odd = float(b).is_integer() and int(b) % 2 == 1
        return -math.inf if math.copysign(1.0, a) < 0 and odd else math.inf


class Arith:
    def __init__(self, data, _prev=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev
        self._local = _local

    def _node(self, data, prev, local):
        return type(self)(data, prev, local)

    def _lift(self, other):
        return other if isinstance(other, Arith) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        return self._node(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        # d(a**b)/da = b a**(b-1); d(a**b)/db = a**b log a (only needed when b is a node)
        other = self._lift(other)
        a, b = self.data, other.data
        out = _pow(a, b)
        db = out * math.log(a) if a > 0 else 0.0
        return self._node(out, (self, other), (b * _pow(a, b - 1), db))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):  # a - b = a + (-b)
        return self + (-self._lift(other))

    def __truediv__(self, other):  # a / b = a * b**-1
        return self * self._lift(other) ** -1.0

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        return self._lift(other) ** self

    def _topo(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        return order

    def backward(self):
        order = self._topo()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += node.grad * local


class Value(Arith):
    def exp(self):
        out = _exp(self.data)
        return self._node(out, (self,), (out,))

    def log(self):
        return self._node(math.log(self.data), (self,), (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return self._node(t, (self,), (1.0 - t * t,))

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else _exp(x) / (1.0 + _exp(x))
        return self._node(s, (self,), (s * (1.0 - s),))

    def relu(self):
        return self._node(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))
