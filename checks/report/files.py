"""The report directory of a run: per failure, ``failure-N.txt`` (the report), ``.py`` (the
reproducer), ``.dot`` and, with Graphviz, ``.svg`` (the counterexample graph); for the whole
run, ``index.html`` (the page of :mod:`.page`).

Each run writes into a directory of its own under the report directory
(``<time>-seed<S>-<pid>/``) and points ``latest`` at it, so that neither a later run, a replay
nor a concurrent run ever removes or overwrites another run's files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.report.page import PAGE_NAME, render_page
from gradtrio.checks.report.picture import RENDER_MAX_NODES, render, to_dot
from gradtrio.checks.report.text import SHOWN_NODES, format_verdict, reproducer
from gradtrio.checks.search.run import RunResult

__all__ = ["new_run_directory", "write_failure", "write_page"]


def new_run_directory(base: Path, seed: int) -> Path:
    """A fresh directory for one run's reports under ``base``, with ``base/latest`` pointing at
    it. Raises OSError when it cannot be made."""
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        name = f"{stamp}-seed{seed}-{os.getpid()}" + (f"-{n}" if n else "")
        try:
            (base / name).mkdir()
        except FileExistsError:
            continue
        latest = base / "latest"
        temporary = base / f".latest-{os.getpid()}"
        try:
            if temporary.is_symlink():
                temporary.unlink()
            temporary.symlink_to(name)
            os.replace(temporary, latest)  # atomic: readers never see it missing
        except OSError:
            pass  # no symlinks here: the printed path still names the directory
        return base / name
    raise FileExistsError(f"{base}: no free run directory name for {stamp}")


def write_failure(
    directory: Path,
    n: int,
    verdict: Verdict,
    engine: Engine | None = None,
    *,
    origin: str | None = None,
    report: str | None = None,
) -> list[Path]:
    """Write ``failure-N.txt``, ``.dot``, ``.py`` and, with Graphviz, ``.svg``; return them.
    ``report`` is the verdict's formatted report when the caller already has it."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"failure-{n}"
    text = report if report is not None else format_verdict(verdict, engine=engine)
    if origin:
        text = f"replayed from the corpus: {origin}\n{text}"
    written = []
    for suffix, content in (
        (".txt", text + "\n"),
        (".dot", to_dot(verdict)),
        (".py", reproducer(verdict, engine=engine)),
    ):
        path = stem.with_suffix(suffix)
        path.write_text(content)
        written.append(path)
    if len(verdict.expression.nodes) <= max(SHOWN_NODES, RENDER_MAX_NODES):
        svg = render(stem.with_suffix(".dot"))
        if svg is not None:
            written.append(svg)
    return written


def write_page(
    directory: Path,
    result: RunResult,
    reports: Sequence[str],
    rerun: str,
    *,
    versions: Mapping[str, str] | None = None,
    files: Sequence[Sequence[Path]] = (),
) -> Path:
    """Write the run's page, ``index.html``, linking each finding's ``files``; return its path.
    The page is rendered whole before anything is written."""
    page = render_page(
        result,
        reports,
        rerun,
        versions=versions,
        files=[[p.name for p in written] for written in files],
    )
    path = directory / PAGE_NAME
    path.write_text(page, encoding="utf-8")
    return path
