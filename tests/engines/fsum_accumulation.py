"""Gradients gathered per node and summed with ``math.fsum``, in reverse visiting order.

Correct. Each node stores its parents and the local derivatives d(out)/d(parent); ``backward()``
walks the nodes from the output down, and a node's gradient is ``math.fsum`` of the contributions
its consumers sent (exactly rounded, so the order of consumers does not matter). This differs from
``+=`` accumulation by at most the rounding of the sum, which a checker must allow either way.
"""

import math


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:  # the exact result exceeds float64: IEEE exp gives inf
        return math.inf


def _pow(x, c):
    try:
        return x**c
    except (ZeroDivisionError, OverflowError):  # 0 ** -1, 10 ** 400: IEEE gives inf
        odd = float(c).is_integer() and c % 2 == 1
        return -math.inf if odd and math.copysign(1.0, x) < 0 else math.inf


class Value:
    def __init__(self, data, _prev=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._local = tuple(_local)

    def _lift(self, other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = self._lift(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __truediv__(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        q = a / b if b else math.copysign(math.inf, a) * math.copysign(1.0, b)
        return Value(q, (self, other), (1.0 / b if b else math.inf, -q / b if b else -math.inf))

    def __pow__(self, other):
        if isinstance(other, Value):  # d(x**y)/dy = x**y log x, for x > 0
            out = _pow(self.data, other.data)
            local = (other.data * _pow(self.data, other.data - 1), out * math.log(self.data))
            return Value(out, (self, other), local)
        local = other * _pow(self.data, other - 1) if other else 0.0
        return Value(_pow(self.data, other), (self,), (local,))

    def __rpow__(self, base):
        out = _pow(base, self.data)
        return Value(out, (self,), (out * math.log(base),))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def __sub__(self, other):
        other = self._lift(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def exp(self):
        e = _exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + _exp(-x)) if x >= 0 else _exp(x) / (1.0 + _exp(x))
        return Value(s, (self,), (s * (1.0 - s),))

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        sent = {id(node): [] for node in order}
        sent[id(self)].append(1.0)
        for node in reversed(order):
            node.grad = math.fsum(reversed(sent[id(node)]))
            for parent, local in zip(node._prev, node._local):
                sent[id(parent)].append(node.grad * local)
