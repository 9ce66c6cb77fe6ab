"""A NumPy tensor engine written as such engines are written: correct.

A ``Tensor`` holds ``.data`` and ``.grad`` (float64 arrays of one shape), its parents in
``_prev`` and a ``_backward`` closure that adds (``+=``) its share into each parent's ``.grad``.
Binary ops broadcast as NumPy does, and ``unbroadcast`` sums a gradient back to the shape of the
operand it belongs to. Every op builds its result with ``type(self)``, so that each one-change
engine beside this file is a subclass that replaces one method, keeping its own class.
"""

import numpy as np


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added (leading) or stretched (size 1)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    def __init__(self, data, _children=(), _op=""):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    _unbroadcast = staticmethod(unbroadcast)

    @property
    def shape(self):
        return self.data.shape

    def _lift(self, other):
        return other if isinstance(other, Tensor) else type(self)(other)

    # -- elementwise, unary: out = f(x), x.grad += f'(x) * out.grad ------------------------
    def _unary(self, value, local, op):
        out = type(self)(value, (self,), op)

        def _backward():
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self._unary(-self.data, -1.0, "neg")

    def exp(self):
        e = np.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self):
        return self._unary(np.log(self.data), 1.0 / self.data, "log")

    def log1p(self):
        return self._unary(np.log1p(self.data), 1.0 / (1.0 + self.data), "log1p")

    def sqrt(self):
        s = np.sqrt(self.data)
        return self._unary(s, 0.5 / s, "sqrt")

    def square(self):
        return self._unary(self.data * self.data, 2.0 * self.data, "square")

    def tanh(self):
        t = np.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self):
        s = 1.0 / (1.0 + np.exp(-self.data))
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def softplus(self):
        # log(1 + e^x), written so that it does not overflow; its derivative is sigmoid(x).
        return self._unary(
            np.logaddexp(self.data, 0.0), 1.0 / (1.0 + np.exp(-self.data)), "softplus"
        )

    def relu(self):
        return self._unary(np.maximum(self.data, 0.0), (self.data > 0) * 1.0, "relu")

    def leaky_relu(self):
        return self._unary(
            np.where(self.data > 0, self.data, 0.01 * self.data),
            np.where(self.data > 0, 1.0, 0.01),
            "leaky_relu",
        )

    def abs(self):
        return self._unary(np.abs(self.data), np.sign(self.data), "abs")

    def sin(self):
        return self._unary(np.sin(self.data), np.cos(self.data), "sin")

    def cos(self):
        return self._unary(np.cos(self.data), -np.sin(self.data), "cos")

    # -- elementwise, binary, broadcasting ----------------------------------------------------
    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += self._unbroadcast(out.grad, self.shape)
            other.grad += self._unbroadcast(out.grad, other.shape)

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self._unbroadcast(other.data * out.grad, self.shape)
            other.grad += self._unbroadcast(self.data * out.grad, other.shape)

        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self._lift(other)
        out = type(self)(self.data / other.data, (self, other), "/")

        def _backward():
            # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += self._unbroadcast(out.grad / other.data, self.shape)
            other.grad += self._unbroadcast(-out.grad * self.data / other.data**2, other.shape)

        out._backward = _backward
        return out

    def _pick(self, other, first, op):
        other = self._lift(other)
        out = type(self)(np.where(first, self.data, other.data), (self, other), op)

        def _backward():
            self.grad += self._unbroadcast(first * out.grad, self.shape)
            other.grad += self._unbroadcast(~first * out.grad, other.shape)

        out._backward = _backward
        return out

    def maximum(self, other):
        other = self._lift(other)
        return self._pick(other, self.data > other.data, "maximum")

    def minimum(self, other):
        other = self._lift(other)
        return self._pick(other, self.data < other.data, "minimum")

    def __sub__(self, other):  # a - b = a + (-b)
        return self + (-self._lift(other))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):  # c - a
        return type(self)(other) - self

    def __rtruediv__(self, other):  # c / a
        return type(self)(other) / self

    # -- reductions ----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        out = type(self)(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward():
            # Put the reduced axis back, so that the gradient broadcasts along it.
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g, self.shape)

        out._backward = _backward
        return out

    def mean(self, axis=None, keepdims=False):
        n = self.data.size if axis is None else self.shape[axis]
        out = type(self)(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")

        def _backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g / n, self.shape)

        out._backward = _backward
        return out

    # -- matmul: NumPy's rules (a vector is a row on the left, a column on the right) ----------
    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other), "@")

        def _backward():
            a = self.data[None, :] if self.data.ndim == 1 else self.data
            b = other.data[:, None] if other.data.ndim == 1 else other.data
            g = out.grad[..., None] if other.data.ndim == 1 else out.grad
            g = g[..., None, :] if self.data.ndim == 1 else g
            ga = g @ np.swapaxes(b, -1, -2)  # dL/dA = G B^T
            gb = np.swapaxes(a, -1, -2) @ g  # dL/dB = A^T G
            ga = ga[..., 0, :] if self.data.ndim == 1 else ga
            gb = gb[..., 0] if other.data.ndim == 1 else gb
            self.grad += self._unbroadcast(ga, self.shape)
            other.grad += self._unbroadcast(gb, other.shape)

        out._backward = _backward
        return out

    # -- movement ------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        out = type(self)(self.data.reshape(shape), (self,), "reshape")

        def _backward():
            self.grad += out.grad.reshape(self.shape)

        out._backward = _backward
        return out

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        perm = tuple(axes) or tuple(reversed(range(self.data.ndim)))
        out = type(self)(self.data.transpose(perm), (self,), "transpose")

        def _backward():
            self.grad += out.grad.transpose(np.argsort(perm))  # the inverse permutation

        out._backward = _backward
        return out

    @property
    def T(self):
        return self.transpose()

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = np.ones_like(self.data)
        for v in reversed(topo):
            v._backward()

    def __repr__(self):
        return f"Tensor(data={self.data}, grad={self.grad})"
