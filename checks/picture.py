"""Pictures and files for failure reports: the counterexample graph as DOT (always) with the blamed
node in red, rendered to SVG when Graphviz's ``dot`` is on PATH, and a report directory holding,
per failure, ``failure-N.txt`` (the report), ``.dot``, ``.svg`` and ``.py`` (the reproducer)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrio.checks.report import SHOWN_NODES, format_verdict, reproducer
from gradtrio.checks.verdict import Verdict

if TYPE_CHECKING:
    from gradtrio.checks.engine import Engine

__all__ = ["DEFAULT_REPORT_DIR", "clear_reports", "render", "to_dot", "write_failure"]

DEFAULT_REPORT_DIR = Path("gradtrio-report")
OURS = re.compile(r"failure-\d+\.(txt|dot|svg|py)")
"""The only file names the tool writes, and so the only ones it ever replaces or removes."""
RENDER_MAX_NODES = 300


def to_dot(verdict: Verdict) -> str:
    """DOT for the failing case: inputs with their values, the blamed node drawn red."""
    e = verdict.expression
    blamed = () if verdict.blame is None or verdict.blame.node is None else (verdict.blame.node,)
    title = f"{verdict.kind} failure: {verdict.reason}".splitlines()[0][:160]
    if len(e.nodes) <= RENDER_MAX_NODES:
        return e.to_dot(point=verdict.point, highlight=blamed, title=title)
    # Very deep graphs: a chain of node names only (labels would be as long as the graph).
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["digraph expression {", "  rankdir=LR;", f'  label="{escaped}";']
    lines += [
        f"  {e.name(i)} -> {e.name(k)};" for k in range(e.n_inputs, e.size) for i in e.node(k).args
    ]
    lines += [f"  {e.name(k)} [color=red];" for k in blamed]
    return "\n".join(lines) + "\n}\n"


def render(dot_file: Path, fmt: str = "svg", timeout: float = 30.0) -> Path | None:
    """Run Graphviz on ``dot_file``; the picture's path, or None without ``dot`` or on failure."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    out = dot_file.with_suffix(f".{fmt}")
    try:
        subprocess.run(
            [exe, f"-T{fmt}", str(dot_file), "-o", str(out)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out


def clear_reports(directory: Path) -> None:
    """Remove the files an earlier run wrote (``failure-N.*``); nothing else is touched."""
    if directory.is_dir():
        for path in directory.iterdir():
            if OURS.fullmatch(path.name) and path.is_file():
                path.unlink()


def write_failure(
    directory: Path,
    n: int,
    verdict: Verdict,
    engine: Engine | None = None,
    *,
    origin: str | None = None,
) -> list[Path]:
    """Write ``failure-N.txt``, ``.dot``, ``.py`` and, with Graphviz, ``.svg``; return them."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"failure-{n}"
    report = format_verdict(verdict, engine=engine)
    if origin:
        report = f"replayed from the corpus: {origin}\n{report}"
    written = []
    for suffix, text in (
        (".txt", report + "\n"),
        (".dot", to_dot(verdict)),
        (".py", reproducer(verdict, engine=engine) if engine else reproducer(verdict)),
    ):
        path = stem.with_suffix(suffix)
        path.write_text(text)
        written.append(path)
    if len(verdict.expression.nodes) <= max(SHOWN_NODES, RENDER_MAX_NODES):
        svg = render(stem.with_suffix(".dot"))
        if svg is not None:
            written.append(svg)
    return written
