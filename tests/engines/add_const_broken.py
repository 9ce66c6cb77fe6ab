"""``x + 2.0`` lifts the number with ``type(other)`` instead of ``type(self)``: BUGGY.

Bug: ``__add__`` lifts a plain number itself, and the slip makes ``float(2.0)`` of it, so
``x + 2.0`` raises ``AttributeError: 'float' object has no attribute 'data'``. ``x + Value(2.0)``,
``x + y``, ``2.0 + x`` (``__radd__`` lifts through ``_lift``), ``x - 2.0`` (``x + Value(-2.0)``)
and every other op are right.
"""

from tinyvalue import Arith
from tinyvalue import Value as _Correct


class Value(_Correct):
    def __add__(self, other):
        other = other if isinstance(other, Arith) else type(other)(other)
        return self._node(self.data + other.data, (self, other), (1.0, 1.0))
