"""``a - b`` with a separate branch for a leaf ``b`` ("no need for a negation node"): BUGGY.

Bug: when ``b`` is a computed node (it has parents), the node is built by the branch copied from
``__add__`` and keeps its local derivatives ``(1, 1)``: d(a - b)/db is +1 instead of -1. When
``b`` is a leaf or a number (``x - y``, ``x - 2``, ``2 - x`` for a leaf ``x``) the leaf branch
is right. Values are right everywhere. ``2 - n`` for a computed ``n`` goes through ``__sub__``
too and is wrong the same way.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __sub__(self, other):
        other = self._lift(other)
        if not other._prev:  # a leaf or a constant: one node, no negation
            return self._node(self.data - other.data, (self, other), (1.0, -1.0))
        return self._node(self.data - other.data, (self, other), (1.0, 1.0))
