"""The report page's picture of a case, drawn without Graphviz: every node once, each op node
to the right of its operands, no box over another and no edge behind one, one edge per operand
(``x0 * x0`` has two) from that operand to its consumer, the blamed node red, ids of its own per
picture, and no picture of a graph too large to read."""

import re
import xml.etree.ElementTree as ET

import gradtrio.checks.report.dag_svg as dag_svg_module
from gradtrio.checks.report.dag_svg import DRAW_MAX_NODES, dag_svg
from gradtrio.strategies import Expression, Node, cases
from hypothesis import given, settings

SVG = "{http://www.w3.org/2000/svg}"
# n2 = x0 * x1; n3 = n2.tanh(); n4 = n2 + n3; n5 = x0 * x0; n6 = n4 - n5; n7 = n6 ** 2;
# n8 = n7 + x1: shared nodes, a repeated operand, edges that skip columns.
SHARED = Expression(
    2,
    (
        Node("mul", (0, 1)),
        Node("tanh", (2,)),
        Node("add", (2, 3)),
        Node("mul", (0, 0)),
        Node("sub", (4, 5)),
        Node("pow", (6,), const=2, side="right"),
        Node("add", (7, 1)),
    ),
)
RED = "#c62828"


def boxes(svg):
    """name -> (left, top, right, bottom, classes, stroke, label, tooltip)."""
    out = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        x, y = float(rect.get("x")), float(rect.get("y"))
        w, h = float(rect.get("width")), float(rect.get("height"))
        out[group.get("data-node")] = (
            x,
            y,
            x + w,
            y + h,
            set(group.get("class").split()),
            rect.get("stroke"),
            group.find(f"{SVG}text").text,
            group.find(f"{SVG}title").text,
        )
    return out


def edges(svg):
    """Each edge as its list of (command, end point) steps."""
    out = []
    for path in ET.fromstring(svg).iter(f"{SVG}path"):
        if path.get("class") != "edge":
            continue
        steps = re.findall(r"([MCL])([^MCL]+)", path.get("d"))
        out.append(
            [(cmd, tuple(map(float, args.replace(",", " ").split()[-2:]))) for cmd, args in steps]
        )
    return out


def near(a, b):  # coordinates are written to a tenth of a pixel
    return abs(a - b) <= 0.15


def at(box, point):
    left, top, right, bottom = box[:4]
    return left - 0.1 <= point[0] <= right + 0.1 and top - 0.1 <= point[1] <= bottom + 0.1


def check_picture(e, svg):
    drawn = boxes(svg)
    names = [e.name(i) for i in range(e.size)]
    assert sorted(drawn) == sorted(names)
    for k in range(e.n_inputs, e.size):
        for i in e.node(k).args:  # an op node stands right of each of its operands
            assert drawn[e.name(i)][2] < drawn[e.name(k)][0]
    for a in names:
        for b in names:
            if a < b:  # no two boxes overlap
                A, B = drawn[a], drawn[b]
                assert A[2] <= B[0] or B[2] <= A[0] or A[3] <= B[1] or B[3] <= A[1], (a, b)
    found = []
    for steps in edges(svg):
        start, end = steps[0][1], steps[-1][1]
        (source,) = [n for n in names if at(drawn[n], start) and near(start[0], drawn[n][2])]
        (target,) = [n for n in names if at(drawn[n], end) and near(end[0], drawn[n][0])]
        found.append((source, target))
        previous = start
        for cmd, point in steps[1:]:
            xs = (min(previous[0], point[0]), max(previous[0], point[0]))
            for n, box in drawn.items():  # a curve runs in a gap, a line along a free lane
                overlaps_x = box[0] < xs[1] - 0.1 and xs[0] + 0.1 < box[2]
                if cmd == "C":
                    assert not overlaps_x, (source, target, n)
                else:
                    assert not (overlaps_x and box[1] <= point[1] <= box[3]), (source, target, n)
            previous = point
    expected = [(e.name(i), e.name(k)) for k in range(e.n_inputs, e.size) for i in e.node(k).args]
    assert sorted(found) == sorted(expected)


def test_a_dag_with_shared_nodes_is_drawn_layered_with_every_edge():
    svg = dag_svg(SHARED, (1.5, -0.25), blamed=4)
    check_picture(SHARED, svg)
    drawn = boxes(svg)
    assert drawn["x0"][6] == "x0 = 1.5" and drawn["x1"][6] == "x1 = -0.25"
    assert drawn["n5"][6] == "n5 = x0 * x0" and drawn["n7"][6] == "n7 = n6 ** 2"
    assert "output" in drawn["n8"][4] and "input" in drawn["x1"][4]


def test_the_blamed_node_alone_is_red_and_marked():
    drawn = boxes(dag_svg(SHARED, (1.5, -0.25), blamed=4))
    assert [n for n, box in drawn.items() if "blamed" in box[4]] == ["n4"]
    assert [n for n, box in drawn.items() if box[5] == RED] == ["n4"]
    assert drawn["n4"][7] == "n4 = n2 + n3 (blamed)"
    unblamed = boxes(dag_svg(SHARED, (1.5, -0.25)))
    assert not any("blamed" in box[4] or box[5] == RED for box in unblamed.values())


@settings(max_examples=60, database=None, deadline=None)
@given(cases(max_nodes=12, max_inputs=3))
def test_every_drawn_case_is_drawn_whole_and_readable(case):
    check_picture(case.expression, dag_svg(case.expression, case.point))


def test_each_picture_has_ids_of_its_own():
    one, two = (dag_svg(SHARED, (1.0, 2.0), ident=name) for name in ("failure-1", "failure-2"))
    ids = [set(re.findall(r'id="([^"]+)"', svg)) for svg in (one, two)]
    assert ids[0] == {"failure-1-arrow"} and ids[1] == {"failure-2-arrow"}
    assert 'marker-end="url(#failure-2-arrow)"' in two


def test_a_long_label_is_cut_and_whole_in_its_tooltip(monkeypatch):
    monkeypatch.setattr(dag_svg_module, "LABEL_CHARS", 20)
    c = -1.2345678901234567e-300
    wide = Expression(1, (Node("mul", (0,), const=c, side="left"),))
    drawn = boxes(dag_svg(wide, (0.1,)))
    assert drawn["x0"][6:8] == ("x0 = 0.1", "x0 = 0.1")
    label, tooltip = drawn["n1"][6:8]
    assert tooltip == f"n1 = ({c!r}) * x0"
    assert len(label) == 20 and label.endswith("…") and tooltip.startswith(label[:-1])


def test_a_graph_too_large_to_read_gets_no_picture():
    def chain(n):
        return Expression(1, tuple(Node("tanh", (i,)) for i in range(n)))

    assert dag_svg(chain(DRAW_MAX_NODES)) is not None
    assert dag_svg(chain(DRAW_MAX_NODES + 1)) is None
