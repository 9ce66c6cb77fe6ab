"""The strategies: reuse, coverage, shrinking, domain margins, families and argument checks."""

import math
import random
from collections import Counter

import pytest
from gradtrio.strategies import (
    OPS,
    Expression,
    Node,
    cases,
    deep_chains,
    expressions,
    kink_cases,
    point_problem,
    points,
    wide_cases,
)
from gradtrio.strategies.domain import float_values
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import InvalidArgument


def collect(strategy, n):
    out = []

    @settings(max_examples=n, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def gather(x):
        out.append(x)

    gather()
    return out


def test_default_run_reuses_nodes_and_covers_every_op():
    drawn = collect(cases(), 1000)  # enough that the share's spread (~1.6%) is well inside
    shared = sum(c.expression.has_shared_node() for c in drawn) / len(drawn)
    ops = Counter(n.op for c in drawn for n in c.expression.nodes)
    assert shared >= 0.40, f"only {shared:.0%} of cases share a node"
    assert set(ops) == set(OPS), f"never drawn: {set(OPS) - set(ops)}"


def test_constants_appear_on_both_sides_and_operands_repeat():
    drawn = collect(cases(), 300)
    sides = Counter(n.side for c in drawn for n in c.expression.nodes)
    assert sides["left"] and sides["right"]
    assert any(c.expression.has_repeated_operand() for c in drawn)


@given(cases())
def test_case_points_keep_the_domain_margin(case):
    assert point_problem(case.expression, case.point) is None


@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(expressions(max_nodes=8).flatmap(lambda e: points(e).map(lambda p: (e, p))))
def test_points_for_a_given_expression_keep_the_margin(pair):
    expression, point = pair
    assert point_problem(expression, point) is None


def test_points_need_no_heavy_filtering():
    drawn = []

    # Health checks on: FailedHealthCheck(filter_too_much) if points rejects too often.
    @settings(max_examples=200, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(expressions(max_nodes=8).flatmap(lambda e: points(e).map(lambda p: (e, p))))
    def draw(pair):
        drawn.append(pair)

    draw()
    assert len(drawn) >= 200 and all(point_problem(e, p) is None for e, p in drawn)


def test_shrinks_self_multiplication_to_one_node():
    def squares_something(case):
        return any(n.op == "mul" and n.args[0] == n.args[1] for n in case.expression.nodes)

    # Hypothesis alone often stops at x0 + x0 feeding the square (two nodes), now and then at
    # four or five; the runner's minimisation removes the rest. So: the median over seeds.
    sizes = [
        len(
            find(
                cases(),
                squares_something,
                settings=settings(database=None, max_examples=2000, derandomize=False),
                random=random.Random(seed),
            ).expression.nodes
        )
        for seed in range(1, 6)
    ]
    assert sorted(sizes)[2] <= 2, sizes


def test_shrinks_shared_node_to_a_small_case():
    found = find(
        cases(),
        lambda c: c.expression.has_shared_node(),
        settings=settings(database=None, max_examples=2000, derandomize=True),
    )
    assert len(found.expression.nodes) <= 3, found.expression


@given(kink_cases())
def test_kink_cases_put_an_operand_exactly_on_a_kink(case):
    values = float_values(case.expression, case.point)
    on_kink = [
        n
        for n in case.expression.nodes
        for k in OPS[n.op].kinks
        if k.offset(n.operands(values)) == 0
    ]
    assert on_kink
    assert point_problem(case.expression, case.point, exact_kinks=True) is None


@given(wide_cases())
def test_wide_cases_overflow_at_most_at_the_output(case):
    assert all(abs(x) <= 1e3 for x in case.point)
    assert (
        point_problem(
            case.expression,
            case.point,
            margin=1e-6,
            max_magnitude=1e300,
            overflow_output=True,
        )
        is None
    )
    values = float_values(case.expression, case.point)
    assert all(abs(v) <= 1e300 for v in values[:-1])


def test_wide_cases_include_inputs_and_outputs_beyond_naive_overflow():
    drawn = collect(wide_cases(), 200)
    assert any(abs(x) > 710 for c in drawn for x in c.point)
    assert any(math.isinf(float_values(c.expression, c.point)[-1]) for c in drawn)


@settings(max_examples=3, deadline=None)
@given(deep_chains())
def test_deep_chains_are_deeper_than_the_recursion_limit(case):
    import sys

    assert len(case.expression.nodes) >= 10_000 > sys.getrecursionlimit()
    assert point_problem(case.expression, case.point, max_magnitude=1e3) is None


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: cases(max_nodes=0), "max_nodes=0"),
        (lambda: cases(ops=["add", "cube"]), "unknown op 'cube'"),
        (lambda: cases(min_nodes=5, max_nodes=2), "max_nodes=2 < min_nodes=5"),
        (lambda: cases(min_inputs=3, max_inputs=1), "max_inputs=1 < min_inputs=3"),
        (lambda: cases(min_value=2.0, max_value=-2.0), "max_value=-2.0 < min_value=2.0"),
        (lambda: cases(ops="add"), "ops='add'"),
        (lambda: cases(ops={"add": ["sideways"]}), "form 'sideways'"),
        (lambda: cases(margin=2), "margin=2"),
        (lambda: deep_chains(min_depth=10, max_depth=5), "max_depth=5 < min_depth=10"),
        (lambda: kink_cases(ops=["add"]), "no op with a kink"),
        (lambda: points("x"), "expression='x'"),
    ],
    ids=[
        "cases(max_nodes=0)",
        "cases(ops=[..., 'cube'])",
        "cases(min_nodes=5, max_nodes=2)",
        "cases(min_inputs=3, max_inputs=1)",
        "cases(min_value=2, max_value=-2)",
        "cases(ops='add')",
        "cases(ops={'add': ['sideways']})",
        "cases(margin=2)",
        "deep_chains(min_depth=10, max_depth=5)",
        "kink_cases(ops=['add'])",
        "points('x')",
    ],
)
def test_bad_arguments_raise_invalid_argument(make, message):
    with pytest.raises(InvalidArgument, match=message.replace("[", r"\[").replace("(", r"\(")):
        make()


