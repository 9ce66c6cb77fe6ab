"""Wall time of a default run (``python -m gradtrio`` with its defaults: 500 examples, 2 deep
chains) on every test engine and every mutant of the battery, failing or not.

    python benchmarks/run_times.py [--seed 0] [--only engines|mutants]

Each run is ``gradtrio.checks.search.run.run`` with the command line's defaults (a test engine in a
worker process, as the command line runs it; a mutant, an in-memory class, in this one), so
start-up is not included; prints one line per engine (seconds, outcome) and the median and the
maximum per group.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from _measure import machine
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Severity
from gradtrio.checks.search.run import run
from mutants import MUTANTS, load_mutant

ENGINES = Path(__file__).resolve().parent.parent / "tests" / "engines"
SKIP = {"tinyvalue", "strict_node"}  # helpers of other engines, or a Node class (its own spec)


def timed(engine: Engine, seed: int) -> tuple[float, str]:
    start = time.perf_counter()
    result = run(engine, examples=500, run_seed=seed, deep=2, progress=False)
    seconds = time.perf_counter() - start
    counts = {s.value: len(result.of_severity(s)) for s in Severity}
    outcome = "pass" if result.passed else "FAIL"
    found = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return seconds, f"{outcome}{' (' + found + ')' if found else ''}"


def _class_name(path: Path) -> str:
    """The engine class a test engine file defines: ``Value``, or minitorch's ``Scalar``."""
    return "Scalar" if re.search(r"^class Scalar\b", path.read_text(), re.M) else "Value"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("engines", "mutants"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    groups: dict[str, list[tuple[str, Engine]]] = {}
    if args.only != "mutants":
        groups["test engines"] = [
            (path.stem, load_engine(f"{path}:{_class_name(path)}", isolated=True))
            for path in sorted(ENGINES.glob("*.py"))
            if path.stem not in SKIP
        ]
    if args.only != "engines":
        groups["mutants"] = [(m.name, ValueClassEngine.from_class(load_mutant(m))) for m in MUTANTS]
    for group, engines in groups.items():
        times = []
        for name, engine in engines:
            seconds, outcome = timed(engine, args.seed)
            times.append(seconds)
            print(f"  {group:<13} {name:<28} {seconds:7.1f} s  {outcome}", flush=True)
        print(
            f"{group}: {len(times)} default runs, median {statistics.median(times):.1f} s, "
            f"max {max(times):.1f} s\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
