"""What the MLP family catches, and what it costs, at two network sizes.

    python benchmarks/bench_mlp_size.py [--hidden 4 3] [--examples 145] [--only mutants|engines]

For the unchanged engine (a control), every mutant of the battery and every test engine of
``tests/engines/`` that can run an MLP, the family ``mlp_cases(max_hidden=H)`` alone is searched
(``--examples`` cases, about what a default run gives the family; seed 0; no shrinking) for
each ``H`` in ``--hidden``. One line per engine: caught or missed, the kinds of finding, and the
seconds of the search. The last lines count the engines each size catches and the total time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _measure import machine
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.search.hypothesis_search import search
from gradtrio.checks.search.run import _traceable
from gradtrio.strategies.dags import mlp_cases
from mutants import MUTANTS, load_mutant, load_original

ENGINES = Path(__file__).resolve().parent.parent / "tests" / "engines"
# Helpers of other engines, a Node class, and an engine whose every case waits for its limit.
SKIP = {"tinyvalue", "strict_node", "hanging_backward"}


def engines(only: str | None) -> list[tuple[str, Engine]]:
    out = [("original", ValueClassEngine.from_class(load_original(), spec="original"))]
    if only != "engines":
        out += [(m.name, ValueClassEngine.from_class(load_mutant(m), spec=m.name)) for m in MUTANTS]
    if only != "mutants":
        for path in sorted(ENGINES.glob("*.py")):
            if path.stem not in SKIP:
                out.append((path.stem, ValueClassEngine.load(f"{path}:Value", timeout=3.0)))
    return [(name, engine) for name, engine in out if _traceable(engine.ops)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[4, 3])
    parser.add_argument("--examples", type=int, default=145)
    parser.add_argument("--only", choices=("mutants", "engines"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    caught = {h: 0 for h in args.hidden}
    seconds = {h: 0.0 for h in args.hidden}
    for name, engine in engines(args.only):
        cells = []
        for h in args.hidden:
            start = time.perf_counter()
            found = search(
                engine, mlp_cases(max_hidden=h), examples=args.examples, shrink=False, budget=60
            ).failures
            spent = time.perf_counter() - start
            seconds[h] += spent
            caught[h] += bool(found)
            kinds = sorted({f"{v.kind.value} {v.severity.value}" for v in found if v.kind})
            cells.append(f"hidden {h}: {'caught' if found else 'missed'} {kinds} {spent:.1f} s")
        print(f"{name:<32} " + " | ".join(cells), flush=True)
    for h in args.hidden:
        print(f"max_hidden={h}: {caught[h]} engines caught, {seconds[h]:.1f} s in all")


if __name__ == "__main__":
    main()