@given(cases(ops={"add": ["nodes"], "tanh": ["nodes"]}))
def test_op_subsets_are_respected(case):
    assert {n.op for n in case.expression.nodes} <= {"add", "tanh"}
    assert all(n.side is None for n in case.expression.nodes)


def test_profiles_are_registered_and_selectable(monkeypatch):
    from gradtrio.strategies.profiles import load_profile
    from hypothesis import settings as hsettings

    previous = hsettings.get_current_profile_name()
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "ci")
    try:
        assert load_profile() == "ci"
        assert hsettings.default.derandomize is True
        with pytest.raises(ValueError, match="HYPOTHESIS_PROFILE='fast'"):
            load_profile("fast")
    finally:
        hsettings.load_profile(previous)


def test_strategies_are_built_once_not_per_draw(monkeypatch):
    # Hypothesis validates every new strategy object it draws from; one per node cost as much
    # as the drawing itself. The integers drawn per node come from a few cached strategies.
    from gradtrio.strategies import dags

    built = []
    real = dags.st.integers
    monkeypatch.setattr(dags.st, "integers", lambda *a, **k: built.append(a) or real(*a, **k))
    dags._integers.cache_clear()
    drawn = collect(cases(max_nodes=12), 100)
    nodes = sum(len(c.expression.nodes) for c in drawn)
    assert nodes > 200 and len(built) <= 20, (nodes, len(built))


def test_a_bound_of_negative_zero_is_not_confused_with_zero():
    e = Expression(1, (Node("exp", (0,)),))

    def signs(bound):
        drawn = collect(points(e, min_value=bound, max_value=0.0), 50)
        return {math.copysign(1.0, p[0]) for p in drawn}

    # -0.0 first: its strategy must not be reused for 0.0 (the two are equal, hash alike).
    assert signs(-0.0) == {-1.0, 1.0}
    assert signs(0.0) == {1.0}
