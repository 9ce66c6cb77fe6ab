"""autograd: a small scalar reverse-mode autograd engine, the default engine gradtrio checks.

:class:`Value` is a scalar that records the operations applied to it; ``out.backward()`` fills in
``.grad`` on every Value that ``out`` depends on. :mod:`autograd.nn` builds micrograd-style
neurons, layers and MLPs on top, and :func:`to_dot` draws a graph with Graphviz.

Everything not listed in ``__all__`` is internal.
"""

from gradtrio.autograd.engine import Value
from gradtrio.autograd.graph import to_dot
from gradtrio.autograd.nn import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value", "to_dot"]
