"""backward never returns once the graph holds a tanh node."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def tanh(self):
        out = super().tanh()
        out._hangs = True
        return out

    def backward(self):
        if any(getattr(node, "_hangs", False) for node in self._topo()):
            while True:
                pass
        super().backward()
