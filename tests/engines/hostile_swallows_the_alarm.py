"""Hostile: backward retries forever and swallows every exception, the time limit's included,
once the graph holds a tanh node."""

import time

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        out = super().tanh()
        out._stubborn = True
        return out

    def backward(self):
        if any(getattr(node, "_stubborn", False) for node in self._topo()):
            while True:
                try:  # noqa: SIM105 - written as such engines are
                    time.sleep(0.01)
                except BaseException:
                    pass
        super().backward()
