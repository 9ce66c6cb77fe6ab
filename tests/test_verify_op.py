"""``gradtrio verify-op NAME``: every region covered, a correct op passes, a buggy one
fails with exit 1, an unknown or missing op is a one-line usage error."""

import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.search.op_check import verify

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
WRONG_MUL = f"{ENGINES / 'wrong_mul.py'}:Value"


def test_every_region_is_judged_with_the_op_in_every_case():
    done = verify(ValueClassEngine.load(), "relu", examples=15)
    names = [region.name for region, _ in done]
    assert names[0].startswith("alone") and "kink" in names[2] and "wide" in names[3]
    assert "random DAGs" in names[4]
    for _, result in done:
        assert not result.failures
        assert result.op_counts["relu"] >= result.examples > 0


def test_an_op_without_kinks_has_no_kink_region():
    assert not any(
        "kink" in region.name for region, _ in verify(ValueClassEngine.load(), "log", examples=5)
    )


def test_an_existing_op_passes(capsys):
    assert main(["verify-op", "log", "--examples", "20", "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "PASSED: log agrees" in out
    assert out.count(": pass") == 5  # the sweep and four random regions
    assert "sweep coverage" in out


def test_a_buggy_op_fails_with_exit_1_and_a_report():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradtrio",
            "verify-op",
            "mul",
            "--engine",
            WRONG_MUL,
            "--examples",
            "50",
            "--no-report",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "FAIL (" in done.stdout and "FAILED:" in done.stdout
    assert "gradient failure in" in done.stdout and "blame: n" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frob"], "unknown op 'frob'; known ops: add, sub, mul, div, pow, neg, exp, log"),
        (["exp", "--engine", f"{ENGINES / 'arith_only.py'}:Value"], "cannot check 'exp'"),
        ([], "the following arguments are required: name"),
        (["tanh", "--engine", "nosuch:Value"], "importing 'nosuch' failed"),
    ],
    ids=[
        "verify-op frob",
        "verify-op exp --engine arith_only",
        "verify-op",
        "verify-op tanh --engine nosuch:Value",
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, capsys):
    assert main(["verify-op", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
