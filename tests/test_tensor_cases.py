"""The tensor strategies: cases within their bounds and domains, with broadcasting, reused nodes
and every op drawn, shrinking toward fewer nodes, lower rank and size-1 dimensions."""

from collections import Counter

import pytest
from gradtrio.strategies.domain import point_problem
from gradtrio.strategies.tensor_cases import all_tensor_ops, tensor_cases, tensor_expressions
from gradtrio.strategies.tensor_expansion import expand
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import InvalidArgument

SETTINGS = settings(
    database=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)


@given(tensor_cases())
@SETTINGS
def test_a_drawn_case_is_within_its_bounds_every_node_live_and_inside_the_domain(case):
    expression = case.expression
    assert 1 <= len(expression.nodes) <= 4
    assert all(len(s) <= 3 and all(1 <= d <= 4 for d in s) for s in expression.inputs)
    assert expression.pruned(case.point)[0] == expression
    assert point_problem(expand(expression).expression, case.point) is None


def draws(n=300, **kw):
    found = []

    @given(tensor_cases(**kw))
    @settings(SETTINGS, max_examples=n, derandomize=True)
    def collect(case):
        found.append(case.expression)

    collect()
    return found


def test_drawn_cases_broadcast_reuse_nodes_and_reach_every_op_and_rank():
    expressions = draws(300)
    ops = Counter(node.op for e in expressions for node in e.nodes)
    # Every structural op and all but a few of the 20 elementwise ones in 300 cases.
    assert len(set(all_tensor_ops()) - set(ops)) <= 3, ops
    assert min(ops[op] for op in ("sum", "mean", "matmul", "reshape", "transpose")) >= 10
    broadcast = sum(
        any(
            len(n.args) == 2 and n.op != "matmul" and e.shapes[n.args[0]] != e.shapes[n.args[1]]
            for n in e.nodes
        )
        for e in expressions
    )
    reused = sum(
        any(c >= 2 for c in Counter(i for n in e.nodes for i in n.args).values())
        for e in expressions
    )
    ranks = Counter(e.max_rank() for e in expressions)
    assert broadcast >= 30 and reused >= 30, (broadcast, reused)
    assert min(ranks[r] for r in range(4)) >= 20, ranks


@pytest.mark.parametrize(
    "predicate, nodes, inputs",
    [
        (lambda e: any(n.op == "matmul" for n in e.nodes), 1, 2),
        (lambda e: any(n.op == "sum" and n.axis == 1 for n in e.nodes), 1, 1),
        (lambda e: any(n.perm == (1, 2, 0) for n in e.nodes), 1, 1),
        (lambda e: len(e.nodes) >= 3, 3, 1),
    ],
    ids=["a matmul", "a sum over axis 1", "a cyclic transpose", "three nodes"],
)
def test_an_example_shrinks_to_the_fewest_nodes_lowest_rank_and_size_1_dims(
    predicate, nodes, inputs
):
    smallest = find(
        tensor_expressions(),
        predicate,
        settings=settings(database=None, max_examples=2000, derandomize=True),
    )
    assert len(smallest.nodes) == nodes and len(smallest.inputs) == inputs
    assert all(d == 1 for shape in smallest.inputs for d in shape), smallest.inputs


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"ops": {"pow"}}, "unknown op 'pow'"),
        ({"ops": "add"}, "not a string"),
        ({"ops": ()}, "at least one op"),
        ({"max_rank": 4}, "max_rank=4: expected an int in 0..3"),
        ({"max_side": 0}, "max_side=0"),
        ({"max_nodes": 0}, "max_nodes=0"),
    ],
    ids=lambda x: str(x),
)
def test_bad_arguments_are_one_invalid_argument_naming_them(kw, message):
    with pytest.raises(InvalidArgument, match=message):
        tensor_expressions(**kw)


def test_only_the_ops_asked_for_are_drawn():
    expressions = draws(100, ops={"add", "sum"})
    assert {n.op for e in expressions for n in e.nodes} == {"add", "sum"}


def test_points_for_ops_with_a_domain_edge_are_found_without_giving_up():
    assert len(draws(100, ops={"log", "sqrt", "div", "sub"})) == 100
