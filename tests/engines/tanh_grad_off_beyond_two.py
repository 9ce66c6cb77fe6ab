"""tanh whose derivative is 10% too large for ``|x| > 2``: BUGGY.

Bug: beyond ``|x| = 2`` the local derivative is ``1.1 * (1 - tanh(x)**2)``. Inputs in [-1, 1]
never reach it through tanh alone (every tanh operand after the first lies in (-1, 1)); inputs
in [-3, 3] do. The value, the derivative for ``|x| <= 2`` and every other op are right.
"""

import math

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        t = math.tanh(self.data)
        local = (1.0 - t * t) * (1.1 if abs(self.data) > 2.0 else 1.0)
        return self._node(t, (self,), (local,))
