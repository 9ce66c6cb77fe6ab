"""A scalar reverse-mode autograd engine.

Every operation creates a new :class:`Value` that records its parents (``_prev``) and, right
beside the forward result, the local derivative d(out)/d(parent) for each of them (``_local``).
:meth:`Value.backward` then needs one generic loop: ``parent.grad += node.grad * local``.

Ops: ``+ - * / **`` and unary ``-`` with a Value or a plain int/float on either side, ``abs()``
(also ``abs(x)``), and the methods ``exp log log1p sqrt square sin cos tanh sigmoid softplus relu
leaky_relu(slope=0.01)``, ``max(other)`` and ``min(other)``.

Conventions follow PyTorch in float64: ``relu'(0) = 0``, ``leaky_relu'(0) = slope``,
``abs'(0) = 0``, ``sqrt'(0) = inf``, ``d/dx x**0 = 0`` everywhere, and ``max``/``min`` split the
gradient 0.5/0.5 on a tie. A result that overflows is ``±inf`` rather than an exception, and an
input outside an op's domain raises :class:`ValueError` whose message names the op and the value,
e.g. ``log(-2.0): input must be > 0``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

__all__ = ["Value"]

_INF = math.inf

# --- IEEE helpers: Python raises where float64 arithmetic gives inf --------------------------


def _exp(x: float) -> float:
    """``math.exp`` that returns ``inf`` on overflow instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _pow(x: float, c: float) -> float:
    """``x ** c`` that returns a signed ``inf`` where Python raises.

    Callers have already ruled out a negative base with a non-integer exponent. What is left to
    raise is overflow (|x| > 1, c > 0 or |x| < 1, c < 0) and a zero base with c < 0; both are an
    infinity that is negative only for a negative base and an odd integer exponent.
    """
    try:
        return x**c
    except (OverflowError, ZeroDivisionError):
        negative = math.copysign(1.0, x) < 0 and c % 2 == 1
        return -_INF if negative else _INF


def _constant(c: int | float) -> float:
    """A plain number as a float; an int too large for a float is ``±inf``."""
    try:
        return float(c)
    except OverflowError:
        return _INF if c > 0 else -_INF


def _maximum(a: float, b: float) -> tuple[float, float, float]:
    """``torch.maximum(a, b)`` and its derivatives: (out, d out/da, d out/db)."""
    if a > b:
        return a, 1.0, 0.0
    if a < b:
        return b, 0.0, 1.0
    if a == b:
        return a, 0.5, 0.5
    return math.nan, 1.0, 1.0  # PyTorch masks neither side when a comparison is with NaN


def _minimum(a: float, b: float) -> tuple[float, float, float]:
    """``torch.minimum(a, b)`` and its derivatives: (out, d out/da, d out/db)."""
    if a < b:
        return a, 1.0, 0.0
    if a > b:
        return b, 0.0, 1.0
    if a == b:
        return a, 0.5, 0.5
    return math.nan, 1.0, 1.0


def _kind(x: object) -> str:
    return type(x).__name__


_new = object.__new__
_NUMBER = (int, float)


