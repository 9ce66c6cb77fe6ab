"""The counterexample graph as SVG drawn in Python, for the report page: every page gets the same
picture whether or not Graphviz is installed, and the blamed node is marked by a class and a
colour that the page and its tests can find.

The layout is layered by topological depth, left to right as in the DOT picture: the inputs make
the first column, and each op node goes one column to the right of its deepest operand. Within a
column, nodes are ordered by the mean height of what feeds them (one pass is enough for the
small DAGs that shrinking leaves). An edge that skips columns crosses each on a lane of its own,
so no edge runs behind a box; edges enter a consumer at points of their own, in the order they
come from (fewer crossings), so ``x0 * x0`` shows two. The SVG is built with ElementTree, which
escapes every label.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from gradtrio.strategies.expression import Expression

__all__ = ["DRAW_MAX_NODES", "dag_svg"]

DRAW_MAX_NODES = 80
"""Op nodes beyond which no picture is drawn (a deep chain would be thousands of columns)."""

LABEL_CHARS = 40  # longer labels are cut, whole in the node's tooltip
FONT_SIZE = 12
CHAR_WIDTH = 7.3  # a monospace glyph at 12 px is about 0.6 em wide
BOX_HEIGHT = 28
LANE = 4  # the height an edge takes where it crosses a column
PAD = 10  # inside a box, either side of its label
ROW_GAP = 16
COLUMN_GAP = 56
MARGIN = 10

INK, PAPER, INPUT_FILL, EDGE = "#37474f", "#ffffff", "#eef3f8", "#78909c"
BLAMED, BLAMED_FILL = "#c62828", "#fdecea"


def _label(e: Expression, index: int, point: Sequence[float] | None) -> str:
    if index < e.n_inputs:
        return f"{e.name(index)} = {point[index]!r}" if point is not None else e.name(index)
    return f"{e.name(index)} = {e.node_source(index)}"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


Key = tuple[int, ...]
"""A node of the layout: ``(i,)`` for the expression's node i; ``(k, slot, column)`` for a lane,
where the edge into node k's ``slot`` crosses a column between its two ends."""


def _layout(e: Expression) -> tuple[list[list[Key]], dict[Key, list[Key]]]:
    """The columns (a node's is its level) with a lane wherever an edge skips over a column, so
    that no edge is drawn through a box; and each edge's keys from operand to consumer."""
    levels = e.levels()
    columns: list[list[Key]] = [[] for _ in range(max(levels) + 1)]
    sources: dict[Key, list[Key]] = {(i,): [] for i in range(e.size)}
    paths: dict[Key, list[Key]] = {}
    for i in range(e.size):
        columns[levels[i]].append((i,))
    for k in range(e.n_inputs, e.size):
        for slot, i in enumerate(e.node(k).args):
            path: list[Key] = [(i,)]
            for c in range(levels[i] + 1, levels[k]):
                lane = (k, slot, c)
                columns[c].append(lane)
                sources[lane] = [path[-1]]
                path.append(lane)
            sources[(k,)].append(path[-1])
            paths[(k, slot)] = [*path, (k,)]
    # Each column in the mean order of what feeds it (the inputs keep theirs).
    centre: dict[Key, float] = {}
    for c, column in enumerate(columns):
        if c > 0:
            column.sort(key=lambda key: sum(centre[s] for s in sources[key]) / len(sources[key]))
        position = 0.0
        for key in column:
            centre[key] = position + _height(key) / 2
            position += _height(key) + ROW_GAP
    return columns, paths


def _height(key: Key) -> float:
    return BOX_HEIGHT if len(key) == 1 else LANE


