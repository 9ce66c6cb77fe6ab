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


# -- batches: run_many / forward_many ------------------------------------------------------------

from gradtrio.checks.engines.libraries.base import FunctionalAdapter  # noqa: E402
from gradtrio.checks.engines.protocol import EngineCrash, EngineRun  # noqa: E402
from gradtrio.strategies.ops import OPS  # noqa: E402


def same(a, b) -> bool:
    """The same float to the last bit (and the sign of zero); any two nans alike (their
    payloads are no number a verdict reads)."""
    if a is None or b is None:
        return a is b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def same_run(a: EngineRun, b: EngineRun) -> bool:
    return (
        same(a.value, b.value)
        and len(a.grads) == len(b.grads)
        and all(map(same, a.grads, b.grads))
        and len(a.node_grads) == len(b.node_grads)
        and all(map(same, a.node_grads, b.node_grads))
        and len(a.node_values) == len(b.node_values)
        and all(map(same, a.node_values, b.node_values))
    )


def single_op_cases(adapter) -> list[Expression]:
    """Every op the adapter has, in every form, once (a constant exact in float32)."""
    out = []
    for name, forms in sorted(adapter.ops.items()):
        for form in forms:
            if OPS[name].arity == 1:
                out.append(Expression(1, (Node(name, (0,)),)))
            elif form == "nodes":
                out.append(Expression(2, (Node(name, (0, 1)),)))
            else:
                out.append(Expression(1, (Node(name, (0,), 2.5, form),)))
    return out


def spread(n_inputs: int, count: int, seed: int) -> list[tuple[float, ...]]:
    """``count`` points: small, signed and wide values, a zero and a kink among them."""
    import random

    rng = random.Random(seed)
    pick = (
        lambda: rng.uniform(0.01, 4.0),
        lambda: rng.uniform(-4.0, 4.0),
        lambda: rng.uniform(-700.0, 700.0),
        lambda: 0.0,
    )
    return [tuple(rng.choice(pick)() for _ in range(n_inputs)) for _ in range(count)]


SIZES = (1, 8, 64)


