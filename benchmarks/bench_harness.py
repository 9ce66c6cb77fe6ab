"""How fast the harness judges cases, where the time goes, how it scales, and what gradcheck costs.

    python benchmarks/bench_harness.py [--cases 300] [--seed 0] [--reps 3]

* Throughput: ``--cases`` cases drawn up front from ``strategies.cases()`` with a fixed seed, then
  the full three-oracle ``judge`` timed on them, and each part alone: the SymPy reference, the
  PyTorch replay, the finite differences (which call the engine's forward) and one engine run.
* Scaling: time per op node of ``judge`` on DAGs of about 10, 100 and 1,000 op nodes with heavy
  reuse (each binary node takes the newest node and a random earlier one; a tanh or sigmoid after
  each keeps every value bounded).
* gradcheck: ``torch.autograd.gradcheck`` of the expression replayed in torch ops, on the same
  cases, and the ratio of our check's time to it.

Each figure is the best of ``--reps`` passes. Nothing is asserted: the tables are the result.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from _measure import machine
from gradtrio.checks.engine import Engine
from gradtrio.checks.oracle_fd import fd_gradients
from gradtrio.checks.oracle_sympy import reference
from gradtrio.checks.oracle_torch import torch_gradients
from gradtrio.checks.verdict import judge
from gradtrio.strategies import cases
from gradtrio.strategies.dags import Case
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import Op
from hypothesis import HealthCheck, Phase, given, seed, settings


def draw_cases(n: int, run_seed: int) -> list[Case]:
    """``n`` cases from ``strategies.cases()``, the same ones for the same seed."""
    out: list[Case] = []

    @seed(run_seed)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases())
    def collect(case: Case) -> None:
        out.append(case)

    collect()
    return out[:n]


def best_of(reps: int, fn: Callable[[], Any]) -> float:
    """Smallest wall time of ``reps`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# -- gradcheck of the torch replay ------------------------------------------------------------


def _torch_apply(op: Op, node: Node, operands: list[Any]) -> Any:
    return op.torch(*operands)


def torch_replay(expression: Expression) -> Callable[[torch.Tensor], torch.Tensor]:
    """The expression as a function of one float64 tensor holding every input."""

    def fn(x: torch.Tensor) -> torch.Tensor:
        return interpret(expression, list(x.unbind()), _torch_apply)[-1]

    return fn


def gradcheck_case(expression: Expression, point: Sequence[float]) -> bool:
    x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    return bool(torch.autograd.gradcheck(torch_replay(expression), (x,), raise_exception=False))


# -- scaling DAGs ------------------------------------------------------------------------------


def reuse_dag(op_nodes: int, dag_seed: int = 0) -> tuple[Expression, tuple[float, ...]]:
    """About ``op_nodes`` nodes: pairs of (add or mul of the newest node and a random earlier
    bounded node, then tanh or sigmoid), so every value stays in [-2, 2] and nodes are reused."""
    rng = random.Random(dag_seed)
    n_inputs = 2
    point = tuple(rng.uniform(-1.0, 1.0) for _ in range(n_inputs))
    bounded = list(range(n_inputs))
    nodes: list[Node] = []
    while len(nodes) + 2 <= max(op_nodes, 2):
        newest = n_inputs + len(nodes) - 1 if nodes else bounded[-1]
        nodes.append(Node(rng.choice(("add", "mul")), (newest, rng.choice(bounded))))
        nodes.append(Node(rng.choice(("tanh", "sigmoid")), (n_inputs + len(nodes) - 1,)))
        bounded.append(n_inputs + len(nodes) - 1)
    return Expression(n_inputs, tuple(nodes)), point


# -- tables ------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: list[Sequence[str]]) -> None:
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for j, line in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if j == 0:
            print("  ".join("-" * w for w in widths))


def throughput(engine: Engine, drawn: list[Case], reps: int) -> None:
    n = len(drawn)
    nodes = sum(len(c.expression.nodes) for c in drawn)

    def each(fn: Callable[[Case], Any]) -> Callable[[], None]:
        return lambda: [fn(c) for c in drawn]  # type: ignore[func-returns-value]

    def fd(c: Case) -> Any:
        return fd_gradients(lambda p: engine.forward(c.expression, p), c.expression, c.point)

    parts: list[tuple[str, Callable[[Case], Any]]] = [
        (
            "full check (judge)",
            lambda c: judge(
                engine,
                c.expression,
                c.point,
                exact_kinks=c.exact_kinks,
                max_magnitude=c.max_magnitude,
            ),
        ),
        ("  SymPy/mpmath reference", lambda c: reference(c.expression, c.point)),
        ("  PyTorch replay", lambda c: torch_gradients(c.expression, c.point)),
        ("  finite differences", fd),
        ("  engine run", lambda c: engine.run(c.expression, c.point)),
        ("gradcheck (torch replay)", lambda c: gradcheck_case(c.expression, c.point)),
    ]
    each(parts[0][1])()  # warm caches (compiled SymPy derivatives, torch dispatch)
    times = {name: best_of(reps, each(fn)) for name, fn in parts}
    full = times["full check (judge)"]
    oracles = sum(t for name, t in times.items() if name.startswith("  "))
    times = {
        **{k: v for k, v in times.items() if not k.startswith("gradcheck")},
        "  the rest (domain, kinks, comparisons)": max(0.0, full - oracles),
        "gradcheck (torch replay)": times["gradcheck (torch replay)"],
    }
    print(
        f"\nThroughput: {n} cases from strategies.cases() (seed fixed), "
        f"{nodes / n:.1f} op nodes per case on average"
    )
    table(
        ("", "cases/s", "ms/case", "share of judge"),  # the rest: judge minus its parts
        [
            (
                name,
                f"{n / t:,.0f}" if t > 0 else "-",
                f"{1e3 * t / n:.2f}",
                "-" if name.startswith("gradcheck") else f"{100 * t / full:.0f}%",
            )
            for name, t in times.items()
        ],
    )
    passed = sum(gradcheck_case(c.expression, c.point) for c in drawn)
    ratio = full / times["gradcheck (torch replay)"]
    print(
        f"ratio: our check / gradcheck = {ratio:.2f} "
        f"(gradcheck passed {passed}/{n} of the torch replays)"
    )


def scaling(engine: Engine, reps: int) -> None:
    print("\nScaling: judge on reuse-heavy DAGs (add/mul + tanh/sigmoid, 2 inputs)")
    rows = []
    per_node = []
    for size in (10, 100, 1000):
        expression, point = reuse_dag(size)
        k = len(expression.nodes)
        verdict = judge(engine, expression, point)
        inner = max(1, 200 // k)

        def check(e: Expression = expression, p: tuple[float, ...] = point, m: int = inner) -> None:
            for _ in range(m):
                judge(engine, e, p)

        def grad(e: Expression = expression, p: tuple[float, ...] = point, m: int = inner) -> None:
            for _ in range(m):
                gradcheck_case(e, p)

        t = best_of(reps, check) / inner
        g = best_of(reps, grad) / inner
        e, p = expression, point
        ref = best_of(reps, lambda e=e, p=p: reference(e, p))
        fd = best_of(reps, lambda e=e, p=p: fd_gradients(lambda q: engine.forward(e, q), e, p))
        tor = best_of(reps, lambda e=e, p=p: torch_gradients(e, p))
        per_node.append(t / k)
        uses = sum(len(c) for c in expression.consumers()) / expression.size  # distinct users
        rows.append(
            (
                str(k),
                f"{uses:.2f}",
                verdict.status,
                f"{1e3 * t:.2f}",
                f"{1e6 * t / k:.0f}",
                f"{1e3 * ref:.2f}",
                f"{1e3 * fd:.2f}",
                f"{1e3 * tor:.2f}",
                f"{1e3 * g:.2f}",
                f"{t / g:.2f}",
            )
        )
    table(
        (
            "op nodes",
            "users/node",
            "verdict",
            "judge ms",
            "us/node",
            "sympy ms",
            "fd ms",
            "torch ms",
            "gradcheck ms",
            "ratio",
        ),
        rows,
    )
    print(f"time per node, largest / smallest: {max(per_node) / min(per_node):.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300, help="cases for the throughput table")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn cases")
    parser.add_argument("--reps", type=int, default=3, help="passes; the best one counts")
    args = parser.parse_args(argv)
    for name in ("cases", "reps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}={getattr(args, name)} must be >= 1")
    print(f"machine: {machine()}")
    print(
        f"command: python benchmarks/bench_harness.py --cases {args.cases} --seed {args.seed} "
        f"--reps {args.reps}"
    )
    engine = Engine.load()
    drawn = draw_cases(args.cases, args.seed)
    throughput(engine, drawn, args.reps)
    scaling(engine, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
