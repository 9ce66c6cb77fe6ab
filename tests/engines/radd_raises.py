"""``__radd__`` passes ``self`` twice: BUGGY.

Bug: ``self.__add__(self, other)`` calls the bound method with an extra argument, so ``2 + x``
raises ``TypeError: Arith.__add__() takes 2 positional arguments but 3 were given`` on
every call. ``x + 2``, ``x + y`` and every other op, reflected ones included, are right.
"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __radd__(self, other):
        return self.__add__(self, other)
