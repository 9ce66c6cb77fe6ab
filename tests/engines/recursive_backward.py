"""micrograd's original recursive topological sort: RecursionError on deep graphs."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._prev:
                    visit(parent)
                order.append(node)

        visit(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += node.grad * local
