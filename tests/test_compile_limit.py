"""An engine that compiles every new graph (``compiles``): a very large graph gets at most
``COMPILE_LIMIT`` seconds, and no result within them is a limitation of the engine, a warning,
not a hang; a run judges one deep chain there, not every one, and keeps it whole."""

from pathlib import Path

from gradtrio.checks.engines.limits import COMPILE_LIMIT, case_scale
from gradtrio.checks.engines.protocol import LimitationKind
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Severity
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import run
from gradtrio.strategies import Expression, Node

ENGINES = Path(__file__).parent / "engines"


class Compiling(ValueClassEngine):
    """A value class taken for an engine that compiles every new graph."""

    compiles = True


def tanh_chain(nodes: int) -> Expression:
    return Expression(1, tuple(Node("tanh", (k,)) for k in range(nodes)))


def test_a_very_large_graph_on_a_compiling_engine_gets_the_compile_limit_at_most():
    assert case_scale(10_000, True, 120.0) * 120.0 == COMPILE_LIMIT  # not 5 x 120 s
    assert case_scale(10_000, False, 120.0) == 5.0  # 10,000 op nodes: five plain limits
    assert case_scale(10_000, True, None) == 5.0  # no limit asked: none imposed
    assert case_scale(12, True, 120.0) == 1.0  # an ordinary case: its plain limit


def test_no_result_for_a_very_large_graph_is_a_limitation_of_a_compiling_engine():
    spec = f"{ENGINES / 'hanging_backward.py'}:Value"  # never returns once tanh is in the graph
    chain = tanh_chain(2_001)  # past the 2,000 op nodes of a plain time limit
    compiled = judge(Compiling.load(spec, timeout=0.2), chain, (0.5,))
    assert compiled.severity is Severity.WARNING, compiled.reason
    assert compiled.limitation is not None
    assert compiled.limitation.kind is LimitationKind.COMPILE_TIME
    assert "2,001 op nodes" in compiled.limitation.text
    # The same time-out on an engine that does not compile, or on a small graph, is a hang.
    plain = judge(ValueClassEngine.load(spec, timeout=0.2), chain, (0.5,))
    small = judge(Compiling.load(spec, timeout=0.2), tanh_chain(3), (0.5,))
    for hang in (plain, small):
        assert hang.severity is Severity.BUG
        assert hang.limitation is not None and hang.limitation.kind is LimitationKind.HANG


def test_a_run_on_a_compiling_engine_judges_one_deep_chain():
    engine = Compiling.load("gradtrio.autograd:Value")
    result = run(engine, examples=4, deep=2, progress=False, sweep_first=False)
    assert result.family_counts["deep"] == 1
    assert result.passed
