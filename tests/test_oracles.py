"""The three oracles, each on its own: exactness, linear cost under reuse, error estimates."""

import gc
import math
from fractions import Fraction

import pytest
from gradtrio.checks import resolve_engine
from gradtrio.checks.oracles.finite_differences import (
    directional_derivative,
    fd_gradients,
    random_direction,
)
from gradtrio.checks.oracles.reference.enclose import Undecided, reference
from gradtrio.checks.oracles.torch_float64 import torch_gradients
from gradtrio.strategies import Expression, Node, cases
from hypothesis import assume, given


def exact(ball):
    """The exact rational a radius-0 ball stands for."""
    assert ball.is_exact(), ball
    mantissa, exponent = ball.man_exp()
    return Fraction(int(mantissa)) * Fraction(2) ** int(exponent)


def forward_of(expression):
    engine = resolve_engine(None)
    return lambda p: engine.forward(expression, p)


def test_binary_floats_enter_the_reference_exactly():
    e = Expression(1, (Node("mul", (0,), const=10.0, side="right"),))
    ref = reference(e, [0.1])
    assert exact(ref.value) == Fraction(0.1) * 10
    assert exact(ref.value) != 1  # 0.1 is the double nearest 1/10, not 1/10


def test_reference_is_linear_in_a_dag_that_would_expand_exponentially():
    # n_k = n_(k-1) + n_(k-1): as a tree, 2**400 leaves (it would never finish); as a DAG, 400
    # nodes.
    nodes = tuple(Node("add", (k, k)) for k in range(400))
    ref = reference(Expression(1, nodes), [0.75])
    assert exact(ref.grads[0]) == 2**400
    assert exact(ref.value) == Fraction(3, 4) * 2**400


@given(cases())
def test_torch_and_sympy_agree_within_the_rounding_bound(case):
    try:
        ref = reference(case.expression, case.point)
    except Undecided:  # the balls cannot decide it (counted as undecided in a run)
        assume(False)
    torch = torch_gradients(case.expression, case.point)
    assert abs(torch.value - float(ref.value)) <= ref.value_bounds[-1]
    for t, r, bound in zip(torch.grads, ref.grads, ref.grad_bounds):
        assert abs(t - float(r)) <= bound, (t, float(r), bound)


def test_rounding_bound_covers_tanh_saturation():
    # tanh'(x) = 1 - tanh(x)**2 computed from the output loses digits as tanh -> 1.
    e = Expression(1, (Node("tanh", (0,)),))
    ref = reference(e, [10.0])
    torch = torch_gradients(e, [10.0])
    error = abs(torch.grads[0] - float(ref.grads[0]))
    assert error > 0  # the float64 result really is off here
    assert error <= ref.grad_bounds[0]
    assert ref.grad_bounds[0] < 1e-14  # ...and the bound stays tight


def test_shared_node_is_one_tensor_in_torch():
    e = Expression(1, (Node("mul", (0, 0)), Node("add", (1, 1))))  # 2 * x**2
    result = torch_gradients(e, [3.0])
    assert result.value == 18.0
    assert result.grads == [12.0]
    assert result.node_grads[1] == 2.0


def test_torch_node_gradients_are_replayed_on_demand_and_match_the_chain_rule():
    e = Expression(2, (Node("mul", (0, 1)), Node("tanh", (2,)), Node("add", (3, 0))))
    x0, x1 = 0.5, -1.5
    result = torch_gradients(e, [x0, x1])
    d_n2 = 1 - math.tanh(x0 * x1) ** 2
    assert result.grads == pytest.approx([d_n2 * x1 + 1, d_n2 * x0], rel=1e-15)
    assert result.node_grads[:2] == result.grads
    assert result.node_grads[2:] == pytest.approx([d_n2, 1.0, 1.0], rel=1e-15)


@given(cases(max_nodes=6))
def test_reliable_finite_differences_match_the_reference(case):
    ref = reference(case.expression, case.point)
    estimates = fd_gradients(
        forward_of(case.expression), case.expression, case.point, noise=ref.value_bounds[-1]
    )
    for est, exact in zip(estimates, ref.grads):
        if est.reliable:
            assert abs(est.value - float(exact)) <= est.error + 1e-12 * abs(float(exact))


def test_finite_differences_are_accurate_on_a_smooth_function():
    e = Expression(2, (Node("mul", (0, 1)), Node("sigmoid", (2,)), Node("exp", (3,))))
    estimates = fd_gradients(forward_of(e), e, [0.3, -1.2])
    ref = reference(e, [0.3, -1.2])
    for est, exact in zip(estimates, ref.grads):
        assert est.reliable
        assert math.isclose(est.value, float(exact), rel_tol=1e-10)


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
def test_finite_differences_pause_the_collector_and_restore_it(enabled):
    e = Expression(1, (Node("exp", (0,)),))
    seen = []

    def forward(p):
        seen.append(gc.isenabled())
        return forward_of(e)(p)

    (gc.enable if enabled else gc.disable)()
    try:
        fd_gradients(forward, e, [0.5])
        directional_derivative(forward, e, [0.5], [1.0])
        after = gc.isenabled()
    finally:
        gc.enable()
    assert seen and not any(seen)
    assert after is enabled


@pytest.mark.parametrize("x", [0.0, 1e-4, -1e-3], ids=["on-kink", "just-right", "just-left"])
def test_finite_differences_near_a_kink_are_unreliable(x):
    e = Expression(1, (Node("relu", (0,)),))
    (estimate,) = fd_gradients(forward_of(e), e, [x])
    assert not estimate.reliable
    assert "kink" in estimate.why


def test_a_directional_derivative_matches_the_gradient_along_its_direction():
    e = Expression(
        2, (Node("mul", (0,), const=0.001, side="right"), Node("tanh", (2,)), Node("mul", (3, 1)))
    )
    point = [400.0, -250.0]
    direction = random_direction(2, seed=3)
    estimate = directional_derivative(forward_of(e), e, point, direction)
    exact = sum(d * float(g) for d, g in zip(direction, reference(e, point).grads))
    assert estimate.reliable and estimate.direction == direction
    assert abs(estimate.value - exact) <= estimate.error
    assert abs(sum(d * d for d in direction) - 1.0) < 1e-12


@pytest.mark.parametrize("c", [0.0, 1.0], ids=["x**0", "x**1"])
def test_removable_singularities_of_pow_at_zero_are_differentiated_exactly(c):
    # c * x**(c-1) is 0 * inf at x = 0 for c = 0, and so is the second derivative for c = 1.
    e = Expression(1, (Node("pow", (0,), const=c, side="right"),))
    ref = reference(e, [0.0])
    assert float(ref.grads[0]) == c  # d/dx x**0 = 0 (as in PyTorch), d/dx x**1 = 1
    assert float(ref.value) == (1.0 if c == 0.0 else 0.0)
