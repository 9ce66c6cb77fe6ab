"""An engine without exp, log and sigmoid (tanh and relu only among the functions)."""

import math

from tinyvalue import Arith


class Value(Arith):
    def tanh(self):
        t = math.tanh(self.data)
        return self._node(t, (self,), (1.0 - t * t,))

    def relu(self):
        return self._node(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))
