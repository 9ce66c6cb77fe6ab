"""The sweep: every op in every form, with every kind of constant, alone and with a neighbour, in
every magnitude band and at its thresholds; a correct engine passes it, each one-change engine
fails it, and its coverage is a table in the summary and the JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks import Severity, Status
from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.verdict import judge_many
from gradtrio.checks.search.hypothesis_search import Phase
from gradtrio.checks.search.sweep import BANDS, REGIONS, Cell, sweep, sweep_cases
from gradtrio.strategies import Case, Expression, Node

ENGINES = Path(__file__).parent / "engines"


def engine(name: str) -> ValueClassEngine:
    return ValueClassEngine.load(f"{ENGINES / name}.py:Value")


@pytest.fixture(scope="module")
def ours():
    return sweep(load_engine())


def test_a_correct_engine_passes_the_sweep_and_it_covers_every_op_form_and_region(ours):
    assert not ours.search.failures
    assert 1_000 <= ours.search.examples <= 6_000  # a few thousand one- and two-node cases
    engine = load_engine()
    rows = ours.coverage.rows()
    assert {(op, form) for op, forms in engine.ops.items() for form in forms} == set(rows)
    for op, form in rows:
        for region in ("tiny", "small", "unit", "large", "huge", "neighbours"):
            cell = Cell(op, form, region)
            cases = ours.coverage.judged[cell] + ours.coverage.skipped[cell]
            assert cases > 0, cell
    # Every op is judged, not merely skipped, in the ordinary bands.
    assert all(ours.coverage.judged[Cell(op, form, "unit")] for op, form in rows)


def test_the_bands_run_from_subnormal_to_near_overflow_at_both_signs():
    magnitudes = [m for _, m in BANDS]
    assert min(magnitudes) < 2.3e-308 and max(magnitudes) > 1e308  # subnormal .. near overflow
    points = {case.point[0] for group in sweep_cases(load_engine(), "tanh") for _, case in group}
    assert {m for m in magnitudes} <= points and {-m for m in magnitudes} <= points
    assert {10.0, 19.06, 354.9, -354.9} <= points  # tanh's thresholds


def test_every_kind_of_constant_is_swept():
    kinds = {
        case.expression.nodes[0].kind
        for group in sweep_cases(load_engine(), "pow")
        for _, case in group
        if case.expression.nodes[0].side == "right"
    }
    assert kinds == {"float", "int", "numpy.float64"}


ONE_CHANGE = [
    "tanh_flat_beyond_10",
    "pow_negative_fractional",
    "sub_wrong_on_computed",
    "exp_assigns",
    "relu_clips_negative_upstream",
    "sigmoid_ignores_upstream",
    "traversal_skips_zeros",
    "int_pow_fast_path",
    "relu_kink_at_one",
    "add_raises_always",
    "radd_raises",
    "add_const_broken",
]


@pytest.mark.parametrize("name", ONE_CHANGE)
def test_the_sweep_finds_every_one_change_engine(name):
    found = sweep(engine(name))
    assert any(v.severity is Severity.BUG for v in found.search.failures), name
    assert all(len(v.expression.nodes) <= 2 for v in found.search.failures)


def test_a_batch_judges_agreeing_cases_and_leaves_a_crash_to_be_judged_in_full():
    broken = engine("add_raises_always")
    cases = [Case(Expression(1, (Node("neg", (0,)),)), (x,), "sweep") for x in (0.5, -1.5)]
    assert all(v is not None and v.status is Status.PASS for v in judge_many(broken, cases))
    added = [Case(Expression(1, (Node("add", (0, 0)),)), (0.5,), "sweep")]
    assert judge_many(broken, added) == [None]


def test_a_hanging_engine_stops_the_sweep_with_the_hang_as_its_finding():
    hanging = load_engine(
        f"{ENGINES / 'hostile_sleeps_per_op.py'}:Value", isolated=True, timeout=0.3
    )
    found = sweep(hanging)
    assert found.hang and found.search.failures
    assert found.search.examples < 100


def test_a_batch_that_hangs_waits_out_one_time_limit_not_one_per_point(monkeypatch):
    # hanging_backward hangs once a tanh is in the graph: the sweep's first tanh batch must
    # end at one limit, the hang confirmed by one case alone, and the sweep stop there.
    hanging = load_engine(f"{ENGINES / 'hanging_backward.py'}:Value", isolated=True, timeout=0.5)
    limits: list[str] = []
    call = hanging._call

    def counted(name, args, scale=None):
        try:
            return call(name, args, scale)
        except CaseTimeout as exc:
            limits.append(str(exc))
            raise

    monkeypatch.setattr(hanging, "_call", counted)
    found = sweep(hanging)
    assert found.hang
    assert limits == ["case exceeded the 0.5 s time limit"], limits  # the batch, one limit
    hang = next(v for v in found.search.failures if v.limitation is not None)
    assert "tanh" in str(hang.expression)


SLOW_OPS = """
import sys, time
sys.path.insert(0, {engines!r})
from tinyvalue import Value as _Correct


