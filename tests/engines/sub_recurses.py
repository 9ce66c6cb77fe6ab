"""``__sub__`` and ``__rsub__`` defined through each other: BUGGY.

Bug: ``a - b`` is written as ``-(b - a)`` (the identity that is right for ``__rsub__``, copied to
``__sub__``), so ``x - y`` calls ``y - x``, which calls ``x - y``, ... until ``RecursionError``;
``x - 2`` and ``2 - x`` loop through ``__rsub__`` the same way. Negation is written on its own;
every other op is right.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __neg__(self):
        return self._node(-self.data, (self,), (-1.0,))

    def __sub__(self, other):  # a - b = -(b - a)
        return -(other - self)

    def __rsub__(self, other):  # c - a = -(a - c)
        return -(self - other)
