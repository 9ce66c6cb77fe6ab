"""The tensor IR: shape rules against NumPy, one-line errors naming the bad shape, JSON, and
node removal; the scalar expansion's values against NumPy and its gradients against PyTorch
float64 autograd on drawn cases."""

import math

import numpy as np
import pytest
import torch
from gradtrio.checks.oracles.reference.enclose import reference
from gradtrio.strategies.domain import float_values
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_cases import tensor_cases, tensor_expressions
from gradtrio.strategies.tensor_expansion import expand
from gradtrio.strategies.tensor_expression import (
    TensorExpression,
    TensorNode,
    output_weights,
)
from hypothesis import HealthCheck, given, settings

N = TensorNode

# -- shapes -------------------------------------------------------------------------------------

SHAPES = [
    # (input shapes, node, what NumPy gives on arrays of those shapes)
    (((2, 3), (3,)), N("add", (0, 1)), lambda a, b: a + b),
    (((2, 1), (1, 4)), N("mul", (0, 1)), lambda a, b: a * b),
    (((), (2, 2)), N("div", (0, 1)), lambda a, b: a / b),
    (((3, 1, 2), (4, 1)), N("max", (0, 1)), np.maximum),
    (((2, 3),), N("sum", (0,), axis=1), lambda a: a.sum(axis=1)),
    (((2, 3),), N("sum", (0,), axis=0, keepdims=True), lambda a: a.sum(axis=0, keepdims=True)),
    (((2, 3, 4),), N("mean", (0,)), lambda a: a.mean()),
    (((2, 3),), N("mean", (0,), keepdims=True), lambda a: a.mean(keepdims=True)),
    (((2, 3), (3, 4)), N("matmul", (0, 1)), np.matmul),
    (((3,), (3,)), N("matmul", (0, 1)), np.matmul),
    (((2, 3), (3,)), N("matmul", (0, 1)), np.matmul),
    (((3,), (3, 2)), N("matmul", (0, 1)), np.matmul),
    (((4, 2, 3), (1, 3, 2)), N("matmul", (0, 1)), np.matmul),
    (((2, 2, 3), (3,)), N("matmul", (0, 1)), np.matmul),
    (((2, 6),), N("reshape", (0,), shape=(3, 4)), lambda a: a.reshape(3, 4)),
    (((2, 3, 4),), N("transpose", (0,), perm=(1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    (((2, 3),), N("exp", (0,)), np.exp),
]


@pytest.mark.parametrize(
    "inputs, node, numpy_op", SHAPES, ids=[f"{n.op}{inputs}" for inputs, n, _ in SHAPES]
)
def test_a_nodes_shape_is_numpys(inputs, node, numpy_op):
    expression = TensorExpression(inputs, (node,))
    arrays = [np.ones(s) for s in inputs]
    assert expression.shapes[-1] == np.shape(numpy_op(*arrays))


BAD = [
    ("add((2, 3), (2,))", ((2, 3), (2,)), N("add", (0, 1)), "(2, 3) and (2,) do not broadcast"),
    ("matmul((2, 3), (2, 3))", ((2, 3), (2, 3)), N("matmul", (0, 1)), "inner dimensions"),
    ("matmul((), (2,))", ((), (2,)), N("matmul", (0, 1)), "expected operands of rank >= 1"),
    ("sum((2, 3), axis=2)", ((2, 3),), N("sum", (0,), axis=2), "axis=2: expected None or an"),
    ("reshape((2, 3), (4,))", ((2, 3),), N("reshape", (0,), shape=(4,)), "expected 6 elements"),
    ("transpose((2, 3), (0,))", ((2, 3),), N("transpose", (0,), perm=(0,)), "perm=(0,)"),
    ("pow((2,))", ((2,),), N("pow", (0,)), "op='pow': expected one of"),
    ("exp(x1)", ((2,),), N("exp", (1,)), "operand=1: expected an index of an earlier node"),
    ("input (0, 2)", ((0, 2),), N("exp", (0,)), "input x0 shape=(0, 2): expected a tuple of ints"),
]


@pytest.mark.parametrize("inputs, node, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_ill_formed_expression_is_one_value_error_naming_the_shape(inputs, node, message):
    with pytest.raises(ValueError, match="^[^\n]+$") as info:
        TensorExpression(inputs, (node,))
    assert message in str(info.value)


def test_too_many_elements_are_refused_naming_the_shape():
    with pytest.raises(ValueError, match=r"input x0 shape=\(16, 17\): more than 256 elements"):
        TensorExpression(((16, 17),), ())


@given(tensor_expressions())
def test_json_round_trip_is_exact(expression):
    assert TensorExpression.from_json(expression.to_json()) == expression


@given(tensor_cases())
@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
def test_a_case_round_trips_through_json(case):
    again = TensorCase.from_json(case.to_json())
    assert again.expression == case.expression and again.point == case.point


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "gradtrio.expression/2"}', "expected a 'gradtrio.tensor-case/1' object"),
        ("[1", "not JSON"),
        ('{"format": "gradtrio.tensor-case/1", "point": []}', "expected 'expression' and"),
    ],
)
def test_a_bad_case_file_is_one_line_naming_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        TensorCase.from_json(text)


def test_a_point_of_the_wrong_length_names_the_shapes():
    expression = TensorExpression(((2, 3),), (N("exp", (0,)),))
    with pytest.raises(ValueError, match=r"point has 2 values: expected 6, the elements of x0"):
        TensorCase(expression, (1.0, 2.0))


def test_the_output_weights_are_distinct_and_exact():
    w = output_weights((4, 4, 4))
    assert len(set(w.ravel().tolist())) == 64
    assert w.ravel()[:4].tolist() == [1.0, -1.125, 1.25, -1.375]


def test_removing_a_node_hands_its_users_its_first_operand():
    expression = TensorExpression(
        ((2, 3),), (N("exp", (0,)), N("neg", (1,)), N("sum", (2,), axis=1))
    )
    assert str(expression.without_node(2)) == (
        "n1 = x0.exp(); n2 = n1.sum(axis=1, keepdims=False); out = (n2 * W).sum()"
    )
    # An op that changes the shape cannot be removed where its users need that shape.
    reduced = TensorExpression(((2, 3),), (N("sum", (0,), axis=1), N("matmul", (1, 1))))
    with pytest.raises(ValueError, match="inner dimensions"):
        reduced.without_node(1)


# -- the expansion ------------------------------------------------------------------------------

# Each op written again in NumPy and in torch, apart from the code under test.
NUMPY = {
    "neg": np.negative,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0),
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
    "square": np.square,
    "log1p": np.log1p,
    "softplus": lambda a: np.logaddexp(a, 0),
    "leaky_relu": lambda a: np.where(a > 0, a, 0.01 * a),
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "max": np.maximum,
    "min": np.minimum,
    "matmul": np.matmul,
}
TORCH = {
    "neg": torch.neg,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "sin": torch.sin,
    "cos": torch.cos,
    "square": torch.square,
    "log1p": torch.log1p,
    "softplus": lambda a: torch.logaddexp(a, torch.zeros_like(a)),
    "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, 0.01),
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "max": torch.maximum,
    "min": torch.minimum,
    "matmul": torch.matmul,
}


