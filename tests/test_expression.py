"""The expression IR: JSON round trip, printed snippets that run, DOT, validation."""

import contextlib
import io
import math
import pickle

import pytest
from gradtrio.checks import resolve_engine
from gradtrio.checks.report.picture import expression_dot
from gradtrio.strategies import Expression, Node, cases, expressions
from gradtrio.strategies.domain import float_values
from gradtrio.strategies.expression import interpret
from hypothesis import given


@given(expressions())
def test_json_round_trip_is_exact(expression):
    assert Expression.from_json(expression.to_json()) == expression


@given(cases(max_nodes=8))
def test_printed_snippet_runs_and_reproduces_the_engine(case):
    source = case.expression.to_python(case.point)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<snippet>", "exec"), {})
    value_line, grads_line = out.getvalue().replace("inf", "math.inf").splitlines()
    printed_value = eval(value_line.removeprefix("value: "), {"math": math})
    printed_grads = eval(grads_line.removeprefix("grads: "), {"math": math})
    run = resolve_engine(None).run(case.expression, case.point)
    assert printed_value == run.value
    assert printed_grads == run.grads


def test_snippet_keeps_reflected_constants_on_their_side():
    e = Expression(
        1, (Node("sub", (0,), const=2.0, side="left"), Node("pow", (1,), const=0.1, side="left"))
    )
    source = e.to_python([0.5])
    assert "n1 = 2.0 - x0" in source
    assert "n2 = 0.1 ** n1" in source


def test_dot_marks_highlighted_nodes():
    e = Expression(1, (Node("mul", (0, 0)), Node("tanh", (1,))))
    dot = expression_dot(e, point=[1.5], highlight=[1])
    assert dot.startswith("digraph")
    assert 'n1 [label="n1 = x0 * x0", shape=ellipse, color=red' in dot
    assert "x0 -> n1;" in dot and "n1 -> n2;" in dot
    assert "n2 [" in dot and "color=red" not in dot.split("n2 [")[1].split("\n")[0]


@pytest.mark.parametrize(
    "n_inputs, nodes, message",
    [
        (0, (), "n_inputs=0"),
        (1, (Node("cube", (0,)),), "op='cube'"),
        (1, (Node("add", (1, 0)),), "operand=1"),
        (1, (Node("exp", (0, 0)),), "expected 1 operands"),
        (1, (Node("add", (0,), const=math.inf, side="right"),), "const=inf"),
        (1, (Node("add", (0,), const=1.0, side="up"),), "side='up'"),
    ],
    ids=[
        "no-inputs",
        "unknown-op",
        "forward-reference",
        "wrong-arity",
        "infinite-const",
        "bad-side",
    ],
)
def test_invalid_expressions_are_named(n_inputs, nodes, message):
    with pytest.raises(ValueError, match=message):
        Expression(n_inputs, nodes)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[1, 2", "not JSON"),
        ('{"format": "other"}', "format='other'"),
        ('{"format": "gradtrio.expression/1", "inputs": 1}', "missing or mistyped field"),
    ],
    ids=["truncated", "foreign", "missing-nodes"],
)
def test_bad_json_is_a_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        Expression.from_json(text)


def test_removing_a_node_hands_its_users_its_first_operand():
    e = Expression(2, (Node("mul", (0, 1)), Node("tanh", (2,)), Node("add", (3, 2))))
    smaller = e.without_node(3)  # drop the tanh: n4 = n2 + n2 becomes n3 = n2 + n2
    assert smaller == Expression(2, (Node("mul", (0, 1)), Node("add", (2, 2))))
    with pytest.raises(ValueError, match="index=1"):
        e.without_node(1)


def test_pruning_drops_what_the_output_does_not_use():
    e = Expression(3, (Node("exp", (0,)), Node("mul", (2, 2)), Node("add", (4,), 1.0, "right")))
    pruned, point = e.pruned([0.5, 1.5, 2.5])
    assert pruned == Expression(1, (Node("mul", (0, 0)), Node("add", (1,), 1.0, "right")))
    assert point == (2.5,)


def test_interpret_hands_every_node_its_operands_in_call_order():
    # One node of each shape: unary, two nodes, a constant on the left, one on the right.
    e = Expression(
        2,
        (
            Node("neg", (1,)),
            Node("sub", (0, 2)),
            Node("sub", (3,), const=2.0, side="left"),
            Node("div", (4,), const=8.0, side="right"),
        ),
    )
    seen = []

    def apply(op, node, operands):
        seen.append((op.name, operands))
        return op.float_fn(*operands)

    values = interpret(e, [5.0, 3.0], apply)
    assert seen == [
        ("neg", [3.0]),
        ("sub", [5.0, -3.0]),
        ("sub", [2.0, 8.0]),
        ("div", [-6.0, 8.0]),
    ]
    assert values == [5.0, 3.0, -3.0, 8.0, -6.0, -0.75]
    assert float_values(e, [5.0, 3.0]) == values


def test_an_interpreted_expression_still_equals_pickles_and_hashes_as_before():
    e = Expression(1, (Node("mul", (0, 0)), Node("add", (1,), const=1.0, side="right")))
    fresh = Expression.from_json(e.to_json())
    interpret(e, [2.0], lambda op, node, operands: op.float_fn(*operands))
    assert e == fresh and hash(e) == hash(fresh) and repr(e) == repr(fresh)
    assert pickle.loads(pickle.dumps(e)) == fresh
