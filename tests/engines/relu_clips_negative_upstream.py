"""relu's backward clips a negative upstream gradient to 0: BUGGY.

Bug: ``self.grad += max(out.grad, 0.0) * (out.data > 0)``, relu's own rule applied once more to
the incoming gradient. Right when the gradient arriving at the relu is >= 0 (``x.relu()`` alone,
``x.relu() * 3``); ``-x.relu()`` or ``x.relu() * -2`` give 0 where the answer is -1 or -2 for
``x > 0``. Values are right.
"""

from closure_value import Value as _Correct


class Value(_Correct):
    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,))

        def _backward():
            self.grad += max(out.grad, 0.0) * (out.data > 0)

        out._backward = _backward
        return out
