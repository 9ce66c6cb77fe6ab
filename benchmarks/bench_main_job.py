"""Wall time of the project's main job, start-up included, and where it goes.

    python benchmarks/bench_main_job.py [--runs 5] [--phases] [--against CHECKOUT]

Runs ``python -m gradtrio --quiet --no-corpus --no-report`` (500 examples, seed 0, the default
engine) ``--runs`` times in a fresh empty directory, with this checkout first on ``PYTHONPATH``,
and prints each wall time beside a bare ``python -c "import torch"`` timed right before it, their
ratio, the medians and the load average before and after: the machine may be shared, and a
figure is only comparable with one taken at a similar load. With ``--phases`` each run also
reports, from inside the process, the seconds until the run starts (imports, loading the
engine), spent judging cases (all three oracles and the engine) and the rest of the run
(Hypothesis drawing the cases, the deep chains' drawing, the summary). With ``--phases`` the
harness imports everything before it loads the engine, so start-up is longer than in a plain run,
where the two overlap.

``--against CHECKOUT`` times another checkout of gradtrio (an earlier commit, say) in turns with
this one, a pair per run, and prints each pair's ratio and their geometric mean: this machine's
speed drifts by up to 2x within minutes, which a ratio of neighbouring runs cancels and a
comparison of medians taken minutes apart does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ["-m", "gradtrio", "--quiet", "--no-corpus", "--no-report"]

# Run inside the measured process: wraps the runner and judge to time the phases, then runs the
# command line exactly as ``python -m gradtrio`` would.
_PHASES = """
import runpy, sys, time
start = time.perf_counter()
import gradtrio.checks.search.run as runner, gradtrio.checks.search.hypothesis_search as search
marks, judging = {}, [0.0]
run, judge = runner.run, search.judge
def timed_judge(*args, **kwargs):
    t = time.perf_counter()
    try:
        return judge(*args, **kwargs)
    finally:
        judging[0] += time.perf_counter() - t
def timed_run(*args, **kwargs):
    marks["start"] = time.perf_counter()
    try:
        return run(*args, **kwargs)
    finally:
        marks["end"] = time.perf_counter()
runner.run, search.judge = timed_run, timed_judge
sys.argv = ["gradtrio", *sys.argv[1:]]
try:
    runpy.run_module("gradtrio", run_name="__main__")
except SystemExit:
    pass
total = marks["end"] - marks["start"]
print(f"PHASES {marks['start'] - start:.2f} {judging[0]:.2f} {total - judging[0]:.2f}",
      file=sys.stderr)
"""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def one_run(workdir: str, phases: bool, root: Path = ROOT) -> tuple[float, str]:
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    args = [sys.executable, "-c", _PHASES, *COMMAND[2:]] if phases else [sys.executable, *COMMAND]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    line = next((x for x in done.stderr.splitlines() if x.startswith("PHASES ")), "")
    if line:
        before, judging, rest = line.split()[1:]
        return wall, f"  (start-up {before} s, judging {judging} s, drawing and the rest {rest} s)"
    return wall, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--against", type=Path, help="another checkout, timed in turns with this")
    args = parser.parse_args()
    print(f"load average before: {load()}")
    if args.against is not None:
        against(args.against.resolve(), args.runs)
        return
    walls, imports, ratios = [], [], []
    with tempfile.TemporaryDirectory() as workdir:
        for n in range(1, args.runs + 1):
            torch_import = import_torch(workdir)
            wall, detail = one_run(workdir, args.phases)
            walls.append(wall)
            imports.append(torch_import)
            ratios.append(wall / torch_import)
            print(
                f"run {n}: {wall:.2f} s wall{detail}; bare torch import {torch_import:.2f} s; "
                f"ratio {wall / torch_import:.2f}  (load {load()})",
                flush=True,
            )
    print(
        f"median {statistics.median(walls):.2f} s over {len(walls)} runs, bare torch import "
        f"{statistics.median(imports):.2f} s; the main job over the import: geometric mean "
        f"{statistics.geometric_mean(ratios):.2f}, worst {max(ratios):.2f}; load after: {load()}"
    )


def import_torch(workdir: str) -> float:
    """Wall time of ``python -c "import torch"``, the floor of any run that uses PyTorch, taken
    right before the run it is compared with."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], cwd=workdir, check=True)
    return time.perf_counter() - start


def against(other: Path, runs: int) -> None:
    if not (other / "gradtrio" / "__init__.py").is_file():
        raise SystemExit(f"--against {str(other)!r}: not a checkout of gradtrio")
    ratios, ours, theirs = [], [], []
    with tempfile.TemporaryDirectory() as workdir:
        for n in range(1, runs + 1):
            before, _ = one_run(workdir, False, other)
            after, _ = one_run(workdir, False)
            ratios.append(after / before)
            theirs.append(before)
            ours.append(after)
            print(
                f"pair {n}: {other} {before:.2f} s, this checkout {after:.2f} s, ratio "
                f"{after / before:.2f}  (load {load()})",
                flush=True,
            )
    print(
        f"median {statistics.median(theirs):.2f} s there, {statistics.median(ours):.2f} s here; "
        f"geometric mean of the ratios {statistics.geometric_mean(ratios):.2f} over {runs} pairs"
    )


if __name__ == "__main__":
    main()
