"""Command line: ``python -m checks [--engine SPEC] [--examples N] [--seed S] [--max-nodes K]
[--json PATH]``. Exit code 0 when everything agrees, 1 when a disagreement was found, 2 for a
usage or configuration error (one line, no traceback)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from checks.engine import DEFAULT_ENGINE, Engine, EngineError
from checks.report import format_verdict
from checks.runner import RunResult, run

__all__ = ["main"]


class UsageError(Exception):
    """A bad argument; printed as one line, exit code 2."""


def _positive(name: str, minimum: int = 1):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: expected an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name}={value}: expected at least {minimum}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m checks",
                description="Check an autograd engine's gradients against finite differences, "
                            "PyTorch float64 and SymPy on random expression DAGs.")
    p.add_argument("--engine", default=DEFAULT_ENGINE,
                   help=f"value class: package.module:Class or path/file.py:Class "
                        f"(default {DEFAULT_ENGINE})")
    p.add_argument("--examples", type=_positive("--examples"), default=500,
                   help="cases to generate (default 500)")
    p.add_argument("--seed", type=_positive("--seed", 0), default=0,
                   help="random seed; the same seed reruns the same cases (default 0)")
    p.add_argument("--max-nodes", type=_positive("--max-nodes"), default=12,
                   help="most op nodes in a generated expression (default 12)")
    p.add_argument("--deep", type=_positive("--deep", 0), default=2,
                   help="10,000-node chains to check after the others (default 2)")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    p.add_argument("--value-attr", help="attribute holding a value's number (probed: data, val, "
                                        "value)")
    p.add_argument("--grad-attr", help="attribute holding the gradient (probed: grad, gradient)")
    p.add_argument("--backward", help="name of the backward method (probed: backward, ...)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds one case may take before it counts as a hang (default 10)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def summary(result: RunResult) -> str:
    stats = result.to_json()["stats"]
    ops = ", ".join(f"{op} {n}" for op, n in sorted(result.op_counts.items()))
    fams = ", ".join(f"{f} {n}" for f, n in sorted(result.family_counts.items()))
    lines = [
        f"gradtrio: {result.engine}",
        f"  cases judged: {result.examples} ({fams}) in {result.elapsed_s:.1f} s",
        f"  ops covered: {len(result.op_counts)}/{len(result.ops)}: {ops}",
        f"  cases with a shared node: {stats['shared_fraction']:.0%}; "
        f"skipped outside the domain: {result.skipped}; undecided: {result.undecided}",
    ]
    for note in result.limitations:
        lines.append(f"  engine limitation: {note}")
    if result.passed:
        lines.append("  PASSED: engine, SymPy, PyTorch and finite differences agree on every case")
    else:
        lines.append(f"  FAILED: {len(result.failures)} distinct failure(s), each shrunk:")
        for verdict in result.failures:
            lines.append("")
            lines.append(format_verdict(verdict, engine_name=result.engine))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.json is not None and args.json.is_dir():
            raise UsageError(f"--json {str(args.json)!r}: is a directory, expected a file path")
        engine = Engine.load(args.engine, value_attr=args.value_attr, grad_attr=args.grad_attr,
                             backward=args.backward, timeout=args.timeout)
    except (UsageError, EngineError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return 2
    print(f"gradtrio: checking {engine.describe()} on Python {platform.python_version()}",
          file=sys.stderr)
    result = run(engine, examples=args.examples, run_seed=args.seed, max_nodes=args.max_nodes,
                 deep=args.deep, progress=not args.quiet)
    print(summary(result))
    if args.json is not None:
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n")
        except OSError as exc:
            print(f"gradtrio: error: --json {str(args.json)!r}: {exc.strerror}", file=sys.stderr)
            return 2
    return 0 if result.passed else 1
