"""``tensor.py`` with one bug: ``transpose``'s backward permutes the gradient by the
same permutation rather than by its inverse, right only for a permutation that is its own
inverse (every one of rank 2).
"""

from tensor import Tensor as _Correct


class Tensor(_Correct):
    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        perm = tuple(axes) or tuple(reversed(range(self.data.ndim)))
        out = type(self)(self.data.transpose(perm), (self,), "transpose")

        def _backward():
            self.grad += out.grad.transpose(perm)

        out._backward = _backward
        return out
