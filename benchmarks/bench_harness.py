"""How fast the harness judges cases, where the time goes, how it scales against gradcheck, and
how wide the reference's enclosures are.

    python benchmarks/bench_harness.py [--cases 300] [--enclosures 2000] [--seed 0] [--reps 3]

* Throughput: ``--cases`` cases drawn up front from ``strategies.cases()`` with a fixed seed, then
  the full three-oracle ``judge`` timed on them, and each part alone: the reference (Arb balls),
  the PyTorch replay, the finite differences (which call the engine's forward) and one engine
  run. Beside them, the former oracles: the 40-digit mpmath reference, finite differences with
  all four Richardson levels, and ``judge`` with both put back in place.
* Scaling: ``judge`` on DAGs of about 3, 10, 100 and 1,000 op nodes with heavy reuse (each binary
  node takes the newest node and a random earlier one; a tanh or sigmoid after each keeps every
  value bounded), its parts, the former oracles, and ``torch.autograd.gradcheck`` of the
  expression replayed in torch ops on the same DAG; ratios are our time over gradcheck's.
* Through the command line: corpora of such DAGs judged by ``gradtrio replay``, per case (the
  cost of one more file) and the whole replay over its files, beside gradcheck of each.
* Enclosures: over ``--enclosures`` cases, at what precision the reference was decided, how many
  significant digits of the output value and input gradients its balls make certain, and how
  often the 40-digit reference lies outside the ball (digits it got wrong).

Each time is the best of ``--reps`` passes. Nothing is asserted: the tables are the result.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradtrio.checks.judgement.verdict
import gradtrio.checks.oracles.finite_differences
import mpmath
import torch
from _measure import best_of, machine
from flint import arb, ctx
from gradtrio.checks.cli import main as cli_main
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.oracles.finite_differences import fd_gradients
from gradtrio.checks.oracles.reference.enclose import OutOfDomain, Undecided, reference
from gradtrio.checks.oracles.torch_float64 import torch_gradients
from gradtrio.checks.search.corpus import Entry
from gradtrio.strategies import cases
from gradtrio.strategies.case import Case, Rules
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import Op
from hypothesis import HealthCheck, Phase, given, seed, settings
from mpmath_reference import reference_mpmath


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
    if len(nodes) < op_nodes:  # an odd size: one more bounded node
        nodes.append(Node("tanh", (n_inputs + len(nodes) - 1,)))
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


# -- the former oracles ------------------------------------------------------------------------


@contextlib.contextmanager
def former_oracles() -> Iterator[None]:
    """``judge`` as it was: the 40-digit mpmath reference, all four Richardson levels."""
    verdict, fd = gradtrio.checks.judgement.verdict, gradtrio.checks.oracles.finite_differences
    saved = verdict.reference, fd.GOOD_ENOUGH

    def former(expression: Expression, point: Sequence[float], dtype: str = "float64", **kw: Any):
        return reference_mpmath(expression, point, **kw)  # float64 only, as it was

    verdict.reference, fd.GOOD_ENOUGH = former, 0.0  # type: ignore[assignment]
    try:
        yield
    finally:
        verdict.reference, fd.GOOD_ENOUGH = saved  # type: ignore[assignment]


def all_levels(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with finite differences always taking all four levels."""

    def run() -> Any:
        saved = gradtrio.checks.oracles.finite_differences.GOOD_ENOUGH
        gradtrio.checks.oracles.finite_differences.GOOD_ENOUGH = 0.0
        try:
            return fn()
        finally:
            gradtrio.checks.oracles.finite_differences.GOOD_ENOUGH = saved

    return run


def judge_former(engine: Engine, case: Any, point: Sequence[float] | None = None) -> Any:
    with former_oracles():
        return judge(engine, case, point)


# -- tables ------------------------------------------------------------------------------------


