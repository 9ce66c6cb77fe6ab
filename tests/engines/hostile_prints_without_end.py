"""Hostile: every op prints a megabyte, and tanh's derivative is wrong (1 - t), so a failing
case's report has output to show."""

import sys

from tinyvalue import Value as _Correct

_MEGABYTE = "x" * 2**20


class Value(_Correct):
    def _node(self, data, prev, local):
        print(_MEGABYTE)
        sys.stderr.write("\x1b[31mred on stderr\x1b[0m\n")
        return super()._node(data, prev, local)

    def tanh(self):
        out = super().tanh()
        out._local = (1.0 - out.data,)
        return out
