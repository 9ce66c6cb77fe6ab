"""A user's own op, implemented in a library (``Op.implementations``): the row keeps the
implementation under test apart from its references, the library adapters check it, the
oracles never run it, and the planted bugs of ``tests/user_ops/`` (each beside its correct
version, ``FIXED``) are found by ``verify-op`` and :func:`gradtrio.checks.check_op`, blamed on
the op and shrunk, while the correct versions pass."""

from __future__ import annotations

import importlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks import OpCheckFailure, check_op
from gradtrio.checks.cli import main
from gradtrio.checks.engines.loading import LoadError, import_path
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.oracles.torch_float64 import torch_gradients
from gradtrio.strategies import Expression, Node, unary_op
from gradtrio.strategies.ops import OPS

ROOT = Path(__file__).parent.parent
USER_OPS = Path(__file__).parent / "user_ops"

# file, engine, op, where the planted bug is
PLANTED = [
    ("torch_ignores_grad_output", "torch", "logcosh", "backward ignores grad_output"),
    ("torch_wrong_below_zero", "torch", "softsign", "wrong for x < 0"),
    ("jax_vjp_off_beyond_five", "jax", "huber", "custom_vjp off by 5 beyond |x| > 5"),
    ("jax_jvp_wrong_tangent", "jax", "silu", "custom_jvp's tangent rule"),
    ("hips_sign_error", "autograd", "logcosh", "defvjp's sign"),
]
IDS = [f"{engine}: {bug}" for _, engine, _, bug in PLANTED]
LIBRARY_MODULE = {"torch": "torch", "jax": "jax", "autograd": "autograd", "mygrad": "mygrad"}


def ops_of(file: str, rows: str = "OPS") -> str:
    return f"{USER_OPS / file}.py:{rows}"


def needs(engine: str) -> None:
    if engine == "autograd":
        from gradtrio.checks.engines.libraries.hips_autograd import import_hips_autograd
        from gradtrio.checks.engines.protocol import EngineError

        try:
            import_hips_autograd()
        except EngineError:
            pytest.skip("HIPS autograd is not installed")
    else:
        pytest.importorskip(LIBRARY_MODULE[engine], reason=f"{engine} is not installed")


@pytest.fixture
def registry():
    """The registry as it was before the test, restored after it."""
    saved = dict(OPS)
    yield OPS
    OPS.clear()
    OPS.update(saved)


