"""tanh with a "saturation shortcut" in its derivative: BUGGY.

Bug: for ``|x| > 10`` the local derivative is taken as exactly 0.0 ("tanh is flat there"),
while the true ``1 - tanh(x)**2`` is still about ``8.2e-9`` at 10 and ``1.7e-17`` at 20: a 100%
relative error, tiny in absolute terms. The value, and the derivative for ``|x| <= 10``, are
right; so is every other op.
"""

import math

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        t = math.tanh(self.data)
        local = 0.0 if abs(self.data) > 10.0 else 1.0 - t * t  # saturated: no gradient
        return self._node(t, (self,), (local,))
