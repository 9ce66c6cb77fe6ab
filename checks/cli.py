"""The command line: ``gradtrio [run] ...``, ``gradtrio replay ...``, ``gradtrio verify-op NAME
...`` (also ``python -m gradtrio``). One parser with subcommands and shared option groups; the
harness (torch, SymPy, Hypothesis) is imported only after the arguments parse, so ``--help`` and
usage errors answer at once.

Exit codes: 0 clean, 1 an engine bug (or any finding under ``--strict``, or too many undecided
cases), 2 a usage or configuration error, 3 the harness itself failed (one line, and where the
traceback was written).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrio.checks.defaults import (
    DEFAULT_CORPUS,
    DEFAULT_ENGINE,
    DEFAULT_MEMORY_MB,
    DEFAULT_REPORT_DIR,
    DEFAULT_TIMEOUT,
)
from gradtrio.checks.options import integer_at_least, megabytes

from gradtrio import __version__

if TYPE_CHECKING:
    from gradtrio.checks.engine import Engine
    from gradtrio.checks.runner import RunResult

__all__ = ["EXIT_BUG", "EXIT_CLEAN", "EXIT_HARNESS", "EXIT_USAGE", "console", "main"]

EXIT_CLEAN, EXIT_BUG, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3
COMMANDS = ("run", "replay", "verify-op")


class UsageError(Exception):
    """A bad argument; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def seconds(name: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite, positive number of seconds."""

    def parse(text: str) -> float:
        from gradtrio.checks.limits import check_seconds

        try:
            return check_seconds(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine")
    g.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        metavar="SPEC",
        help=f"value class: package.module:Class or path/file.py:Class (default {DEFAULT_ENGINE})",
    )
    g.add_argument(
        "--value-attr", metavar="NAME", help="attribute holding a value's number (probed)"
    )
    g.add_argument("--grad-attr", metavar="NAME", help="attribute holding the gradient (probed)")
    g.add_argument("--backward", metavar="METHOD", help="name of the backward method (probed)")
    g.add_argument(
        "--ops",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module (package.module or path/file.py) whose OPS list adds op rows; repeatable",
    )
    g.add_argument(
        "--timeout",
        type=seconds("--timeout"),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds of engine time one case may take before it counts as a hang "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    g.add_argument(
        "--memory-limit",
        type=megabytes("--memory-limit"),
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"address space of the engine's worker process (default {DEFAULT_MEMORY_MB:g} MB)",
    )
    g.add_argument(
        "--in-process",
        action="store_true",
        help="run the engine inside the harness, not in a worker process (for a debugger; an "
        "engine that exits or hangs then takes the run with it)",
    )


def _sampling_options(p: argparse.ArgumentParser, *, examples: int, what: str) -> None:
    g = p.add_argument_group("sampling")
    g.add_argument(
        "--examples",
        type=integer_at_least("--examples", 1),
        default=examples,
        metavar="N",
        help=f"{what} (default {examples})",
    )
    g.add_argument(
        "--seed",
        type=integer_at_least("--seed", 0),
        default=0,
        metavar="S",
        help="random seed; the same seed reruns the same cases (default 0)",
    )


def _output_options(p: argparse.ArgumentParser, *, corpus: bool) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    g.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"write each run's failure reports in a directory of its own here "
        f"(default {DEFAULT_REPORT_DIR}/)",
    )
    g.add_argument("--no-report", action="store_true", help="write no report files")
    if corpus:
        g.add_argument(
            "--corpus",
            type=Path,
            default=DEFAULT_CORPUS,
            metavar="DIR",
            help=f"replay the saved failing cases here first and save new ones "
            f"(default {DEFAULT_CORPUS})",
        )
        g.add_argument("--no-corpus", action="store_true", help="neither replay nor save cases")
    g.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) on precision findings and warnings too, not only on bugs",
    )
    g.add_argument("--quiet", action="store_true", help="no progress on the terminal")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="gradtrio",
        description="Check an autograd engine's gradients against finite differences, "
        "PyTorch float64 and SymPy on random expression DAGs. The command defaults to 'run'.",
    )
    top.add_argument("--version", action="version", version=f"gradtrio {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="judge the engine on random cases (the default command)")
    _engine_options(run)
    _sampling_options(run, examples=500, what="cases to generate")
    g = run.add_argument_group("search")
    g.add_argument(
        "--max-nodes",
        type=integer_at_least("--max-nodes", 1),
        default=12,
        metavar="K",
        help="most op nodes in a generated expression (default 12)",
    )
    g.add_argument(
        "--deep",
        type=integer_at_least("--deep", 0),
        default=2,
        metavar="N",
        help="10,000-node chains to check after the others (default 2)",
    )
    g.add_argument(
        "--budget",
        type=seconds("--budget"),
        metavar="SECONDS",
        help="stop drawing cases after this long and report what was found; shrinking the "
        "findings then gets at most as long again (default: no limit)",
    )
    _output_options(run, corpus=True)
    replay = sub.add_parser("replay", help="judge the engine on every case of a corpus")
    _engine_options(replay)
    replay.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        metavar="DIR",
        help=f"the corpus directory (default {DEFAULT_CORPUS})",
    )
    _output_options(replay, corpus=False)
    verify = sub.add_parser("verify-op", help="check one op alone and in company, by region")
    verify.add_argument("name", help="the op's registry name")
    _engine_options(verify)
    _sampling_options(verify, examples=200, what="cases per region")
    _output_options(verify, corpus=False)
    return top


def parse(argv: Sequence[str]) -> argparse.Namespace:
    argv = list(argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help", "--version"):
        argv.insert(0, "run")
    args = parser().parse_args(argv)
    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {str(args.json)!r}: is a directory, expected a file path")
    if not args.no_report and args.report_dir.exists() and not args.report_dir.is_dir():
        raise UsageError(f"--report-dir {str(args.report_dir)!r}: is a file, expected a directory")
    corpus = getattr(args, "corpus", None)
    if corpus is not None and corpus.exists() and not corpus.is_dir():
        raise UsageError(f"--corpus {str(corpus)!r}: is a file, expected a directory")
    return args


def load_engine(args: argparse.Namespace) -> Engine:
    from gradtrio.checks.engine import load_engine
    from gradtrio.checks.loading import load_op_modules

    load_op_modules(args.ops)
    return load_engine(
        args.engine,
        isolated=not args.in_process,
        ops_modules=args.ops,
        memory_mb=args.memory_limit,
        value_attr=args.value_attr,
        grad_attr=args.grad_attr,
        backward=args.backward,
        timeout=args.timeout,
    )


def rerun_command(args: argparse.Namespace) -> str:
    """The command that reruns this run exactly."""
    words = ["gradtrio", args.command, "--engine", args.engine]
    for path in args.ops:
        words += ["--ops", path]
    if args.command == "verify-op":
        words.insert(2, args.name)
    if hasattr(args, "examples"):
        words += ["--examples", str(args.examples), "--seed", str(args.seed)]
    if args.command == "run":
        words += ["--max-nodes", str(args.max_nodes), "--deep", str(args.deep)]
    if args.strict:
        words.append("--strict")
    return shlex.join(words)


def versions() -> dict[str, str]:
    import hypothesis
    import torch

    return {
        "gradtrio": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "hypothesis": hypothesis.__version__,
    }


# -- outputs ------------------------------------------------------------------------------------


def write_outputs(
    result: RunResult, args: argparse.Namespace, reports: list[str], exit_code: int
) -> list[str]:
    """Write the run's report directory and the JSON file the arguments ask for. Every failure
    to write is returned as a line (and listed in the JSON), never raised: the JSON is written
    whenever it was asked for."""
    from gradtrio.checks.picture import new_run_directory, write_failure

    problems = list(result.corpus_errors)
    report_dir: Path | None = None
    if not args.no_report and result.failures:
        try:
            report_dir = new_run_directory(args.report_dir, getattr(args, "seed", 0))
            for n, (verdict, text) in enumerate(zip(result.failures, reports), start=1):
                write_failure(
                    report_dir,
                    n,
                    verdict,
                    result.adapter,
                    origin=result.origin(verdict),
                    report=text,
                )
        except OSError as exc:
            problems.append(f"--report-dir {str(args.report_dir)!r}: {exc.strerror or exc}")
            report_dir = None
    if report_dir is not None:
        print(
            f"gradtrio: {len(result.failures)} failure report(s) in {report_dir}/", file=sys.stderr
        )
    if args.json is not None:
        from gradtrio.checks.results import result_json

        data = result_json(result, reports, rerun_command(args), versions(), exit_code)
        data["report_dir"] = None if report_dir is None else str(report_dir)
        data["output_errors"] = problems
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            problems.append(f"--json {str(args.json)!r}: {exc.strerror or exc}")
    return problems


def finish(result: RunResult, args: argparse.Namespace, text: str, reports: list[str]) -> int:
    code = EXIT_CLEAN if result.passed else EXIT_BUG
    print(text, flush=True)
    for problem in write_outputs(result, args, reports, code):
        print(f"gradtrio: warning: {problem}", file=sys.stderr)
    return code


def load_engine_while_importing(args: argparse.Namespace) -> Engine:
    """The engine, its worker process started on a thread while this one imports the harness
    (torch, SymPy, Hypothesis): the two start-ups overlap on two cores. An engine in this
    process is loaded here, after the imports (its probes' time limit needs the main thread)."""
    if args.in_process:
        import gradtrio.checks.runner  # noqa: F401

        return load_engine(args)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(load_engine, args)
        import gradtrio.checks.runner  # noqa: F401

        return loading.result()


def run_main(args: argparse.Namespace) -> int:
    engine = load_engine_while_importing(args)
    if _FREEZE:
        gc.freeze()

    from gradtrio.checks.results import summary
    from gradtrio.checks.runner import run

    print(f"gradtrio: checking {engine.describe()}", file=sys.stderr)
    result = run(
        engine,
        examples=args.examples,
        run_seed=args.seed,
        max_nodes=args.max_nodes,
        deep=args.deep,
        progress=not args.quiet,
        corpus=None if args.no_corpus else args.corpus,
        strict=args.strict,
        budget=args.budget,
    )
    result.settings = {"seed": args.seed, "examples": args.examples, "max_nodes": args.max_nodes}
    text, reports = summary(result, rerun_command(args))
    return finish(result, args, text, reports)


def replay_main(args: argparse.Namespace) -> int:
    """0 when every saved case passes, 1 when one fails, 2 when the corpus is missing or some
    file could not be read (the others are still judged)."""
    from gradtrio.checks.report import format_verdict
    from gradtrio.checks.runner import RunResult, replay_corpus

    if not args.corpus.is_dir():
        raise UsageError(f"--corpus {str(args.corpus)!r}: no such directory")
    engine = load_engine(args)
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=args.strict)
    lines = [f"gradtrio replay: {engine.describe()} on {args.corpus}/"]
    for path, verdict in replay_corpus(result, engine, args.corpus):
        if verdict.failed and verdict.kind is not None:
            severity = verdict.severity.value if verdict.severity else ""
            status = f"{verdict.kind.value.upper()} ({severity})"
        else:
            status = verdict.status.value
        detail = f" ({verdict.reason})" if verdict.skip is not None else ""
        lines.append(f"  {status:<20} {path}{detail}")
    for error in result.corpus_errors:
        print(f"gradtrio: error: {error}", file=sys.stderr)
    bugs = len(result.failures if args.strict else result.bugs)
    lines.append(
        f"  {result.examples} case(s) replayed: "
        + (f"FAILED {bugs}" if bugs else f"no bugs ({len(result.failures)} finding(s))")
    )
    reports = [format_verdict(v, engine=engine) for v in result.failures]
    lines += [line for report in reports for line in ("", report)]
    code = finish(result, args, "\n".join(lines), reports)
    return code if code else (EXIT_USAGE if result.corpus_errors else EXIT_CLEAN)


def console() -> int:
    """The command line as a process runs it (``gradtrio``, ``python -m gradtrio``): :func:`main`,
    with the garbage collector told to leave alone what the imports made (a million objects that
    every full collection would scan again, during the run and at exit)."""
    global _FREEZE
    _FREEZE = True
    code = main()
    gc.freeze()
    return code


_FREEZE = False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from gradtrio.checks.loading import LoadError  # light: no torch, no SymPy

    try:
        args = parse(argv)
        if args.command == "verify-op":
            from gradtrio.checks.verify_op import verify_main

            return verify_main(args)
        if args.command == "replay":
            return replay_main(args)
        return run_main(args)
    except (UsageError, LoadError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradtrio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure of the harness itself: one line, the traceback in a log
        return harness_failure(exc)


def harness_failure(exc: BaseException) -> int:
    with tempfile.NamedTemporaryFile(
        "w", prefix="gradtrio-error-", suffix=".log", delete=False
    ) as log:
        traceback.print_exception(exc, file=log)
    print(
        f"gradtrio: internal error: {type(exc).__name__}: {exc} (traceback in {log.name})",
        file=sys.stderr,
    )
    return EXIT_HARNESS
