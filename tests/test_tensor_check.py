"""Tensor engines judged through the scalar expansion: the correct NumPy engine and PyTorch pass,
each one-change engine is found, blamed on its op and shrunk; shapes, element names, tolerances
for any summation order, the adapter's probing and the entry point's arguments."""

from pathlib import Path

import numpy as np
import pytest
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.oracles.reference.enclose import reference
from gradtrio.checks.tensors import (
    TensorClassEngine,
    TorchTensors,
    check_tensor_engine,
    judge_tensor,
)
from gradtrio.checks.tensors.blame import blame_tensor
from gradtrio.checks.tensors.engines import TensorRun
from gradtrio.checks.tensors.search import search_tensors
from gradtrio.checks.tensors.verdict import TensorKind, TensorStatus, any_order_bounds
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_cases import all_tensor_ops
from gradtrio.strategies.tensor_expansion import expand
from gradtrio.strategies.tensor_expression import TensorExpression, TensorNode

ENGINES = Path(__file__).parent / "tensor_engines"
CORRECT = f"{ENGINES / 'tensor.py'}:Tensor"
BROADCASTING = {"add", "sub", "mul", "div", "max", "min", "matmul"}

ONE_CHANGE = [
    ("broadcast_grad_not_reduced", BROADCASTING),
    ("sum_backward_loses_keepdims", {"sum"}),
    ("mean_divides_by_total_count", {"mean"}),
    ("matmul_backward_without_transpose", {"matmul"}),
    ("transpose_backward_not_inverted", {"transpose"}),
]


def engine(name):
    return TensorClassEngine.load(f"{ENGINES / name}.py:Tensor")


@pytest.mark.parametrize("name, ops", ONE_CHANGE, ids=[n for n, _ in ONE_CHANGE])
def test_each_one_change_engine_is_found_blamed_on_its_op_and_shrunk(name, ops):
    result = check_tensor_engine(f"{ENGINES / name}.py:Tensor")
    assert not result.passed
    assert {f.blame.op for f in result.findings} <= ops
    smallest = result.findings[0].verdict.case.expression
    assert len(smallest.nodes) <= 2
    assert all(d <= 3 for shape in smallest.inputs for d in shape), smallest.inputs
    assert "blame: n" in result.report()


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_the_correct_engine_and_torch_pass(seed):
    for subject in (CORRECT, "torch"):
        result = check_tensor_engine(subject, seed=seed)
        assert result.passed, result.report()
        assert result.examples == 200


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3])
def test_the_correct_engine_passes_on_more_seeds(seed):
    result = check_tensor_engine(CORRECT, seed=seed, examples=400)
    assert result.passed, result.report()


def test_a_mismatch_names_the_input_element_with_both_numbers():
    # mean over axis 1 of a (2, 3): each element's gradient is its row's weight (1, -1.125)
    # over 3; the engine divides by 6.
    expression = TensorExpression(((2, 3),), (TensorNode("mean", (0,), axis=1),))
    case = TensorCase.of(expression, np.arange(1.0, 7.0).reshape(2, 3))
    verdict = judge_tensor(engine("mean_divides_by_total_count"), case)
    assert verdict.kind is TensorKind.GRADIENT
    by_element = {m.where: (m.engine, m.expected) for m in verdict.mismatches}
    assert by_element["x0[1, 2]"] == pytest.approx((-1.125 / 6, -1.125 / 3))
    assert by_element["x0[0, 0]"] == pytest.approx((1 / 6, 1 / 3))
    assert len(by_element) == 6


class WrongShape:
    """Gives every input a gradient of shape (1,), whatever its own."""

    name = "wrong-shape"

    def supports(self):
        return frozenset(all_tensor_ops())

    def run(self, expression, inputs):
        return TensorRun(0.0, tuple(np.zeros(1) for _ in inputs))


def test_a_gradient_of_the_wrong_shape_is_a_bug_naming_both_shapes():
    expression = TensorExpression(((2, 3),), (TensorNode("sum", (0,)),))
    verdict = judge_tensor(WrongShape(), TensorCase.of(expression, np.ones((2, 3))))
    assert verdict.kind is TensorKind.SHAPE
    assert verdict.reason == "x0: the gradient has shape (1,), expected (2, 3) (the input's shape)"