def dag_svg(
    e: Expression,
    point: Sequence[float] | None = None,
    *,
    blamed: int | None = None,
    ident: str = "dag",
) -> str | None:
    """SVG markup of ``e`` (inputs showing their values at ``point``), the node ``blamed`` drawn
    red with the class ``blamed``; None when ``e`` has more than :data:`DRAW_MAX_NODES` op
    nodes. ``ident`` prefixes the ids inside, which must be unique on a page."""
    if len(e.nodes) > DRAW_MAX_NODES:
        return None
    labels = [_label(e, i, point) for i in range(e.size)]
    columns, paths = _layout(e)
    widths = [
        max(len(_cut(labels[key[0]])) for key in c if len(key) == 1) * CHAR_WIDTH + 2 * PAD
        for c in columns
    ]
    heights = [sum(_height(key) + ROW_GAP for key in c) - ROW_GAP for c in columns]
    tallest = max(heights)

    left: list[float] = []
    top: dict[Key, float] = {}
    column_of: dict[Key, int] = {}
    x = float(MARGIN)
    for c, (column, width, height) in enumerate(zip(columns, widths, heights)):
        left.append(x)
        y = MARGIN + (tallest - height) / 2  # each column centred
        for key in column:
            top[key], column_of[key] = y, c
            y += _height(key) + ROW_GAP
        x += width + COLUMN_GAP

    total_w, total_h = x - COLUMN_GAP + MARGIN, tallest + 2 * MARGIN
    name = e.name(blamed) if blamed is not None else None
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "dag",
            "width": f"{total_w:.0f}",
            "height": f"{total_h:.0f}",
            "viewBox": f"0 0 {total_w:.0f} {total_h:.0f}",
            "role": "img",
            "aria-label": f"the graph of the case: {e.size} nodes"
            + (f", {name} blamed" if name else ""),
            "font-family": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
            "font-size": str(FONT_SIZE),
        },
    )
    arrow = f"{ident}-arrow"
    marker = ET.SubElement(
        ET.SubElement(svg, "defs"),
        "marker",
        {
            "id": arrow,
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "7",
            "markerHeight": "7",
            "orient": "auto-start-reverse",
        },
    )
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": EDGE})

    def came_from(edge: Key) -> float:
        return top[paths[edge][-2]]

    entry = {
        edge: rank
        for k in range(e.n_inputs, e.size)
        for rank, edge in enumerate(
            sorted(((k, slot) for slot in range(len(e.node(k).args))), key=came_from)
        )
    }
    for (k, slot), path in paths.items():
        *crossed, end = path
        start = crossed.pop(0)
        c = column_of[start]
        x1, y1 = left[c] + widths[c], top[start] + BOX_HEIGHT / 2
        d = [f"M {x1:.1f} {y1:.1f}"]
        for lane in crossed:  # through the gap, then straight along the lane
            c = column_of[lane]
            y2 = top[lane] + LANE / 2
            d.append(_curve(x1, y1, left[c], y2))
            x1, y1 = left[c] + widths[c], y2
            d.append(f"L {x1:.1f} {y1:.1f}")
        slots = len(e.node(k).args)
        y2 = top[end] + BOX_HEIGHT * (entry[(k, slot)] + 1) / (slots + 1)
        d.append(_curve(x1, y1, left[column_of[end]], y2))
        ET.SubElement(
            svg,
            "path",
            {
                "class": "edge",
                "d": " ".join(d),
                "fill": "none",
                "stroke": EDGE,
                "stroke-width": "1.3",
                "marker-end": f"url(#{arrow})",
            },
        )

    for i in range(e.size):
        c = column_of[(i,)]
        x0, y0, width = left[c], top[(i,)], widths[c]
        classes = ["node", "input" if i < e.n_inputs else "op"]
        if i == e.output:
            classes.append("output")
        if i == blamed:
            classes.append("blamed")
        group = ET.SubElement(svg, "g", {"class": " ".join(classes), "data-node": e.name(i)})
        ET.SubElement(group, "title").text = labels[i] + (" (blamed)" if i == blamed else "")
        ET.SubElement(
            group,
            "rect",
            {
                "x": f"{x0:.1f}",
                "y": f"{y0:.1f}",
                "width": f"{width:.1f}",
                "height": str(BOX_HEIGHT),
                "rx": "3" if i < e.n_inputs else "12",
                "fill": BLAMED_FILL if i == blamed else INPUT_FILL if i < e.n_inputs else PAPER,
                "stroke": BLAMED if i == blamed else INK,
                "stroke-width": "2.5" if i == blamed or i == e.output else "1",
            },
        )
        text = ET.SubElement(
            group,
            "text",
            {
                "x": f"{x0 + width / 2:.1f}",
                "y": f"{y0 + BOX_HEIGHT / 2:.1f}",
                "text-anchor": "middle",
                "dominant-baseline": "central",
                "fill": BLAMED if i == blamed else INK,
            },
        )
        text.text = _cut(labels[i])
    return ET.tostring(svg, encoding="unicode")


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A cubic from the current point (x1, y1) to (x2, y2), leaving and arriving level."""
    bend = (x2 - x1) / 2
    return f"C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
