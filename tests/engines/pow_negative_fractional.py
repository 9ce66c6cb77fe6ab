"""``x ** c`` with a branch of its own for fractional constants, whose derivative takes
``abs(c)``: BUGGY.

Bug: for a number ``c`` that is not an integer the local derivative is
``abs(c) * x ** (c - 1)`` (the ``abs`` meant for the base, written on the exponent). That is
right for ``c > 0`` (``x ** 0.5``, ``x ** 1.5``) and wrong in sign only for negative fractional
``c`` (``x ** -0.5``). The value is right everywhere; integer-valued exponents (``x ** -1.0``,
``x ** 3.0``), node exponents and division (``b ** -1.0``) take tinyvalue's general path and are
right.
"""

from tinyvalue import Value as _Correct
from tinyvalue import _pow


class Value(_Correct):
    def __pow__(self, other):
        if isinstance(other, (int, float)) and not float(other).is_integer():
            # a root-like power, x ** (p / q), defined for x > 0 only
            out = _pow(self.data, other)
            return self._node(out, (self,), (abs(other) * _pow(self.data, other - 1),))
        return super().__pow__(other)