def test_a_crash_names_the_node_and_what_the_engine_raised():
    expression = TensorExpression(((2, 1), (1, 1)), (TensorNode("add", (0, 1)),))
    case = TensorCase.of(expression, [[1.0], [2.0]], [[3.0]])
    verdict = judge_tensor(engine("broadcast_grad_not_reduced"), case)
    assert verdict.kind is TensorKind.CRASH
    assert verdict.reason.startswith("out.backward() raised ValueError: non-broadcastable")


def test_the_tolerance_holds_for_any_order_of_a_sums_terms():
    # 1e16 + (-1e16) + 1 is exact in the expansion's order; (1e16 + 1) - 1e16 is 0 (1e16 + 1
    # rounds to 1e16): off by far more than the expansion's own bound, within that for any order.
    expression = TensorExpression(((3,),), (TensorNode("sum", (0,)),))
    case = TensorCase.of(expression, [1e16, -1e16, 1.0])
    expansion = expand(expression)
    ref = reference(expansion.expression, case.point)
    other_order = (1e16 + 1.0) - 1e16
    error = abs(other_order - ref.expected_value)
    assert error > ref.value_bounds[-1]
    assert error <= any_order_bounds(expansion, ref)[0]


def test_a_case_outside_the_domain_is_skipped_not_failed():
    expression = TensorExpression(((2,),), (TensorNode("log", (0,)),))
    verdict = judge_tensor(TorchTensors(), TensorCase.of(expression, [1.0, -1.0]))
    assert verdict.status is TensorStatus.SKIP
    assert "log" in verdict.reason


def test_blame_names_the_first_op_wrong_alone_not_the_one_it_feeds():
    expression = TensorExpression(
        ((2, 3),), (TensorNode("mean", (0,), axis=1), TensorNode("exp", (1,)))
    )
    case = TensorCase.of(expression, np.linspace(0.5, 1.5, 6).reshape(2, 3))
    verdict = judge_tensor(engine("mean_divides_by_total_count"), case)
    blame = blame_tensor(engine("mean_divides_by_total_count"), verdict)
    assert (blame.node, blame.op) == (1, "mean")


def test_the_adapter_finds_the_attributes_and_leaves_out_ops_the_class_lacks():
    correct = TensorClassEngine.load(CORRECT)
    assert (correct.value_attr, correct.grad_attr, correct.backward) == ("data", "grad", "backward")
    assert correct.supports() == frozenset(all_tensor_ops())

    def missing(self):
        raise AttributeError("no mean here")

    no_mean = type("NoMean", (correct.cls,), {"mean": property(missing)})
    adapted = TensorClassEngine.from_class(no_mean)
    assert adapted.supports() == frozenset(all_tensor_ops()) - {"mean"}
    result = search_tensors(adapted, examples=50)
    assert "mean" not in result.op_counts and not result.findings


def test_a_class_without_a_backward_method_is_one_engine_error_naming_it():
    class NoBackward:
        def __init__(self, data):
            self.data, self.grad = np.asarray(data), None

    with pytest.raises(EngineError, match=r"no backward method found \(looked for \.backward"):
        TensorClassEngine.from_class(NoBackward)


@pytest.mark.parametrize(
    "kw, error, message",
    [
        ({"examples": 0}, ValueError, "examples=0: expected an int >= 1"),
        ({"max_nodes": 40}, ValueError, "max_nodes=40: expected at most 32"),
        ({"seed": "x"}, ValueError, "seed='x': expected an int"),
        ({"engine": 42}, EngineError, "engine=42: expected a tensor class"),
        ({"engine": "nowhere.py:Tensor"}, EngineError, "no such file"),
    ],
    ids=lambda x: str(x),
)
def test_bad_arguments_are_one_line_naming_them(kw, error, message):
    with pytest.raises(error, match=message):
        check_tensor_engine(**kw)


def test_the_reported_case_reproduces_the_failure():
    result = check_tensor_engine(f"{ENGINES / 'matmul_backward_without_transpose'}.py:Tensor")
    line = next(x for x in result.report().splitlines() if "TensorCase.from_json(" in x)
    case = eval(line.strip(), {"TensorCase": TensorCase})
    assert judge_tensor(engine("matmul_backward_without_transpose"), case).failed
    assert not judge_tensor(TorchTensors(), case).failed
