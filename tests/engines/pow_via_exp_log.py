"""``x ** c`` computed as ``exp(c log x)``: positive bases only, refused honestly otherwise.

Correct on its domain: for ``x > 0`` the power is ``exp(c * log(x))`` built from engine nodes
(mul, log, exp), so its gradient comes from the chain rule. For ``x <= 0`` the engine raises
``ValueError("pow: base must be positive")`` rather than return a wrong value; a user of such an
engine knows it lacks negative bases. The formula's rounding grows with ``|c log x|``: the result
is off by about ``|c log x| * 2^-53`` relative (for ``2 ** 50``: ~4e-15).

Division is its own reciprocal op, not ``b ** -1``, so that it works for every sign. The rest
is plain: closures per node, ``_prev`` a tuple, an explicit-stack
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
        if self.data <= 0:
            raise ValueError("pow: base must be positive")
        return (self.log() * other).exp()

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
        return self * self._lift(other)._reciprocal()

    def __rtruediv__(self, other):
        return self._lift(other) * self._reciprocal()

    def _reciprocal(self):  # 1 / x directly: division must not inherit pow's positive domain
        r = 1.0 / self.data if self.data else math.copysign(math.inf, self.data)
        return self._unary(r, -r * r)


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
