"""A tiny correct engine with add, mul and ``cube``, an op gradtrio's own registry lacks;
``Value.wrong`` scales cube's derivative (1.0: right).

Used by the tests of ops registered from a user's module."""


class Value:
    """A tiny engine with add, mul and a ``cube`` op gradtrio's own registry does not have."""

    def __init__(self, data, parents=(), local=()):
        self.data, self.grad, self._parents, self._local = float(data), 0.0, parents, local

    def __add__(self, other):
        if isinstance(other, (int, float)):
            return Value(self.data + other, (self,), (1.0,))
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        if isinstance(other, (int, float)):
            return Value(self.data * other, (self,), (float(other),))
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __rmul__ = __mul__

    def cube(self):
        return Value(self.data**3, (self,), (self.wrong * 3 * self.data**2,))

    wrong = 1.0

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._parents:
                    visit(p)
                order.append(v)

        visit(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            for p, d in zip(v._parents, v._local):
                p.grad += v.grad * d