def user_module(name: str):
    """A module of ``tests/user_ops/``, imported as a user's test imports it."""
    sys.path.insert(0, str(USER_OPS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(USER_OPS))


def op_nodes(report: str) -> list[int]:
    """The op-node counts of the report's shrunk expressions."""
    return [int(n) for n in re.findall(r"expression \((\d+) op nodes\)", report)]


# -- the row ----------------------------------------------------------------------------------


def _cube(a):
    return a**3


def _cube_on_tensors(x):
    return x**3


@pytest.mark.parametrize(
    ("implementations", "message"),
    [
        ({"torch": 3.0}, "op 'cube': implementations['torch']=3.0, expected a library name"),
        ({1: _cube}, "op 'cube': implementations[1]="),
        ([_cube], "op 'cube': implementations=[<function _cube"),
        (
            {"torch": _cube_on_tensors},
            "op 'cube': its torch oracle is its torch implementation under test",
        ),
    ],
    ids=[
        "implementations={'torch': 3.0}",
        "implementations={1: f}",
        "implementations=[f]",
        "torch=f, implementations={'torch': f}",
    ],
)
def test_a_bad_implementations_field_is_refused_with_one_line_naming_the_op(
    implementations, message
):
    with pytest.raises(ValueError) as info:
        unary_op("cube", _cube, _cube, torch=_cube_on_tensors, implementations=implementations)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_functions_apply_as_its_own_torch_oracle_is_refused():
    torch = pytest.importorskip("torch")

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x**3

        @staticmethod
        def backward(ctx, g):
            return g

    # Cube.apply is a new bound method at every access: still the same implementation.
    with pytest.raises(ValueError, match="its torch oracle is its torch implementation"):
        unary_op("cube", _cube, _cube, torch=Cube.apply, implementations={"torch": Cube.apply})


def test_the_import_path_of_a_function_a_functions_apply_and_a_lambda():
    torch = pytest.importorskip("torch")
    module = user_module("torch_ignores_grad_output")
    assert isinstance(module.LogCosh, type) and issubclass(module.LogCosh, torch.autograd.Function)
    assert import_path(module.LogCosh.apply, "op") == (
        "from torch_ignores_grad_output import LogCosh",
        "LogCosh.apply",
    )
    float_form = user_module("logcosh_row").logcosh_float
    assert import_path(float_form, "op") == (
        "from logcosh_row import logcosh_float",
        "logcosh_float",
    )
    with pytest.raises(
        LoadError,
        match=r"op 'f': test_the_import_path.*<locals>.<lambda> cannot be imported by name",
    ):
        import_path(lambda x: x, "op 'f'")


# -- the adapters and the oracles -------------------------------------------------------------


def test_an_adapter_checks_every_row_with_an_implementation_for_its_library(registry):
    pytest.importorskip("torch")
    from gradtrio.checks.engines.loading import load_op_modules

    load_op_modules([ops_of("torch_ignores_grad_output"), ops_of("jax_jvp_wrong_tangent")])
    torch_adapter = load_engine("torch:float32")
    assert "logcosh" in torch_adapter.ops and "silu" not in torch_adapter.ops
    assert torch_adapter.unchecked["silu"] == (
        "its row has no torch implementation (it has jax); give the row "
        "implementations={'torch': ...}"
    )
    assert torch_adapter.table["logcosh"][1] == "LogCoshIgnoresUpstream.apply({0})"


def test_the_torch_oracle_runs_the_rows_reference_not_the_implementation_under_test(registry):
    pytest.importorskip("torch")
    from gradtrio.checks.engines.loading import load_op_modules

    load_op_modules([ops_of("torch_ignores_grad_output")])
    case = Expression(1, (Node("logcosh", (0,)), Node("mul", (1,), 3.0, "right")))
    engine = load_engine("torch")
    assert engine.run(case, (0.5,)).grads == [pytest.approx(math.tanh(0.5))]  # upstream ignored
    assert torch_gradients(case, (0.5,)).grads == [pytest.approx(3 * math.tanh(0.5))]


def test_a_backward_that_ignores_grad_output_is_right_alone_at_an_upstream_gradient_of_1():
    torch = pytest.importorskip("torch")
    LogCoshIgnoresUpstream = user_module("torch_ignores_grad_output").LogCoshIgnoresUpstream
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    alone = torch.autograd.grad(LogCoshIgnoresUpstream.apply(x), x)[0].item()
    assert alone == pytest.approx(math.tanh(0.7))  # what a finite difference of the op gives
    in_context = torch.autograd.grad(LogCoshIgnoresUpstream.apply(x) * 3.0, x)[0].item()
    assert in_context == pytest.approx(math.tanh(0.7))  # 3 tanh(0.7) is right
    # torch.autograd.gradcheck tries a zero upstream gradient too, and sees this one.
    with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
        torch.autograd.gradcheck(LogCoshIgnoresUpstream.apply, (x,))


def test_the_reproducer_imports_the_users_function_and_runs_alone(registry, tmp_path):
    pytest.importorskip("torch")
    from gradtrio.checks.engines.loading import load_op_modules

    load_op_modules([ops_of("torch_wrong_below_zero")])
    engine = load_engine("torch")
    case = Expression(1, (Node("softsign", (0,)), Node("mul", (1,), -2.0, "right")))
    source = engine.reproducer(case, (-0.5,))
    assert "from torch_wrong_below_zero import SoftsignNegativeWrong" in source
    assert "n1 = SoftsignNegativeWrong.apply(x0)" in source
    done = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # gradtrio, which the module imports
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run = engine.run(case, (-0.5,))
    assert f"value: {run.value!r}" in done.stdout and f"grads: [{run.grads[0]!r}]" in done.stdout
    assert run.grads[0] == pytest.approx(-2.0 / 0.25)  # 1 / (1 + x)^2, not 1 / (1 + |x|)^2


# -- verify-op and check_op on the planted bugs -----------------------------------------------


def test_verify_op_names_the_missing_implementation_with_exit_2(capsys, registry):
    pytest.importorskip("jax")
    code = main(
        ["verify-op", "logcosh", "--in-process", "--engine", "jax"]
        + ["--ops", ops_of("torch_ignores_grad_output")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert (
        "verify-op: engine jax cannot check 'logcosh' (its row has no jax implementation "
        "(it has torch); give the row implementations={'jax': ...})"
    ) in err


def verify_op(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtrio", "verify-op", *args, "--no-report"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def test_verify_op_fails_a_torch_function_in_context_with_exit_1_and_passes_its_fix():
    pytest.importorskip("torch")
    file = "torch_ignores_grad_output"
    bad = verify_op("logcosh", "--engine", "torch", "--ops", ops_of(file), "--examples", "30")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FAILED: logcosh:" in bad.stdout
    assert "blame: n1 (logcosh): logcosh is right on leaves, wrong under an upstream" in bad.stdout
    assert "from torch_ignores_grad_output import LogCoshIgnoresUpstream" in bad.stdout
    fixed = verify_op(
        "logcosh", "--engine", "torch", "--ops", ops_of(file, "FIXED"), "--examples", "30"
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "PASSED: logcosh agrees with the exact reference in every region" in fixed.stdout


@pytest.mark.parametrize(("file", "engine", "name", "bug"), PLANTED, ids=IDS)
def test_check_op_finds_the_planted_bug_blames_the_op_and_shrinks_it(
    file, engine, name, bug, registry
):
    needs(engine)
    with pytest.raises(OpCheckFailure) as info:
        check_op(name, engine=engine, ops=ops_of(file), examples=30, isolated=False)
    report = str(info.value)
    assert f"FAILED: {name}:" in report and f"blame: n1 ({name})" in report
    assert min(op_nodes(report)) <= 2
    assert info.value.verdict is not None and info.value.verdict.blame.op == name
    assert not info.value.result.passed
    assert name not in OPS or OPS[name] is registry[name]  # the registry is restored


@pytest.mark.parametrize(("file", "engine", "name", "bug"), PLANTED, ids=IDS)
def test_check_op_passes_the_correct_version(file, engine, name, bug, registry):
    needs(engine)
    result = check_op(name, engine=engine, ops=ops_of(file, "FIXED"), examples=30, isolated=False)
    assert result.passed and not result.failing and result.examples > 100


def test_check_op_passes_a_mygrad_operation(registry):
    needs("mygrad")
    result = check_op(
        "logcosh", engine="mygrad", ops=ops_of("mygrad_logcosh"), examples=30, isolated=False
    )
    assert result.passed and result.search.op_counts["logcosh"] > 100


def test_check_op_refuses_an_unknown_op_and_an_engine_without_the_ops_implementation(registry):
    with pytest.raises(ValueError, match=r"check_op: unknown op 'frob'; known ops: add, sub"):
        check_op("frob", isolated=False)
    with pytest.raises(ValueError, match=r"engine gradtrio.autograd:Value cannot check 'logcosh'"):
        check_op("logcosh", ops=ops_of("torch_ignores_grad_output"), isolated=False)


@pytest.mark.slow
@pytest.mark.parametrize(("file", "engine", "name", "bug"), PLANTED, ids=IDS)
def test_a_default_verify_op_run_finds_each_planted_bug_and_passes_each_fix(
    file, engine, name, bug
):
    needs(engine)
    bad = verify_op(name, "--engine", engine, "--ops", ops_of(file))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"blame: n1 ({name})" in bad.stdout and min(op_nodes(bad.stdout)) <= 2
    fixed = verify_op(name, "--engine", engine, "--ops", ops_of(file, "FIXED"))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"PASSED: {name} agrees" in fixed.stdout


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("file", "engine", "name", "bug"), PLANTED, ids=IDS)
def test_the_correct_versions_pass_at_other_seeds(file, engine, name, bug, seed, registry):
    needs(engine)
    result = check_op(name, engine=engine, ops=ops_of(file, "FIXED"), seed=seed)
    assert result.passed, [v.reason for v in result.failures]
