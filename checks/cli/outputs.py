"""What a command leaves behind: its summary on the terminal, the report directory, the JSON
file, the command that reruns it, and its exit code."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrio import __version__

if TYPE_CHECKING:  # imported by the command line before anything heavy
    from gradtrio.checks.search.run import RunResult

__all__ = [
    "EXIT_BUG",
    "EXIT_CLEAN",
    "EXIT_HARNESS",
    "EXIT_SIGNAL",
    "EXIT_USAGE",
    "finish",
    "rerun_command",
]

EXIT_CLEAN, EXIT_BUG, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3


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


def write_outputs(
    result: RunResult, args: argparse.Namespace, reports: list[str], exit_code: int
) -> list[str]:
    """Write the run's report directory and the JSON file the arguments ask for. Every failure
    to write is returned as a line (and listed in the JSON), never raised: the JSON is written
    whenever it was asked for."""
    from gradtrio.checks.report.files import new_run_directory, write_failure

    problems = list(result.corpus_errors)
    report_dir: Path | None = None
    if not args.no_report and result.findings:
        try:
            report_dir = new_run_directory(args.report_dir, getattr(args, "seed", 0))
            for n, (finding, text) in enumerate(zip(result.findings, reports), start=1):
                write_failure(
                    report_dir,
                    n,
                    finding.verdict,
                    result.adapter,
                    origin=finding.origin,
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
        from gradtrio.checks.report.summary import result_json

        data = result_json(result, reports, rerun_command(args), versions(), exit_code)
        data["report_dir"] = None if report_dir is None else str(report_dir)
        data["output_errors"] = problems
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            problems.append(f"--json {str(args.json)!r}: {exc.strerror or exc}")
    return problems


#: The exit code of a run stopped by a signal, as a shell reports a process it ended.
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def finish(
    result: RunResult,
    args: argparse.Namespace,
    text: str,
    reports: list[str],
    *,
    corpus_errors_shown: bool = False,
) -> int:
    code = EXIT_CLEAN if result.passed else EXIT_BUG
    if result.interrupted is not None:
        code = EXIT_SIGNAL.get(result.interrupted, 130)
    print(text, flush=True)
    shown = set(result.corpus_errors) if corpus_errors_shown else set()
    for problem in write_outputs(result, args, reports, code):
        if problem not in shown:
            print(f"gradtrio: warning: {problem}", file=sys.stderr)
    return code
