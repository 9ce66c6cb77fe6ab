"""relu with its threshold at 1 instead of 0: BUGGY.

Bug: ``x if x > 1 else 0`` (and local derivative ``1 if x > 1 else 0``, consistent with it):
for ``0 < x <= 1`` the value is 0 instead of ``x`` and the gradient 0 instead of 1, and the
function jumps from 0 to 1 at ``x = 1``. Right for ``x <= 0`` and ``x > 1``.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def relu(self):
        x = self.data
        return self._node(x if x > 1 else 0.0, (self,), (1.0 if x > 1 else 0.0,))