def numpy_nodes(case):
    values = case.inputs()
    for node in case.expression.nodes:
        xs = [values[i] for i in node.args]
        if node.op in ("sum", "mean"):
            out = getattr(np, node.op)(xs[0], axis=node.axis, keepdims=node.keepdims)
        elif node.op == "reshape":
            out = xs[0].reshape(node.shape)
        elif node.op == "transpose":
            out = xs[0].transpose(node.perm)
        else:
            out = NUMPY[node.op](*xs)
        values.append(np.asarray(out))
    return values


def torch_grads(case):
    leaves = [torch.tensor(x, requires_grad=True) for x in case.inputs()]
    values = list(leaves)
    for node in case.expression.nodes:
        xs = [values[i] for i in node.args]
        if node.op in ("sum", "mean"):
            dims = tuple(range(xs[0].dim())) if node.axis is None else (node.axis,)
            out = getattr(torch, node.op)(xs[0], dim=dims, keepdim=node.keepdims)
        elif node.op == "reshape":
            out = xs[0].reshape(node.shape)
        elif node.op == "transpose":
            out = xs[0].permute(node.perm)
        else:
            out = TORCH[node.op](*xs)
        values.append(out)
    weights = torch.tensor(output_weights(case.expression.shapes[-1]))
    (values[-1] * weights).sum().backward()
    return [x.grad.numpy() for x in leaves]


@given(tensor_cases())
@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
def test_every_element_of_every_node_of_the_expansion_is_numpys(case):
    expansion = expand(case.expression)
    scalar = float_values(expansion.expression, case.point)
    for k, expected in enumerate(numpy_nodes(case)):
        got = np.vectorize(lambda s: scalar[s], otypes=[float])(expansion.elements[k])
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    w = output_weights(case.expression.shapes[-1])
    assert math.isclose(scalar[-1], float((numpy_nodes(case)[-1] * w).sum()), rel_tol=1e-12)


@given(tensor_cases())
@settings(
    max_examples=40, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
def test_the_expansions_exact_gradients_are_torch_autograds(case):
    expansion = expand(case.expression)
    exact = reference(expansion.expression, case.point).expected_grads
    for i, grad in enumerate(torch_grads(case)):
        got = np.array([exact[s] for s in expansion.input_elements(i)]).reshape(grad.shape)
        np.testing.assert_allclose(got, grad, rtol=1e-10, atol=1e-12)


def test_a_broadcast_operand_is_one_scalar_node_reused_and_named_by_its_index():
    expression = TensorExpression(((2, 3), (3,)), (N("add", (0, 1)),))
    expansion = expand(expression)
    scalar = expansion.expression
    # x1's elements are scalar inputs 6, 7, 8; each feeds both rows' adds.
    rows = [[scalar.node(int(e)).args for e in row] for row in expansion.elements[2]]
    assert rows == [[(0, 6), (1, 7), (2, 8)], [(3, 6), (4, 7), (5, 8)]]
    assert [expansion.element_name(s) for s in (0, 5, 8)] == ["x0[0, 0]", "x0[1, 2]", "x1[2]"]


def test_sum_mean_and_matmul_expand_to_chains_of_adds_each_knowing_its_terms():
    expression = TensorExpression(((2, 3),), (N("mean", (0,), axis=1),))
    expansion = expand(expression)
    scalar = expansion.expression
    first_row = int(expansion.elements[1][0])
    assert scalar.node_source(first_row) == f"n{first_row - 1} / 3.0"
    chain = scalar.node(first_row).args[0]
    assert scalar.node_source(chain) == f"n{chain - 1} + x2"
    assert expansion.sums[chain] == (0, 1, 2)
