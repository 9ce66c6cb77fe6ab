"""What a command leaves behind: its summary on the terminal, the report directory (the failure
reports and the run's page), the JSON and JUnit XML files and the CI annotations (all from one
document), the command that reruns it, and its exit code."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
import traceback
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    "publish",
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
        if args.shard is not None:
            words += ["--shard", str(args.shard)]
    if args.strict:
        words.append("--strict")
    return shlex.join(words)


def versions() -> dict[str, str]:
    """From the installed distributions: a run that never needed torch does not import it."""

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "gradtrio": __version__,
        "python": platform.python_version(),
        "torch": installed("torch"),
        "hypothesis": installed("hypothesis"),
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
    JSON and JUnit files and annotations the arguments ask for. Every failure to write is
    returned as a line (and listed in the JSON), never raised: each output is written whenever
    it was asked for, and a page that cannot be written leaves the failure reports in place."""
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
    if args.json is not None or args.junit_xml is not None or args.annotations is not None:
        from gradtrio.checks.report.summary import result_json

        data = result_json(result, reports, rerun, run_versions, exit_code)
        data["report_dir"] = None if report_dir is None else str(report_dir)
        data["report_page"] = None if page is None else str(page)
        publish(data, args, problems)
    return problems


def publish(data: dict[str, Any], args: argparse.Namespace, problems: list[str]) -> None:
    """Write the document ``data`` as the JUnit XML and the JSON the arguments ask for (the JSON
    last, listing every file that could not be written, ``problems`` among them) and print its
    annotations. A file that cannot be written is added to ``problems``, never raised."""
    if args.junit_xml is not None:
        from gradtrio.checks.report.junit import junit_xml

        _write("--junit-xml", args.junit_xml, junit_xml(data), problems)
    if args.json is not None:
        data["output_errors"] = problems
        _write("--json", args.json, json.dumps(data, indent=2) + "\n", problems)
    if args.annotations == "github":
        from gradtrio.checks.report.annotations import github_annotations

        for line in github_annotations(data):
            print(line, flush=True)


def _write(flag: str, path: Path, text: str, problems: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except FileExistsError as exc:  # from mkdir: a folder on the way is a file
        problems.append(f"{flag} {str(path)!r}: {exc.filename!r} is a file, expected a folder")
    except OSError as exc:
        problems.append(f"{flag} {str(path)!r}: {exc.strerror or exc}")


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
