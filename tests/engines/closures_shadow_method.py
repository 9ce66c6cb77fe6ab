"""Closures per node, stored as an instance attribute ``_backward`` that shadows a class method.

Correct. The class defines ``_backward(self)`` as a no-op for leaves; every op node assigns its
own closure to ``out._backward``, so attribute lookup finds the instance's closure first. The
topological sort uses an explicit stack, ``_prev`` is a tuple, ``exp`` of a value past float64
gives ``inf`` and ``tanh``/``sigmoid`` are computed in overflow-free forms.
"""

import math


def _pow(x, c):
    """``x ** c`` with IEEE results where Python raises: 0 ** -1 is inf, not an error."""
    try:
        return x**c
    except ZeroDivisionError:
        return math.copysign(math.inf, x) if float(c).is_integer() and c % 2 else math.inf
    except OverflowError:
        return math.copysign(math.inf, x) if float(c).is_integer() and c % 2 and x < 0 else math.inf


class Value:
    def __init__(self, data, _prev=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)

    def _backward(self):
        """Leaves have nothing to pass back; op nodes shadow this with a closure."""

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(other)

    def _unary(self, data, local):
        out = Value(data, (self,))

        def _backward():
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, c):
        if isinstance(c, Value):  # x ** y = exp(y log x), for x > 0
            return (c * self.log()).exp()
        return self._unary(_pow(self.data, c), c * _pow(self.data, c - 1) if c != 0 else 0.0)

    def __rpow__(self, base):  # c ** x = exp(x log c), for c > 0
        return (self * math.log(base)).exp()

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = math.inf
        return self._unary(e, e)

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data)

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t)

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._unary(s, s * (1.0 - s))

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def backward(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                topo.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self**-1
