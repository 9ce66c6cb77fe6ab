"""What running the engine in a worker process costs.

    python benchmarks/bench_isolation.py [--cases 300] [--seed 0] [--reps 3]

* Per case: ``--cases`` cases drawn up front from the default run's families, judged in full
  (three oracles) on this project's engine in the harness's process and through its worker; the
  difference is the isolation's cost per case. Beside it, the engine's share of a case alone
  (``run``: forward and backward) both ways.
* One round trip: a trivial call to the worker.
* Start and restart: starting the fork server and the first worker (what a run pays once), and
  forking a fresh worker after one exited (what each dying case pays).

Each time is the best of ``--reps`` passes. Nothing is asserted: the figures are the result.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from _measure import best_of, machine
from gradtrio.checks.engines.protocol import EngineCrash
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import families
from gradtrio.strategies.expression import Expression, Node
from hypothesis import strategies as st

ENGINES = Path(__file__).resolve().parent.parent / "tests" / "engines"


def best(fn: Callable[[], object], reps: int) -> float:
    """Smallest wall time of ``reps`` calls: the worker's time is another process's, so CPU
    time of this one would leave it out."""
    return best_of(reps, fn, time.perf_counter)


def draw(engine: object, n: int, seed: int) -> list:
    strategy = st.one_of(list(families(engine, 12).values()))
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    drawn: list = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: object) -> None:
        drawn.append(case)

    collect()
    return drawn[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    print(machine())

    start = time.perf_counter()
    isolated = load_engine(isolated=True)
    started = time.perf_counter() - start
    here = load_engine()
    cases = draw(here, args.cases, args.seed)
    nodes = sum(len(c.expression.nodes) for c in cases) / len(cases)
    print(f"{len(cases)} cases from the default families, {nodes:.1f} op nodes on average\n")

    def judged(engine: object) -> Callable[[], object]:
        return lambda: [judge(engine, case) for case in cases]

    def engine_share(engine: object) -> Callable[[], object]:
        def go() -> None:
            for case in cases:
                with engine.time_limit():  # type: ignore[attr-defined]
                    engine.run(case.expression, case.point)  # type: ignore[attr-defined]

        return go

    rows = [
        ("judge", judged(here), judged(isolated)),
        ("the engine's run", engine_share(here), engine_share(isolated)),
    ]
    print(f"{'per case, ms':<32}{'in process':>12}{'worker':>12}{'cost':>12}")
    for name, local, remote in rows:
        a = best(local, args.reps) / len(cases) * 1e3
        b = best(remote, args.reps) / len(cases) * 1e3
        print(f"{name:<32}{a:>12.3f}{b:>12.3f}{b - a:>+12.3f}")

    trips = 2000
    trip = best(lambda: [isolated.limitations() for _ in range(trips)], args.reps) / trips
    print(f"\none round trip (a trivial call): {trip * 1e6:.0f} us")
    print(f"fork server and first worker started in {started:.2f} s")

    dying = load_engine(f"{ENGINES / 'hostile_os_exit_in_backward.py'}:Value", isolated=True)
    tanh = Expression(1, (Node("tanh", (0,)),))
    restarts = []
    for _ in range(10):
        with contextlib.suppress(EngineCrash):
            dying.run(tanh, (0.5,))
        start = time.perf_counter()
        dying.forward(tanh, (0.5,))  # forks a fresh worker first
        restarts.append(time.perf_counter() - start)
    print(
        f"a fresh worker after one exited: {min(restarts) * 1e3:.0f} ms "
        f"(median {sorted(restarts)[5] * 1e3:.0f} ms over 10)"
    )


if __name__ == "__main__":
    main()
