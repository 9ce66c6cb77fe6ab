"""cos written from sin, as tinygrad writes it: ``cos(x) = sin(x + pi/2)`` and its derivative
``-sin(x)`` likewise from ``cos`` as ``sin(pi/2 - x)``. Correct but imprecise: the rounding of
the shifted angle (about u |x|) reaches the result whole, so near a zero of cos some digits are
lost (cos(1.5707) loses about 4 of its 16): a precision finding, not a bug.
"""

import math

from tinyvalue import Value as _Correct

HALF_PI = math.pi / 2


class Value(_Correct):
    def sin(self):
        x = self.data
        return self._node(math.sin(x), (self,), (math.sin(x + HALF_PI),))

    def cos(self):
        x = self.data
        return self._node(math.sin(x + HALF_PI), (self,), (-math.sin(x),))
