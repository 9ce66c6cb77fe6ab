"""Run the harness on the library adapters and record throughput and every finding.

    PYTHONPATH=. python benchmarks/bench_libraries.py --engines torch jax --seeds 0 1 2 \
        --examples 300 --out /tmp/libraries.json [--isolated]

For each adapter and seed: examples judged, wall time, cases per second, and each failure (kind,
reason, blame, the expression as JSON, the point, and the adapter's reproducer). The adapter
runs in this process, or with ``--isolated`` in a worker process, as the command line runs it.
Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gradtrio.checks.engines.libraries import ADAPTERS, load_adapter
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.search.run import run


def _failure(adapter: Any, v: Any) -> dict[str, Any]:
    blame = None
    if v.blame is not None:
        node = None if v.blame.node is None else v.expression.name(v.blame.node)
        blame = {"node": node, "op": v.blame.op, "reason": v.blame.reason}
    return {
        "kind": v.kind.value,
        "severity": v.severity.value,
        "reason": v.reason,
        "blame": blame,
        "expression": str(v.expression),
        "json": v.expression.to_json(),
        "point": list(v.point),
        "mismatches": [
            {"what": m.what, "engine": m.engine, "expected": m.expected, "tolerance": m.tolerance}
            for m in v.mismatches
        ],
        "agreement": v.agreement,
        "reproducer": adapter.reproducer(v.expression, v.point),
    }


def bench(
    name: str, seeds: list[int], examples: int, without: list[str], isolated: bool
) -> dict[str, Any]:
    start = time.perf_counter()
    adapter = load_engine(name, isolated=True) if isolated else load_adapter(name)
    for op in without:  # e.g. an op whose declared convention the verdict does not consult yet
        adapter.ops.pop(op, None)
    setup = time.perf_counter() - start
    rows = []
    for s in seeds:
        result = run(adapter, examples=examples, run_seed=s, deep=0, progress=False)
        rows.append(
            {
                "seed": s,
                "examples": result.examples,
                "skipped": result.skipped,
                "undecided": result.undecided,
                "elapsed_s": round(result.elapsed_s, 2),
                "cases_per_s": round(result.examples / result.elapsed_s, 1),
                "families": dict(result.family_counts),
                "failures": [_failure(adapter, v) for v in result.failures],
            }
        )
        print(
            f"{name} seed {s}: {result.examples} cases in {result.elapsed_s:.1f} s "
            f"({result.examples / result.elapsed_s:.1f}/s), {len(result.failures)} failures",
            file=sys.stderr,
            flush=True,
        )
    return {
        "engine": name,
        "describe": adapter.describe(),
        "isolated": isolated,
        "without": without,
        "setup_s": round(setup, 2),
        "runs": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=list(ADAPTERS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--without", nargs="*", default=[], help="ops not to generate")
    parser.add_argument("--out", default="-")
    parser.add_argument("--isolated", action="store_true", help="each adapter in a worker")
    args = parser.parse_args()
    results = []
    for name in args.engines:
        try:
            results.append(bench(name, args.seeds, args.examples, args.without, args.isolated))
        except EngineError as exc:
            print(exc, file=sys.stderr)
    text = json.dumps(results, indent=1, default=lambda o: getattr(o, "value", str(o)))  # enums
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
