"""autograd.to_dot: DOT text with one record per Value and one op node per operation."""

from __future__ import annotations

import re

from gradtrio.autograd import Value, to_dot

RECORD = re.compile(r'^  (v\d+) \[shape=record, label="(.*)"(.*)\];$', re.M)
OP_NODE = re.compile(r'^  (op\d+) \[shape=circle.*label="(.*)"\];$', re.M)
EDGE = re.compile(r"^  (\w+) -> (\w+);$", re.M)


def small_graph() -> tuple[Value, Value, Value, Value]:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a  # a is used twice
    d.label = "d"
    return a, b, c, d


def test_dot_text_is_a_digraph_with_one_record_per_value() -> None:
    *_, d = small_graph()
    dot = to_dot(d)
    assert dot.startswith("digraph {")
    assert dot.rstrip().endswith("}")
    labels = [label for _, label, _ in RECORD.findall(dot)]
    assert len(labels) == 4
    assert sorted(label.split(" | ")[0] for label in labels) == ["{ a", "{ b", "{ c", "{ d"]
    assert "{ c | data -6 | grad 0 }" in labels


def test_each_operation_has_an_op_node_and_edges_from_each_parent() -> None:
    *_, d = small_graph()
    dot = to_dot(d)
    names = {label.split(" | ")[0][2:]: node for node, label, _ in RECORD.findall(dot)}
    ops = dict(OP_NODE.findall(dot))
    edges = set(EDGE.findall(dot))
    assert sorted(ops.values()) == ["*", "+"]
    (mul,) = [k for k, v in ops.items() if v == "*"]
    (add,) = [k for k, v in ops.items() if v == "+"]
    assert edges == {
        (names["a"], mul),
        (names["b"], mul),
        (mul, names["c"]),
        (names["c"], add),
        (names["a"], add),
        (add, names["d"]),
    }


def test_grads_appear_after_backward() -> None:
    a, *_, d = small_graph()
    d.backward()
    assert "{ a | data 2 | grad -2 }" in to_dot(d)  # d = a*b + a, dd/da = b + 1


def test_highlighted_values_are_red_and_others_are_not() -> None:
    a, b, c, d = small_graph()
    dot = to_dot(d, highlight={c})
    red = [label for _, label, attrs in RECORD.findall(dot) if "color=red" in attrs]
    assert red == ["{ c | data -6 | grad 0 }"]


def test_output_is_deterministic() -> None:
    assert to_dot(small_graph()[-1]) == to_dot(small_graph()[-1])


def test_labels_are_escaped() -> None:
    x = Value(1.0, label='w{0}|"x"')
    dot = to_dot(x)
    assert r"w\{0\}\|\"x\"" in dot


def test_a_chain_of_100000_nodes_needs_no_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(99_999):
        y = y + 1.0
    dot = to_dot(y)
    assert len(RECORD.findall(dot)) == 100_000
    assert len(EDGE.findall(dot)) == 2 * 99_999
