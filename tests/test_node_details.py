"""Node details a worker leaves behind: a library that compiles computes every node's value and
gradient with a second compiled graph, so a worker sends them only when the run already has
them, and the harness fetches them when the blame first reads them."""

from __future__ import annotations

import pytest
from gradtrio.checks.engines import worker
from gradtrio.checks.engines.libraries.base import Lazy
from gradtrio.checks.engines.protocol import DEFERRED, EngineRun
from gradtrio.checks.engines.spec import load_engine
from gradtrio.strategies.expression import Expression, Node

E = Expression(2, (Node("mul", (0, 1)), Node("tanh", (2,)), Node("add", (3, 0))))
POINT = (0.75, -0.5)


def test_a_worker_sends_computed_node_details_and_leaves_pending_ones_behind():
    computed = Lazy(lambda: [1.0, 2.0], 2)
    list(computed)
    pending = Lazy(lambda: pytest.fail("a pending lazy was computed to be sent"), 2)
    run = EngineRun(0.5, [1.0], pending, computed)  # type: ignore[arg-type]
    sent = worker._portable([run])[0]
    assert sent.node_grads is DEFERRED
    assert sent.node_values == [1.0, 2.0] and type(sent.node_values) is list


def test_a_deferred_marker_is_one_object_after_pickling():
    import pickle

    assert pickle.loads(pickle.dumps(DEFERRED)) is DEFERRED


@pytest.fixture(scope="module")
def jit_pair():
    pytest.importorskip("jax", reason="jax is not installed")
    isolated = load_engine("jax:jit", isolated=True)
    try:
        yield isolated, load_engine("jax:jit")
    finally:
        isolated.close()  # type: ignore[attr-defined]


def test_an_isolated_engine_tells_what_its_worker_engine_says_of_its_cost(jit_pair):
    isolated, local = jit_pair
    assert (isolated.compiles, isolated.points_per_expression) == (True, 16)
    assert local.compiles is True and local.points_per_expression == 16


def test_an_isolated_compiling_library_fetches_node_details_when_read(jit_pair):
    isolated, local = jit_pair
    run = isolated.run(E, POINT)
    assert not isinstance(run.node_values, list)  # not sent with the run
    expected = local.run(E, POINT)
    assert list(run.node_values) == list(expected.node_values)
    assert [run.node_grads[k] for k in range(E.size)] == list(expected.node_grads)
    assert len(run.node_grads) == E.size


def test_a_batch_of_runs_fetches_each_points_own_details(jit_pair):
    isolated, local = jit_pair
    points = [POINT, (0.25, 1.5)]
    runs = isolated.run_many(E, points)
    for run, point in zip(runs, points, strict=True):
        assert isinstance(run, EngineRun)
        assert list(run.node_values) == list(local.run(E, point).node_values)
