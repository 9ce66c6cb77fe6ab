"""Blame on real micrograd 0.1.0, which builds ``-x``, ``x - y`` and ``x / y`` from ``*``, ``+``
and ``**``: a bug planted in ``__mul__`` must be blamed on mul, not on backward itself nor on
the op the user called."""

import inspect
import types

import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Culprit, Severity
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import run
from gradtrio.strategies import Expression, Node

engine_module = pytest.importorskip("micrograd.engine", reason="micrograd is not installed")


def planted(old: str, new: str) -> type:
    """micrograd's engine with one text replaced, executed into a fresh module."""
    source = inspect.getsource(engine_module)
    assert source.count(old) == 1
    module = types.ModuleType("micrograd_planted")
    exec(compile(source.replace(old, new), "micrograd_planted", "exec"), module.__dict__)
    return module.Value


DROPPED = (
    "            self.grad += other.data * out.grad\n",
    "            self.grad += other.data\n",
)


def test_a_bug_in_mul_shown_through_sub_is_blamed_on_mul():
    engine = ValueClassEngine.from_class(planted(*DROPPED), spec="micrograd with a planted mul bug")
    # x0 - x1 is x0 + x1 * -1 in micrograd; scaled by 3 the dropped factor shows.
    sub = Expression(2, (Node("sub", (0, 1)), Node("mul", (2,), const=3.0, side="right")))
    verdict = judge(engine, sub, (0.5, 1.25))
    assert verdict.is_bug
    assert (verdict.blame.culprit, verdict.blame.op) == (Culprit.OP, "mul"), verdict.blame


def test_a_run_on_micrograd_with_a_planted_mul_bug_blames_mul():
    engine = ValueClassEngine.from_class(planted(*DROPPED), spec="micrograd with a planted mul bug")
    result = run(engine, examples=300, deep=0, progress=False, post_budget=None)
    bugs = result.of_severity(Severity.BUG)
    assert bugs
    assert {(v.blame.culprit, v.blame.op) for v in bugs} == {(Culprit.OP, "mul")}


def test_unchanged_micrograd_has_no_bug():
    engine = ValueClassEngine.from_class(engine_module.Value, spec="micrograd 0.1.0")
    result = run(engine, examples=200, deep=0, progress=False)
    assert not result.bugs, [v.reason for v in result.bugs]


def test_a_bug_in_pow_shown_through_div_is_blamed_on_pow():
    # x0 / x1 is x0 * x1 ** -1 in micrograd, whose ** takes only a number exponent.
    engine = ValueClassEngine.from_class(
        planted("self.grad += (other * ", "self.grad += ("), spec="micrograd, pow drops c"
    )
    verdict = judge(engine, Expression(2, (Node("div", (0, 1)),)), (0.5, 1.25))
    assert verdict.is_bug
    assert (verdict.blame.culprit, verdict.blame.op) == (Culprit.OP, "pow"), verdict.blame
    assert "pow (used by div)" in verdict.blame.reason


def test_a_wrong_visiting_order_shown_by_sub_alone_is_blamed_on_the_traversal():
    # x0 - x1 is three nodes in micrograd: visited inputs-first, it is wrong alone.
    engine = ValueClassEngine.from_class(
        planted("        for v in reversed(topo):\n", "        for v in topo:\n"),
        spec="micrograd, inputs first",
    )
    verdict = judge(engine, Expression(2, (Node("sub", (0, 1)),)), (0.5, 1.25))
    assert verdict.is_bug
    assert verdict.blame.culprit is Culprit.TRAVERSAL, verdict.blame
    assert "(x0 * 3.0) * 2.0" in verdict.blame.reason
