"""Files for failure reports: the counterexample graph as DOT (the one DOT writer for
expressions) with the blamed node in red, rendered to SVG when Graphviz's ``dot`` is on PATH,
and a report directory per run holding, per failure, ``failure-N.txt`` (the report), ``.dot``,
``.svg`` and ``.py`` (the reproducer).

Each run writes into a directory of its own under the report directory
(``<time>-seed<S>-<pid>/``) and points ``latest`` at it, so that neither a later run, a replay
nor a concurrent run ever removes or overwrites another run's files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrio.checks.report import SHOWN_NODES, format_verdict, reproducer
from gradtrio.checks.verdict import Verdict
from gradtrio.strategies.expression import Expression

if TYPE_CHECKING:
    from gradtrio.checks.engine import Engine

__all__ = [
    "DEFAULT_REPORT_DIR",
    "expression_dot",
    "new_run_directory",
    "render",
    "to_dot",
    "write_failure",
]

from gradtrio.checks.defaults import DEFAULT_REPORT_DIR

RENDER_MAX_NODES = 300


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def expression_dot(
    e: Expression,
    *,
    point: Sequence[float] | None = None,
    highlight: Iterable[int] = (),
    title: str = "",
) -> str:
    """Graphviz DOT for the DAG; inputs show their values, nodes in ``highlight`` are red."""
    marked = set(highlight)
    lines = ["digraph expression {", "  rankdir=LR;", '  node [fontname="monospace"];']
    if title:
        lines.append(f'  labelloc=t; label="{_escape(title)}";')
    for i in range(e.size):
        if i < e.n_inputs:
            value = f" = {point[i]!r}" if point is not None else ""
            label, shape = f"{e.name(i)}{value}", "box"
        else:
            label, shape = f"{e.name(i)} = {e.node_source(i)}", "ellipse"
        style = ", color=red, fontcolor=red, penwidth=2" if i in marked else ""
        lines.append(f'  {e.name(i)} [label="{_escape(label)}", shape={shape}{style}];')
    for k in range(e.n_inputs, e.size):
        for i in e.node(k).args:
            lines.append(f"  {e.name(i)} -> {e.name(k)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(verdict: Verdict) -> str:
    """DOT for the failing case: inputs with their values, the blamed node drawn red."""
    e = verdict.expression
    blamed = () if verdict.blame is None or verdict.blame.node is None else (verdict.blame.node,)
    kind = verdict.kind.value if verdict.kind else verdict.status.value
    title = f"{kind} failure: {verdict.reason}".splitlines()[0][:160]
    if len(e.nodes) <= RENDER_MAX_NODES:
        return expression_dot(e, point=verdict.point, highlight=blamed, title=title)
    # Very deep graphs: a chain of node names only (labels would be as long as the graph).
    lines = ["digraph expression {", "  rankdir=LR;", f'  label="{_escape(title)}";']
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
