"""Ops that exist but misbehave: tanh raises NameError, relu returns None, sigmoid returns a
float instead of a Value."""

import math

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        t = mth.tanh(self.data)  # noqa: F821 - the misspelling is the bug
        return self._node(t, (self,), (1.0 - t * t,))

    def relu(self):
        self._node(max(self.data, 0.0), (self,), (float(self.data > 0),))  # forgot to return

    def sigmoid(self):
        return 1.0 / (1.0 + math.exp(-self.data))
