"""The harness's shape: a case carries its rules, an op row is all an op needs, the installed
names belong to gradtrio, and the command line answers before anything heavy is imported."""

import json
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest
import sympy
from gradtrio.checks import check, judge, resolve_engine
from gradtrio.checks.api import CheckFailure
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Culprit, Kind, Skip, Status
from gradtrio.checks.search.hypothesis_search import search
from gradtrio.strategies import Case, Expression, Node, Rules, cases, trace, unary_op, wide_cases
from gradtrio.strategies.ops import OPS, register
from hypothesis import given, settings

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
CUBE = f"{ENGINES / 'cube_engine.py'}:Value"


@settings(max_examples=60, database=None)
@given(wide_cases(ops=["exp", "mul", "add"]))
def test_a_drawn_wide_case_is_judged_whole_even_when_its_output_overflows(case):
    verdict = check(case)  # the case's own rules go with it
    if verdict.skip is Skip.UNDECIDED:
        # exp(exp(88)): Arb's ball for an exponential of a 1e38-wide argument is [+/- inf], so
        # the reference cannot decide it (a limit of the reference, counted, never judged).
        assert "has no float64 bound" in verdict.reason, verdict.reason
        return
    assert verdict.status is Status.PASS, verdict.reason


def test_an_overflowing_output_is_judged_by_default_not_skipped():
    exp = Expression(1, (Node("exp", (0,)),))
    assert judge(resolve_engine(None), exp, (800.0,)).status is Status.PASS
    narrow = Case(exp, (800.0,), "user", Rules(overflow_output=False))
    assert judge(resolve_engine(None), narrow).status is Status.SKIP


def test_the_report_of_check_reproduces_on_the_engine_under_test():
    engine = ValueClassEngine.load(f"{ENGINES / 'wrong_mul.py'}:Value")
    case = Case.of(Expression(2, (Node("mul", (0, 1)),)), (1.5, -0.5))
    with pytest.raises(CheckFailure) as info:
        check(case, engine=engine)
    report = str(info.value)
    assert "from wrong_mul import Value" in report
    assert "from gradtrio.autograd import Value" not in report


def test_rules_reject_bad_values_with_one_line_naming_them():
    for bad, name in ((Rules, "margin"), (Rules, "max_magnitude")):
        with pytest.raises(ValueError, match=name):
            bad(**{name: -1.0})
    with pytest.raises(ValueError, match="point has 2 values: expected 1"):
        Case(Expression(1, (Node("exp", (0,)),)), (1.0, 2.0))


# -- an op is one row -----------------------------------------------------------------------------


def cube_engine():
    from gradtrio.checks.engines.value_class import load_class

    return load_class(CUBE)


@pytest.fixture
def cube_row():
    row = unary_op("cube", lambda a: a**3, lambda a: a**3, roundoff=2.0)
    register(row)
    yield row
    del OPS["cube"]


def test_a_new_row_is_drawn_traced_judged_by_every_oracle_and_blamed(cube_row):
    engine = ValueClassEngine.load(CUBE)
    assert "cube" in engine.ops and not engine.unchecked
    found = search(engine, cases(ops=engine.ops, max_nodes=4), examples=80)
    assert found.op_counts["cube"] > 0 and not found.failures
    traced = trace(lambda x: x.cube() * x, [0.5])
    assert str(traced) == "n1 = x0.cube(); n2 = n1 * x0"
    verdict = judge(engine, traced, (0.5,))
    assert verdict.status is Status.PASS
    assert verdict.agreement.pairs() == {"engine~sympy": True}  # nothing else needed asking
    cube_engine().wrong = 1.01
    try:
        engine = ValueClassEngine.load(CUBE)
        bad = judge(engine, traced, (0.5,))
    finally:
        cube_engine().wrong = 1.0
    assert bad.kind is Kind.GRADIENT
    assert (bad.blame.culprit, bad.blame.op, bad.blame.node) == (Culprit.OP, "cube", 1)
    # The disagreement asks every oracle: PyTorch replays the row's SymPy form, and the finite
    # differences of the engine's forward pass back the reference.
    assert bad.agreement.pairs() == {
        "engine~sympy": False,
        "torch~sympy": True,
        "engine~torch": False,
        "engine~fd": False,
        "sympy~fd": True,
    }
    assert str(sympy.diff(cube_row.sympy(sympy.Symbol("a")), sympy.Symbol("a"))) == "3*a**2"


