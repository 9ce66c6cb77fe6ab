"""Findings by severity, on engines written the way people write them: Python's float semantics
and singular points are warnings, lost digits of a reasonable formula are precision findings,
wrong numbers are bugs; only bugs fail a run unless it is strict."""

import json
import subprocess
import sys
from pathlib import Path

import mutants
import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind, Severity, Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import run
from gradtrio.strategies import Expression, Node

ENGINES = Path(__file__).parent / "engines"


def engine(name):
    return ValueClassEngine.load(f"{ENGINES / name}.py:Value")


def unary(op):
    return Expression(1, (Node(op, (0,)),))


POW_0 = Expression(1, (Node("pow", (0,), const=0.0, side="right"),))


def squared_shifted(shift):
    """(x0 - shift) ** 2: at x0 = 0, a tiny base that the point itself cannot hold."""
    nodes = (
        Node("sub", (0,), const=shift, side="right"),
        Node("pow", (1,), const=2.0, side="right"),
    )
    return Expression(1, nodes)


# (engine, expression, point, severity, words in the reason): each examined by hand.
FINDINGS = [
    # math.exp(720) raises, where the exact exp(720) exceeds float64 (torch: inf).
    ("micrograd_faithful", unary("exp"), (720.0,), Severity.WARNING, "Python float semantics"),
    # micrograd's backward of x ** 0 computes 0 * 0.0 ** -1 at x = 0 (torch: 0).
    ("micrograd_faithful", POW_0, (0.0,), Severity.WARNING, "common formula of the op raises"),
    # exp(c log x) at a negative base: the engine refuses honestly.
    ("pow_via_exp_log", POW_0, (-0.5,), Severity.WARNING, "common formula of the op raises"),
    # tanh(400) = 1, but math.exp(800) raises inside a naive formula: a bug.
    ("naive_tanh_overflow", unary("tanh"), (400.0,), Severity.BUG, "OverflowError"),
    # (e^2x - 1) / (e^2x + 1) at 0.03125: a few ulps from the cancellation, digits lost.
    ("tanh_via_exp", unary("tanh"), (0.03125,), Severity.PRECISION, "forward value"),
    # 0.5 (1 + tanh(x/2)) at -360 is 0.0, exact 4.5e-157: all digits lost, not a wrong number.
    ("sigmoid_via_tanh", unary("sigmoid"), (-360.0,), Severity.PRECISION, "forward value"),
    # exp(2 log b) at b = 6e-204 underflows to 0, and so does its chain-rule derivative
    # 2 * out / b, where the exact 2b = 1.2e-203 is normal: all digits lost.
    (
        "pow_via_exp_log",
        squared_shifted(-6.007426939305489e-204),
        (0.0,),
        Severity.PRECISION,
        "gradient",
    ),
    # At the subnormal b = 2.2e-313, 1 / b overflows and the chain rule gives 0 * inf = nan.
    (
        "pow_via_exp_log",
        squared_shifted(-2.2250738585e-313),
        (0.0,),
        Severity.WARNING,
        "gives inf or nan",
    ),
    # cos(x) as sin(x + pi/2) near its zero at pi/2: the shifted angle's rounding, digits lost.
    ("cos_via_shifted_sin", unary("cos"), (1.5707,), Severity.PRECISION, "forward value"),
    ("cos_via_shifted_sin", unary("sin"), (1.5707,), Severity.PRECISION, "gradient"),
    # The subtle real bugs stay bugs.
    ("tanh_grad_off_1pct", unary("tanh"), (0.5,), Severity.BUG, "gradient"),
    ("log_epsilon_hack", unary("log"), (1e-3,), Severity.BUG, "gradient"),
    ("float32_mul", Expression(2, (Node("mul", (0, 1)),)), (0.1, 0.3), Severity.BUG, "forward"),
    ("relu_returns_none", unary("relu"), (0.5,), Severity.BUG, "returned NoneType"),
    ("missing_import_math", unary("exp"), (0.5,), Severity.BUG, "NameError"),
]


@pytest.mark.parametrize(
    ("name", "expression", "point", "severity", "words"),
    FINDINGS,
    ids=[f"{f[0]}: {f[1]} at {f[2][0]}" for f in FINDINGS],
)
def test_each_finding_has_the_severity_examined_by_hand(name, expression, point, severity, words):
    verdict = judge(engine(name), expression, point)
    assert verdict.status is Status.FAIL, verdict.reason
    assert verdict.severity is severity, verdict.reason
    assert words in verdict.reason


def test_an_unused_inputs_none_gradient_means_zero():
    e = Expression(2, (Node("relu", (0,)),))
    assert judge(engine("none_grads_unused"), e, (0.5, 0.25)).status is Status.PASS


def test_a_kink_convention_other_than_pytorchs_is_a_warning():
    (relu_one,) = [m for m in mutants.MUTANTS if m.name == "relu-kink-one"]
    verdict = judge(
        ValueClassEngine.from_class(mutants.load_mutant(relu_one)), unary("relu"), (0.0,)
    )
    assert (verdict.kind, verdict.severity) == (Kind.CONVENTION, Severity.WARNING)


def test_warnings_never_hide_a_bug_found_later():
    # micrograd-style exp raises past 709.8 (a warning met early in the wide family), and the
    # engine's tanh derivative is 1% off: the run must still end on the bug.
    result = run(engine("tanh_grad_off_1pct"), examples=150, deep=0, progress=False)
    assert not result.passed and result.bugs


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "micrograd_faithful",
        "closures_shadow_method",
        "eq_by_data_tuple",
        "tanh_via_exp",
        "tanh_via_sigmoid",
        "sigmoid_via_tanh",
        "pow_via_exp_log",
        "div_sub_composed",
        "fsum_accumulation",
        "none_grads_unused",
        "extra_unary_ops",
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_a_correct_engine_written_another_way_passes_a_default_run(name, seed):
    result = run(engine(name), examples=500, run_seed=seed, deep=2, progress=False)
    assert result.passed, [v.reason for v in result.bugs]
    assert all(v.severity is not Severity.BUG for v in result.failures)


def test_the_json_carries_severity_and_strict_fails_on_warnings(tmp_path):
    def cli(*extra):
        out = tmp_path / f"run{len(extra)}.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gradtrio",
                "--engine",
                f"{ENGINES / 'micrograd_faithful.py'}:Value",
                "--examples",
                "150",
                "--seed",
                "1",
                "--deep",
                "0",
                "--quiet",
                "--no-corpus",
                "--no-report",
                "--json",
                str(out),
                *extra,
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=600,
        )
        return done, json.loads(out.read_text())

    done, data = cli()
    assert done.returncode == 0, done.stdout + done.stderr
    assert data["failures"] and {f["severity"] for f in data["failures"]} <= {"warning"}
    assert data["severities"]["warning"] == len(data["failures"]) and data["passed"] is True
    strict, strict_data = cli("--strict")
    assert strict.returncode == 1 and strict_data["strict"] is True
    assert strict_data["exit_code"] == 1
