"""``tensor.py`` with one bug: ``unbroadcast`` sums away the leading axes that
broadcasting added but not the size-1 axes it stretched, so the gradient of a ``(1, 3)`` operand
broadcast against ``(2, 3)`` keeps its 2 rows (and ``+=`` into ``.grad`` raises).
"""

from tensor import Tensor as _Correct


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added (leading), not those it stretched."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad


class Tensor(_Correct):
    _unbroadcast = staticmethod(unbroadcast)
