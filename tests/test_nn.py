"""autograd.nn: parameter bookkeeping, outputs against PyTorch, reproducibility, training."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import torch
from gradtrio.autograd import MLP, Layer, Neuron, Value
from gradtrio.autograd.nn import ACTIVATIONS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def predict(model: MLP, x: list[float]) -> Value:
    out = model(x)
    assert isinstance(out, Value), "the model should have one output"
    return out


def test_mlp_3_4_4_1_has_41_parameters() -> None:
    # (3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41


def test_neuron_and_layer_parameter_counts() -> None:
    assert len(Neuron(5).parameters()) == 6
    assert len(Layer(5, 3).parameters()) == 18


def test_zero_grad_zeroes_every_parameter() -> None:
    model = MLP(3, [4, 4, 1])
    out = predict(model, [1.0, -2.0, 0.5])
    (out * out).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


TORCH_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": torch.nn.functional.leaky_relu,  # slope 0.01 in both
    "softplus": torch.nn.functional.softplus,  # the sum is far below torch's threshold of 20
    "linear": lambda t: t,
}


@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
def test_neuron_output_and_gradients_match_torch(activation: str) -> None:
    neuron = Neuron(3, activation=activation, rng=random.Random(1))
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    out = neuron(x)
    out.backward()

    w = torch.tensor([p.data for p in neuron.w], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.25, dtype=torch.float64, requires_grad=True)
    act = w @ torch.tensor(x, dtype=torch.float64) + b
    t_out = TORCH_ACTIVATIONS[activation](act)
    t_out.backward()

    assert out.data == pytest.approx(t_out.item(), rel=1e-12)
    assert w.grad is not None and b.grad is not None
    assert [p.grad for p in neuron.w] == pytest.approx(w.grad.tolist(), rel=1e-12)
    assert neuron.b.grad == pytest.approx(b.grad.item(), rel=1e-12)


def test_mlp_output_matches_torch() -> None:
    model = MLP(2, [3, 1], rng=random.Random(3))
    x = [0.7, -0.2]
    out = predict(model, x)
    hidden, last = model.layers
    w1 = torch.tensor([[p.data for p in n.w] for n in hidden.neurons], dtype=torch.float64)
    b1 = torch.tensor([n.b.data for n in hidden.neurons], dtype=torch.float64)
    w2 = torch.tensor([p.data for p in last.neurons[0].w], dtype=torch.float64)
    expected = w2 @ torch.relu(w1 @ torch.tensor(x, dtype=torch.float64) + b1)
    assert out.data == pytest.approx(expected.item(), rel=1e-12)


def test_the_same_seed_gives_the_same_weights() -> None:
    first = [p.data for p in MLP(3, [4, 1], rng=random.Random(7)).parameters()]
    second = [p.data for p in MLP(3, [4, 1], rng=random.Random(7)).parameters()]
    other = [p.data for p in MLP(3, [4, 1], rng=random.Random(8)).parameters()]
    assert first == second
    assert first != other


def test_the_default_generator_is_seeded() -> None:
    assert [p.data for p in MLP(3, [4, 1]).parameters()] == [
        p.data for p in MLP(3, [4, 1]).parameters()
    ]


def test_neurons_of_a_layer_get_different_weights() -> None:
    layer = Layer(3, 4)
    weights = {tuple(p.data for p in n.w) for n in layer.neurons}
    assert len(weights) == 4


def test_last_layer_is_linear_and_others_use_the_activation() -> None:
    model = MLP(2, [3, 2], activation="tanh")
    assert repr(model) == (
        "MLP of [Layer of [TanhNeuron(2), TanhNeuron(2), TanhNeuron(2)], "
        "Layer of [LinearNeuron(3), LinearNeuron(3)]]"
    )
    assert isinstance(model([1.0, 2.0]), list)


def test_every_activation_is_offered_and_named() -> None:
    assert set(ACTIVATIONS) == set(TORCH_ACTIVATIONS)
    names = [repr(Neuron(2, activation=a)) for a in ACTIVATIONS]
    assert names == [
        "ReLUNeuron(2)",
        "TanhNeuron(2)",
        "SigmoidNeuron(2)",
        "LeakyReLUNeuron(2)",
        "SoftplusNeuron(2)",
        "LinearNeuron(2)",
    ]


def test_inputs_may_be_values() -> None:
    x = [Value(1.0), Value(-1.0)]
    out = Neuron(2, activation="linear")(x)
    out.backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: Neuron(0), "nin=0", id="Neuron(0)"),
        pytest.param(lambda: Neuron(2, activation="gelu"), "activation='gelu'", id="gelu"),
        pytest.param(lambda: Layer(2, 0), "nout=0", id="Layer(2, 0)"),
        pytest.param(lambda: MLP(2, []), "nouts=[]", id="MLP(2, [])"),
        pytest.param(lambda: Neuron(2)([1.0]), "nin=2", id="Neuron(2)([1.0])"),
    ],
)
def test_bad_arguments_raise_value_error(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_a_few_sgd_steps_reduce_the_loss() -> None:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1], activation="tanh")

    def loss() -> Value:
        outs = [predict(model, x) for x in xs]
        return sum(((o - y) ** 2 for o, y in zip(outs, ys, strict=True)), Value(0.0))

    losses = []
    for _ in range(20):
        current = loss()
        model.zero_grad()
        current.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        losses.append(current.data)
    assert losses[-1] < 0.5 * losses[0]


def test_moons_example_reaches_95_percent_training_accuracy() -> None:
    moons = load_example("moons")
    result = moons.train(steps=60, seed=0, hidden=(8, 8), progress=False)
    assert result.losses[-1] < result.losses[0]
    assert result.accuracy >= 0.95
