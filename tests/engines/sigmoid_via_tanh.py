"""sigmoid through tanh: ``sigmoid(x) = 0.5 (1 + tanh(x / 2))`` as a composite of engine ops.

Correct. The sigmoid is built from mul, tanh, add and mul nodes. For very negative x the result
``1 + tanh(x/2)`` cancels: sigmoid(-40) = 4.2e-18 comes out as 0.0 (absolute error ~1e-17, a
100% relative error), the formula's rounding; the derivative likewise.

The rest is plain: closures per node, ``_prev`` a tuple, an explicit-stack
topological sort, IEEE results where Python raises (``exp(710)`` is ``inf``, ``0 ** -1`` is
``inf``), ``x ** y`` for a node ``y`` as ``exp(y log x)``.
"""

import math


class Value:
    def __init__(self, data, _prev=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._backward = lambda: None

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

    def __pow__(self, other):
        if isinstance(other, Value):  # x ** y = exp(y log x), for x > 0
            return (other * self.log()).exp()
        return self._unary(
            _pow(self.data, other), other * _pow(self.data, other - 1) if other else 0.0
        )

    def __rpow__(self, base):  # c ** x = exp(x log c), for c > 0
        return (self * math.log(base)).exp()

    def exp(self):
        e = _exp(self.data)
        return self._unary(e, e)

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data)

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t)

    def sigmoid(self):
        return ((self * 0.5).tanh() + 1.0) * 0.5

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def backward(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative post-order: no recursion limit on deep graphs
            node, done = stack.pop()
            if done:
                topo.append(node)
            elif node not in seen:
                seen.add(node)
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


def _exp(x):
    """math.exp, with inf where the exact result exceeds float64 (as IEEE exp gives)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow(x, c):
    """x ** c with IEEE results where Python raises: 0 ** -1 is inf, not ZeroDivisionError."""
    odd = float(c).is_integer() and c % 2 == 1
    try:
        return x**c
    except ZeroDivisionError:
        return math.copysign(math.inf, x) if odd else math.inf
    except OverflowError:
        return -math.inf if odd and x < 0 else math.inf
