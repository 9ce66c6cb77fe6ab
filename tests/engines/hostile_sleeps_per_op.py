"""Hostile: every op sleeps 3 seconds."""

import time

from tinyvalue import Value as _Correct


class Value(_Correct):
    def _node(self, data, prev, local):
        time.sleep(3)
        return super()._node(data, prev, local)
