"""Hostile: backward ends the process with ``os._exit(3)`` (no cleanup, no exception)."""

import os

from tinyvalue import Value as _Correct


class Value(_Correct):
    def backward(self):
        os._exit(3)
