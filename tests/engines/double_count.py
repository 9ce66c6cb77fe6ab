"""micrograd's backward: intermediate gradients are not reset, so a second call on the same graph
adds the first call's intermediate gradients in again (leaves get more than twice)."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def backward(self):
        self.grad = 1.0
        for node in reversed(self._topo()):
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += node.grad * local
