"""sigmoid's backward ignores the upstream gradient: BUGGY.

Bug: ``self.grad += s * (1 - s)`` without the factor ``out.grad`` (as in a real minitorch-course
solution). Right only when the gradient arriving at the sigmoid is exactly 1 (``x.sigmoid()``
alone, or under additions only); ``x.sigmoid() * 3`` gets a third of its gradient. Values are
right.
"""

import math

from closure_value import Value as _Correct


class Value(_Correct):
    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = type(self)(s, (self,))

        def _backward():
            self.grad += s * (1 - s)

        out._backward = _backward
        return out
