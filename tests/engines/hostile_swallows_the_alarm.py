"""Hostile: once the graph holds a tanh node, backward ignores the alarm signal and retries
forever, catching every exception: no time limit inside the process can stop it."""

import signal
import time

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        out = super().tanh()
        out._stubborn = True
        return out

    def backward(self):
        if any(getattr(node, "_stubborn", False) for node in self._topo()):
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                try:  # noqa: SIM105 - written as such engines are
                    time.sleep(0.01)
                except BaseException:
                    pass
        super().backward()