class Value(_Correct):  # correct, but every op takes 50 ms
    def _node(self, data, prev, local):
        time.sleep(0.05)
        return super()._node(data, prev, local)
"""


def test_an_engine_too_slow_for_a_batch_stops_the_sweep_with_a_note_not_a_hang(tmp_path):
    # A batch of tens of one-node cases takes longer than the 1 s limit, one case does not:
    # the sweep stops there instead of waiting out a limit per batch, and says so.
    path = tmp_path / "slow_ops.py"
    path.write_text(SLOW_OPS.format(engines=str(ENGINES)))
    slow = load_engine(f"{path}:Value", isolated=True, timeout=1.0)
    found = sweep(slow)
    assert not found.hang and not found.search.failures, found.search.failures
    assert found.search.cut_short == [Phase.SWEEP]
    assert sum(found.coverage.judged.values()) >= 1


@pytest.mark.slow
def test_the_summary_and_the_json_show_the_coverage_table(tmp_path):
    out = tmp_path / "run.json"
    done = subprocess.run(
        [sys.executable, "-m", "gradtrio", "--examples", "20", "--deep", "0", "--quiet"]
        + ["--no-corpus", "--no-report", "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sweep coverage" in done.stdout and "tanh " in done.stdout
    header = next(line for line in done.stdout.splitlines() if "thresholds" in line)
    assert all(region in header for region in REGIONS)
    coverage = json.loads(out.read_text())["coverage"]
    assert coverage["tanh"]["large"]["judged"] > 0
    assert set(coverage["add (nodes)"]) <= set(REGIONS)


def test_each_unary_op_is_fed_its_own_result_at_its_thresholds():
    engine = load_engine()
    twice = Expression(1, (Node("tanh", (0,)), Node("tanh", (1,))))
    groups = [g for g in sweep_cases(engine, only="tanh") if g[0][1].expression == twice]
    assert len(groups) == 1
    points = {case.point[0] for _, case in groups[0]}
    assert {-354.9, 354.9, -10.0} <= points  # where tanh saturates, both signs
    assert {cell.region for cell, _ in groups[0]} == {"neighbours"}


@pytest.mark.slow
def test_tinygrads_nan_through_tanh_of_tanh_is_found_beside_its_imprecise_tanh():
    # tinygrad 0.14's tanh loses digits near 0 (precision findings, many of the op alone),
    # which must not use up the full judgements that find its tanh(tanh(x)) nan below -354.9.
    pytest.importorskip("tinygrad")
    found = sweep(load_engine("tinygrad"), only="tanh")
    bugs = [v for v in found.search.failures if v.severity is Severity.BUG]
    assert any(len(v.expression.nodes) == 2 and v.case.point[0] <= -354.89 for v in bugs), [
        (str(v.expression), v.case.point, v.reason) for v in found.search.failures
    ]
