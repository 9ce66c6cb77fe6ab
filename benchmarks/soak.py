"""Soak test: many cases through the whole harness against this project's engine, which is right,
so every failure is a false alarm.

    python benchmarks/soak.py [--cases 100000] [--seeds 5] [--first-seed 0]
                              [--engine gradtrio.autograd:Value] [--in-process]

The cases are split evenly over ``--seeds`` runs of ``gradtrio.checks.search.run.run`` (seeds
``--first-seed`` onwards), the engine in a worker process as the command line runs it. Prints
the cases judged, the failures, cases skipped outside the domain and cases left undecided
because the oracles disagreed, and the full report of the first false alarm if any.
A run stops drawing new cases at its first failure (Hypothesis then shrinks it), so "cases"
counts every judged case, shrinking included, and "before alarm" the cases drawn before it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from _measure import machine, watch_verdicts
from gradtrio.checks.defaults import DEFAULT_ENGINE
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.report.text import format_verdict
from gradtrio.checks.search.run import run as run_harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in all (default 100000)")
    parser.add_argument("--seeds", type=int, default=5, help="runs, one seed each (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first run")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="engine spec to soak")
    parser.add_argument(
        "--in-process", action="store_true", help="the engine in this process, not in a worker"
    )
    parser.add_argument("--max-nodes", type=int, default=12, help="op nodes per interior case")
    parser.add_argument("--progress", action="store_true", help="show a progress bar per run")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.cases < args.seeds:
        parser.error(f"--cases={args.cases} and --seeds={args.seeds}: need cases >= seeds >= 1")

    engine = load_engine(args.engine, isolated=not args.in_process)
    print(f"machine: {machine()}")
    print(
        f"command: python benchmarks/soak.py --cases {args.cases} --seeds {args.seeds} "
        f"--first-seed {args.first_seed} --engine {args.engine}"
        + (" --in-process" if args.in_process else "")
    )
    per_run = args.cases // args.seeds
    totals: Counter[str] = Counter()
    families: Counter[str] = Counter()
    alarms: list[Verdict] = []
    start = time.perf_counter()
    print(
        f"\n{'seed':>6}  {'cases':>8}  {'failures':>8}  {'before alarm':>12}  {'skipped':>7}  "
        f"{'undecided':>9}  {'shared':>6}  {'seconds':>7}"
    )
    for run_seed in range(args.first_seed, args.first_seed + args.seeds):
        with watch_verdicts() as watch:
            result = run_harness(
                engine,
                examples=per_run,
                run_seed=run_seed,
                max_nodes=args.max_nodes,
                deep=0,
                progress=args.progress,
            )
        totals.update(
            cases=result.examples,
            failures=len(result.failures),
            skipped=result.skipped,
            undecided=result.undecided,
            shared=result.search.shared,
        )
        families.update(result.family_counts)
        alarms.extend(result.failures)
        shared = 100 * result.search.shared / max(1, result.examples)
        first = watch.first_failure
        before = f"{first[0] - 1:,}" if result.failures and first else "-"
        print(
            f"{run_seed:>6}  {result.examples:>8,}  {len(result.failures):>8}  {before:>12}  "
            f"{result.skipped:>7}  {result.undecided:>9}  {shared:>5.0f}%  "
            f"{result.elapsed_s:>7.1f}",
            flush=True,
        )
    elapsed = time.perf_counter() - start
    print(
        f"\ntotal: {totals['cases']:,} cases in {elapsed:.0f} s "
        f"({totals['cases'] / elapsed:,.0f} cases/s); failures (false alarms): "
        f"{totals['failures']}; skipped outside the domain: {totals['skipped']}; "
        f"undecided: {totals['undecided']}"
    )
    print("families: " + ", ".join(f"{k} {v:,}" for k, v in sorted(families.items())))
    if alarms:
        print("\nfirst false alarm:\n")
        print(format_verdict(alarms[0], engine=engine))
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main())
