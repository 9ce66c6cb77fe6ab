"""``tensor.py`` with one bug: ``matmul``'s backward gives ``A`` the gradient
``G @ B`` where it is ``G @ B^T``, right only where ``B`` is symmetric (and raising where ``B``
is not square).
"""

import numpy as np
from tensor import Tensor as _Correct


class Tensor(_Correct):
    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other), "@")

        def _backward():
            a = self.data[None, :] if self.data.ndim == 1 else self.data
            b = other.data[:, None] if other.data.ndim == 1 else other.data
            g = out.grad[..., None] if other.data.ndim == 1 else out.grad
            g = g[..., None, :] if self.data.ndim == 1 else g
            ga = g @ b  # dL/dA = G B
            gb = np.swapaxes(a, -1, -2) @ g  # dL/dB = A^T G
            ga = ga[..., 0, :] if self.data.ndim == 1 else ga
            gb = gb[..., 0] if other.data.ndim == 1 else gb
            self.grad += self._unbroadcast(ga, self.shape)
            other.grad += self._unbroadcast(gb, other.shape)

        out._backward = _backward
        return out
