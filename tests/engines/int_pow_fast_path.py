"""An integer fast path in ``__pow__`` with a precedence slip: BUGGY.

Bug: for an ``int`` exponent (``x ** 2``, ``x ** -1`` as people write them) the local derivative
is ``n * x ** n - 1``, which Python reads as ``(n * x ** n) - 1``, instead of
``n * x ** (n - 1)``. The value is right; only the gradient is wrong. A float exponent
(``x ** 2.0``) and a node exponent take tinyvalue's general path and are right, as are division
(``b ** -1.0``) and everything else.
"""

from tinyvalue import Value as _Correct
from tinyvalue import _pow


class Value(_Correct):
    def __pow__(self, other):
        if isinstance(other, int):  # the common case, without lifting the exponent to a node
            n = other
            return self._node(_pow(self.data, n), (self,), (n * _pow(self.data, n) - 1,))
        return super().__pow__(other)
