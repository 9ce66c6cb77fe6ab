"""Hostile: backward calls ``sys.exit(0)``, as if to end a failing run with success."""

import sys

from tinyvalue import Value as _Correct


class Value(_Correct):
    def backward(self):
        sys.exit(0)
