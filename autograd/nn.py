"""A small neural-network library on top of :class:`~autograd.engine.Value`, as in micrograd.

Weights are drawn from a :class:`random.Random` instance, ``random.Random(0)`` unless one is
given, so that two runs build the same network.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from gradtrio.autograd.engine import Value

__all__ = ["ACTIVATIONS", "Layer", "MLP", "Module", "Neuron"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "softplus", "linear")
_NAMES = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",
    "softplus": "Softplus",
    "linear": "Linear",
}


class Module:
    """Something with parameters: gives them as a list and can zero their gradients."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``activation(w . x + b)`` with ``nin`` weights drawn from uniform(-1, 1) and ``b = 0``.

    ``nonlin=False`` makes the neuron linear whatever ``activation`` says (micrograd's switch);
    ``activation`` names the Value method applied to the sum: ``"relu"`` (default), ``"tanh"``,
    ``"sigmoid"``, ``"leaky_relu"`` (slope 0.01), ``"softplus"``, or ``"linear"`` for none.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str = "relu",
        rng: random.Random | None = None,
    ) -> None:
        if nin < 1:
            raise ValueError(f"a neuron needs at least one input, got nin={nin}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is not one of {ACTIVATIONS}")
        rng = random.Random(0) if rng is None else rng
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation if nonlin else "linear"

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"expected nin={len(self.w)} inputs, got len(x)={len(x)}")
        # The graph of micrograd's sum((wi * xi for ...), b): b + w0 x0, then + w1 x1, and so on.
        # A plain loop builds it without resuming a generator for every term.
        act = self.b
        for wi, xi in zip(self.w, x):  # noqa: B905 (lengths checked above)
            act = act + wi * xi
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{_NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all see the same ``nin`` inputs; the keywords go to each Neuron."""

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: bool = True,
        *,
        activation: str = "relu",
        rng: random.Random | None = None,
    ) -> None:
        if nout < 1:
            raise ValueError(f"a layer needs at least one neuron, got nout={nout}")
        # One generator for the whole layer: neurons with equal weights would learn alike.
        rng = random.Random(0) if rng is None else rng
        self.neurons = [Neuron(nin, nonlin, activation=activation, rng=rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The neurons' outputs; a single Value when the layer has one neuron (as micrograd)."""
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def outputs(self, x: Sequence[Value | float]) -> list[Value]:
        """The neurons' outputs, always as a list."""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs; every layer but the last is nonlinear.

    >>> model = MLP(3, [4, 4, 1])
    >>> len(model.parameters())
    41
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        rng: random.Random | None = None,
        activation: str = "relu",
    ) -> None:
        if not nouts:
            raise ValueError("an MLP needs at least one layer, got nouts=[]")
        rng = random.Random(0) if rng is None else rng
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last, activation=activation, rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The last layer's outputs; a single Value when it has one neuron (as micrograd)."""
        out = self.layers[0].outputs(x)
        for layer in self.layers[1:]:
            out = layer.outputs(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
