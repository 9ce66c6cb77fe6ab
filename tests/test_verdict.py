"""The verdict on single cases: classification, triangulation, blame, and no false alarms."""

from pathlib import Path

import gradtrio.checks.judgement.verdict
import mutants
import pytest
from gradtrio.checks import GradientMismatch, ValueClassEngine, check, judge, resolve_engine
from gradtrio.checks.judgement.outcome import Culprit, Kind, Status
from gradtrio.checks.oracles.torch_float64 import TorchResult
from gradtrio.strategies import Expression, Node

BY_NAME = {m.name: m for m in mutants.MUTANTS}


def mutant(name):
    return ValueClassEngine.from_class(mutants.load_mutant(BY_NAME[name]))


def expr(n_inputs, *nodes):
    return Expression(n_inputs, tuple(nodes))


def torch_agrees_with(engine, monkeypatch):
    """Make the PyTorch oracle give ``engine``'s value and gradients."""
    real = gradtrio.checks.judgement.verdict.torch_gradients

    def like_the_engine(expression, point):
        run = engine.run(expression, point)
        return TorchResult(run.value, run.grads, real(expression, point).node_grads)

    monkeypatch.setattr(gradtrio.checks.judgement.verdict, "torch_gradients", like_the_engine)


RELU = expr(1, Node("relu", (0,)))
SHARED = expr(2, Node("mul", (0, 1)), Node("add", (2, 2)))  # t = x0*x1; t + t


def test_a_correct_engine_passes_on_the_reference_alone(monkeypatch):
    def asked(*args):
        raise AssertionError("PyTorch was asked although the engine agrees with the reference")

    monkeypatch.setattr(gradtrio.checks.judgement.verdict, "torch_gradients", asked)
    v = judge(resolve_engine(None), SHARED, (1.5, -0.5))
    assert v.status is Status.PASS and v.torch is None and v.fd == ()
    assert v.agreement.pairs() == {"engine~sympy": True}


def test_a_disagreement_asks_torch_and_the_finite_differences():
    v = judge(mutant("mul-swapped-locals"), SHARED, (1.5, -0.5))
    assert v.failed and v.torch is not None and v.fd
    assert v.agreement.pairs()["torch~sympy"] and v.agreement.pairs()["sympy~fd"]


def test_kink_only_disagreement_is_a_convention_failure():
    v = judge(mutant("relu-kink-one"), RELU, (0.0,))
    assert (v.status, v.kind) == (Status.FAIL, Kind.CONVENTION)
    assert v.blame.op == "relu" and v.blame.node == 1
    # ...while away from the kink the same engine is right
    assert judge(mutant("relu-kink-one"), RELU, (0.5,)).status == Status.PASS


def test_wrong_value_is_a_forward_failure_blamed_on_its_node():
    e = expr(1, Node("mul", (0, 0)), Node("log", (1,)))
    v = judge(mutant("log-base-10"), e, (1.5,))
    assert (v.kind, v.blame.op, v.blame.node) == (Kind.FORWARD, "log", 2)


def test_an_exception_where_float64_overflows_is_a_crash():
    e = expr(1, Node("exp", (0,)))
    v = judge(mutant("exp-raises"), e, (800.0,))
    assert (v.kind, v.blame.op) == (Kind.CRASH, "exp")
    assert "OverflowError" in v.reason
    assert judge(resolve_engine(None), e, (800.0,)).status == Status.PASS


def test_all_zero_gradients_fail():
    zero = ValueClassEngine.load(f"{Path(__file__).parent / 'engines' / 'zero_grads.py'}:Value")
    v = judge(zero, expr(1, Node("tanh", (0,))), (0.5,))
    assert v.kind == Kind.GRADIENT
    assert v.mismatches[0].engine == 0.0 and v.mismatches[0].expected != 0.0


def test_overwrite_is_blamed_on_the_op_that_reuses_its_operand():
    v = judge(mutant("overwrite-in-add"), SHARED, (1.5, -0.5))
    assert (v.kind, v.blame.op, v.blame.node) == (Kind.GRADIENT, "add", 3)


def test_a_shared_node_visited_twice_is_blamed_on_the_traversal():
    v = judge(
        mutant("visit-shared-twice"), expr(1, Node("add", (0, 0)), Node("add", (1, 1))), (0.5,)
    )
    assert v.kind == Kind.GRADIENT
    assert v.blame.culprit is Culprit.TRAVERSAL


