"""Hostile: a real bug in mul (d(a*b)/da is b + 1, from ``wrong_mul``), and ``sys.exit(0)`` in
backward only when the graph holds a tanh node, so that the run ends "clean" as soon as a tanh
is drawn."""

import sys

from wrong_mul import Value as _WrongMul


class Value(_WrongMul):
    def tanh(self):
        out = super().tanh()
        out._exits = True
        return out

    def backward(self):
        if any(getattr(node, "_exits", False) for node in self._topo()):
            sys.exit(0)
        super().backward()
