"""``python -m checks``: exit codes, the summary, the JSON file, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import gradtrio.autograd.engine
import pytest
from gradtrio.checks.cli import main
from gradtrio.strategies.ops import OPS

ENGINE_SOURCE = Path(gradtrio.autograd.engine.__file__).read_text()


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "gradtrio", "--quiet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def buggy_engine(tmp_path, old, new):
    assert ENGINE_SOURCE.count(old) == 1, old
    path = tmp_path / "buggy_engine.py"
    path.write_text(ENGINE_SOURCE.replace(old, new))
    return f"{path}:Value"


def test_our_engine_passes_and_the_json_has_every_field(tmp_path):
    out = tmp_path / "result.json"
    proc = run_cli("--examples", "150", "--deep", "1", "--json", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED" in proc.stdout
    data = json.loads(out.read_text())
    assert data["passed"] is True and data["failures"] == []
    assert data["engine"] == "gradtrio.autograd:Value"
    assert set(data["ops"]) == set(OPS)  # our engine has every registry op
    assert data["unchecked"] == {}
    assert data["examples"] == 150 and data["judged"] >= 150 and data["seed"] == 0
    assert data["severities"] == {"bug": 0, "precision": 0, "warning": 0}
    assert data["exit_code"] == 0 and data["command"].startswith("gradtrio run --engine")
    assert set(data["versions"]) == {"gradtrio", "python", "torch", "hypothesis"}
    assert 0 < data["stats"]["shared_fraction"] <= 1
    assert sum(data["stats"]["op_counts"].values()) > 0
    assert data["elapsed_s"] > 0


def test_a_wrong_derivative_exits_1_with_a_shrunk_blamed_reproducer(tmp_path):
    spec = buggy_engine(tmp_path, "(1.0 - t * t,)", "(1.0 - t,)")
    out = tmp_path / "result.json"
    proc = run_cli(
        "--engine", spec, "--examples", "300", "--deep", "0", "--json", str(out), cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout
    (failure,) = json.loads(out.read_text())["failures"]
    assert failure["kind"] == "gradient"
    assert failure["nodes"] <= 3
    assert failure["blame"]["op"] == "tanh"
    assert failure["oracles"]["torch~sympy"] is True and failure["oracles"]["engine~sympy"] is False
    namespace: dict = {}
    exec(compile(failure["reproducer"], "<reproducer>", "exec"), namespace)  # it runs


@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "nosuchmodule:Value"], "importing 'nosuchmodule' failed"),
        (["--engine", "gradtrio.autograd:Nope"], "has no class 'Nope'"),
        (["--engine", "missing.py:Value"], "no such file 'missing.py'"),
        (["--engine", "nosuchname"], "expected package.module:Class"),
        (["--examples", "0"], "--examples=0: expected at least 1"),
        (["--examples", "many"], "--examples='many': expected an integer"),
        (["--max-nodes", "-3"], "--max-nodes=-3"),
        (["--json", "."], "is a directory"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--timeout", "inf"], "--timeout='inf': expected a finite number of seconds"),
        (["--timeout", "nan"], "--timeout='nan': expected a finite number of seconds"),
        (["--timeout", "1e-9"], "--timeout='1e-9': expected a finite number of seconds >= 0.001"),
        (["--budget", "inf"], "--budget='inf': expected a finite number of seconds"),
        (["--memory-limit", "10"], "--memory-limit=10: expected a finite number of MB >= 64"),
        (["--memory-limit", "inf"], "--memory-limit=inf: expected a finite number of MB"),
    ],
    ids=[
        "unknown-module",
        "unknown-class",
        "missing-file",
        "no-colon",
        "zero-examples",
        "non-integer",
        "negative-nodes",
        "json-is-dir",
        "unknown-flag",
        "timeout-inf",
        "timeout-nan",
        "timeout-tiny",
        "budget-inf",
        "memory-tiny",
        "memory-inf",
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, capsys):
    assert main(["--quiet", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]


def test_a_bad_engine_spec_shows_no_traceback_from_the_shell():
    proc = run_cli("--engine", "nosuchmodule:Value")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "importing 'nosuchmodule' failed" in proc.stderr
    assert "Traceback" not in proc.stderr
