"""Command line: ``python -m checks [--engine SPEC] [--examples N] [--seed S] [--max-nodes K]
[--json PATH] [--corpus DIR | --no-corpus] [--report-dir DIR | --no-report]``, plus
``python -m checks replay`` and ``python -m checks verify-op NAME``. Exit code 0 when everything
agrees, 1 when a disagreement was found, 2 for a usage or configuration error (one line, no
traceback)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from gradtrio.checks.corpus import DEFAULT_CORPUS
from gradtrio.checks.engine import DEFAULT_ENGINE, Engine, EngineError
from gradtrio.checks.options import integer_at_least
from gradtrio.checks.picture import DEFAULT_REPORT_DIR, clear_reports, write_failure
from gradtrio.checks.report import format_verdict
from gradtrio.checks.runner import RunResult, replay_corpus, run

__all__ = ["main"]


class UsageError(Exception):
    """A bad argument; printed as one line, exit code 2."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout={text!r}: expected a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"--timeout={value:g}: expected a positive number")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        metavar="SPEC",
        help=f"value class: package.module:Class or path/file.py:Class (default {DEFAULT_ENGINE})",
    )
    p.add_argument(
        "--value-attr",
        metavar="NAME",
        help="attribute holding a value's number (probed: data, val, value)",
    )
    p.add_argument(
        "--grad-attr",
        metavar="NAME",
        help="attribute holding the gradient (probed: grad, gradient)",
    )
    p.add_argument(
        "--backward",
        metavar="METHOD",
        help="name of the backward method (probed: backward, backprop, backpropagate)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds one case may take before it counts as a hang (default 10)",
    )


def _sampling_options(p: argparse.ArgumentParser, *, examples: int, what: str) -> None:
    p.add_argument(
        "--examples",
        type=integer_at_least("--examples", 1),
        default=examples,
        metavar="N",
        help=f"{what} (default {examples})",
    )
    p.add_argument(
        "--seed",
        type=integer_at_least("--seed", 0),
        default=0,
        metavar="S",
        help="random seed; the same seed reruns the same cases (default 0)",
    )


def _output_options(p: argparse.ArgumentParser, corpus: bool = True) -> None:
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    p.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"write failure-N.txt/.dot/.svg/.py per failure here (default {DEFAULT_REPORT_DIR}/)",
    )
    p.add_argument("--no-report", action="store_true", help="write no report files")
    if corpus:
        p.add_argument(
            "--corpus",
            type=Path,
            default=DEFAULT_CORPUS,
            metavar="DIR",
            help=f"replay the saved failing cases here first and save new ones "
            f"(default {DEFAULT_CORPUS})",
        )
        p.add_argument("--no-corpus", action="store_true", help="neither replay nor save cases")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m checks",
        description="Check an autograd engine's gradients against finite differences, "
        "PyTorch float64 and SymPy on random expression DAGs.",
        epilog="Other commands: 'python -m checks replay --help' (replay the regression "
        "corpus), 'python -m checks verify-op --help' (check one op).",
    )
    _engine_options(p)
    _sampling_options(p, examples=500, what="cases to generate")
    p.add_argument(
        "--max-nodes",
        type=integer_at_least("--max-nodes", 1),
        default=12,
        metavar="K",
        help="most op nodes in a generated expression (default 12)",
    )
    p.add_argument(
        "--deep",
        type=integer_at_least("--deep", 0),
        default=2,
        metavar="N",
        help="10,000-node chains to check after the others (default 2)",
    )
    _output_options(p)
    return p


def _replay_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m checks replay",
        description="Judge an engine on every case saved in a regression corpus.",
    )
    _engine_options(p)
    p.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        metavar="DIR",
        help=f"the corpus directory (default {DEFAULT_CORPUS})",
    )
    _output_options(p, corpus=False)
    return p


def _load_engine(args: argparse.Namespace) -> Engine:
    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {str(args.json)!r}: is a directory, expected a file path")
    if not args.no_report and args.report_dir.exists() and not args.report_dir.is_dir():
        raise UsageError(f"--report-dir {str(args.report_dir)!r}: is a file, expected a directory")
    corpus = getattr(args, "corpus", None)
    if corpus is not None and corpus.exists() and not corpus.is_dir():
        raise UsageError(f"--corpus {str(corpus)!r}: is a file, expected a directory")
    return Engine.load(
        args.engine,
        value_attr=args.value_attr,
        grad_attr=args.grad_attr,
        backward=args.backward,
        timeout=args.timeout,
    )


