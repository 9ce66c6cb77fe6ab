"""``Node``: operands must be Nodes (``x + 2`` raises TypeError), so constants must be wrapped."""

import math


class Node:
    def __init__(self, data, _prev=(), _local=()):
        if not isinstance(data, (int, float)):
            raise TypeError(f"Node(data) needs a number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev
        self._local = _local

    def _need_node(self, other):
        if not isinstance(other, Node):
            raise TypeError(f"Node op needs a Node, got {type(other).__name__}")

    def __add__(self, other):
        self._need_node(other)
        return Node(self.data + other.data, (self, other), (1.0, 1.0))

    def __sub__(self, other):
        self._need_node(other)
        return Node(self.data - other.data, (self, other), (1.0, -1.0))

    def __mul__(self, other):
        self._need_node(other)
        return Node(self.data * other.data, (self, other), (other.data, self.data))

    def __neg__(self):
        return Node(-self.data, (self,), (-1.0,))

    def tanh(self):
        t = math.tanh(self.data)
        return Node(t, (self,), (1.0 - t * t,))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += node.grad * local
