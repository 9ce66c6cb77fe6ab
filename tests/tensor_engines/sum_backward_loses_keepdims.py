"""``tensor.py`` with one bug: ``sum``'s backward broadcasts the upstream gradient as
if the reduced axis had been kept, without putting it back, so for ``x.sum(axis=1)`` of a square
``x`` the gradient runs along the wrong axis (and another shape raises).
"""

import numpy as np
from tensor import Tensor as _Correct


class Tensor(_Correct):
    def sum(self, axis=None, keepdims=False):
        out = type(self)(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward():
            self.grad += np.broadcast_to(out.grad, self.shape)

        out._backward = _backward
        return out
