"""One finding of each severity, with HTML in what the engine says (for the report page's tests).

- bug: d(a*b)/da is b + 1 instead of b (as in ``wrong_mul.py``), and ``*`` prints a line of HTML;
- precision: tanh as ``(e^2x - 1) / (e^2x + 1)``, which cancels near 0 (as in
  ``tanh_via_exp.py``);
- warning: exp raises ``OverflowError`` past 709.78, as ``math.exp`` does, with HTML in its
  message.

The HTML (a ``<script>`` and an ``<img>`` whose ``onerror`` would retitle the page) must stay
text on the report page.
"""

import math

from tinyvalue import Value as _Correct

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


class Value(_Correct):
    def __mul__(self, other):
        print(f"mul says {HOSTILE}")
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), (other.data + 1.0, self.data))

    def __neg__(self):  # written on its own, so that only * (and / through it) is wrong
        return self._node(-self.data, (self,), (-1.0,))

    def tanh(self):
        x = self.data
        if abs(x) > 20.0:  # tanh(20) is 1.0 in float64
            t = math.copysign(1.0, x)
        else:
            e = math.exp(2.0 * x)
            t = (e - 1.0) / (e + 1.0)
        return self._node(t, (self,), (1.0 - t * t,))

    def exp(self):
        if self.data > 709.78:
            raise OverflowError(f"math range error {HOSTILE}")
        out = math.exp(self.data)
        return self._node(out, (self,), (out,))
