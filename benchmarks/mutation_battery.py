"""The mutation battery: every mutant in :mod:`mutants` against gradtrio and two baselines.

    python benchmarks/mutation_battery.py [--examples 2000] [--seed 0] [--points 5] [--only NAME]

For each mutant of ``autograd/engine.py`` (planted in memory):

* gradtrio: ``gradtrio.checks.search.run.run`` with a fixed seed; records whether it caught the
  mutant, the examples and seconds until the first failing case (before shrinking), the op nodes of
  the
  shrunk case, the failure kind and whether the blame names an op the mutant allows.
* fixed tests: micrograd's two hand-written checks (``test_sanity_check`` at x = -4 and
  ``test_more_ops`` at a = -4, b = 2) rewritten for this engine, compared with PyTorch float64 at
  tolerance 1e-6; killed if either fails or raises.
* gradcheck: each op alone, in each of its forms, wrapped as a ``torch.autograd.Function`` whose
  forward and backward call the mutated engine, checked by ``torch.autograd.gradcheck`` (float64,
  default eps/atol/rtol) at ``--points`` random points in the op's domain; killed if any check
  fails or raises.

The unchanged engine, loaded the same way, runs first as a control: no tool may flag it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from _measure import machine, watch_verdicts
from baselines import blamed_op, fixed_tests, gradcheck_cases, gradcheck_kills
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.search.run import run as run_harness
from mutants import KINDS, MUTANTS, Mutant, load_mutant, load_original

# -- gradtrio -----------------------------------------------------------------------------------


@dataclass
class Catch:
    """What gradtrio did with one engine."""

    caught: bool
    examples: int  # judged cases until the first failure (all judged cases when not caught)
    seconds: float  # until the first failure (the whole run when not caught)
    run_seconds: float
    nodes: int | None = None  # op nodes of the smallest shrunk failure
    kind: str = ""
    blamed: str = ""
    blame_ok: bool = False
    verdict: Verdict | None = None
    error: str = ""  # the harness itself raised (the mutant then counts as not caught)


def gradtrio(
    value_cls: type, *, examples: int, seed: int, allowed: frozenset[str] = frozenset()
) -> Catch:
    engine = ValueClassEngine.from_class(value_cls)
    with watch_verdicts() as watch:
        try:
            result = run_harness(engine, examples=examples, run_seed=seed, deep=0, progress=False)
        except Exception as exc:  # a harness bug: record it, keep the battery going
            run_seconds = watch.seconds
            calls, seconds = watch.first_failure or (watch.judged, run_seconds)
            return Catch(
                False,
                calls,
                seconds,
                run_seconds,
                error=f"{type(exc).__name__}: {exc}".splitlines()[0][:200],
            )
    run_seconds = watch.seconds
    if not result.failures:
        return Catch(False, result.examples, run_seconds, run_seconds)
    calls, seconds = watch.first_failure or (watch.judged, run_seconds)
    # The most severe finding first (a bug over a warning), then the smallest.
    smallest = min(
        result.failures,
        key=lambda v: (v.severity.rank if v.severity else 3, len(v.expression.nodes)),
    )
    blamed = blamed_op(smallest)
    return Catch(
        True,
        calls,
        seconds,
        run_seconds,
        len(smallest.expression.nodes),
        f"{smallest.kind.value} ({smallest.severity.value})" if smallest.kind else "",
        blamed,
        blamed in allowed,
        smallest,
    )


@dataclass
class Row:
    mutant: Mutant | None
    catch: Catch
    fixed: bool
    gradcheck: str


COLUMNS = (
    "mutant",
    "kind",
    "caught",
    "examples",
    "seconds",
    "run s",
    "nodes",
    "failure",
    "blamed",
    "blame ok",
    "fixed tests",
    "gradcheck",
)


def _cells(row: Row) -> list[str]:
    c = row.catch
    name = row.mutant.name if row.mutant else "(original engine)"
    kind = row.mutant.kind if row.mutant else "control"
    return [
        name,
        kind,
        "yes" if c.caught else ("ERROR" if c.error else "NO"),
        str(c.examples),
        f"{c.seconds:.2f}",
        f"{c.run_seconds:.1f}",
        "-" if c.nodes is None else str(c.nodes),
        c.kind or "-",
        c.blamed or "-",
        ("yes" if c.blame_ok else "NO") if c.caught else "-",
        "killed" if row.fixed else "missed",
        "killed" if row.gradcheck else "missed",
    ]


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    cells = [list(COLUMNS)] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    for j, line in enumerate(cells):
        text = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        print(text.rstrip(), file=out)
        if j == 0:
            print("  ".join("-" * w for w in widths), file=out)


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f}%)" if total else "-"


def print_summary(rows: list[Row], out: Any = sys.stdout) -> None:
    n = len(rows)
    caught = [r for r in rows if r.catch.caught]
    print(
        f"\nkill rate      gradtrio {_rate(len(caught), n)}   "
        f"fixed tests {_rate(sum(r.fixed for r in rows), n)}   "
        f"gradcheck {_rate(sum(bool(r.gradcheck) for r in rows), n)}",
        file=out,
    )
    if caught:
        seconds = statistics.median(r.catch.seconds for r in caught)
        examples = statistics.median(r.catch.examples for r in caught)
        nodes = statistics.median(r.catch.nodes or 0 for r in caught)
        run_s = statistics.median(r.catch.run_seconds for r in caught)
        print(
            f"gradtrio       median time to first failure {seconds:.2f} s "
            f"(max {max(r.catch.seconds for r in caught):.2f} s), "
            f"median whole run with shrinking {run_s:.1f} s, "
            f"median examples to catch {examples:g}, median shrunk case {nodes:g} op nodes "
            f"(max {max(r.catch.nodes or 0 for r in caught)}), "
            f"blame right {_rate(sum(r.catch.blame_ok for r in caught), len(caught))}",
            file=out,
        )
    print("\nby kind        gradtrio  fixed tests  gradcheck", file=out)
    for kind in KINDS:
        group = [r for r in rows if r.mutant and r.mutant.kind == kind]
        if group:
            k = len(group)
            caught = sum(r.catch.caught for r in group)
            fixed = sum(r.fixed for r in group)
            killed = sum(bool(r.gradcheck) for r in group)
            print(f"{kind:<22} {caught}/{k:<7} {fixed}/{k:<10} {killed}/{k}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases per gradtrio run")
    parser.add_argument("--seed", type=int, default=0, help="gradtrio run seed and point seed")
    parser.add_argument("--points", type=int, default=5, help="gradcheck points per op form")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this mutant (repeatable)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print the blame of every caught mutant"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - {m.name for m in MUTANTS})
    if unknown:
        parser.error(f"--only {unknown[0]!r}: no such mutant")
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]

    print(f"machine: {machine()}")
    print(
        f"gradtrio: run(examples={args.examples}, run_seed={args.seed}, deep=0); "
        f"gradcheck: {args.points} points per op form, seed {args.seed}\n"
    )
    gc_cases = gradcheck_cases(args.points, args.seed)
    start = time.perf_counter()

    original = load_original()
    control = Row(
        None,
        gradtrio(original, examples=args.examples, seed=args.seed),
        fixed_tests(original),
        gradcheck_kills(original, gc_cases),
    )
    rows: list[Row] = []
    for mutant in chosen:
        cls = load_mutant(mutant)
        catch = gradtrio(cls, examples=args.examples, seed=args.seed, allowed=mutant.blame_ops)
        rows.append(Row(mutant, catch, fixed_tests(cls), gradcheck_kills(cls, gc_cases)))
        status = "caught" if catch.caught else ("HARNESS ERROR" if catch.error else "MISSED")
        print(
            f"  {mutant.name}: {status} in {catch.run_seconds:.1f} s", file=sys.stderr, flush=True
        )

    print_table([control, *rows])
    print_summary(rows)
    problems = [r for r in rows if not r.catch.caught or not r.catch.blame_ok]
    if problems or args.verbose:
        print("\nblame details" + ("" if args.verbose else " (misses and wrong blames)"))
        for r in rows if args.verbose else problems:
            assert r.mutant is not None
            v = r.catch.verdict
            if r.catch.error:
                print(
                    f"- {r.mutant.name}: the harness raised after {r.catch.examples} cases "
                    f"({r.catch.seconds:.2f} s): {r.catch.error}"
                )
                continue
            if v is None:
                print(f"- {r.mutant.name}: not caught in {r.catch.examples} cases")
                continue
            blame = v.blame
            print(
                f"- {r.mutant.name} (allowed {', '.join(sorted(r.mutant.blame_ops))}): "
                f"{v.kind} on `{v.expression}` at {v.point}; blame "
                f"{blame.op if blame else None!r}: {blame.reason if blame else ''}"
            )
    if control.catch.caught or control.fixed or control.gradcheck:
        print("\nFALSE ALARM on the unchanged engine:")
        if control.catch.verdict is not None:
            print(control.catch.verdict.reason)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
