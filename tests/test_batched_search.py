"""The search on an engine that judges several points per expression (``points_per_expression``):
each draw is one expression at up to that many points of its family, one ``run_many`` for all of
them, every point a case; a bug at one of the further points is shrunk and blamed as any other;
an engine of one point per expression draws what it always drew."""

import math
from pathlib import Path

import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Culprit, Kind
from gradtrio.checks.search.families import families
from gradtrio.checks.search.hypothesis_search import search
from gradtrio.strategies import Case, Expression, Node, cases, kink_cases, more_points, wide_cases
from gradtrio.strategies.dags import mlp_cases
from gradtrio.strategies.domain import float_values, point_problem
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

ENGINES = Path(__file__).parent / "engines"


class Batching(ValueClassEngine):
    """The default engine, judged eight points per expression."""

    points_per_expression = 8


class Recorded:
    """Every batch an engine's ``run_many`` is asked for, and every point run alone."""

    def __init__(self, engine: ValueClassEngine) -> None:
        self.batches: list[tuple[Expression, list[tuple[float, ...]]]] = []
        self.alone: list[tuple[Expression, tuple[float, ...]]] = []
        run_many, run = engine.run_many, engine.run

        def recorded_many(expression, points):
            self.batches.append((expression, [tuple(p) for p in points]))
            return run_many(expression, points)

        def recorded_run(expression, point):
            self.alone.append((expression, tuple(point)))
            return run(expression, point)

        engine.run_many = recorded_many  # type: ignore[method-assign]
        engine.run = recorded_run  # type: ignore[method-assign]


def family_search(engine, examples, seed_value=0, **kw):
    strategy = st.one_of(list(families(engine, 12).values()))
    return search(
        engine,
        strategy,
        examples=examples,
        seed_value=seed_value,
        points=engine.points_per_expression,
        **kw,
    )


def test_a_batching_engine_judges_several_points_per_draw_and_counts_each():
    engine = Batching.load("gradtrio.autograd:Value")
    seen = Recorded(engine)
    result = family_search(engine, examples=60)
    assert result.examples == 60  # every point a case, no more than asked
    assert sum(result.family_counts.values()) == 60
    sizes = [len(points) for _, points in seen.batches]
    assert max(sizes) == 8 and sum(sizes) >= 40, sizes  # most points came in batches
    assert len(seen.batches) <= 15, "about examples / 8 draws, not one per case"
    for _, points in seen.batches:
        assert len(set(points)) == len(points), "a point twice in one batch"


@pytest.mark.parametrize(
    "strategy",
    [cases(max_nodes=6), kink_cases(max_nodes=6), wide_cases(max_nodes=6), mlp_cases()],
    ids=["interior", "kink", "wide", "mlp"],
)
def test_more_points_are_fair_for_the_expression_as_the_family_draws_them(strategy):
    @seed(1)
    @settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy.flatmap(lambda case: more_points(case, 7).map(lambda p: (case, p))))
    def check(drawn):
        case, points = drawn
        e = case.expression
        assert len(points) <= 7 and case.point not in points
        for point in points:
            if case.family == "wide":
                overflows = math.isinf(float_values(e, case.point)[-1])
                rules = {"margin": 1e-6, "max_magnitude": 1e300, "overflow_output": overflows}
                assert point_problem(e, point, **rules) is None
                assert math.isinf(float_values(e, point)[-1]) == overflows
            elif case.family == "kink":
                assert point_problem(e, point, exact_kinks=True) is None
                assert on_kinks(e, point) == on_kinks(e, case.point) != set()
            else:
                assert point_problem(e, point) is None
                limit = 1.0 if case.family == "mlp" else 3.0
                assert all(abs(x) <= limit for x in point)

    check()


def on_kinks(expression, point):
    from gradtrio.strategies.ops import OPS

    values = float_values(expression, point)
    return {
        k
        for k, node in enumerate(expression.nodes, start=expression.n_inputs)
        if any(kink.offset(node.operands(values)) == 0 for kink in OPS[node.op].kinks)
    }