def write_outputs(result: RunResult, args: argparse.Namespace) -> int:
    """Write the report directory and the JSON file the arguments ask for; 2 on an OS error."""
    try:
        if not args.no_report:
            clear_reports(args.report_dir)
            for n, verdict in enumerate(result.failures, start=1):
                write_failure(
                    args.report_dir, n, verdict, result.adapter, origin=result.origin(verdict)
                )
            if result.failures:
                print(
                    f"gradtrio: {len(result.failures)} failure report(s) in {args.report_dir}/",
                    file=sys.stderr,
                )
    except OSError as exc:
        print(
            f"gradtrio: error: --report-dir {str(args.report_dir)!r}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    if args.json is not None:
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n")
        except OSError as exc:
            print(f"gradtrio: error: --json {str(args.json)!r}: {exc.strerror}", file=sys.stderr)
            return 2
    return 0


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
    if result.replayed or result.family_counts.get("corpus") or result.saved:
        lines.append(
            f"  regression corpus: {result.family_counts.get('corpus', 0)} case(s) "
            f"replayed, {len(result.replayed)} failing; {len(result.saved)} new case(s) "
            f"saved"
        )
    for note in result.limitations:
        lines.append(f"  engine limitation: {note}")
    if result.passed:
        lines.append("  PASSED: engine, SymPy, PyTorch and finite differences agree on every case")
    else:
        limited = len(result.failures) - len(result.bugs)
        kinds = ", ".join(
            f"{kind} {n}" for kind, n in sorted(Counter(v.kind for v in result.bugs).items())
        )
        if result.bugs:
            lines.append(
                f"  FAILED: {len(result.bugs)} distinct failure(s) ({kinds})"
                + (f" and {limited} engine limitation(s)" if limited else "")
                + ", each shrunk:"
            )
        else:
            lines.append(
                f"  FAILED: no wrong value or gradient, but {limited} engine "
                "limitation(s) (--deep 0 skips the deep chains):"
            )
        for verdict in result.failures:
            lines.append("")
            origin = result.origin(verdict)
            if origin:
                lines.append(f"replayed from the corpus: {origin}")
            lines.append(format_verdict(verdict, engine_name=result.engine, engine=result.adapter))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["replay"]:
        return replay_main(argv[1:])
    if argv[:1] == ["verify-op"]:
        from gradtrio.checks.verify_op import main as verify_main

        return verify_main(argv[1:])
    try:
        args = _parser().parse_args(argv)
        engine = _load_engine(args)
    except (UsageError, EngineError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"gradtrio: checking {engine.describe()} on Python {platform.python_version()}",
        file=sys.stderr,
    )
    corpus = None if args.no_corpus else args.corpus
    result = run(
        engine,
        examples=args.examples,
        run_seed=args.seed,
        max_nodes=args.max_nodes,
        deep=args.deep,
        progress=not args.quiet,
        corpus=corpus,
    )
    for error in result.corpus_errors:
        print(f"gradtrio: error: {error}", file=sys.stderr)
    print(summary(result))
    return write_outputs(result, args) or (0 if result.passed else 1)


def replay_main(argv: Sequence[str]) -> int:
    """``python -m checks replay``: 0 when every saved case passes, 1 when one fails, 2 for a
    usage error or when some corpus file could not be read (the others are still judged)."""
    try:
        args = _replay_parser().parse_args(argv)
        engine = _load_engine(args)
        if not args.corpus.is_dir():
            raise UsageError(f"--corpus {str(args.corpus)!r}: no such directory")
    except (UsageError, EngineError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return 2
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine)
    lines = [f"gradtrio replay: {engine.describe()} on {args.corpus}/"]
    for path, verdict in replay_corpus(result, engine, args.corpus):
        status = verdict.kind.upper() if verdict.failed and verdict.kind else verdict.status
        detail = f" ({verdict.reason})" if verdict.status == "skip" else ""
        lines.append(f"  {status:<10} {path}{detail}")
    for error in result.corpus_errors:
        print(f"gradtrio: error: {error}", file=sys.stderr)
    failed = len(result.failures)
    lines.append(
        f"  {result.examples} case(s) replayed: " + (f"FAILED {failed}" if failed else "all pass")
    )
    for verdict in result.failures:
        lines += ["", format_verdict(verdict, engine=engine)]
    print("\n".join(lines))
    written = write_outputs(result, args)
    return written or (1 if failed else 2 if result.corpus_errors else 0)