def throughput(engine: Engine, drawn: list[Case], reps: int) -> None:
    n = len(drawn)
    nodes = sum(len(c.expression.nodes) for c in drawn)

    def each(fn: Callable[[Case], Any]) -> Callable[[], None]:
        return lambda: [fn(c) for c in drawn]  # type: ignore[func-returns-value]

    def fd(c: Case) -> Any:
        return fd_gradients(lambda p: engine.forward(c.expression, p), c.expression, c.point)

    def ref(c: Case) -> Any:
        with contextlib.suppress(OutOfDomain):
            return reference(c.expression, c.point)

    def ref_mpmath(c: Case) -> Any:
        with contextlib.suppress(OutOfDomain):
            return reference_mpmath(c.expression, c.point)

    ours: list[tuple[str, Callable[[], Any]]] = [
        ("  reference, Arb balls", each(ref)),
        ("  PyTorch replay", each(lambda c: torch_gradients(c.expression, c.point))),
        ("  finite differences", each(fd)),
        ("  engine run", each(lambda c: engine.run(c.expression, c.point))),
    ]
    full_fn = each(lambda c: judge(engine, c))  # the case's own rules go with it
    former_fn = each(lambda c: judge_former(engine, c))
    grad_fn = each(lambda c: gradcheck_case(c.expression, c.point))
    full_fn()  # warm caches (compiled SymPy derivatives, torch dispatch)
    former_fn()
    full = best_of(reps, full_fn)
    parts = {name: best_of(reps, fn) for name, fn in ours}
    rest = max(0.0, full - sum(parts.values()))
    grad = best_of(reps, grad_fn)
    former = {
        "judge, former oracles": best_of(reps, former_fn),
        "  reference, mpmath 40 digits": best_of(reps, each(ref_mpmath)),
        "  finite differences, 4 levels": best_of(reps, all_levels(each(fd))),
    }
    print(
        f"\nThroughput: {n} cases from strategies.cases() (seed fixed), "
        f"{nodes / n:.1f} op nodes per case on average"
    )
    rows = [("full check (judge)", full, "100%")]
    rows += [(name, t, f"{100 * t / full:.0f}%") for name, t in parts.items()]
    rows += [("  the rest (domain, kinks, comparisons)", rest, f"{100 * rest / full:.0f}%")]
    rows += [("gradcheck (torch replay)", grad, "-")]
    rows += [(name, t, "-") for name, t in former.items()]
    table(
        ("", "cases/s", "ms/case", "share of judge"),
        [
            (name, f"{n / t:,.0f}" if t > 0 else "-", f"{1e3 * t / n:.3f}", share)
            for name, t, share in rows
        ],
    )
    passed = sum(gradcheck_case(c.expression, c.point) for c in drawn)
    print(
        f"ratio to gradcheck: judge {full / grad:.2f}, with the former oracles "
        f"{former['judge, former oracles'] / grad:.2f} "
        f"(gradcheck passed {passed}/{n} of the torch replays)"
    )


SCALING_COLUMNS = (
    "judge",
    "former",
    "gradcheck",
    "ref arb",
    "ref mpmath",
    "fd",
    "fd 4 lvl",
    "torch",
    "engine",
)


