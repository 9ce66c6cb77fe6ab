"""The counterexample graph as Graphviz DOT (the one DOT writer for expressions), with the
blamed node in red, rendered to SVG when Graphviz's ``dot`` is on PATH."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.strategies.expression import Expression

__all__ = ["RENDER_MAX_NODES", "expression_dot", "render", "to_dot"]

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