@pytest.mark.parametrize("size", SIZES)
def test_batches_equal_single_points_bit_for_bit(adapter, size):
    # Every op, CASE and UNUSED: run_many and forward_many give, per point, what run and
    # forward give there, every node's value and gradient included.
    expressions = [CASE, UNUSED, *single_op_cases(adapter)]
    for k, expression in enumerate(expressions):
        points = spread(expression.n_inputs, size, seed=k)
        if expression is CASE:
            points[0] = POINT
        many = adapter.run_many(expression, points)
        forwards = adapter.forward_many(expression, points)
        assert len(many) == len(forwards) == size
        # Of a wide batch, every 8th point alone (a compiling library schedules each call).
        for point, batched, forward in list(zip(points, many, forwards))[:: max(1, size // 8)]:
            single = adapter.run(expression, point)
            assert isinstance(batched, EngineRun), (expression, point, batched)
            assert same_run(single, batched), (str(expression), point, single, batched)
            assert same(forward, adapter.forward(expression, point)), (str(expression), point)


def test_run_is_what_the_reproducer_prints_for_every_op(adapter):
    # In this process (exec, not a subprocess: one compile per op, not one interpreter): the
    # reproducer is the library's own single-point call; the run, batched or not, reads the same.
    if adapter.library == "autograd":
        pytest.skip("HIPS's reproducer imports autograd, which in a checkout is gradtrio's own")
    import contextlib
    import io

    import numpy

    for k, expression in enumerate(single_op_cases(adapter)):
        for point in spread(expression.n_inputs, 3, seed=100 + k):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), numpy.errstate(all="ignore"):
                exec(compile(adapter.reproducer(expression, point), "<reproducer>", "exec"), {})
            lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
            grads = eval(lines["grads"], {"nan": math.nan, "inf": math.inf})  # a list's repr
            run = adapter.run(expression, point)
            assert same(float(lines["value"]), run.value), (str(expression), point, lines, run)
            assert all(map(same, grads, run.grads)), (str(expression), point, lines, run)


def test_a_point_that_fails_alone_has_its_crash_in_its_place(adapter, monkeypatch):
    # The library refusing an input of 13.0 (planted where every library takes its inputs, the
    # one place a value can decide it under jit and TinyJit): the batched call raises, each point
    # is run alone, and only the point at 13.0 crashes.
    def refusing(make, values):
        if 13.0 in list(values):
            raise ArithmeticError("planted at 13.0")
        return make(values)

    if isinstance(adapter, FunctionalAdapter):
        one, many = adapter.array, adapter.arrays
        monkeypatch.setattr(adapter, "array", lambda x: refusing(lambda v: one(v[0]), [x]))
        monkeypatch.setattr(adapter, "arrays", lambda c: refusing(many, c))
    else:
        one, many = adapter.leaf, adapter.batch_leaf
        monkeypatch.setattr(adapter, "leaf", lambda x, g: refusing(lambda v: one(v[0], g), [x]))
        monkeypatch.setattr(adapter, "batch_leaf", lambda c, g: refusing(lambda v: many(v, g), c))
    expression = Expression(1, (Node("tanh", (0,)), Node("mul", (1, 0))))
    results = adapter.run_many(expression, [(0.5,), (13.0,), (-2.0,)])
    assert isinstance(results[1], EngineCrash) and "planted at 13.0" in str(results[1])
    assert same_run(results[0], adapter.run(expression, (0.5,)))
    assert same_run(results[2], adapter.run(expression, (-2.0,)))
    forwards = adapter.forward_many(expression, [(0.5,), (13.0,)])
    assert same(forwards[0], adapter.forward(expression, (0.5,)))
    assert isinstance(forwards[1], EngineCrash)


def test_batch_points_must_fit_the_expression(adapter):
    with pytest.raises(ValueError, match="expected 2"):
        adapter.run_many(CASE, [(1.0,)])
    assert adapter.run_many(CASE, []) == [] and adapter.forward_many(CASE, []) == []


@pytest.mark.parametrize("name", ["jax", "jax:jit", "jax:float32", "autograd"])
def test_functional_node_gradients_come_from_one_derivative_call(name, monkeypatch):
    adapter = adapter_for(name)
    calls = []
    vjp = adapter.vjp
    monkeypatch.setattr(adapter, "vjp", lambda *a, **k: calls.append(1) or vjp(*a, **k))
    adapter._built.clear()  # the functions are built (and jitted) again, calling vjp
    run = adapter.run(CASE, POINT)
    node_grads = list(run.node_grads)
    # Eager: the run itself (input and node gradients together); jit: the reproducer's own
    # value_and_grad, and the zero-augmented function once its node gradients are read.
    assert len(calls) == (2 if adapter.separate_node_grads else 1)
    assert len(node_grads) == CASE.size and node_grads[-1] == 1.0
    for k, g in enumerate(node_grads[: CASE.n_inputs]):
        # Under jit another compiled function: XLA fuses it otherwise, a last bit may differ.
        if adapter.separate_node_grads:
            assert math.isclose(g, run.grads[k], rel_tol=1e-12)
        else:
            assert same(g, run.grads[k])


def test_a_deep_chain_costs_hips_what_it_costs_hips():
    # 10,000 separate zero arguments cost HIPS time quadratic in the nodes (200 s for this
    # chain); one vector of zeros, linear. Every node's gradient is the product of the tanh'
    # after it.
    import time

    import numpy

    adapter = adapter_for("autograd")
    chain = Expression(1, tuple(Node("tanh", (i,)) for i in range(10_000)))
    started = time.perf_counter()
    run = adapter.run(chain, (0.3,))
    assert time.perf_counter() - started < 30
    values = numpy.asarray(run.node_values)
    expected = numpy.cumprod((1 - values[1:] ** 2)[::-1])[::-1]  # d out / d node k, k < output
    assert numpy.allclose(numpy.asarray(run.node_grads[:-1], dtype=float), expected, rtol=1e-12)
    assert run.grads[0] == run.node_grads[0]


def test_lazy_node_details_cross_a_process_boundary_as_lists():
    # jit computes every node's value and gradient on first read; pickled (as a worker sends a
    # run), they are plain lists.
    import pickle

    adapter = adapter_for("jax:jit")
    run = adapter.run(CASE, POINT)
    sent = pickle.loads(pickle.dumps(run))
    assert type(sent.node_grads) is list and type(sent.node_values) is list
    assert sent == run and sent.node_grads[-1] == 1.0


def test_compiling_libraries_say_so():
    expected = {"torch": False, "jax": False, "jax:jit": True, "autograd": False}
    expected |= {"mygrad": False, "tinygrad": True}
    for name, compiles in expected.items():
        adapter = adapter_for(name)
        assert adapter.compiles is compiles, name


def test_libraries_whose_calls_cost_per_expression_ask_for_several_points():
    # eager JAX dispatches every op, jit and tinygrad compile every new expression: a batch
    # costs about what one point does; the others' cost is per point.
    expected = {"torch": 1, "jax": 8, "jax:jit": 16, "autograd": 1, "mygrad": 1, "tinygrad": 16}
    for name, points in expected.items():
        assert adapter_for(name).points_per_expression == points, name


def test_a_repeated_expression_is_built_once(adapter):
    program = (CASE.n_inputs, CASE.nodes)
    adapter.forward(CASE, POINT)
    if isinstance(adapter, FunctionalAdapter):
        first = adapter.functions(program)
        adapter.forward_many(CASE, [POINT, (0.5, 0.25)])
        adapter.run(CASE, POINT)
        assert adapter.functions(program) is first


def test_a_library_keeps_its_own_time_limit_unless_one_is_given():
    # The command line's --timeout, when not given, leaves a compiling library the longer
    # limit its adapter sets (a default run's first compile of a graph takes seconds).
    from gradtrio.checks.cli.commands import engine_of
    from gradtrio.checks.cli.parser import parse
    from gradtrio.checks.defaults import DEFAULT_TIMEOUT

    own_limit = adapter_for("jax:jit").timeout
    assert own_limit is not None and own_limit > DEFAULT_TIMEOUT
    own = engine_of(parse(["run", "--engine", "jax:jit"]))
    given = engine_of(parse(["run", "--engine", "jax:jit", "--timeout", "3"]))
    try:
        assert own.timeout == own_limit
        assert given.timeout == 3.0
    finally:
        own.close()
        given.close()