def test_a_dropped_upstream_factor_is_blamed_on_its_op():
    e = expr(1, Node("tanh", (0,)), Node("mul", (1,), const=3.0, side="right"))
    v = judge(mutant("chain-dropped-in-tanh"), e, (0.5,))
    assert (v.kind, v.blame.op) == (Kind.GRADIENT, "tanh")


def test_points_outside_the_domain_are_skipped_not_failed():
    v = judge(resolve_engine(None), expr(1, Node("log", (0,))), (-1.0,))
    assert v.status == Status.SKIP and "domain" in v.reason


def test_rounding_across_a_kink_is_skipped():
    # In float64 0.1 * 3.0 - 0.30000000000000004 is exactly 0; exactly, it is slightly negative.
    e = expr(
        1,
        Node("mul", (0,), const=3.0, side="right"),
        Node("sub", (1,), const=0.30000000000000004, side="right"),
        Node("relu", (2,)),
    )
    v = judge(resolve_engine(None), e, (0.1,))
    assert v.status == Status.SKIP and "kink" in v.reason


def test_a_wrong_torch_never_fails_a_right_engine(monkeypatch):
    real = gradtrio.checks.judgement.verdict.torch_gradients

    def off_by_one(expression, point):
        r = real(expression, point)
        return TorchResult(r.value + 1.0, [g + 1.0 for g in r.grads], r.node_grads)

    monkeypatch.setattr(gradtrio.checks.judgement.verdict, "torch_gradients", off_by_one)
    v = judge(resolve_engine(None), SHARED, (1.5, -0.5))
    assert v.status == Status.PASS
    wrong = judge(mutant("mul-swapped-locals"), SHARED, (1.5, -0.5))  # torch is asked here
    assert wrong.agreement.pairs()["torch~sympy"] is False and wrong.failed  # fd backs it


def test_engine_and_torch_both_wrong_is_undecided_without_finite_differences(monkeypatch):
    bad = mutant("tanh-one-minus-t")
    monkeypatch.setattr(bad, "fd_estimates", lambda *a: ())
    torch_agrees_with(bad, monkeypatch)
    v = judge(bad, expr(1, Node("tanh", (0,))), (0.5,))
    assert v.status == Status.SKIP and "disagree" in v.reason


def test_check_raises_an_assertion_error_with_the_report():
    with pytest.raises(GradientMismatch) as info:
        check(expr(1, Node("tanh", (0,))), (0.5,), engine=mutant("tanh-one-minus-t"))
    assert isinstance(info.value, AssertionError)
    text = str(info.value)
    assert "gradient failure" in text and "blame: n1 (tanh)" in text
    assert "n1 = x0.tanh()" in text and "x0 = Value(0.5)" in text


def test_wide_points_are_triangulated_along_one_direction():
    e = expr(1, Node("mul", (0,), const=0.001, side="right"), Node("tanh", (1,)))
    fd = resolve_engine(None).fd_estimates(e, (-500.0,), 1e-16)
    assert len(fd) == 1 and fd[0].direction is not None and fd[0].reliable


# Six inputs summed pairwise into products: beyond MANY_INPUTS, so one directional estimate.
MANY = expr(
    6,
    Node("mul", (0, 1)),
    Node("mul", (2, 3)),
    Node("mul", (4, 5)),
    Node("add", (6, 7)),
    Node("add", (9, 8)),
)
MANY_POINT = (0.5, -1.25, 2.0, 0.75, -0.5, 1.5)


def test_many_inputs_are_triangulated_along_one_direction():
    from gradtrio.checks.oracles.finite_differences import MANY_INPUTS

    assert MANY.n_inputs > MANY_INPUTS
    (estimate,) = resolve_engine(None).fd_estimates(MANY, MANY_POINT, 1e-16)
    assert estimate.reliable and estimate.direction is not None
    assert estimate.evaluations <= 8  # the forward passes of one input, not of six


def test_one_direction_still_backs_the_reference_when_torch_agrees_with_a_wrong_engine(
    monkeypatch,
):
    bad = mutant("mul-swapped-locals")
    torch_agrees_with(bad, monkeypatch)
    v = judge(bad, MANY, MANY_POINT)
    assert v.failed and v.kind is Kind.GRADIENT
    pairs = v.agreement.pairs()
    assert pairs["torch~sympy"] is False and pairs["sympy~fd"] and pairs["engine~fd"] is False