def test_a_method_that_looks_like_an_op_without_a_row_is_listed_not_checked():
    engine = ValueClassEngine.load(CUBE)
    assert "cube" in engine.unchecked and "register" in engine.unchecked["cube"]
    assert any("not checked: cube" in note.text for note in engine.limitations())


OPS_MODULE = """
from gradtrio.strategies import unary_op

OPS = [unary_op("cube", lambda a: a ** 3, lambda a: a ** 3, roundoff=2.0)]
"""


def test_verify_op_checks_an_op_registered_from_the_users_module(tmp_path):
    (tmp_path / "my_ops.py").write_text(OPS_MODULE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradtrio",
            "verify-op",
            "cube",
            "--ops",
            str(tmp_path / "my_ops.py"),
            "--engine",
            CUBE,
            "--examples",
            "30",
            "--no-report",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED: cube agrees" in done.stdout


# -- names and start-up ---------------------------------------------------------------------------


def test_every_installed_entry_point_and_package_is_under_gradtrio():
    dist = distribution("gradtrio")
    for point in dist.entry_points:
        assert point.value.startswith("gradtrio."), point
    top = (dist.read_text("top_level.txt") or "gradtrio").split()
    assert set(top) <= {"gradtrio"}


def test_the_library_adapters_are_registered_in_the_entry_point_group():
    from importlib.metadata import entry_points

    from gradtrio.checks.engines.protocol import EngineError
    from gradtrio.checks.engines.spec import load_engine

    names = {point.name for point in entry_points(group="gradtrio.adapters")}
    assert names == {"torch", "jax", "autograd", "mygrad", "tinygrad"}
    assert load_engine("torch:float32").dtype == "float32"
    with pytest.raises(EngineError, match="no such variant; torch has torch, torch:float32"):
        load_engine("torch:float16")


def test_outside_the_checkout_autograd_is_not_ours(tmp_path):
    probe = (
        "import importlib.util, json, gradtrio.autograd\n"
        "spec = importlib.util.find_spec('autograd')\n"
        "print(json.dumps([None if spec is None else spec.origin, gradtrio.autograd.__file__]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    other, ours = json.loads(done.stdout)
    assert ours.endswith("__init__.py")
    assert other is None or Path(other).parent != Path(ours).parent


def test_the_engine_adapter_and_the_registry_import_no_heavy_library():
    # A worker process that only runs an engine needs these; the oracles and strategies do not.
    probe = (
        "import sys\n"
        "import gradtrio.checks.engines.value_class, gradtrio.strategies\n"
        "from gradtrio.strategies import OPS, Expression, interpret\n"
        "print(sorted(m for m in ('torch', 'sympy', 'flint', 'hypothesis') if m in sys.modules))\n"
        "from gradtrio.strategies import cases\n"
        "print('hypothesis' in sys.modules, OPS['exp'].sympy(1) == __import__('sympy').E)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.split("\n")[-3:] == ["[]", "True True", ""], done.stdout + done.stderr


def test_help_version_and_usage_errors_import_neither_torch_nor_sympy():
    probe = (
        "import sys\n"
        "from gradtrio.checks.cli import main\n"
        "codes = [main(['--examples', 'x'])]\n"
        "for argv in (['run', '--help'], ['--version']):\n"
        "    try:\n        main(argv)\n    except SystemExit as e:\n        codes.append(e.code)\n"
        "print(codes, 'torch' in sys.modules, 'sympy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.split("\n")[-2] == "[2, 0, 0] False False", done.stdout + done.stderr
