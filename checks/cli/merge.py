"""``gradtrio merge FILE ...``: the ``--json`` results of several runs of one engine (the shards
of one run, or runs of other seeds) as one (:mod:`gradtrio.checks.report.merge`): its summary,
its ``--json``, ``--junit-xml`` and ``--annotations`` as a run's, and the exit code the whole
would have had. It reads files only: no engine is loaded, nothing is judged."""

from __future__ import annotations

import argparse
import shlex
import sys

from gradtrio.checks.cli.outputs import publish
from gradtrio.checks.cli.parser import UsageError
from gradtrio.checks.report.document import DocumentError, load
from gradtrio.checks.report.merge import merge, merged_summary

__all__ = ["merge_main"]


def merge_main(args: argparse.Namespace) -> int:
    """The merged result's exit code; 2 for a file that is not a gradtrio result or is a run
    of another engine (one line naming it)."""
    command = shlex.join(["gradtrio", "merge", *(str(path) for path in args.files)])
    try:
        doc = merge([(str(path), load(path)) for path in args.files], command)
    except DocumentError as exc:
        raise UsageError(f"merge: {exc}") from None
    print(merged_summary(doc), flush=True)
    problems: list[str] = []
    publish(doc, args, problems)
    for problem in problems:
        print(f"gradtrio: warning: {problem}", file=sys.stderr)
    return int(doc["exit_code"])
