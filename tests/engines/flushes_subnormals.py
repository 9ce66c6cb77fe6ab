"""A correct engine that holds every subnormal number as a zero of its sign, as XLA on CPU does
(x86's flush-to-zero and denormals-are-zero modes): correct at the numbers it holds.

Without ``flushes_subnormals`` declared, relu at 3e-320 reads as relu at 0 (gradient 0, not 1)
and log(3e-320) as log(0) = -inf; declared, those cases are judged at the zero it holds.
"""

import math

from tinyvalue import Value as _Correct

SMALLEST_NORMAL = 2.0**-1022


def _flushed(x):
    return math.copysign(0.0, x) if abs(x) < SMALLEST_NORMAL else x


class Value(_Correct):
    def __init__(self, data, _prev=(), _local=()):
        super().__init__(_flushed(float(data)), _prev, _local)

    def log(self):
        x = self.data
        return self._node(
            math.log(x) if x > 0 else -math.inf, (self,), (1.0 / x if x else math.inf,)
        )
