"""Hostile: relu raises ``KeyboardInterrupt``, as if the user had pressed Ctrl-C."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def relu(self):
        raise KeyboardInterrupt
