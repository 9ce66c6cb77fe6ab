"""The library adapters (checks/libraries): each judged clean on a fixed case, a planted wrong
gradient caught, an unused input's missing gradient read as 0, the reproducer runnable on its own
and printing the adapter's numbers, the documented conventions as measured, and HIPS autograd
found past this checkout's own autograd/ folder. Each adapter is skipped when its library is not
installed."""

from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.engines.libraries import ADAPTERS, load_adapter
from gradtrio.checks.engines.local import LocalShare
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.judgement.outcome import Kind, Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.oracles.reference.enclose import reference
from gradtrio.strategies.expression import Expression, Node

ROOT = Path(__file__).parent.parent
LIBRARY = {
    "torch": "torch",
    "jax": "jax",
    "autograd": None,  # HIPS: found by load_adapter itself, past the checkout's autograd/
    "mygrad": "mygrad",
    "tinygrad": "tinygrad",
}
NAMES = list(ADAPTERS)

# x0 shared by tanh, mul and div; constants exact in float32 so both dtypes compute one case.
CASE = Expression(
    2,
    (
        Node("tanh", (0,)),  # n2
        Node("mul", (2, 0)),  # n3
        Node("sub", (3,), 2.0, "left"),  # n4 = 2 - n3
        Node("exp", (1,)),  # n5
        Node("div", (4, 5)),  # n6
        Node("sigmoid", (6,)),  # n7
        Node("pow", (7,), 3.0, "right"),  # n8
        Node("add", (8, 0)),  # n9
    ),
)
POINT = (0.75, -0.5)  # exact in float32
UNUSED = Expression(2, (Node("mul", (0, 0)), Node("relu", (2,))))  # x1 unused


def adapter_for(name: str):
    module = LIBRARY[name.partition(":")[0]]
    if module is not None:
        pytest.importorskip(module, reason=f"{module} is not installed")
    try:
        return load_adapter(name)
    except EngineError as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=NAMES)
def adapter(request):
    return adapter_for(request.param)


def test_fixed_case_is_judged_clean(adapter):
    # float32 adapters are judged with float32 bounds at their rounded point and constants.
    verdict = judge(adapter, CASE, POINT)
    assert verdict.status == Status.PASS, verdict.reason


class Scaled:
    """An adapter whose gradient of x0 is planted wrong: by a relative 1e-6 in float64, 1e-3 in
    float32 (1e-6 is below float32's resolution of this gradient)."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._factor = 1 + (1e-6 if inner.dtype == "float64" else 1e-3)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def share(self, expression, point, scale):  # the case runs through this run, not the inner
        return LocalShare(self, expression, point)

    def run(self, expression, point):
        run = self._inner.run(expression, point)
        run.grads[0] *= self._factor
        return run


def test_planted_wrong_gradient_fails(adapter):
    verdict = judge(Scaled(adapter), CASE, POINT)
    assert verdict.status == Status.FAIL and verdict.kind == Kind.GRADIENT, verdict.reason
    assert [m.what for m in verdict.mismatches] == ["x0"]


def test_unused_input_reads_as_zero(adapter):
    run = adapter.run(UNUSED, (1.5, -2.0))
    assert run.grads == [3.0, 0.0]
    assert run.value == 2.25


def _printed(snippet: str, cwd: Path) -> tuple[float, list[float]]:
    # Standalone: no PYTHONPATH, run outside the checkout (its autograd/ shadows HIPS autograd).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return float(lines["value"]), ast.literal_eval(lines["grads"])


def test_reproducer_runs_alone_and_prints_the_same_numbers(adapter, tmp_path):
    snippet = adapter.reproducer(CASE, POINT)
    assert adapter.version in snippet.splitlines()[0] and adapter.dtype in snippet.splitlines()[0]
    run = adapter.run(CASE, POINT)
    value, grads = _printed(snippet, tmp_path)
    assert value == run.value
    assert grads == run.grads


def test_intermediate_gradients_match_the_reference_where_kept(adapter):
    if adapter.dtype != "float64":
        pytest.skip("checked at float64")
    run = adapter.run(CASE, POINT)
    ref = reference(CASE, POINT)
    for k, g in enumerate(run.node_grads):
        if g is not None:
            assert close(g, float(ref.adjoints[k]), ref.grad_bounds[k]), CASE.name(k)


# -- conventions, as the libraries document them -------------------------------------------------

DOCUMENTED = {
    "jax": {("abs", 0.0): 1.0, ("leaky_relu", 0.0): 1.0, ("pow", 0.0): math.nan},
    "autograd": {("relu", 0.0): 0.5},
}


@pytest.mark.parametrize("name", ["jax", "jax:jit", "autograd"])
def test_documented_conventions_hold_on_the_installed_version(name):
    adapter = adapter_for(name)
    expected = DOCUMENTED[name.partition(":")[0]]
    measured = adapter.conventions
    assert set(measured) == set(expected) == set(adapter.citations)
    for key, value in expected.items():
        assert measured[key] == value or math.isnan(value) and math.isnan(measured[key]), key


def test_torch_declares_nothing():
    assert adapter_for("torch").conventions == {}


# -- loading -------------------------------------------------------------------------------------


def test_unknown_name_is_a_one_line_error():
    with pytest.raises(EngineError, match="no such library adapter; known: torch"):
        load_adapter("theano")


def test_missing_library_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mygrad", None)  # import mygrad now raises
    monkeypatch.delitem(
        sys.modules, "gradtrio.checks.engines.libraries.mygrad_adapter", raising=False
    )
    with pytest.raises(EngineError) as info:
        load_adapter("mygrad")
    assert str(info.value) == (
        "--engine mygrad: MyGrad is not installed; pip install 'gradtrio[mygrad]'"
    )


def test_hips_autograd_is_found_past_the_checkouts_autograd_folder():
    code = (
        "import autograd, sys\n"
        "print('plain:', autograd.__file__)\n"
        "for name in [m for m in sys.modules if m.partition('.')[0] == 'autograd']:\n"
        "    del sys.modules[name]\n"
        "from gradtrio.checks.engines.libraries.hips_autograd import import_hips_autograd\n"
        "print('hips:', import_hips_autograd().__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    if "No module named" in done.stderr or "not installed" in done.stderr:
        pytest.skip("HIPS autograd is not installed")
    assert done.returncode == 0, done.stderr[-2000:]
    paths = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert Path(paths["plain"]).resolve().parent == (ROOT / "autograd").resolve()
    assert Path(paths["hips"]).resolve().parent != (ROOT / "autograd").resolve()
