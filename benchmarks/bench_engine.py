"""Time this engine against micrograd 0.1.0 on the same MLP loss graph, and on a deep chain.

    python benchmarks/bench_engine.py [--reps 15] [--chain 1000000] [--seed 0]

Both engines run one builder, parametrized by the Value class, over the same weights and
data; it uses only ops that add exactly one node in both engines (Value + Value, Value * Value,
relu, ** 2), so the two graphs are identical node for node. Each figure is the best of
``--reps`` runs, first with Python's cycle collector on (the default; it rescans live graphs as
they grow) and then off. Needs ``pip install micrograd==0.1.0`` (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from gradtrio.autograd import Value
from micrograd.engine import Value as MicrogradValue

SIZES = (16, 32, 32, 1)
SAMPLES = 8


def make_problem(seed: int) -> tuple[list[list[tuple[list[float], float]]], list, list]:
    """Plain-float weights (per layer, per neuron: weights and bias), inputs and targets."""
    rng = random.Random(seed)
    layers = [
        [([rng.uniform(-1, 1) for _ in range(nin)], rng.uniform(-1, 1)) for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:], strict=False)
    ]
    xs = [[rng.uniform(-1, 1) for _ in range(SIZES[0])] for _ in range(SAMPLES)]
    ys = [rng.uniform(-1, 1) for _ in range(SAMPLES)]
    return layers, xs, ys


def make_leaves(value_cls: Callable[[float], Any], problem: tuple) -> tuple:
    """The problem's numbers as leaf Values of ``value_cls`` (targets negated, see module doc)."""
    layers, xs, ys = problem
    params = [[([value_cls(w) for w in ws], value_cls(b)) for ws, b in layer] for layer in layers]
    inputs = [[value_cls(v) for v in x] for x in xs]
    neg_targets = [value_cls(-y) for y in ys]
    return params, inputs, neg_targets


def mlp_loss(params: list, inputs: list, neg_targets: list) -> Any:
    """Sum of squared errors of a ReLU MLP (last layer linear), written once for both engines."""
    loss = None
    last = len(params) - 1
    for x, neg_y in zip(inputs, neg_targets, strict=True):
        for i, layer in enumerate(params):
            out = []
            for ws, b in layer:
                act = b
                for w, xi in zip(ws, x, strict=True):
                    act = act + w * xi
                out.append(act.relu() if i != last else act)
            x = out
        err = (x[0] + neg_y) ** 2
        loss = err if loss is None else loss + err
    return loss


def count_nodes(root: Any) -> int:
    """Nodes in the graph under ``root``, leaves included (works for either engine)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


ENGINES: tuple[tuple[str, Callable[[float], Any]], ...] = (
    ("autograd", Value),
    ("micrograd 0.1.0", MicrogradValue),
)


@contextlib.contextmanager
def cycle_collector(enabled: bool) -> Iterator[None]:
    """Run the block with Python's cycle collector on or off, restoring its state after."""
    was_enabled = gc.isenabled()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


def time_engines(problem: tuple, reps: int, *, collect: bool) -> dict[str, tuple]:
    """Per engine: best forward and backward seconds, node count and loss.

    The engines take turns within each repetition, so that a noisy neighbour on the machine
    slows both alike.
    """
    leaves = {name: make_leaves(cls, problem) for name, cls in ENGINES}
    best: dict[str, list[float]] = {name: [math.inf, math.inf] for name, _ in ENGINES}
    facts: dict[str, tuple[int, float]] = {}
    for _ in range(reps):
        for name, _cls in ENGINES:
            loss = None
            gc.collect()
            with cycle_collector(collect):
                t0 = time.perf_counter()
                loss = mlp_loss(*leaves[name])
                t1 = time.perf_counter()
                loss.backward()
                t2 = time.perf_counter()
            best[name][0] = min(best[name][0], t1 - t0)
            best[name][1] = min(best[name][1], t2 - t1)
            facts[name] = (count_nodes(loss), loss.data)
    return {name: (*best[name], *facts[name]) for name, _ in ENGINES}


def print_mlp_table(results: dict[str, tuple]) -> None:
    print(f"  {'':<22}{'forward ns/node':>16}{'backward ns/node':>18}{'total ms':>10}")
    for name, (fwd, bwd, nodes, _) in results.items():
        print(
            f"  {name:<22}{fwd / nodes * 1e9:>16.0f}{bwd / nodes * 1e9:>18.0f}"
            f"{(fwd + bwd) * 1e3:>10.1f}"
        )
    (of, ob, *_), (mf, mb, *_) = results["autograd"], results["micrograd 0.1.0"]
    ratios = f"{mf / of:>15.2f}x{mb / ob:>17.2f}x{(mf + mb) / (of + ob):>9.2f}x"
    print(f"  {'micrograd / autograd':<22}{ratios}")


def chain(n: int) -> tuple[Value, Value]:
    """``n`` nodes x, x * c, x * c * c, ...; returns the leaf and the end of the chain."""
    x = Value(1.0)
    y = x
    for _ in range(n - 1):
        y = y * 1.0000001
    return x, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions, best is kept")
    parser.add_argument("--chain", type=int, default=1_000_000, help="nodes in the deep chain")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"Machine {platform.platform()}, {platform.machine()}, {platform.processor() or '?'}")
    if hasattr(os, "getloadavg"):  # other work on the machine makes every figure noisier
        print(f"Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()

    problem = make_problem(args.seed)
    sizes = "-".join(map(str, SIZES))
    print(f"MLP {sizes} over {SAMPLES} samples, sum of squared errors, best of {args.reps}")
    for collect in (True, False):
        results = time_engines(problem, args.reps, collect=collect)
        if collect:
            facts = ", ".join(
                f"{name} {nodes} nodes, loss {loss:.9f}"
                for name, (*_, nodes, loss) in results.items()
            )
            print(f"  {facts}")
        print("Cycle collector on (Python's default)" if collect else "Cycle collector off")
        print_mlp_table(results)
    print()

    n = args.chain
    gc.collect()
    t0 = time.perf_counter()
    x, y = chain(n)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    expected = 1.0000001 ** (n - 1)
    print(f"Chain of {n} nodes (y = y * 1.0000001): x.grad {x.grad:.9f} (exact {expected:.9f})")
    print(f"  build {t1 - t0:.2f} s  backward {t2 - t1:.2f} s")
    del x, y
    gc.collect()
    tracemalloc.start()
    x, y = chain(n)
    y.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak memory (tracemalloc, build + backward) {peak / 2**20:.0f} MiB")
    print(f"  = {peak / n:.0f} bytes per node")


if __name__ == "__main__":
    main()
