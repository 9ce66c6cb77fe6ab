"""Hostile: backward tries to allocate 64 GiB once the graph holds a sigmoid node."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def sigmoid(self):
        out = super().sigmoid()
        out._greedy = True
        return out

    def backward(self):
        if any(getattr(node, "_greedy", False) for node in self._topo()):
            self._hoard = bytearray(64 * 2**30)
        super().backward()
