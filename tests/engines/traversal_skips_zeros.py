"""backward skips every node whose value is 0.0: BUGGY.

Bug: the backward loop runs a node's closure only ``if node.data:`` (meant as ``if node.grad:``,
"nothing to pass back"), so no gradient flows through a node whose value is exactly 0.0: for
``x * y`` at ``x = 0`` both gradients stay 0 (``d/dx`` should be ``y``); ``relu`` of a negative
number, ``x - x``, ``0 * y`` and ``tanh(0)`` block their whole subgraph. Right wherever no
computed node is exactly 0. Values are right.
"""

from closure_value import Value as _Correct


class Value(_Correct):
    def backward(self):
        topo = self._topo()
        for node in topo:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(topo):
            if node.data:  # nothing to pass back
                node._backward()
