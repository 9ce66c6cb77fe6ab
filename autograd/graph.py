"""Graphviz DOT text for the graph under a :class:`~autograd.engine.Value`.

Render it with ``dot -Tsvg graph.dot -o graph.svg``; no Graphviz package is needed here.
"""

from __future__ import annotations

from collections.abc import Iterable

from gradtrio.autograd.engine import Value, _topological_order

__all__ = ["to_dot"]


def to_dot(root: Value, *, highlight: Iterable[Value] | None = None) -> str:
    """The graph under ``root`` as a DOT ``digraph``, read left to right.

    Each Value is a record node ``vN`` showing its label (if any), data and grad; each operation
    is a small node ``opN`` with edges ``parent -> opN -> vN``. Values in ``highlight`` are drawn
    in red. Nodes are numbered in topological order, so the same graph gives the same text.

    >>> from autograd import Value
    >>> print(to_dot(Value(2.0, label="a")))  # doctest: +NORMALIZE_WHITESPACE
    digraph {
      rankdir=LR;
      node [fontname="Helvetica"];
      v0 [shape=record, label="{ a | data 2 | grad 0 }"];
    }
    """
    marked = {id(v) for v in highlight} if highlight is not None else set()
    order = _topological_order(root)
    number = {id(v): i for i, v in enumerate(order)}
    lines = ["digraph {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for i, v in enumerate(order):
        fields = [_escape(v.label)] if v.label else []
        fields += [f"data {v.data:.6g}", f"grad {v.grad:.6g}"]
        red = ", color=red, fontcolor=red" if id(v) in marked else ""
        lines.append(f'  v{i} [shape=record, label="{{ {" | ".join(fields)} }}"{red}];')
        if v._prev:
            op = _escape(v._op)
            lines.append(f'  op{i} [shape=circle, fontsize=10, margin=0, label="{op}"];')
            lines.append(f"  op{i} -> v{i};")
            lines.extend(f"  v{number[id(p)]} -> op{i};" for p in v._prev)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Escape the characters that are special inside a quoted DOT record label."""
    for ch in '\\"{}|<>':
        text = text.replace(ch, "\\" + ch)
    return text
