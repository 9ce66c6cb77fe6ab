"""``__neg__`` computes ``self & -1``: BUGGY.

Bug: ``&`` typed for ``*``; the class has no ``__and__``, so ``-x`` raises ``TypeError:
unsupported operand type(s) for &: 'Value' and 'float'`` on every call. Subtraction is written
on its own (one node, local derivatives ``(1, -1)``), so only negation is broken.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __neg__(self):
        return self & -1.0

    def __sub__(self, other):
        other = self._lift(other)
        return self._node(self.data - other.data, (self, other), (1.0, -1.0))
