"""A micrograd-style engine with a ``_backward`` closure per node: correct.

The base the closure engines beside it change one thing of (as ``tinyvalue`` is for the engines
that keep local derivatives). Each op's result carries a closure that adds its contribution into
its parents' ``.grad``; results are built with ``type(self)``, so a subclass that rewrites one op
keeps its class through the whole graph. ``_prev`` is a tuple, the topological sort an explicit
stack, backward resets the interior gradients first (a second call does not double-count), and
Python's exceptions give IEEE results (``exp(710)`` is ``inf``, ``0 ** -1`` is ``inf``);
``x ** y`` for a node ``y`` is ``exp(y log x)``.
"""

import math

from tinyvalue import _exp, _pow


class Value:
    def __init__(self, data, _prev=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._backward = lambda: None

    def _lift(self, other):
        return other if isinstance(other, Value) else type(self)(other)

    def _unary(self, data, local):
        out = type(self)(data, (self,))

        def _backward():
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        if isinstance(other, Value):  # x ** y = exp(y log x), for x > 0
            return (other * self.log()).exp()
        local = other * _pow(self.data, other - 1) if other else 0.0
        return self._unary(_pow(self.data, other), local)

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
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._unary(s, s * (1.0 - s))

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def _topo(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative post-order: no recursion limit on deep graphs
            node, done = stack.pop()
            if done:
                topo.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        return topo

    def backward(self):
        topo = self._topo()
        for node in topo:  # a second call on the same graph starts afresh
            if node._prev:
                node.grad = 0.0
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
