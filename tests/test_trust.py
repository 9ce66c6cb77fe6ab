"""A broken op never passes green: an op that raises on every call, a number operand one op
breaks on, a recursion on a small graph, a bug that shows only in context (upstream gradients
of another sign or size, a computed or shared operand) are bugs blamed on the op; refusals by
design stay "not checked"; float32 overflow is judged by float32's range."""

from pathlib import Path

import pytest
from gradtrio.checks import Culprit, Kind, Severity, Status, judge, load_engine, run
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.oracles.reference.rounding import FLOAT32
from gradtrio.checks.search.sweep import Cell, bands, sweep
from gradtrio.strategies import Expression, Node
from gradtrio.strategies.ops import OPS

ENGINES = Path(__file__).parent / "engines"


def engine(name: str, cls: str = "Value") -> ValueClassEngine:
    return ValueClassEngine.load(f"{ENGINES / name}.py:{cls}")


def expr(n_inputs: int, *nodes: Node) -> Expression:
    return Expression(n_inputs, tuple(nodes))


# -- refused on purpose, or broken ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "op"),
    [("add_raises_always", "add"), ("neg_raises_always", "neg"), ("radd_raises", "add")],
)
def test_an_op_that_raises_on_ordinary_operands_is_checked_and_its_crash_is_a_bug(name, op):
    e = engine(name)
    assert op in e.ops and not any(key.startswith(op) for key in e.unchecked), e.unchecked
    node = (
        Node(op, (0,), const=2.0, side="left")
        if name == "radd_raises"
        else Node(op, (0,) if op == "neg" else (0, 0))
    )
    verdict = judge(e, expr(1, node), (0.5,))
    assert (verdict.kind, verdict.severity) == (Kind.CRASH, Severity.BUG), verdict.reason
    assert (verdict.blame.culprit, verdict.blame.op) == (Culprit.OP, op)


def test_micrograds_refusal_of_a_value_exponent_is_not_checked_and_its_other_forms_are():
    e = engine("micrograd_faithful")
    assert "pow (nodes)" in e.unchecked and "refuses it" in e.unchecked["pow (nodes)"]
    assert "right" in e.ops["pow"] and "nodes" not in e.ops["pow"]


def test_a_class_that_breaks_on_a_number_in_one_op_is_not_wrapped_and_that_op_fails():
    e = engine("add_const_broken")
    assert not e.wrap_constants
    verdict = judge(e, expr(1, Node("add", (0,), const=2.0, side="right")), (0.5,))
    assert (verdict.kind, verdict.severity, verdict.blame.op) == (Kind.CRASH, Severity.BUG, "add")
    assert engine("strict_node", "Node").wrap_constants  # a class that takes no number at all


def test_a_recursion_on_a_small_graph_is_a_bug_and_on_a_deep_one_a_limitation():
    small = judge(engine("sub_recurses"), expr(2, Node("sub", (0, 1))), (0.5, 0.25))
    assert (small.severity, small.blame.op) == (Severity.BUG, "sub"), small.reason
    assert small.limitation is None and "only 1 op nodes deep" in small.reason
    deep = expr(1, *(Node("tanh", (i,)) for i in range(20_000)))  # past any recursion limit
    chain = judge(engine("recursive_backward"), deep, (0.5,))
    assert chain.severity is Severity.WARNING and chain.limitation is not None


# -- the names engines use --------------------------------------------------------------------


def test_a_minitorch_style_engine_is_found_without_flags():
    e = engine("minitorch_style", "Scalar")
    assert (e.value_attr, e.grad_attr, e.backward) == ("data", "derivative", "backward")
    verdict = judge(e, expr(2, Node("mul", (0, 1)), Node("sigmoid", (2,))), (0.5, -1.5))
    assert verdict.status is Status.PASS, verdict.reason


def test_a_class_without_a_backward_method_is_named_with_what_was_looked_for():
    with pytest.raises(EngineError) as info:
        load_engine("fractions:Fraction")
    message = str(info.value)
    assert "''" not in message
    assert "no value attribute found (looked for .data, .val, .value)" in message


# -- blame that reads context ------------------------------------------------------------------

CONTEXT = [
    (  # d(a - b)/db wrong only when b is computed
        "sub_wrong_on_computed",
        expr(1, Node("tanh", (0,)), Node("sub", (0, 1))),
        (0.5,),
        "sub",
        "wrong when its right operand is a computed node",
    ),
    (  # exp's backward assigns: shows only when exp's input has a second consumer
        "exp_assigns",
        expr(1, Node("exp", (0,)), Node("mul", (1, 0))),
        (0.5,),
        "exp",
        "has a second consumer",
    ),
    (  # relu clips a negative upstream gradient
        "relu_clips_negative_upstream",
        expr(1, Node("relu", (0,)), Node("neg", (1,))),
        (0.5,),
        "relu",
        "wrong under an upstream gradient of -2",
    ),
    (  # sigmoid ignores its upstream gradient
        "sigmoid_ignores_upstream",
        expr(1, Node("sigmoid", (0,)), Node("mul", (1,), const=3.0, side="right")),
        (0.5,),
        "sigmoid",
        "wrong under an upstream gradient of 3",
    ),
]


@pytest.mark.parametrize(("name", "e", "point", "op", "said"), CONTEXT, ids=[c[0] for c in CONTEXT])
def test_a_bug_that_shows_only_in_context_is_blamed_on_its_op_with_the_evidence(
    name, e, point, op, said
):
    verdict = judge(engine(name), e, point)
    assert verdict.kind is Kind.GRADIENT, verdict.reason
    assert (verdict.blame.culprit, verdict.blame.op) == (Culprit.OP, op), verdict.blame
    assert "right on leaves" in verdict.blame.reason and said in verdict.blame.reason


