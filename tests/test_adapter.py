"""The engine adapter against small engines written to misbehave in one way each
(``tests/engines``): probing, overrides, missing and broken ops, hangs, recursion, zero gradients,
double counting, and bad engine specs on the command line."""

import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from gradtrio.checks.engines.protocol import Engine, EngineError
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind, Severity, Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import run
from gradtrio.strategies.expression import Expression, Node

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent


def spec(name: str, cls: str = "Value") -> str:
    return f"{ENGINES / name}.py:{cls}"


def load(name: str, cls: str = "Value", **overrides) -> Engine:
    return ValueClassEngine.load(spec(name, cls), **overrides)


SQUARE = Expression(1, (Node("mul", (0, 0)),))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtrio", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


# -- probing and overrides ----------------------------------------------------------------------


def test_probing_finds_val_and_backprop():
    engine = load("val_engine")
    assert (engine.value_attr, engine.grad_attr, engine.backward) == ("val", "grad", "backprop")
    assert not engine.wrap_constants
    assert judge(engine, SQUARE, (1.5,)).status == Status.PASS


def test_probing_finds_data_grad_backward_on_our_engine():
    engine = ValueClassEngine.load()
    assert (engine.value_attr, engine.grad_attr, engine.backward) == ("data", "grad", "backward")


def test_a_gradient_that_is_none_before_backward_is_still_found():
    engine = load("none_grad")
    assert engine.grad_attr == "grad"
    assert judge(engine, SQUARE, (1.5,)).status == Status.PASS


def test_a_class_rejecting_numbers_gets_its_constants_wrapped():
    engine = load("strict_node", "Node")
    assert engine.wrap_constants
    x_minus_2 = Expression(1, (Node("sub", (0,), const=2.0, side="right"),))
    two_minus_x = Expression(1, (Node("sub", (0,), const=2.0, side="left"),))
    assert judge(engine, x_minus_2, (0.5,)).status == Status.PASS
    assert judge(engine, two_minus_x, (0.5,)).status == Status.PASS


def test_explicit_value_attr_overrides_probing():
    engine = load("val_engine", value_attr="val", backward="backprop")
    assert engine.value_attr == "val"
    with pytest.raises(EngineError, match="--value-attr"):
        load("val_engine", value_attr="number")


def test_cli_value_attr_override_runs_and_passes():
    done = cli(
        "--engine",
        spec("val_engine"),
        "--value-attr",
        "val",
        "--examples",
        "20",
        "--deep",
        "0",
        "--quiet",
        "--no-corpus",
        "--no-report",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "value .val" in done.stderr


# -- missing ops and broken ops -----------------------------------------------------------------


def test_missing_ops_are_not_generated():
    engine = load("arith_only")
    assert {"exp", "log", "sigmoid"}.isdisjoint(engine.ops)
    result = run(engine, examples=40, deep=0, progress=False)
    assert result.passed, result.failures
    assert {"exp", "log", "sigmoid"}.isdisjoint(result.op_counts)
    assert {"tanh", "relu"} <= set(result.op_counts)


@pytest.mark.parametrize(
    ("op", "detail"),
    [("tanh", "raised NameError"), ("relu", "returned NoneType"), ("sigmoid", "returned float")],
    ids=["tanh raises NameError", "relu returns None", "sigmoid returns a float"],
)
def test_an_op_that_exists_but_misbehaves_is_a_crash(op, detail):
    engine = load("broken_ops")
    assert op in engine.ops  # present, so generated; its misbehaviour is a bug, not a gap
    verdict = judge(engine, Expression(1, (Node(op, (0,)),)), (0.5,))
    assert verdict.kind == Kind.CRASH
    assert detail in verdict.reason
    assert verdict.blame is not None and verdict.blame.node == 1


# -- hangs, recursion, zero gradients, double counting ------------------------------------------


def test_a_hanging_backward_is_a_crash_after_the_time_limit():
    engine = load("hanging_backward", timeout=0.2)
    verdict = judge(engine, Expression(1, (Node("tanh", (0,)),)), (0.5,))
    assert verdict.kind == Kind.CRASH
    assert "time limit" in verdict.reason


def test_a_run_on_a_hanging_engine_still_ends_with_a_verdict():
    engine = load("hanging_backward", timeout=0.2)
    engine.ops = {name: engine.ops[name] for name in ("add", "mul", "tanh")}
    result = run(engine, examples=15, deep=0, progress=False)
    assert not result.passed
    assert any(v.kind == Kind.CRASH and "time limit" in v.reason for v in result.failures)


def test_recursion_error_in_backward_is_an_engine_limitation():
    engine = load("recursive_backward")
    # Deeper than the recursion limit, whatever a library imported earlier raised it to.
    depth = sys.getrecursionlimit() + 2000
    chain = Expression(1, tuple(Node("tanh", (i,)) for i in range(depth)))
    verdict = judge(engine, chain, (0.5,))
    assert verdict.kind == Kind.CRASH
    assert verdict.severity is Severity.WARNING
    expected = f"backward raises RecursionError on a graph of {depth + 1:,} nodes"
    assert verdict.limitation.text == expected
    short = Expression(1, tuple(Node("tanh", (i,)) for i in range(50)))
    assert judge(engine, short, (0.5,)).status == Status.PASS


def test_a_run_lists_recursion_apart_from_gradient_bugs():
    engine = load("recursive_backward")
    result = run(engine, examples=10, deep=1, progress=False)
    assert any("RecursionError" in note.text for note in result.limitations)
    assert all(v.kind == Kind.CRASH and v.limitation for v in result.failures)
    assert not result.bugs


def test_zero_gradients_are_gradient_failures():
    engine = load("zero_grads")
    assert judge(engine, SQUARE, (1.5,)).kind == Kind.GRADIENT
    result = run(engine, examples=20, deep=0, progress=False)
    assert [v.kind for v in result.failures] and all(
        v.kind in (Kind.GRADIENT, Kind.CONVENTION) for v in result.failures
    )


def test_double_counting_on_a_second_backward_is_a_limitation():
    notes = load("double_count").limitations()
    assert len(notes) == 1 and "double-counts intermediate gradients" in notes[0].text
    assert "x0.grad = -3.0, expected -2.0" in notes[0].text
    assert load("tinyvalue").limitations() == []
    assert ValueClassEngine.load().limitations() == []


def test_cli_summary_shows_the_double_counting_limitation():
    done = cli(
        "--engine",
        spec("double_count"),
        "--examples",
        "10",
        "--deep",
        "0",
        "--quiet",
        "--no-corpus",
        "--no-report",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "engine limitation: backward() called twice on one graph double-counts" in done.stdout


# -- bad engine specs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ("nosuch:Value", "importing 'nosuch' failed"),
        ("gradtrio.autograd:Nope", "has no class 'Nope'"),
        ("missing.py:X", "no such file 'missing.py'"),
        ("nosuchname", "expected package.module:Class"),
    ],
    ids=[
        "--engine nosuch:Value",
        "--engine gradtrio.autograd:Nope",
        "--engine missing.py:X",
        "--engine nosuchname",
    ],
)
def test_bad_engine_spec_is_one_line_and_exit_2(engine, message, capsys):
    assert main(["--engine", engine, "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_a_bad_engine_spec_from_the_shell_is_one_line_and_exit_2():
    done = cli("--engine", "nosuch:Value")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "importing 'nosuch' failed" in done.stderr