def test_a_kink_case_whose_every_input_lies_on_its_kink_has_no_more_points():
    relu = Case(Expression(1, (Node("relu", (0,)),)), (0.0,), "kink")

    @given(more_points(relu, 5))
    def check(points):
        assert points == ()

    check()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: more_points("x0", 3), "case='x0' must be a Case"),
        (lambda: more_points(Case.of(Expression(1, ()), (1.0,)), -1), "count=-1"),
        (lambda: more_points(Case.of(Expression(1, ()), (1.0,)), 2, tries=0), "tries=0"),
    ],
    ids=["more_points('x0', 3)", "more_points(case, -1)", "more_points(case, 2, tries=0)"],
)
def test_bad_arguments_of_more_points_raise_invalid_argument(call, message):
    with pytest.raises(InvalidArgument, match=message):
        call()


def test_the_same_seed_judges_the_same_points_and_another_seed_others():
    def judged(seed_value):
        engine = Batching.load("gradtrio.autograd:Value")
        seen = Recorded(engine)
        family_search(engine, examples=40, seed_value=seed_value)
        return seen.batches, seen.alone

    first = judged(3)
    assert judged(3) == first
    assert judged(4) != first


def test_a_bug_at_one_of_the_further_points_is_found_shrunk_and_blamed():
    spec = f"{ENGINES / 'tanh_grad_off_beyond_two.py'}:Value"
    # Drawn points in [-1, 1] never give tanh an operand beyond 2; the further points of the
    # interior family, in [-3, 3], do.
    strategy = cases(ops=["tanh"], max_nodes=4, min_value=-1.0, max_value=1.0)
    alone = search(ValueClassEngine.load(spec), strategy, examples=40, seed_value=0)
    assert alone.failures == []
    found = search(Batching.load(spec), strategy, examples=40, seed_value=0, points=8)
    (failure,) = found.failures
    assert failure.kind is Kind.GRADIENT and failure.is_bug
    assert failure.blame is not None and failure.blame.culprit is Culprit.OP
    assert failure.blame.op == "tanh"
    (node,) = failure.expression.nodes  # shrunk to one tanh, at a point beyond 2
    assert abs(failure.point[node.args[0]]) > 2.0, (str(failure.expression), failure.point)


def test_a_finding_already_known_at_a_smaller_case_does_not_stop_the_search():
    from gradtrio.checks.judgement.verdict import judge
    from gradtrio.checks.search.hypothesis_search import finding_key

    engine = Batching.load(f"{ENGINES / 'tanh_grad_off_beyond_two.py'}:Value")
    one = judge(engine, Expression(1, (Node("tanh", (0,)),)), (2.5,), thorough=False)
    assert one.is_bug
    strategy = cases(ops=["tanh", "mul"], max_nodes=4)
    stopped = search(engine, strategy, examples=60, seed_value=0, points=8)
    assert stopped.examples < 60  # a bug stops the search to shrink it
    known = {finding_key(one): 1}
    went_on = search(engine, strategy, examples=60, seed_value=0, points=8, known=known)
    assert went_on.examples == 60 and went_on.cut_short == []
    assert [finding_key(v) for v in went_on.failures] == [finding_key(one)]  # met, recorded


def test_an_engine_of_one_point_per_expression_judges_what_the_strategy_draws(monkeypatch):
    import gradtrio.checks.search.hypothesis_search as searching

    engine = ValueClassEngine.load("gradtrio.autograd:Value")
    assert engine.points_per_expression == 1
    seen = Recorded(engine)
    judged: list[Case] = []
    judge = searching.judge
    monkeypatch.setattr(
        searching, "judge", lambda e, case, **kw: judged.append(case) or judge(e, case, **kw)
    )
    strategy = st.one_of(list(families(engine, 12).values()))
    result = search(engine, strategy, examples=30, seed_value=5)
    drawn: list[Case] = []

    @seed(5)
    @settings(
        max_examples=30, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def collect(case):
        drawn.append(case)

    with searching.no_local_constants():  # as the search draws
        collect()
    assert result.examples == 30
    assert seen.batches == []  # one point per draw: no batches
    assert judged == drawn


def test_an_interrupt_ends_a_batched_search_at_the_next_point():
    from gradtrio.checks.search.hypothesis_search import Phase
    from gradtrio.checks.search.interrupt import Interrupt

    engine = Batching.load("gradtrio.autograd:Value")
    interrupt = Interrupt()
    counted = []

    def on_case():
        counted.append(1)
        if len(counted) == 11:  # inside a draw of eight points
            interrupt.request("SIGINT")

    result = family_search(engine, examples=60, interrupt=interrupt, on_case=on_case)
    assert result.examples == 11
    assert result.cut_short == [Phase.INTERRUPTED]
