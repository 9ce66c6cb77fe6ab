"""exp's backward assigns into its input's gradient instead of accumulating: BUGGY.

Bug: ``self.grad = out.data * out.grad`` where every other op has ``+=``, so whatever the
input's other consumers had added before exp's closure runs is lost (a slip seen in a public
engine). Right whenever exp's input has no other consumer, or exp's closure happens to run first:
``x.exp()`` and ``x.exp().tanh()`` are right, ``x.exp() * x`` is not. Values are right.
"""

from closure_value import Value as _Correct
from tinyvalue import _exp


class Value(_Correct):
    def exp(self):
        out = type(self)(_exp(self.data), (self,))

        def _backward():
            self.grad = out.data * out.grad

        out._backward = _backward
        return out
