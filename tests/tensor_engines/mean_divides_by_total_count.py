"""``tensor.py`` with one bug: ``mean`` over an axis divides the gradient by the
number of elements of the whole tensor rather than of that axis.
"""

import numpy as np
from tensor import Tensor as _Correct


class Tensor(_Correct):
    def mean(self, axis=None, keepdims=False):
        n = self.data.size
        out = type(self)(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")

        def _backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g / n, self.shape)

        out._backward = _backward
        return out
