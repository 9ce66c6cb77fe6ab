"""Time this engine against micrograd 0.1.0 on one MLP training step, and on a deep chain.

    python benchmarks/bench_engine.py [--reps 20] [--chain 1000000] [--seed 0]

The step is the one a micrograd user writes: ``MLP(16, [32, 32, 1])`` from each library's own
``nn`` module (micrograd's weights overwritten with ours, so the two compute the same numbers),
8 samples given as leaf Values, the loss ``sum(((out - 1.0) ** 2 for out in outs), Value(0.0))``,
then ``loss.backward()``. Each figure is the best of ``--reps`` steps, with Python's cycle
collector on (the default) and then off; the engines take turns within each repetition, so that
a noisy neighbour on the machine slows both alike. Needs ``pip install micrograd==0.1.0``.
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
from dataclasses import dataclass
from typing import Any

from gradtrio.autograd import MLP, Value
from micrograd.engine import Value as MicrogradValue
from micrograd.nn import MLP as MicrogradMLP

NIN, NOUTS, SAMPLES = 16, [32, 32, 1], 8


@dataclass
class Engine:
    """One library under test: its Value class and an MLP of it holding the shared weights."""

    name: str
    value: Callable[[float], Any]
    model: Any


def make_engines(seed: int) -> list[Engine]:
    ours = MLP(NIN, NOUTS, rng=random.Random(seed))
    theirs = MicrogradMLP(NIN, NOUTS)
    # Same parameter order in both libraries: per neuron its weights, then its bias.
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        q.data = p.data
    return [Engine("autograd", Value, ours), Engine("micrograd 0.1.0", MicrogradValue, theirs)]


def make_inputs(seed: int) -> list[list[float]]:
    rng = random.Random(seed + 1)
    return [[rng.uniform(-1.0, 1.0) for _ in range(NIN)] for _ in range(SAMPLES)]


def step(engine: Engine, xs: list[list[float]]) -> tuple[Any, float, float]:
    """One forward and backward pass: the loss, and the seconds each took."""
    V = engine.value
    inputs = [[V(v) for v in x] for x in xs]  # as micrograd's demo: inputs are leaves
    t0 = time.perf_counter()
    outs = [engine.model(x) for x in inputs]
    loss = sum(((out - 1.0) ** 2 for out in outs), V(0.0))
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    return loss, t1 - t0, t2 - t1


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


@contextlib.contextmanager
def cycle_collector(enabled: bool) -> Iterator[None]:
    """Run the block with Python's cycle collector on or off, restoring its state after."""
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was_enabled else gc.disable)()


@dataclass
class Best:
    forward: float = math.inf
    backward: float = math.inf
    total: float = math.inf  # the best single step, not the sum of the two bests


def time_engines(engines: list[Engine], xs: list, reps: int, *, collect: bool) -> list[Best]:
    best = [Best() for _ in engines]
    for _ in range(reps):
        for engine, b in zip(engines, best, strict=True):
            engine.model.zero_grad()
            gc.collect()  # micrograd's closures make each graph cyclic garbage: free it untimed
            with cycle_collector(collect):
                loss, fwd, bwd = step(engine, xs)
            b.forward, b.backward = min(b.forward, fwd), min(b.backward, bwd)
            b.total = min(b.total, fwd + bwd)
            del loss
    return best


def check_agreement(engines: list[Engine], xs: list) -> str:
    """Loss, node count and the largest gradient difference between the two engines."""
    results = []
    for engine in engines:
        engine.model.zero_grad()
        loss, _, _ = step(engine, xs)
        grads = [p.grad for p in engine.model.parameters()]
        results.append((loss.data, count_nodes(loss), grads))
    (l0, n0, g0), (l1, n1, g1) = results
    diff = max(abs(a - b) for a, b in zip(g0, g1, strict=True))
    return (
        f"loss {l0:.12g} vs {l1:.12g}; nodes {n0} vs {n1} (micrograd makes `out - 1.0` two nodes);"
        f" largest gradient difference {diff:.1e}"
    )


def print_table(engines: list[Engine], best: list[Best]) -> None:
    print(f"  {'':<24}{'forward ms':>11}{'backward ms':>13}{'total ms':>10}")
    for engine, b in zip(engines, best, strict=True):
        print(
            f"  {engine.name:<24}{b.forward * 1e3:>11.2f}{b.backward * 1e3:>13.2f}"
            f"{b.total * 1e3:>10.2f}"
        )
    o, m = best
    print(
        f"  {'micrograd / autograd':<24}{m.forward / o.forward:>10.2f}x"
        f"{m.backward / o.backward:>12.2f}x{m.total / o.total:>9.2f}x"
    )


def chain(n: int) -> tuple[Value, Value]:
    """``n`` nodes x, x * c, x * c * c, ...; returns the leaf and the end of the chain."""
    x = Value(1.0)
    y = x
    for _ in range(n - 1):
        y = y * 1.0000001
    return x, y


def print_chain(n: int) -> None:
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
    print(
        f"  peak memory (tracemalloc, build + backward) {peak / 2**20:.0f} MiB"
        f" = {peak / n:.0f} bytes per node"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="repetitions, best is kept")
    parser.add_argument("--chain", type=int, default=1_000_000, help="nodes in the deep chain")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"Machine {platform.platform()}, {platform.machine()}, {platform.processor() or '?'}")
    if hasattr(os, "getloadavg"):  # other work on the machine makes every figure noisier
        print(f"Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()

    engines, xs = make_engines(args.seed), make_inputs(args.seed)
    print(f"MLP({NIN}, {NOUTS}) over {SAMPLES} samples, one training step, best of {args.reps}")
    print(f"  {check_agreement(engines, xs)}")
    for collect in (True, False):
        print("Cycle collector on (Python's default)" if collect else "Cycle collector off")
        print_table(engines, time_engines(engines, xs, args.reps, collect=collect))
    print()
    if args.chain:
        print_chain(args.chain)


if __name__ == "__main__":
    main()
