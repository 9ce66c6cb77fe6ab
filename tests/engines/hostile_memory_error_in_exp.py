"""Hostile: exp raises ``MemoryError``."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def exp(self):
        raise MemoryError("no room for exp")
