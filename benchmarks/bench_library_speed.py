"""How fast the library adapters run: a default run, and one expression at many points.

    PYTHONPATH=. python benchmarks/bench_library_speed.py [--engines torch jax ...] \
        [--isolated] [--no-run] [--no-points] [--cases 20] [--reps 3] [--json PATH]
    PYTHONPATH=. python benchmarks/bench_library_speed.py --cli --engines jax jax:jit tinygrad \
        [--earlier DIR [--earlier-engines jax]]

With ``--cli``, per adapter, the command line's default run as a user types it (``python -m
gradtrio --engine NAME --no-corpus --no-report``, a process of its own): wall seconds and cases
judged (all, and drawn by the search), tinygrad with an empty kernel cache of its own (its first
run on a machine; ``CACHEDB``). ``--earlier DIR`` runs the same command on another checkout of
gradtrio (e.g. ``git archive COMMIT | tar -x -C DIR``) for the figure to compare, for the engines
of ``--earlier-engines`` (default: all of ``--engines``).

Otherwise, per adapter:

* a default run, ``gradtrio.checks.search.run.run(adapter, progress=False)`` (500 cases and two
  10,000-node chains): wall seconds, cases judged, and the findings (kind, severity, limitation).
  The adapter runs in this process, or with ``--isolated`` in a worker process, as the command
  line runs it. The search stops at the first bug to shrink it, so a run that finds one early
  judges fewer cases.
* with ``--judge N``: N cases drawn as below, each judged in full (three oracles, the finite
  differences included) one after another: cases per second whatever the search would stop at
  (it stops at the first bug to shrink it), in this process or with ``--isolated`` in a worker;
* per-point cost, in this process: ``--cases`` cases drawn from the default run's families (seed
  0), each at B points near its own (B = 1, 8, 64): ``run`` at each point alone against one
  ``run_many``, ``forward`` against one ``forward_many``. Warm: each expression built (and
  compiled) before it is timed, best of ``--reps``; cold: the first ``run_many`` of each
  expression at 8 points, compilation included (what a new expression costs).

Wall time throughout (a compiling library's compiler is another process). Nothing is asserted:
the figures are the result.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from _measure import machine
from gradtrio.checks.engines.libraries import ADAPTERS, load_adapter
from gradtrio.checks.engines.protocol import EngineCrash, EngineError
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.search.families import families
from gradtrio.checks.search.run import run
from gradtrio.strategies.case import Case
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

SIZES = (1, 8, 64)


def best(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def draw(engine: Any, count: int) -> list[Case]:
    """``count`` cases of the default run's families, the same for the same engine's ops."""
    found: list[Case] = []

    @seed(0)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(st.one_of(list(families(engine, 12).values())))
    def collect(case: Case) -> None:
        found.append(case)

    collect()
    return found[:count]


def near(point: tuple[float, ...], count: int, rng: random.Random) -> list[tuple[float, ...]]:
    """``point`` and ``count - 1`` points close to it (as a finite difference's stencil)."""
    out = [point]
    while len(out) < count:
        h = rng.uniform(-1e-3, 1e-3)
        out.append(tuple(x + h * (1 + abs(x)) for x in point))
    return out


def per_point(name: str, cases: int, reps: int) -> dict[str, Any]:
    """Milliseconds per point, single against batched, summed over the cases."""
    adapter = load_adapter(name)
    rng = random.Random(0)
    cold, drawn, crashed = 0.0, [], 0
    for case in draw(adapter, cases):  # the first call of each expression, compiling it
        points = near(case.point, 8, rng)
        start = time.perf_counter()
        results = adapter.run_many(case.expression, points)
        cold += time.perf_counter() - start
        if any(isinstance(r, EngineCrash) for r in results):
            crashed += 1  # a case the library crashes on is left out of the timings
        else:
            drawn.append(case)
    stencils = {B: [near(c.point, B, rng) for c in drawn] for B in SIZES}
    for case in drawn:  # built and compiled (and, for tinygrad, captured) before timing
        for _ in range(3):
            adapter.run(case.expression, case.point)
            adapter.forward(case.expression, case.point)
    rows: dict[str, Any] = {
        "cold_ms_per_expression": round(1e3 * cold / (len(drawn) + crashed), 2),
        "cases": len(drawn),
        "crashed": crashed,
    }
    for B in SIZES:
        t = {"run": 0.0, "run_many": 0.0, "forward": 0.0, "forward_many": 0.0}
        for case, points in zip(drawn, stencils[B]):
            e = case.expression
            t["run"] += best(lambda e=e, p=points: [adapter.run(e, x) for x in p], reps)
            t["run_many"] += best(lambda e=e, p=points: adapter.run_many(e, p), reps)
            t["forward"] += best(lambda e=e, p=points: [adapter.forward(e, x) for x in p], reps)
            t["forward_many"] += best(lambda e=e, p=points: adapter.forward_many(e, p), reps)
        rows[f"B={B}"] = {k: round(1e3 * v / (B * len(drawn)), 4) for k, v in t.items()}
    return rows


def judged(name: str, count: int, isolated: bool) -> dict[str, Any]:
    """``count`` drawn cases judged one after another: seconds in all, and the verdicts."""
    from gradtrio.checks.judgement.verdict import judge

    engine = load_engine(name, isolated=True) if isolated else load_adapter(name)
    cases = draw(load_adapter(name) if isolated else engine, count)
    start = time.perf_counter()
    statuses = [judge(engine, case).status.value for case in cases]
    seconds = time.perf_counter() - start
    if isolated:
        engine.shutdown()  # type: ignore[attr-defined]
    return {"cases": len(cases), "s": round(seconds, 1), "statuses": dict(Counter(statuses))}


def default_run(name: str, isolated: bool) -> dict[str, Any]:
    start = time.perf_counter()
    adapter = load_engine(name, isolated=True) if isolated else load_adapter(name)
    setup = time.perf_counter() - start
    result = run(adapter, progress=False)
    findings = [
        {
            "kind": str(v.kind.value if v.kind else None),
            "severity": str(v.severity.value if v.severity else None),
            "nodes": len(v.expression.nodes),
            "limitation": None if v.limitation is None else v.limitation.text,
            "reason": v.reason[:160],
        }
        for v in result.failures
    ]
    if isolated:
        adapter.shutdown()
    return {
        "setup_s": round(setup, 2),
        "run_s": round(result.elapsed_s, 1),
        "cases": result.examples,
        "families": dict(result.family_counts),
        "passed": result.passed,
        "findings": findings,
    }


DRAWN = ("interior", "kink", "wide", "mlp")


def cli_run(name: str, checkout: str) -> dict[str, Any]:
    """The command line's default run of ``name`` from ``checkout``: wall seconds and cases."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.json")
        env = {**os.environ, "PYTHONPATH": checkout, "CACHEDB": os.path.join(tmp, "cache.db")}
        command = [sys.executable, "-m", "gradtrio", "--engine", name, "--no-corpus"]
        command += ["--no-report", "--quiet", "--json", out]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not os.path.exists(out):
            return {"wall_s": round(wall, 1), "error": done.stderr.strip().splitlines()[-1:]}
        with open(out) as handle:
            result = json.load(handle)
    families = result["stats"]["families"]
    return {
        "wall_s": round(wall, 1),
        "judged": result["judged"],
        "drawn": sum(families.get(f, 0) for f in DRAWN),
        "families": families,
        "limitations": [lim["kind"] for lim in result["limitations"]],
        "severities": result["severities"],
    }


def cli_runs(names: list[str], earlier: str | None, earlier_names: list[str]) -> list[Any]:
    import os

    rows = []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in names:
        for label, checkout in (("now", here), ("earlier", earlier)):
            if checkout is None or label == "earlier" and name not in earlier_names:
                continue
            row = {"engine": name, "checkout": label, **cli_run(name, checkout)}
            rows.append(row)
            drawn = f"{row['drawn']} drawn" if "drawn" in row else row.get("error")
            print(
                f"{name} ({label}): default run {row['wall_s']} s wall, "
                f"{row.get('judged', '?')} cases judged ({drawn}); "
                f"findings {row.get('severities', {})}; limitations {row.get('limitations', [])}",
                flush=True,
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=list(ADAPTERS))
    parser.add_argument("--isolated", action="store_true", help="the default run in a worker")
    parser.add_argument("--no-run", action="store_true", help="skip the default run")
    parser.add_argument("--no-points", action="store_true", help="skip the per-point costs")
    parser.add_argument("--judge", type=int, default=0, help="judge this many drawn cases")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--cli", action="store_true", help="the command line's default runs")
    parser.add_argument("--earlier", metavar="DIR", help="with --cli: another checkout too")
    parser.add_argument("--earlier-engines", nargs="+", metavar="NAME")
    args = parser.parse_args()
    print(machine(), file=sys.stderr)
    if args.cli:
        rows = cli_runs(args.engines, args.earlier, args.earlier_engines or args.engines)
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(rows, handle, indent=1)
        return 0
    results = []
    for name in args.engines:
        row: dict[str, Any] = {"engine": name}
        try:
            if not args.no_points:
                row["per_point_ms"] = per_point(name, args.cases, args.reps)
                cost = row["per_point_ms"]
                print(
                    f"{name}: {cost['cases']} cases ({cost['crashed']} more crashed), cold "
                    f"{cost['cold_ms_per_expression']} ms per expression"
                )
                for B in SIZES:
                    c = cost[f"B={B}"]
                    print(
                        f"  B={B:<3d} ms/point: run {c['run']:.3f} vs run_many "
                        f"{c['run_many']:.3f} (x{c['run'] / c['run_many']:.1f}); forward "
                        f"{c['forward']:.3f} vs forward_many {c['forward_many']:.3f} "
                        f"(x{c['forward'] / c['forward_many']:.1f})",
                        flush=True,
                    )
            if args.judge:
                row["judged"] = j = judged(name, args.judge, args.isolated)
                print(
                    f"{name}: judged {j['cases']} drawn cases"
                    f"{' (worker)' if args.isolated else ''} in {j['s']} s "
                    f"({j['cases'] / max(j['s'], 1e-9):.1f}/s): {j['statuses']}",
                    flush=True,
                )
            if not args.no_run:
                row["default_run"] = default_run(name, args.isolated)
                d = row["default_run"]
                kinds = ", ".join(
                    f"{f['severity']} {f['kind']} ({f['nodes']} nodes)" for f in d["findings"]
                )
                print(
                    f"{name}: default run{' (worker)' if args.isolated else ''}: "
                    f"{d['cases']} cases in {d['run_s']} s "
                    f"({d['cases'] / max(d['run_s'], math.ulp(1)):.1f}/s), "
                    f"{'passed' if d['passed'] else 'FAILED'}; findings: {kinds or 'none'}",
                    flush=True,
                )
        except EngineError as exc:
            print(exc, file=sys.stderr)
            continue
        results.append(row)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
