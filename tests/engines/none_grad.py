"""An engine whose gradient attribute is None until backward has run."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __init__(self, data, _prev=(), _local=()):
        super().__init__(data, _prev, _local)
        self.grad = None

    def backward(self):
        for node in self._topo():
            if node.grad is None:
                node.grad = 0.0
        super().backward()