def test_a_traversal_that_skips_zero_valued_nodes_is_blamed_on_the_traversal():
    e = expr(1, Node("add", (0, 0)))  # x0 + x0 is 0 at 0; its gradient is 2
    verdict = judge(engine("traversal_skips_zeros"), e, (0.0,))
    assert verdict.blame.culprit is Culprit.TRAVERSAL, verdict.blame
    assert "another op whose value is 0.0" in verdict.blame.reason


# -- float32 and overflow ----------------------------------------------------------------------


def test_float32_overflow_agrees_with_inf_where_the_exact_value_exceeds_float32():
    torch32 = load_engine("torch:float32")
    verdict = judge(torch32, expr(1, Node("neg", (0,)), Node("exp", (1,))), (-360.0,))
    assert verdict.status is Status.PASS, verdict.reason


def test_a_float32_engine_is_swept_over_float32s_range_and_passes():
    torch32 = load_engine("torch:float32")
    magnitudes = [m for _, m in bands(FLOAT32)]
    assert min(magnitudes) < 1.2e-38 and max(magnitudes) > 2e38  # float32 subnormal, overflow
    assert max(magnitudes) < FLOAT32.max
    result = sweep(torch32, only="exp")
    assert not result.search.failures, [v.reason for v in result.search.failures]
    assert result.coverage.judged[Cell("exp", "nodes", "huge")] > 0


def test_an_input_beyond_float32s_range_is_skipped_on_a_float32_engine():
    verdict = judge(load_engine("torch:float32"), expr(1, Node("tanh", (0,))), (1e300,))
    assert verdict.status is Status.SKIP and "beyond float32" in verdict.reason, verdict.reason


def test_nan_from_inf_times_zero_where_an_exact_quantity_overflows_is_a_warning():
    try:
        hips = load_engine("autograd")
    except EngineError as exc:  # an optional extra
        pytest.skip(str(exc))
    e = expr(
        2,
        Node("tanh", (0,)),
        Node("sigmoid", (1,)),
        Node("min", (0, 3)),
        Node("sub", (2, 4)),
        Node("exp", (5,)),
    )
    verdict = judge(hips, e, (-720.0, -800.0))
    assert verdict.severity is not Severity.BUG, verdict.reason


# -- each one-change engine, by a default run ----------------------------------------------------

DEFAULT_RUNS = [
    ("int_pow_fast_path", Culprit.OP, "pow"),
    ("tanh_flat_beyond_10", Culprit.OP, "tanh"),
    ("pow_negative_fractional", Culprit.OP, "pow"),
    ("sub_wrong_on_computed", Culprit.OP, "sub"),
    ("exp_assigns", Culprit.OP, "exp"),
    ("relu_clips_negative_upstream", Culprit.OP, "relu"),
    ("sigmoid_ignores_upstream", Culprit.OP, "sigmoid"),
    ("traversal_skips_zeros", Culprit.TRAVERSAL, None),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "culprit", "op"), DEFAULT_RUNS, ids=[r[0] for r in DEFAULT_RUNS])
def test_a_default_run_finds_each_one_change_engine_blamed_right_and_shrunk(name, culprit, op):
    result = run(engine(name), progress=False)
    assert not result.passed
    bugs = result.bugs
    assert any((v.blame.culprit, v.blame.op) == (culprit, op) for v in bugs), [
        v.blame for v in bugs
    ]
    right = [v for v in bugs if (v.blame.culprit, v.blame.op) == (culprit, op)]
    assert min(len(v.expression.nodes) for v in right) <= 2


def test_an_engine_without_intermediate_gradients_is_blamed_on_the_op_not_the_traversal():
    # minitorch keeps .derivative on leaves only: the fault two nodes up must still be found.
    e = engine("minitorch_sigmoid_ignores_upstream", "Scalar")
    nodes = (Node("neg", (0,)), Node("sigmoid", (1,)), Node("sigmoid", (2,)))
    verdict = judge(e, expr(1, *nodes), (0.5,))
    assert (verdict.blame.culprit, verdict.blame.op) == (Culprit.OP, "sigmoid"), verdict.blame


# -- subnormals flushed to zero ----------------------------------------------------------------


def test_an_engine_that_flushes_subnormals_is_judged_at_the_zeros_it_holds():
    flushing = engine("flushes_subnormals")
    relu = expr(1, Node("relu", (0,)))
    undeclared = judge(flushing, relu, (3e-320,))
    assert undeclared.status is Status.FAIL and undeclared.severity is Severity.BUG
    flushing.flushes_subnormals = True  # what XLA's adapter declares
    declared = judge(flushing, relu, (3e-320,))
    assert declared.status is Status.PASS and declared.case.point == (0.0,), declared.reason
    for op in ("relu", "log", "tanh", "mul", "div"):
        result = sweep(flushing, only=op)
        assert not result.search.failures, [v.reason for v in result.search.failures]
        if op != "log":  # log(0) is outside its domain
            assert result.coverage.judged[Cell(op, OPS[op].forms[0], "tiny")] > 0


def test_jax_declares_that_xla_flushes_subnormals():
    pytest.importorskip("jax")
    jax = load_engine("jax")
    assert jax.flushes_subnormals
    for op in ("relu", "log", "leaky_relu"):
        result = sweep(jax, only=op)
        bugs = [v.reason for v in result.search.failures if v.severity is Severity.BUG]
        assert not bugs, bugs
