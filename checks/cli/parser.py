"""The command line's grammar: one parser with subcommands (``run``, the default, ``replay``,
``verify-op``, ``merge``) and shared option groups. Light to import: ``--help`` and usage errors
answer before anything heavy is imported."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from gradtrio.checks.cli.options import integer_at_least, megabytes, seconds, shard
from gradtrio.checks.defaults import (
    DEEP_MIN_DEPTH,
    DEFAULT_CORPUS,
    DEFAULT_DEEP,
    DEFAULT_ENGINE,
    DEFAULT_EXAMPLES,
    DEFAULT_MAX_NODES,
    DEFAULT_MEMORY_MB,
    DEFAULT_REPORT_DIR,
    DEFAULT_TIMEOUT,
    VERIFY_EXAMPLES,
)

from gradtrio import __version__

__all__ = ["COMMANDS", "UsageError", "parse", "parser"]

COMMANDS = ("run", "replay", "verify-op", "merge")
#: The formats of --annotations: GitHub Actions' workflow commands.
ANNOTATIONS = ("github",)


class UsageError(Exception):
    """A bad argument; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


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
        metavar="SECONDS",
        help=f"seconds of engine time one case may take before it counts as a hang "
        f"(default {DEFAULT_TIMEOUT:g}, or more where a compiling library's adapter says so)",
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


def _count(
    g: argparse._ArgumentGroup, flag: str, *, least: int, default: int, metavar: str, what: str
) -> None:
    """An integer option of at least ``least``."""
    g.add_argument(
        flag,
        type=integer_at_least(flag, least),
        default=default,
        metavar=metavar,
        help=f"{what} (default {default})",
    )


def _corpus_option(g: argparse._ArgumentGroup, what: str) -> None:
    g.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        metavar="DIR",
        help=f"{what} (default {DEFAULT_CORPUS})",
    )


def _sampling_options(p: argparse.ArgumentParser, *, examples: int, what: str) -> None:
    g = p.add_argument_group("sampling")
    _count(g, "--examples", least=1, default=examples, metavar="N", what=what)
    seed_is = "random seed; the same seed reruns the same cases"
    _count(g, "--seed", least=0, default=0, metavar="S", what=seed_is)


def _ci_options(g: argparse._ArgumentGroup) -> None:
    """The outputs a CI system reads, written even when the run fails."""
    g.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    g.add_argument(
        "--junit-xml",
        type=Path,
        metavar="PATH",
        help="also write the results as JUnit XML: a test case per case family and per finding",
    )
    g.add_argument(
        "--annotations",
        choices=ANNOTATIONS,
        help="also print each finding as a CI annotation: 'github' for GitHub Actions' "
        "::error and ::warning commands",
    )


def _output_options(p: argparse.ArgumentParser, *, corpus: bool) -> None:
    g = p.add_argument_group("output")
    _ci_options(g)
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
        _corpus_option(g, "replay the saved failing cases here first and save new ones")
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
    _sampling_options(run, examples=DEFAULT_EXAMPLES, what="cases to generate")
    g = run.add_argument_group("search")
    nodes_is = "most op nodes in a generated expression"
    _count(g, "--max-nodes", least=1, default=DEFAULT_MAX_NODES, metavar="K", what=nodes_is)
    deep_is = f"{DEEP_MIN_DEPTH:,}-node chains to check after the others"
    _count(g, "--deep", least=0, default=DEFAULT_DEEP, metavar="N", what=deep_is)
    g.add_argument(
        "--budget",
        type=seconds("--budget"),
        metavar="SECONDS",
        help="stop drawing cases after this long and report what was found; shrinking the "
        "findings then gets at most as long again (default: no limit)",
    )
    g.add_argument(
        "--shard",
        type=shard("--shard"),
        metavar="I/N",
        help="judge the I-th of N disjoint parts of the run (of its sweep, corpus, cases and "
        "deep chains, with a seed of its own), for N CI jobs; 'gradtrio merge' joins their "
        "JSON",
    )
    _output_options(run, corpus=True)
    replay = sub.add_parser("replay", help="judge the engine on every case of a corpus")
    _engine_options(replay)
    _corpus_option(replay.add_argument_group("corpus"), "the corpus directory")
    _output_options(replay, corpus=False)
    verify = sub.add_parser("verify-op", help="check one op alone and in company, by region")
    verify.add_argument("name", help="the op's registry name")
    _engine_options(verify)
    _sampling_options(verify, examples=VERIFY_EXAMPLES, what="cases per region")
    _output_options(verify, corpus=False)
    merge = sub.add_parser(
        "merge", help="join the --json results of several runs of one engine (CI shards)"
    )
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a run's --json file")
    _ci_options(merge.add_argument_group("output"))
    return top


def parse(argv: Sequence[str]) -> argparse.Namespace:
    argv = list(argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help", "--version"):
        argv.insert(0, "run")
    args = parser().parse_args(argv)
    _check_output_files(args)
    reports = None if getattr(args, "no_report", True) else args.report_dir
    if reports is not None and reports.exists() and not reports.is_dir():
        raise UsageError(f"--report-dir {str(reports)!r}: is a file, expected a directory")
    corpus = getattr(args, "corpus", None)
    if corpus is not None and corpus.exists() and not corpus.is_dir():
        raise UsageError(f"--corpus {str(corpus)!r}: is a file, expected a directory")
    return args


def _check_output_files(args: argparse.Namespace) -> None:
    """Each output file a path of its own that is no directory, and none of merge's inputs
    (which it would overwrite)."""
    inputs = {path.resolve() for path in getattr(args, "files", [])}
    seen: dict[Path, str] = {}
    for flag, path in (("--json", args.json), ("--junit-xml", args.junit_xml)):
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{flag} {str(path)!r}: is a directory, expected a file path")
        if path.resolve() in inputs:
            raise UsageError(f"{flag} {str(path)!r}: is a file to merge, expected a new path")
        if path.resolve() in seen:
            raise UsageError(f"{flag} {str(path)!r}: also given to {seen[path.resolve()]}")
        seen[path.resolve()] = flag