def _scaling_times(
    engine: Engine, e: Expression, p: tuple[float, ...], reps: int
) -> dict[str, float]:
    inner = max(1, 200 // len(e.nodes))

    def repeat(fn: Callable[[], Any]) -> float:
        return best_of(reps, lambda: [fn() for _ in range(inner)]) / inner

    def fd() -> Any:
        return fd_gradients(lambda q: engine.forward(e, q), e, p)

    measured: list[Callable[[], Any]] = [
        lambda: judge(engine, e, p),
        lambda: judge_former(engine, e, p),
        lambda: gradcheck_case(e, p),
        lambda: reference(e, p),
        lambda: reference_mpmath(e, p),
        fd,
        all_levels(fd),
        lambda: torch_gradients(e, p),
        lambda: engine.run(e, p),
    ]
    return {name: repeat(fn) for name, fn in zip(SCALING_COLUMNS, measured, strict=True)}


def scaling(engine: Engine, reps: int) -> None:
    print("\nScaling: judge on reuse-heavy DAGs (add/mul + tanh/sigmoid, 2 inputs), times in ms")
    rows = []
    for size in (3, 10, 100, 1000):
        e, p = reuse_dag(size)
        verdict = judge(engine, e, p)
        judge_former(engine, e, p)
        t = _scaling_times(engine, e, p, reps)
        rows.append(
            (
                str(len(e.nodes)),
                verdict.status.value,
                *(f"{1e3 * t[name]:.2f}" for name in SCALING_COLUMNS),
                f"{t['judge'] / t['gradcheck']:.2f}",
                f"{t['former'] / t['gradcheck']:.2f}",
            )
        )
    table(("op nodes", "verdict", *SCALING_COLUMNS, "ratio", "former ratio"), rows)
    print(
        "former: judge with the mpmath reference and four-level finite differences; "
        "ratio: judge / gradcheck"
    )


REPLAYED = (3, 10, 100, 1000)  # sizes of the replayed DAGs
FILES = 20  # files in the larger corpus of each size


def _replay_time(dags: list[tuple[Expression, tuple[float, ...]]], reps: int) -> float:
    """Best wall time of ``gradtrio replay`` (in this process, the engine in its worker as on
    the command line) of a corpus holding ``dags``."""
    with tempfile.TemporaryDirectory() as corpus:
        for e, p in dags:
            entry = Entry(Case(e, p, "corpus", Rules()))
            (Path(corpus) / f"case-{entry.digest}.json").write_text(json.dumps(entry.to_json()))
        command = ["replay", "--corpus", corpus, "--quiet", "--no-report"]
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = cli_main(command)
        if code != 0:
            raise SystemExit(f"replay exited {code}:\n{out.getvalue()}")
        with contextlib.redirect_stdout(io.StringIO()):
            return best_of(reps, lambda: cli_main(command))


def replay_scaling(reps: int) -> None:
    """Such DAGs saved in a corpus and judged by ``gradtrio replay``, beside one gradcheck of
    each: per case, the marginal cost (a corpus of FILES files against one of a single file)
    and the whole replay over FILES (the worker's start shared by its files)."""
    print(f"\nScaling through the command line: `gradtrio replay` of {FILES} such DAGs, in ms")
    rows = []
    for size in REPLAYED:
        dags = [reuse_dag(size, dag_seed) for dag_seed in range(FILES)]
        one, many = _replay_time(dags[:1], reps), _replay_time(dags, reps)
        marginal = (many - one) / (FILES - 1)
        grad = best_of(reps, lambda d=dags: [gradcheck_case(e, p) for e, p in d]) / FILES
        rows.append(
            (
                str(size),
                f"{1e3 * (one - marginal):.1f}",
                f"{1e3 * marginal:.2f}",
                f"{1e3 * many / FILES:.2f}",
                f"{1e3 * grad:.2f}",
                f"{marginal / grad:.2f}",
                f"{many / FILES / grad:.2f}",
            )
        )
    header = ("op nodes", "start", "per case", "all/files", "gradcheck", "ratio", "ratio all")
    table(header, rows)
    print(
        "start: a replay's fixed cost once the fork server runs (a worker forked, the engine "
        "read, the corpus listed); per case: the "
        "cost of one more file; ratio: per case / gradcheck; ratio all: the whole replay over "
        f"its {FILES} files / gradcheck"
    )


def _outside(ball: Any, value: Any) -> bool:
    """Is the mpmath number ``value`` outside ``ball`` by more than its own 40th digit?"""
    old = ctx.prec
    ctx.prec = 512
    try:
        x = arb(mpmath.nstr(value, 45))
        slack = abs(x) * arb(10) ** -38 + arb(10) ** -320
        return not ball.overlaps(x + arb(0, slack))
    finally:
        ctx.prec = old


def _band(digits: float) -> str:
    if math.isinf(digits):
        return "exact"
    if digits >= 30:
        return ">= 30"
    if digits >= 15:
        return "15 to 30"
    return "0 (a ball holding 0)" if digits == 0 else "1 to 15"


def enclosures(drawn: list[Case]) -> None:
    decided: Counter[str] = Counter()
    digits: list[float] = []
    mpmath_off = 0
    for c in drawn:
        try:
            ref = reference(c.expression, c.point)
        except Undecided:
            decided["undecided"] += 1
            continue
        except OutOfDomain:
            decided["out of domain"] += 1
            continue
        decided[f"{ref.precision} bits"] += 1
        digits.append(ref.digits)
        try:
            old = reference_mpmath(c.expression, c.point)
        except OutOfDomain:
            continue
        quantities = zip([ref.value, *ref.grads], [old.value, *old.grads])
        mpmath_off += any(_outside(b, v) for b, v in quantities)
    n = len(drawn)
    print(f"\nEnclosures: {n} cases from strategies.cases() (seed fixed)")
    table(
        ("decided at", "cases", "share"),
        [(name, str(k), f"{100 * k / n:.1f}%") for name, k in sorted(decided.items())],
    )
    bands = Counter(_band(d) for d in digits)
    print("\ncertain significant digits, least certain of the output value and input gradients:")
    table(
        ("digits", "cases", "share"),
        [(name, str(k), f"{100 * k / len(digits):.1f}%") for name, k in sorted(bands.items())],
    )
    inexact = sorted(d for d in digits if 0 < d < math.inf)
    if inexact:
        print(
            f"inexact balls not holding 0: min {inexact[0]:.1f}, "
            f"median {inexact[len(inexact) // 2]:.1f} digits"
        )
    print(f"cases where the 40-digit reference is outside the ball: {mpmath_off}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300, help="cases for the throughput table")
    parser.add_argument("--enclosures", type=int, default=2000, help="cases for the enclosures")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn cases")
    parser.add_argument("--reps", type=int, default=3, help="passes; the best one counts")
    args = parser.parse_args(argv)
    for name in ("cases", "enclosures", "reps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}={getattr(args, name)} must be >= 1")
    print(f"machine: {machine()}")
    print(
        f"command: python benchmarks/bench_harness.py --cases {args.cases} "
        f"--enclosures {args.enclosures} --seed {args.seed} --reps {args.reps}"
    )
    engine = ValueClassEngine.load()
    drawn = draw_cases(max(args.cases, args.enclosures), args.seed)
    throughput(engine, drawn[: args.cases], args.reps)
    scaling(engine, args.reps)
    replay_scaling(args.reps)
    enclosures(drawn[: args.enclosures])
    return 0


if __name__ == "__main__":
    sys.exit(main())
