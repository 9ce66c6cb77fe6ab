"""The engine in its own process: whatever a hostile engine does (exit, die, hang while catching
the alarm, raise KeyboardInterrupt, run out of memory, print without end, patch torch), the run
ends in findings and a summary with the exit code the findings call for, and no traceback from
inside the harness."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradtrio.checks.engines.isolation import IsolatedEngine
from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import EngineCrash
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.judgement.outcome import Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.strategies.expression import Expression, Node

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
TANH = Expression(1, (Node("tanh", (0,)),))


def hostile(name: str) -> str:
    return f"{ENGINES / f'hostile_{name}.py'}:Value"


def run_cli(name: str, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradtrio",
            "--engine",
            hostile(name),
            "--examples",
            "20",
            "--quiet",
            "--no-corpus",
            "--report-dir",
            str(tmp_path / "reports"),
            "--timeout",
            "1",
            "--budget",
            "8",
            "--memory-limit",
            "1024",
            "--json",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    return proc, json.loads(out.read_text()) if out.exists() else {}


# (engine, what the first bug's reason or limitation must say)
HOSTILE = [
    ("exits_in_backward", "SystemExit"),
    ("exits_when_tanh_and_wrong_mul", ""),
    ("os_exit_in_backward", "exited with code 3"),
    ("memory_error_in_exp", "MemoryError"),
    ("allocates_without_bound", "MemoryError"),
    ("rejects_negative_inputs", "ValueError"),
    ("unprintable_everything", ""),
    ("raises_keyboard_interrupt", "KeyboardInterrupt"),
    ("swallows_the_alarm", "did not give back control"),
    ("sleeps_per_op", "time limit"),
    ("prints_without_end", ""),
    ("patches_torch_tanh", "gradient differs"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "says"), HOSTILE, ids=[name for name, _ in HOSTILE])
def test_a_hostile_engine_ends_in_a_finding_a_summary_and_exit_1(name, says, tmp_path):
    proc, data = run_cli(name, tmp_path)
    shown = proc.stdout + proc.stderr
    assert proc.returncode == 1, shown[-3000:]
    assert "cases judged" in proc.stdout and "FAILED" in proc.stdout
    assert "Traceback" not in shown and "internal error" not in shown
    assert "\x1b" not in shown and "\x07" not in shown  # the engine's escapes stay escaped
    assert len(proc.stdout) < 200_000  # an engine printing gigabytes cannot bury the summary
    bugs = [f for f in data["failures"] if f["severity"] == "bug"]
    assert bugs
    if says:
        texts = [f["reason"] + " " + (f.get("limitation") or "") for f in bugs]
        assert any(says in text for text in texts), texts


@pytest.mark.slow
def test_the_engine_output_is_kept_for_the_failing_case_only_and_trimmed(tmp_path):
    _, data = run_cli("prints_without_end", tmp_path)
    output = data["failures"][0]["engine_output"]
    assert "bytes not shown" in output and len(output) < 10_000
    assert "\\x1b[31mred on stderr" in output  # stderr is captured too, escapes escaped


def test_a_worker_that_exits_is_a_crash_and_the_next_call_gets_a_fresh_one():
    engine = load_engine(hostile("os_exit_in_backward"), isolated=True, timeout=5.0)
    with pytest.raises(EngineCrash, match="exited with code 3"):
        engine.run(TANH, (0.5,))
    assert engine.forward(TANH, (0.5,)) == pytest.approx(0.46211715726000974, rel=1e-15)
    assert engine.restarts == 1


def test_a_worker_that_swallows_its_alarm_is_stopped_from_outside():
    engine = load_engine(hostile("swallows_the_alarm"), isolated=True, timeout=0.5)
    with pytest.raises(CaseTimeout, match="did not give back control"):
        engine.run(TANH, (0.5,))  # its loop never ends: only a kill from outside returns
    assert engine.forward(TANH, (0.5,)) == pytest.approx(0.46211715726000974, rel=1e-15)


def test_the_time_limit_counts_the_engine_time_only():
    engine = load_engine(isolated=True, timeout=0.4)
    with engine.time_limit():  # one case: the harness's own time between calls is not counted
        engine.run(TANH, (0.5,))
        time.sleep(0.6)
        run = engine.run(TANH, (0.5,))
    assert run.value == pytest.approx(0.46211715726000974, rel=1e-15)


def test_judging_through_the_worker_gives_the_in_process_verdict():
    expression = Expression(2, (Node("mul", (0, 1)), Node("tanh", (2,)), Node("add", (3, 2))))
    wrong = f"{ENGINES / 'wrong_mul.py'}:Value"
    for spec in ("gradtrio.autograd:Value", wrong):
        here = judge(load_engine(spec), expression, (0.3, -1.2))
        there = judge(load_engine(spec, isolated=True), expression, (0.3, -1.2))
        assert (there.status, there.kind, there.blame) == (here.status, here.kind, here.blame)
        assert there.engine == here.engine


def test_a_torch_patched_by_the_engine_stays_in_the_worker():
    import torch

    engine = load_engine(hostile("patches_torch_tanh"), isolated=True)
    verdict = judge(engine, TANH, (0.5,))
    assert verdict.failed and verdict.blame.op == "tanh"
    assert verdict.agreement.torch_sympy  # the harness's torch was not touched
    assert torch.tanh is torch._C._VariableFunctions.tanh


def test_an_engine_that_fails_to_load_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "engine.py"
    bad.write_text("import sys\nsys.exit(0)\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gradtrio", "--engine", f"{bad}:Value", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0  # one line: the error
    assert "SystemExit" in proc.stderr and "Traceback" not in proc.stderr


def test_the_worker_is_a_separate_process_that_ends_with_the_engine_object():
    engine = load_engine(isolated=True)
    assert isinstance(engine, IsolatedEngine)
    server = engine._server
    assert server is not None and server.poll() is None
    engine.shutdown()
    assert server.poll() is not None


def test_a_worker_gone_between_cases_is_a_crash_of_the_next_case_and_then_replaced():
    engine = load_engine(isolated=True, timeout=5.0)
    os.kill(engine._pid, signal.SIGKILL)  # ended while idle: the next request cannot be sent
    time.sleep(0.5)  # for the kill to land
    verdict = judge(engine, TANH, (0.5,))
    assert verdict.failed and "engine process" in verdict.reason
    assert judge(engine, TANH, (0.5,)).status is Status.PASS


# -- the engine's share begun before the reference ----------------------------------------------


def test_the_harness_computing_the_reference_is_not_the_engines_time(monkeypatch):
    import gradtrio.checks.judgement.verdict as verdict

    real = verdict.reference

    def slow_reference(*args, **kwargs):  # the worker has long answered meanwhile
        time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(verdict, "reference", slow_reference)
    engine = load_engine(isolated=True, timeout=0.5)
    v = judge(engine, TANH, (0.5,))
    assert v.status is Status.PASS and v.engine.value == math.tanh(0.5)
    assert engine.restarts == 0


def test_a_case_the_reference_cannot_decide_leaves_nothing_behind_for_the_next(monkeypatch):
    import gradtrio.checks.judgement.verdict as verdict
    from gradtrio.checks.oracles.reference.enclose import Undecided

    engine = load_engine(f"{ENGINES / 'wrong_mul.py'}:Value", isolated=True)
    real = verdict.reference
    undecided = [True]

    def once_undecided(*args, **kwargs):
        if undecided.pop() if undecided else False:
            raise Undecided("undecided: a ball too wide")
        return real(*args, **kwargs)

    monkeypatch.setattr(verdict, "reference", once_undecided)
    product = Expression(2, (Node("mul", (0, 1)),))
    assert judge(engine, product, (0.3, -1.2)).skip is not None
    v = judge(engine, product, (0.7, 2.0))  # the answer to this case, not the one before
    assert v.failed and v.engine.value == pytest.approx(1.4, rel=1e-15)
    assert v.fd and all(f.reliable for f in v.fd)
    assert engine.restarts == 0


def test_an_engine_that_raises_in_its_run_leaves_the_worker_in_step():
    engine = load_engine(f"{ENGINES / 'naive_tanh_overflow.py'}:Value", isolated=True)
    crashed = judge(engine, TANH, (400.0,))
    assert crashed.failed and crashed.crash is not None  # math.exp(800) raised OverflowError
    v = judge(engine, TANH, (0.5,))
    assert v.status is Status.PASS and v.engine.value == math.tanh(0.5)  # its own answer
    assert engine.restarts == 0
