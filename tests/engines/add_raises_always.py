"""``__add__`` computes ``self.data & other.data``: BUGGY.

Bug: ``&`` typed for ``+``; on float data it raises ``TypeError: unsupported operand type(s) for
&: 'float' and 'float'`` on every call. Subtraction (``a + (-b)``) and the reflected ``2 + x``
are built on ``__add__`` and raise too. Every other op is right.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __add__(self, other):
        other = self._lift(other)
        return self._node(self.data & other.data, (self, other), (1.0, 1.0))
