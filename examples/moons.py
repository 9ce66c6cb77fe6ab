"""Train an MLP to separate two interleaved half-moons, as in micrograd's demo.

    python examples/moons.py [--steps 100] [--seed 0]

The loss is a max-margin (SVM) loss with L2 regularization, minimized by full-batch gradient
descent with a learning rate that decays linearly from 1.0 to 0.1.

Training pauses Python's cycle collector. A graph of Values has no reference cycles, so reference
counting frees each step's graph; the collector would only rescan the live graph over and over,
which here triples the time of the forward pass.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from gradtrio.autograd import MLP, Value
from tqdm import tqdm


def make_moons(
    n: int = 100, *, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """``n`` points on two interleaved half-circles plus Gaussian noise; labels -1.0 and 1.0."""
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    labels = np.concatenate([-np.ones(n_upper), np.ones(n - n_upper)])
    return points.tolist(), labels.tolist()


@dataclass
class TrainResult:
    """The trained model, the loss before each step and the final training accuracy."""

    model: MLP
    losses: list[float]
    accuracy: float


def loss_and_accuracy(
    model: MLP, xs: list[list[float]], ys: list[float], alpha: float = 1e-4
) -> tuple[Value, float]:
    """Mean hinge loss ``relu(1 - y * score)`` plus ``alpha`` times the sum of squared weights."""
    scores = [score(model, x) for x in xs]
    margins = [(1 - y * s).relu() for y, s in zip(ys, scores, strict=True)]
    data_loss = sum(margins, Value(0.0)) * (1.0 / len(margins))
    reg_loss = alpha * sum((p * p for p in model.parameters()), Value(0.0))
    correct = sum((y > 0) == (s.data > 0) for y, s in zip(ys, scores, strict=True))
    return data_loss + reg_loss, correct / len(ys)


def score(model: MLP, x: list[float]) -> Value:
    """The model's single output for one point; positive means class 1."""
    out = model(x)
    if not isinstance(out, Value):
        raise ValueError(f"the model has {len(out)} outputs, expected one")
    return out


def step(
    model: MLP, xs: list[list[float]], ys: list[float], *, learning_rate: float
) -> tuple[float, float]:
    """One full-batch gradient-descent step; returns the loss and accuracy before it."""
    loss, accuracy = loss_and_accuracy(model, xs, ys)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return loss.data, accuracy


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Disable the cycle collector for the block (see the module docstring for why)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def train(
    steps: int = 100,
    seed: int = 0,
    *,
    hidden: Sequence[int] = (16, 16),
    n: int = 100,
    noise: float = 0.1,
    progress: bool = True,
) -> TrainResult:
    """Train ``MLP(2, [*hidden, 1])`` on ``make_moons(n, noise=noise, seed=seed)``."""
    xs, ys = make_moons(n, noise=noise, seed=seed)
    model = MLP(2, [*hidden, 1], rng=random.Random(seed))
    losses: list[float] = []
    accuracy = 0.0
    bar = tqdm(range(steps), desc="training", disable=not progress)
    with cycle_collector_paused():
        for k in bar:
            loss, accuracy = step(model, xs, ys, learning_rate=1.0 - 0.9 * k / steps)
            losses.append(loss)
            bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}")
        # The accuracy above was measured before the last update; measure the final model.
        _, accuracy = loss_and_accuracy(model, xs, ys)
    return TrainResult(model, losses, accuracy)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="gradient steps (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and weights")
    args = parser.parse_args(argv)
    result = train(args.steps, args.seed)
    print(f"loss {result.losses[0]:.4f} -> {result.losses[-1]:.4f}")
    print(f"training accuracy {result.accuracy:.1%} (seed {args.seed}, {args.steps} steps)")


if __name__ == "__main__":
    main()