def _node(data: float, prev: tuple[Value, ...], local: tuple[float, ...], op: str) -> Value:
    """Internal constructor: skips the argument checks of ``Value(...)``, which ops never need."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._prev = prev
    out._local = local
    out._op = op
    out.label = ""
    return out


class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back to it.

    ``Value(data, label="")`` makes a leaf. ``data`` is converted to a Python float (ints and
    other real numbers are accepted; anything else raises :class:`TypeError`). Arithmetic with
    another Value or a plain int/float gives a new Value; a plain number never becomes a node.

    Equality and hashing are by identity, so Values can be kept in sets and dicts (the graph
    traversal relies on it). Internals: ``_prev`` holds the parents, ``_local`` the matching local
    derivatives and ``_op`` the name of the op that made the node ("" for a leaf), one of
    ``+ - * / ** neg abs exp log log1p sqrt square sin cos tanh sigmoid softplus relu leaky_relu
    max min``.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")

    data: float
    grad: float
    _prev: tuple[Value, ...]
    _local: tuple[float, ...]
    _op: str
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:  # the common case skips the numbers.Real check, an ABC's
            if not isinstance(data, numbers.Real):
                raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}")
            data = _constant(data) if isinstance(data, int) else float(data)
        self.data = data
        self.grad = 0.0
        self._prev = ()
        self._local = ()
        self._op = ""
        self.label = label

    # --- arithmetic: each op returns (value, parents, d value / d parent) -----------------------

    def __add__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data + other.data, (self, other), (1.0, 1.0), "+")
        if isinstance(other, _NUMBER):
            return _node(self.data + _constant(other), (self,), (1.0,), "+")
        return NotImplemented

    def __radd__(self, other: float) -> Value:  # other + self
        if isinstance(other, _NUMBER):
            return _node(_constant(other) + self.data, (self,), (1.0,), "+")
        return NotImplemented

    def __sub__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data - other.data, (self, other), (1.0, -1.0), "-")
        if isinstance(other, _NUMBER):
            return _node(self.data - _constant(other), (self,), (1.0,), "-")
        return NotImplemented

    def __rsub__(self, other: float) -> Value:  # other - self
        if isinstance(other, _NUMBER):
            return _node(_constant(other) - self.data, (self,), (-1.0,), "-")
        return NotImplemented

    def __mul__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            a, b = self.data, other.data
            return _node(a * b, (self, other), (b, a), "*")
        if isinstance(other, _NUMBER):
            c = _constant(other)
            return _node(self.data * c, (self,), (c,), "*")
        return NotImplemented

    def __rmul__(self, other: float) -> Value:  # other * self
        if isinstance(other, _NUMBER):
            c = _constant(other)
            return _node(c * self.data, (self,), (c,), "*")
        return NotImplemented

    def __truediv__(self, other: Value | float) -> Value:
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2, written -(a/b)/b: b*b could underflow to 0.
        a = self.data
        if isinstance(other, Value):
            b = other.data
            if b == 0.0:
                raise ValueError(f"division by zero: {a!r} / {b!r}")
            q = a / b
            return _node(q, (self, other), (1.0 / b, -q / b), "/")
        if isinstance(other, _NUMBER):
            b = _constant(other)
            if b == 0.0:
                raise ValueError(f"division by zero: {a!r} / {b!r}")
            return _node(a / b, (self,), (1.0 / b,), "/")
        return NotImplemented

    def __rtruediv__(self, other: float) -> Value:  # other / self
        if isinstance(other, _NUMBER):
            a, b = _constant(other), self.data
            if b == 0.0:
                raise ValueError(f"division by zero: {a!r} / {b!r}")
            q = a / b
            return _node(q, (self,), (-q / b,), "/")
        return NotImplemented

    def __pow__(self, other: Value | float) -> Value:
        x = self.data
        if isinstance(other, Value):
            # x ** y = exp(y log x): d/dx = y x**(y-1), d/dy = x**y log x; needs x > 0.
            y = other.data
            if x <= 0.0:
                raise ValueError(f"pow({x!r}, Value): base must be > 0 for a Value exponent")
            out = _pow(x, y)
            # For y == 0 the x-derivative is 0, as in PyTorch, even where x**(y-1) overflows.
            dx = y * _pow(x, y - 1.0) if y != 0.0 else 0.0
            return _node(out, (self, other), (dx, out * math.log(x)), "**")
        if isinstance(other, _NUMBER):
            c = _constant(other)
            if x < 0.0 and not c.is_integer():
                raise ValueError(f"pow({x!r}, {c!r}): a negative base needs an integer exponent")
            if x == 0.0 and c < 0.0:
                raise ValueError(f"pow({x!r}, {c!r}): zero to a negative power")
            # d/dx x**c = c x**(c-1); PyTorch makes it 0 for c == 0, also at x == 0.
            local = c * _pow(x, c - 1.0) if c != 0.0 else 0.0
            return _node(_pow(x, c), (self,), (local,), "**")
        return NotImplemented

    def __rpow__(self, other: float) -> Value:  # other ** self
        if isinstance(other, _NUMBER):
            # c ** x = exp(x log c): d/dx = c**x log c; needs c > 0.
            c = _constant(other)
            if c <= 0.0:
                raise ValueError(f"rpow({c!r}, x): base must be > 0")
            out = _pow(c, self.data)
            return _node(out, (self,), (out * math.log(c),), "**")
        return NotImplemented

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), (-1.0,), "neg")

    def __abs__(self) -> Value:  # abs(x), the same node as x.abs()
        return self.abs()

    # --- functions -----------------------------------------------------------------------------

    def exp(self) -> Value:
        out = _exp(self.data)
        return _node(out, (self,), (out,), "exp")  # exp' = exp

    def log(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): input must be > 0")
        return _node(math.log(x), (self,), (1.0 / x,), "log")

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # finite for every input, unlike (e^2x - 1) / (e^2x + 1)
        return _node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        x = self.data
        # Two branches so that exp never overflows: exp(-x) for x >= 0, exp(x) otherwise.
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        x = self.data
        # relu'(0) = 0 as in PyTorch; a NaN input passes through (NaN <= 0 is False).
        if x <= 0.0:
            return _node(0.0, (self,), (0.0,), "relu")
        return _node(x, (self,), (1.0,), "relu")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """``x`` for ``x > 0``, else ``slope * x``; the derivative at 0 is ``slope``, as PyTorch."""
        if not isinstance(slope, _NUMBER):
            raise TypeError(f"leaky_relu(slope={slope!r}): slope must be an int or a float")
        x, c = self.data, _constant(slope)
        # PyTorch's test is x > 0, so that 0 (and NaN) take the slope.
        if x > 0.0:
            return _node(x, (self,), (1.0,), "leaky_relu")
        return _node(x * c, (self,), (c,), "leaky_relu")

    def softplus(self) -> Value:
        """``log(1 + e^x)`` for every x, without PyTorch's cut-over to ``x`` past x = 20."""
        x = self.data
        # softplus(x) = max(x, 0) + log1p(e^-|x|), and softplus' = sigmoid, both from one
        # e = e^-|x| in (0, 1], which never overflows: sigmoid(x) is 1/(1+e) for x > 0, else
        # e/(1+e). NaN takes the second branch and stays NaN.
        e = math.exp(-abs(x))
        if x > 0.0:
            return _node(x + math.log1p(e), (self,), (1.0 / (1.0 + e),), "softplus")
        return _node(math.log1p(e), (self,), (e / (1.0 + e),), "softplus")

    def sqrt(self) -> Value:
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt({x!r}): input must be >= 0")
        r = math.sqrt(x)
        # sqrt' = 0.5 / sqrt(x): inf at 0 as in PyTorch, and -inf at -0.0 (whose sqrt is -0.0).
        local = 0.5 / r if r != 0.0 else math.copysign(_INF, r)
        return _node(r, (self,), (local,), "sqrt")

    def abs(self) -> Value:
        x = self.data
        # abs' = sign(x), and 0 at x = 0 (either zero) and at NaN, as PyTorch.
        sign = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
        return _node(math.fabs(x), (self,), (sign,), "abs")

    def square(self) -> Value:
        x = self.data
        return _node(x * x, (self,), (2.0 * x,), "square")  # x * x overflows to inf, not raising

    def sin(self) -> Value:
        x = self.data
        if math.isinf(x):  # math.sin raises at ±inf; PyTorch gives NaN and a NaN gradient
            return _node(math.nan, (self,), (math.nan,), "sin")
        return _node(math.sin(x), (self,), (math.cos(x),), "sin")

    def cos(self) -> Value:
        x = self.data
        if math.isinf(x):
            return _node(math.nan, (self,), (math.nan,), "cos")
        return _node(math.cos(x), (self,), (-math.sin(x),), "cos")

    def log1p(self) -> Value:
        x = self.data
        if x <= -1.0:
            raise ValueError(f"log1p({x!r}): input must be > -1")
        return _node(math.log1p(x), (self,), (1.0 / (1.0 + x),), "log1p")

    def max(self, other: Value | float) -> Value:
        """The larger of ``self`` and ``other`` (a Value or an int/float), as ``torch.maximum``.

        A tie gives each side half the gradient (``x.max(x)`` gives x all of it) and keeps
        ``self``'s value (``max(0.0, -0.0)`` is 0.0); NaN on either side gives NaN and passes the
        whole gradient to both sides.
        """
        return self._pick(other, _maximum, "max")

    def min(self, other: Value | float) -> Value:
        """The smaller of ``self`` and ``other``, as ``torch.minimum``; ties and NaN as ``max``."""
        return self._pick(other, _minimum, "min")

    def _pick(
        self, other: Value | float, pick: Callable[[float, float], tuple[float, ...]], op: str
    ) -> Value:
        if isinstance(other, Value):
            out, da, db = pick(self.data, other.data)
            return _node(out, (self, other), (da, db), op)
        if isinstance(other, _NUMBER):
            out, da, _ = pick(self.data, _constant(other))
            return _node(out, (self,), (da,), op)
        raise TypeError(f"{op}(other): other must be a Value, int or float, not {_kind(other)}")

    # --- gradients -----------------------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) into ``node.grad`` for every node in the graph under ``self``.

        As in PyTorch, leaves (Values made by ``Value(...)``) accumulate: a second call adds the
        same gradient again, so each leaf ends with exactly twice the first result. Every
        intermediate node's ``grad`` is recomputed from zero on each call and kept afterwards,
        so that a caller can inspect it; ``self.grad`` ends as 1.0 unless ``self`` is a leaf.
        """
        order = _topological_order(self)
        # A leaf's gradient is summed from zero and then added to what it held, as PyTorch does:
        # adding each path's share straight into the old value would round differently.
        leaves = [node for node in order if not node._prev]
        held = [leaf.grad for leaf in leaves]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # the chain rule, one edge at a time
            g = node.grad
            prev = node._prev
            # Every op has one or two parents. Unpacking them by hand costs half as much as
            # ``zip(node._prev, node._local)``, which builds three iterators per node.
            if len(prev) == 2:
                a, b = prev
                da, db = node._local
                a.grad += g * da
                b.grad += g * db
            elif len(prev) == 1:
                prev[0].grad += g * node._local[0]
            elif prev:  # no op has more parents today; were one added, it would still be right
                for c, dc in zip(prev, node._local):  # noqa: B905 (equal lengths)
                    c.grad += g * dc
        for leaf, grad in zip(leaves, held):  # noqa: B905 (equal lengths)
            leaf.grad += grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on every node in the graph under ``self``, leaves included."""
        for node in _topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _topological_order(root: Value) -> list[Value]:
    """Every node under ``root``, each after all of its parents, ``root`` last.

    An explicit stack instead of recursion, so that deep graphs (long chains) cannot hit the
    recursion limit. Popping a node not yet seen pushes it back with a ``None`` above it, then
    all its parents; popping that ``None``, once the parents are done, emits the node below it.
    A parent seen already is pushed anyway and skipped when popped: one ``extend`` in C is
    cheaper than a test per parent in Python, and ``None`` is cheaper than the
    ``(node, expanded)`` pairs it replaces, a new tuple twice per node. The set holds the nodes
    themselves: Values hash by identity, the same as a set of ids, without an ``id()`` call.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    push, extend, pop, emit, mark = stack.append, stack.extend, stack.pop, order.append, seen.add
    while stack:
        node = pop()
        if node is None:  # every parent of the node below it has been emitted
            emit(pop())  # type: ignore[arg-type]  # below a None there is always a node
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(None)
        extend(node._prev)
    return order
