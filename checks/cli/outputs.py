"""What a command leaves behind: its summary on the terminal, the report directory (the failure
reports and the run's page), the JSON file, the command that reruns it, and its exit code."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
import traceback
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
    "traceback_log",
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
    """The versions that matter to a run; read from the installed metadata, so that a run which
    never needed torch does not import it to say which it is."""
    from importlib.metadata import version

    return {
        "gradtrio": __version__,
        "python": platform.python_version(),
        "torch": version("torch"),
        "hypothesis": version("hypothesis"),
    }


def traceback_log(exc: BaseException) -> str:
    """Write ``exc``'s traceback to a fresh log file; its path."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="gradtrio-error-", suffix=".log", delete=False
    ) as log:
        traceback.print_exception(exc, file=log)
    return log.name


def write_outputs(
    result: RunResult, args: argparse.Namespace, reports: list[str], exit_code: int
) -> list[str]:
    """Write the run's report directory (each failure's files, then the run's page) and the
    JSON file the arguments ask for. Every failure to write is returned as a line (and listed
    in the JSON), never raised: the JSON is written whenever it was asked for, and a page that
    cannot be written leaves the failure reports in place."""
    from gradtrio.checks.report.files import new_run_directory, write_failure, write_page

    problems = list(result.corpus_errors)
    rerun, run_versions = rerun_command(args), versions()
    report_dir: Path | None = None
    page: Path | None = None
    if not args.no_report:
        written: list[list[Path]] = []
        try:
            report_dir = new_run_directory(args.report_dir, getattr(args, "seed", 0))
            for n, (finding, text) in enumerate(zip(result.findings, reports), start=1):
                written.append(
                    write_failure(
                        report_dir,
                        n,
                        finding.verdict,
                        result.adapter,
                        origin=finding.origin,
                        report=text,
                    )
                )
        except OSError as exc:
            problems.append(f"--report-dir {str(args.report_dir)!r}: {exc.strerror or exc}")
            report_dir = None
        if report_dir is not None:
            try:
                page = write_page(
                    report_dir, result, reports, rerun, versions=run_versions, files=written
                )
            except OSError as exc:
                problems.append(f"report page in {str(report_dir)!r}: {exc.strerror or exc}")
            except Exception as exc:  # a fault of the page's own: the files and JSON stay
                problems.append(
                    f"report page: not written: {type(exc).__name__}: {exc} "
                    f"(traceback in {traceback_log(exc)})"
                )
    if report_dir is not None and result.findings:
        print(
            f"gradtrio: {len(result.failures)} failure report(s) in {report_dir}/", file=sys.stderr
        )
    if page is not None:
        print(f"gradtrio: report page: {page}", file=sys.stderr)
    if args.json is not None:
        from gradtrio.checks.report.summary import result_json

        data = result_json(result, reports, rerun, run_versions, exit_code)
        data["report_dir"] = None if report_dir is None else str(report_dir)
        data["report_page"] = None if page is None else str(page)
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
