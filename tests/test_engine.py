"""The engine against published values and PyTorch float64, never against itself."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import mpmath
import pytest
import torch
import torch.nn.functional as F
from baselines import more_ops_graph
from gradtrio.autograd import Value
from gradtrio.autograd.engine import _node


def torch_leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_grad(t: torch.Tensor) -> float:
    """The gradient PyTorch left on ``t``; no gradient at all means zero."""
    return 0.0 if t.grad is None else t.grad.item()


def engine_and_torch(
    fn: Callable[..., Any], *point: float, torch_fn: Callable[..., Any] | None = None
) -> tuple[tuple, tuple]:
    """``fn`` at ``point`` in both engines: (value, grads) from this engine and from PyTorch.

    ``torch_fn`` is what PyTorch runs when its spelling differs (``F.softplus(x)`` for
    ``x.softplus()``); by default it runs ``fn`` too.
    """
    xs = [Value(p) for p in point]
    out = fn(*xs)
    out.backward()
    ts = [torch_leaf(p) for p in point]
    tout = (fn if torch_fn is None else torch_fn)(*ts)
    tout.backward()
    ours = (out.data, tuple(x.grad for x in xs))
    theirs = (tout.item(), tuple(torch_grad(t) for t in ts))
    return ours, theirs


def assert_close(ours: tuple, theirs: tuple, rel: float = 1e-12) -> None:
    (value, grads), (t_value, t_grads) = ours, theirs
    assert value == pytest.approx(t_value, rel=rel, abs=1e-300), "value"
    assert grads == pytest.approx(t_grads, rel=rel, abs=1e-300), "grads"


# --- published values ----------------------------------------------------------------------


def test_more_ops_graph_matches_the_published_values() -> None:
    a, b = Value(-4.0), Value(2.0)
    g = more_ops_graph(a, b)
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


def test_more_ops_graph_matches_torch() -> None:
    ours, theirs = engine_and_torch(more_ops_graph, -4.0, 2.0)
    assert_close(ours, theirs, rel=1e-10)


def test_tanh_neuron_from_the_micrograd_lecture() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(2**-0.5, abs=1e-12)
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)
    assert w1.grad == pytest.approx(1.0, abs=1e-12)
    assert x2.grad == pytest.approx(0.5, abs=1e-12)
    assert w2.grad == 0.0


def test_a_times_b_plus_b() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b + b
    c.backward()
    assert (c.data, a.grad, b.grad) == (9.0, 3.0, 3.0)


# --- every op against torch -----------------------------------------------------------------

# (id, function, points); each function works on Values and on torch tensors alike.
Points = list[tuple[float, ...]]
ANYWHERE: Points = [(-1.7,), (0.3,), (2.2,)]
POSITIVE: Points = [(0.3,), (1.2,), (2.2,)]
PAIRS: Points = [(1.3, -0.7), (-2.1, 0.4), (0.6, 1.9)]
POSITIVE_BASE: Points = [(1.3, -0.7), (0.4, 2.1), (2.5, 1.9)]
ABOVE_MINUS_ONE: Points = [(-0.7,), (0.3,), (2.2,)]

OP_CASES: list[tuple[str, Callable[..., Any], Points]] = [
    ("x + y", lambda x, y: x + y, PAIRS),
    ("x + 2.5", lambda x: x + 2.5, ANYWHERE),
    ("2.5 + x", lambda x: 2.5 + x, ANYWHERE),
    ("x + 2 (int)", lambda x: x + 2, ANYWHERE),
    ("x - y", lambda x, y: x - y, PAIRS),
    ("x - 2.5", lambda x: x - 2.5, ANYWHERE),
    ("2.5 - x", lambda x: 2.5 - x, ANYWHERE),
    ("x * y", lambda x, y: x * y, PAIRS),
    ("x * 2.5", lambda x: x * 2.5, ANYWHERE),
    ("2.5 * x", lambda x: 2.5 * x, ANYWHERE),
    ("x / y", lambda x, y: x / y, PAIRS),
    ("x / 2.5", lambda x: x / 2.5, ANYWHERE),
    ("2.5 / x", lambda x: 2.5 / x, ANYWHERE),
    ("x ** 3", lambda x: x**3, ANYWHERE),
    ("x ** -2", lambda x: x**-2, ANYWHERE),
    ("x ** 2.5", lambda x: x**2.5, POSITIVE),
    ("x ** 0", lambda x: x**0, ANYWHERE),
    ("x ** 0.0", lambda x: x**0.0, ANYWHERE),
    ("x ** 1", lambda x: x**1, ANYWHERE),
    ("x ** 2", lambda x: x**2, ANYWHERE),
    ("x ** y", lambda x, y: x**y, POSITIVE_BASE),
    ("2.5 ** x", lambda x: 2.5**x, ANYWHERE),
    ("0.5 ** x", lambda x: 0.5**x, ANYWHERE),
    ("-x", lambda x: -x, ANYWHERE),
    ("x.exp()", lambda x: x.exp(), ANYWHERE),
    ("x.log()", lambda x: x.log(), POSITIVE),
    ("x.tanh()", lambda x: x.tanh(), ANYWHERE),
    ("x.sigmoid()", lambda x: x.sigmoid(), ANYWHERE),
    ("x.relu()", lambda x: x.relu(), ANYWHERE),
    ("x.sqrt()", lambda x: x.sqrt(), POSITIVE),
    ("x.abs()", lambda x: x.abs(), ANYWHERE),
    ("abs(x)", lambda x: abs(x), ANYWHERE),
    ("x.square()", lambda x: x.square(), ANYWHERE),
    ("x.sin()", lambda x: x.sin(), ANYWHERE),
    ("x.cos()", lambda x: x.cos(), ANYWHERE),
    ("x.log1p()", lambda x: x.log1p(), ABOVE_MINUS_ONE),
    # Each function inside an expression, so that a dropped chain-rule factor shows.
    ("(x * y).exp() * y", lambda x, y: (x * y).exp() * y, PAIRS),
    ("(x * x + 1).log() * y", lambda x, y: (x * x + 1).log() * y, PAIRS),
    ("(x * y).tanh() * y", lambda x, y: (x * y).tanh() * y, PAIRS),
    ("(x * y).sigmoid() * y", lambda x, y: (x * y).sigmoid() * y, PAIRS),
    ("(x * y).relu() * y", lambda x, y: (x * y).relu() * y, PAIRS),
    ("(x * y) ** 3 * y", lambda x, y: (x * y) ** 3 * y, PAIRS),
    ("(x * x + 1).sqrt() * y", lambda x, y: (x * x + 1).sqrt() * y, PAIRS),
    ("(x * y).abs() * y", lambda x, y: (x * y).abs() * y, PAIRS),
    ("(x * y).square() * y", lambda x, y: (x * y).square() * y, PAIRS),
    ("(x * y).sin() * y", lambda x, y: (x * y).sin() * y, PAIRS),
    ("(x * y).cos() * y", lambda x, y: (x * y).cos() * y, PAIRS),
    ("(x * x).log1p() * y", lambda x, y: (x * x).log1p() * y, PAIRS),
    ("x * x (shared operand)", lambda x: x * x, ANYWHERE),
    ("t + t (shared operand)", lambda x: x.tanh() + x.tanh(), ANYWHERE),
    ("x * y / (x + y)", lambda x, y: x * y / (x + y), PAIRS),
]

OP_PARAMS = [
    pytest.param(fn, point, id=f"{name} at {point}")
    for name, fn, points in OP_CASES
    for point in points
]


@pytest.mark.parametrize(("fn", "point"), OP_PARAMS)
def test_op_matches_torch(fn: Callable[..., Any], point: tuple[float, ...]) -> None:
    assert_close(*engine_and_torch(fn, *point))


def _c(c: float) -> torch.Tensor:
    return torch.tensor(c, dtype=torch.float64)


# Ops that PyTorch spells differently: (id, this engine's function, PyTorch's, points).
SPELLED_CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], Points]] = [
    ("x.softplus()", lambda x: x.softplus(), F.softplus, [*ANYWHERE, (-15.0,), (19.5,)]),
    ("x.leaky_relu()", lambda x: x.leaky_relu(), F.leaky_relu, ANYWHERE),
    (
        "x.leaky_relu(slope=0.2)",
        lambda x: x.leaky_relu(slope=0.2),
        lambda x: F.leaky_relu(x, 0.2),
        ANYWHERE,
    ),
    ("x.leaky_relu(3)", lambda x: x.leaky_relu(3), lambda x: F.leaky_relu(x, 3.0), ANYWHERE),
    ("x.max(y)", lambda x, y: x.max(y), torch.maximum, PAIRS),
    ("x.min(y)", lambda x, y: x.min(y), torch.minimum, PAIRS),
    ("x.max(0.5)", lambda x: x.max(0.5), lambda x: torch.maximum(x, _c(0.5)), ANYWHERE),
    ("x.min(0.5)", lambda x: x.min(0.5), lambda x: torch.minimum(x, _c(0.5)), ANYWHERE),
    ("x.max(1) (int)", lambda x: x.max(1), lambda x: torch.maximum(x, _c(1.0)), ANYWHERE),
    (
        "(x * y).softplus() * y",
        lambda x, y: (x * y).softplus() * y,
        lambda x, y: F.softplus(x * y) * y,
        PAIRS,
    ),
    (
        "(x * y).leaky_relu() * y",
        lambda x, y: (x * y).leaky_relu() * y,
        lambda x, y: F.leaky_relu(x * y) * y,
        PAIRS,
    ),
    (
        "(x * y).max(y * y) * y",
        lambda x, y: (x * y).max(y * y) * y,
        lambda x, y: torch.maximum(x * y, y * y) * y,
        PAIRS,
    ),
    (
        "(x * y).min(x + y) * y",
        lambda x, y: (x * y).min(x + y) * y,
        lambda x, y: torch.minimum(x * y, x + y) * y,
        PAIRS,
    ),
]

SPELLED_PARAMS = [
    pytest.param(fn, torch_fn, point, id=f"{name} at {point}")
    for name, fn, torch_fn, points in SPELLED_CASES
    for point in points
]


@pytest.mark.parametrize(("fn", "torch_fn", "point"), SPELLED_PARAMS)
def test_op_spelled_differently_in_torch_matches_torch(
    fn: Callable[..., Any], torch_fn: Callable[..., Any], point: tuple[float, ...]
) -> None:
    assert_close(*engine_and_torch(fn, *point, torch_fn=torch_fn))


def test_a_constant_is_not_a_node() -> None:
    x = Value(1.0)
    for out in (x + 2, 2 + x, x - 2, 2 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x):
        assert out._prev == (x,)
    for out in (x.max(2), x.min(2.5), x.leaky_relu(0.5)):
        assert out._prev == (x,)


def test_reflected_subtraction_and_division_keep_their_order() -> None:
    x = Value(0.5)
    assert (2 - x).data == 1.5
    assert (x - 2).data == -1.5
    assert (2 / x).data == 4.0
    assert (x / 2).data == 0.25


@pytest.mark.parametrize(
    "other", [None, "a", [1.0], 1 + 2j], ids=["None", "str", "list", "complex"]
)
def test_an_unsupported_operand_raises_type_error(other: Any) -> None:
    x = Value(1.0)
    for op in (
        lambda: x + other,
        lambda: other + x,
        lambda: x - other,
        lambda: other - x,
        lambda: x * other,
        lambda: x / other,
        lambda: other / x,
        lambda: x**other,
        lambda: other**x,
        lambda: x.max(other),
        lambda: x.min(other),
        lambda: x.leaky_relu(other),
    ):
        with pytest.raises(TypeError):
            op()


def test_max_min_and_leaky_relu_refuse_a_bad_argument_by_name() -> None:
    x = Value(1.0)
    with pytest.raises(
        TypeError, match=r"^max\(other\): other must be a Value, int or float, not str$"
    ):
        x.max("a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^min\(other\): .* not NoneType$"):
        x.min(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^leaky_relu\(slope=Value"):
        x.leaky_relu(Value(0.1))  # type: ignore[arg-type]


# --- domain errors ---------------------------------------------------------------------------

DOMAIN_ERRORS = [
    pytest.param(lambda: Value(-2.0).log(), "log(-2.0): input must be > 0", id="log(-2.0)"),
    pytest.param(lambda: Value(0.0).log(), "log(0.0): input must be > 0", id="log(0.0)"),
    pytest.param(
        lambda: Value(1.5) / Value(0.0), "division by zero: 1.5 / 0.0", id="Value(1.5) / Value(0)"
    ),
    pytest.param(lambda: Value(1.5) / 0, "division by zero: 1.5 / 0.0", id="Value(1.5) / 0"),
    pytest.param(lambda: 1.5 / Value(0.0), "division by zero: 1.5 / 0.0", id="1.5 / Value(0)"),
    pytest.param(
        lambda: Value(-2.0) ** 0.5,
        "pow(-2.0, 0.5): a negative base needs an integer exponent",
        id="Value(-2) ** 0.5",
    ),
    pytest.param(
        lambda: Value(0.0) ** -1, "pow(0.0, -1.0): zero to a negative power", id="Value(0) ** -1"
    ),
    pytest.param(
        lambda: Value(-1.0) ** Value(2.0),
        "pow(-1.0, Value): base must be > 0 for a Value exponent",
        id="Value(-1) ** Value(2)",
    ),
    pytest.param(
        lambda: Value(0.0) ** Value(2.0),
        "pow(0.0, Value): base must be > 0 for a Value exponent",
        id="Value(0) ** Value(2)",
    ),
    pytest.param(lambda: (-2.0) ** Value(1.0), "rpow(-2.0, x): base must be > 0", id="-2 ** Value"),
    pytest.param(lambda: Value(-2.0).sqrt(), "sqrt(-2.0): input must be >= 0", id="sqrt(-2.0)"),
    pytest.param(
        lambda: Value(-5e-324).sqrt(), "sqrt(-5e-324): input must be >= 0", id="sqrt(-5e-324)"
    ),
    pytest.param(lambda: Value(-1.0).log1p(), "log1p(-1.0): input must be > -1", id="log1p(-1.0)"),
    pytest.param(lambda: Value(-2.0).log1p(), "log1p(-2.0): input must be > -1", id="log1p(-2.0)"),
]


@pytest.mark.parametrize(("op", "message"), DOMAIN_ERRORS)
def test_out_of_domain_input_raises_value_error_naming_op_and_value(
    op: Callable[[], Value], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        op()


def test_value_of_a_non_number_raises_type_error_naming_the_type() -> None:
    with pytest.raises(TypeError, match="str"):
        Value("a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="NoneType"):
        Value(None)  # type: ignore[arg-type]


def test_data_is_always_a_python_float() -> None:
    assert type(Value(2).data) is float
    assert type((Value(2.0) + 1).data) is float
    assert type((Value(2.0) * 3).data) is float
    assert type((2 ** Value(3.0)).data) is float


# --- IEEE conventions -------------------------------------------------------------------------

OVERFLOWS = [
    pytest.param(lambda x: x.exp(), 1000.0, id="exp(1000)"),
    pytest.param(lambda x: x**400, 10.0, id="10.0 ** 400"),
    pytest.param(lambda x: x**401, -10.0, id="-10.0 ** 401"),
    pytest.param(lambda x: 10.0**x, 400.0, id="10.0 ** x at 400"),
    pytest.param(lambda x: x * x, 1e200, id="x * x at 1e200"),
    pytest.param(lambda x: 1.0 / x, 1e-310, id="1 / x at 1e-310"),
    pytest.param(lambda x: x**3, -1e103, id="x ** 3 at -1e103"),
    pytest.param(lambda x: x**-2, 1e-200, id="x ** -2 at 1e-200"),
    pytest.param(lambda x: x.square(), 1e200, id="square(1e200)"),
    pytest.param(lambda x: x.square(), -1e308, id="square(-1e308)"),
    pytest.param(lambda x: x.sqrt() * 1e308 * 1e308, 4.0, id="sqrt(4) * 1e308 * 1e308"),
    pytest.param(lambda x: x.abs() * 1e308 * 10, -2.0, id="abs(-2) * 1e308 * 10"),
]


@pytest.mark.parametrize(("fn", "x"), OVERFLOWS)
def test_overflow_gives_inf_like_torch(fn: Callable[[Any], Any], x: float) -> None:
    (value, (grad,)), (t_value, (t_grad,)) = engine_and_torch(fn, x)
    assert math.isinf(value)
    assert (value, grad) == (t_value, t_grad)


def test_max_passes_an_infinite_gradient_to_the_larger_side_like_torch() -> None:
    ours, theirs = engine_and_torch(
        lambda x: x.max(1.0) * 1e308 * 10,
        2.0,
        torch_fn=lambda x: torch.maximum(x, _c(1.0)) * 1e308 * 10,
    )
    assert ours == theirs == (math.inf, (math.inf,))


def test_a_zero_local_derivative_times_an_infinite_gradient_is_nan_unlike_torch() -> None:
    # The one generic rule, parent.grad += g * local, gives inf * 0 = NaN on the side that
    # max (or relu) did not pick; PyTorch's backward masks that side to 0 instead.
    x = Value(2.0)
    (x.max(x * 0.5) * 1e308 * 10).backward()
    assert math.isnan(x.grad)
    t = torch_leaf(2.0)
    (torch.maximum(t, t * 0.5) * 1e308 * 10).backward()
    assert torch_grad(t) == math.inf


def test_value_pow_value_overflow_gives_inf() -> None:
    x, y = Value(10.0), Value(400.0)
    out = x**y
    out.backward()
    assert out.data == math.inf
    assert x.grad == math.inf
    assert y.grad == math.inf


@pytest.mark.parametrize("x", [-800.0, 800.0, -1e308, 1e308])
def test_sigmoid_and_tanh_are_finite_for_large_inputs(x: float) -> None:
    for fn in (lambda v: v.sigmoid(), lambda v: v.tanh()):
        (value, (grad,)), (t_value, (t_grad,)) = engine_and_torch(fn, x)
        assert math.isfinite(value) and math.isfinite(grad)
        assert (value, grad) == (t_value, t_grad)


def test_sigmoid_far_left_is_exp() -> None:
    # sigmoid(x) = e^x / (1 + e^x) = e^x (1 - e^x + ...), and e^-700 is far below an ulp of 1.
    assert Value(-700.0).sigmoid().data == pytest.approx(math.exp(-700.0), rel=1e-15)


def test_leaky_relu_of_a_huge_negative_input_overflows_to_minus_inf_like_torch() -> None:
    ours, theirs = engine_and_torch(
        lambda x: x.leaky_relu(10.0), -1e308, torch_fn=lambda x: F.leaky_relu(x, 10.0)
    )
    assert ours == theirs == (-math.inf, (10.0,))


@pytest.mark.parametrize("x", [-1e308, -800.0, 800.0, 1e308])
def test_softplus_is_finite_where_exp_would_overflow(x: float) -> None:
    out = Value(x).softplus()
    out.backward()
    # softplus(x) = x + log1p(e^-x) rounds to x for x > 37, and to e^x, here 0, for x < -745.
    assert (out.data, out._prev[0].grad) == ((x, 1.0) if x > 0 else (0.0, 0.0))


SOFTPLUS_EXACT = [-745.0, -700.0, -30.0, -1e-8, 0.0, 1e-8, 20.5, 30.0, 36.0]


@pytest.mark.parametrize("x", SOFTPLUS_EXACT)
def test_softplus_and_its_derivative_are_correctly_rounded_to_two_ulps(x: float) -> None:
    # Against 50-digit mpmath, not torch: past x = 20 torch returns x and a derivative of 1.
    # Bound: e = exp(-|x|) and log1p(e) are within an ulp each, and they enter the sum or the
    # quotient with a factor at most 1, so each result is within 2 ulps of the exact one.
    with mpmath.workdps(50):
        mx = mpmath.mpf(x)
        value = float(mpmath.log1p(mpmath.exp(mx)))
        slope = float(1 / (1 + mpmath.exp(-mx)))
    out = Value(x).softplus()
    out.backward()
    grad = out._prev[0].grad
    assert abs(out.data - value) <= 2 * math.ulp(value)
    assert abs(grad - slope) <= 2 * math.ulp(slope)


def test_softplus_keeps_what_torch_rounds_away_past_its_threshold() -> None:
    # softplus(30) = 30 + 9.357e-14 and sigmoid(30) = 1 - 9.357e-14, both a float apart from
    # torch's 30.0 and 1.0 (an ulp of 30 is 3.6e-15, one below 1 is 1.1e-16).
    (value, (grad,)), (t_value, (t_grad,)) = engine_and_torch(
        lambda x: x.softplus(), 30.0, torch_fn=F.softplus
    )
    assert (t_value, t_grad) == (30.0, 1.0)
    assert value > 30.0 and grad < 1.0


def test_relu_derivative_at_zero_is_zero() -> None:
    ours, theirs = engine_and_torch(lambda x: x.relu(), 0.0)
    assert ours == theirs == (0.0, (0.0,))


def test_sqrt_at_zero_has_infinite_derivative_like_torch() -> None:
    ours, theirs = engine_and_torch(lambda x: x**0.5, 0.0)
    assert ours == theirs == (0.0, (math.inf,))


# Each convention at the point where it is a convention: (id, ours, torch's, point, expected).
CONVENTIONS = [
    ("sqrt at 0", lambda x: x.sqrt(), torch.sqrt, (0.0,), (0.0, (math.inf,))),
    ("sqrt at -0.0", lambda x: x.sqrt(), torch.sqrt, (-0.0,), (-0.0, (-math.inf,))),
    ("sqrt at inf", lambda x: x.sqrt(), torch.sqrt, (math.inf,), (math.inf, (0.0,))),
    ("abs at 0", lambda x: x.abs(), torch.abs, (0.0,), (0.0, (0.0,))),
    ("abs at -0.0", lambda x: abs(x), torch.abs, (-0.0,), (0.0, (0.0,))),
    ("leaky_relu at 0", lambda x: x.leaky_relu(), F.leaky_relu, (0.0,), (0.0, (0.01,))),
    (
        "leaky_relu(0.2) at 0",
        lambda x: x.leaky_relu(0.2),
        lambda x: F.leaky_relu(x, 0.2),
        (0.0,),
        (0.0, (0.2,)),
    ),
    ("softplus at 0", lambda x: x.softplus(), F.softplus, (0.0,), (math.log(2.0), (0.5,))),
    ("x.max(y) at a tie", lambda x, y: x.max(y), torch.maximum, (2.0, 2.0), (2.0, (0.5, 0.5))),
    ("x.min(y) at a tie", lambda x, y: x.min(y), torch.minimum, (2.0, 2.0), (2.0, (0.5, 0.5))),
    ("x.max(x)", lambda x: x.max(x), lambda x: torch.maximum(x, x), (2.0,), (2.0, (1.0,))),
    ("x.min(x)", lambda x: x.min(x), lambda x: torch.minimum(x, x), (2.0,), (2.0, (1.0,))),
    (
        "x.max(2.0) at 2",
        lambda x: x.max(2.0),
        lambda x: torch.maximum(x, _c(2.0)),
        (2.0,),
        (2.0, (0.5,)),
    ),
    (
        "x.min(2) at 2",
        lambda x: x.min(2),
        lambda x: torch.minimum(x, _c(2.0)),
        (2.0,),
        (2.0, (0.5,)),
    ),
    ("x ** 0 at 0", lambda x: x**0, None, (0.0,), (1.0, (0.0,))),
    ("x ** 0.0 at 0", lambda x: x**0.0, None, (0.0,), (1.0, (0.0,))),
    ("x ** 0 at -2", lambda x: x**0, None, (-2.0,), (1.0, (0.0,))),
    ("x ** 1 at 0", lambda x: x**1, None, (0.0,), (0.0, (1.0,))),
    ("x ** 2 at 0", lambda x: x**2, None, (0.0,), (0.0, (0.0,))),
    ("x ** 3 at 0", lambda x: x**3, None, (0.0,), (0.0, (0.0,))),
    ("x ** 3 at -2", lambda x: x**3, None, (-2.0,), (-8.0, (12.0,))),
    ("x ** -2 at -2", lambda x: x**-2, None, (-2.0,), (0.25, (0.25,))),
    ("log1p just above -1", lambda x: x.log1p(), torch.log1p, (-1 + 2**-53,), None),
    ("log1p at inf", lambda x: x.log1p(), torch.log1p, (math.inf,), (math.inf, (0.0,))),
]


@pytest.mark.parametrize(
    ("fn", "torch_fn", "point", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CONVENTIONS],
)
def test_convention_matches_torch_exactly(
    fn: Callable[..., Any],
    torch_fn: Callable[..., Any] | None,
    point: tuple[float, ...],
    expected: tuple | None,
) -> None:
    ours, theirs = engine_and_torch(fn, *point, torch_fn=torch_fn)
    assert ours == theirs
    if expected is not None:
        assert ours == expected
    # Equal floats can still differ in sign (0.0 == -0.0): compare the signs too.
    signs = [math.copysign(1.0, v) for v in (ours[0], *ours[1])]
    assert signs == [math.copysign(1.0, v) for v in (theirs[0], *theirs[1])]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(0.0, -0.0, 0.0, id="max(0.0, -0.0)"),
        pytest.param(-0.0, 0.0, -0.0, id="max(-0.0, 0.0)"),
    ],
)
def test_a_tie_keeps_the_value_of_self_like_torch(a: float, b: float, expected: float) -> None:
    for ours, theirs in ((Value.max, torch.maximum), (Value.min, torch.minimum)):
        out = ours(Value(a), Value(b)).data
        assert math.copysign(1.0, out) == math.copysign(1.0, expected)
        assert math.copysign(1.0, theirs(_c(a), _c(b)).item()) == math.copysign(1.0, expected)


@pytest.mark.parametrize(
    ("fn", "torch_fn", "point"),
    [
        pytest.param(lambda x, y: x.max(y), torch.maximum, (math.nan, 1.0), id="max(nan, 1)"),
        pytest.param(lambda x, y: x.max(y), torch.maximum, (1.0, math.nan), id="max(1, nan)"),
        pytest.param(lambda x, y: x.min(y), torch.minimum, (math.nan, 1.0), id="min(nan, 1)"),
        pytest.param(lambda x: x.sin(), torch.sin, (math.inf,), id="sin(inf)"),
        pytest.param(lambda x: x.cos(), torch.cos, (-math.inf,), id="cos(-inf)"),
        pytest.param(lambda x: x.abs(), torch.abs, (math.nan,), id="abs(nan)"),
        pytest.param(lambda x: x.leaky_relu(), F.leaky_relu, (math.nan,), id="leaky_relu(nan)"),
        pytest.param(lambda x: x.softplus(), F.softplus, (math.nan,), id="softplus(nan)"),
    ],
)
def test_nan_and_infinite_inputs_give_what_torch_gives(
    fn: Callable[..., Any], torch_fn: Callable[..., Any], point: tuple[float, ...]
) -> None:
    (value, grads), (t_value, t_grads) = engine_and_torch(fn, *point, torch_fn=torch_fn)
    assert math.isnan(value) and math.isnan(t_value)
    # NaN != NaN: compare gradients by repr, so that nan matches nan and 1.0 matches 1.0.
    assert [repr(g) for g in grads] == [repr(g) for g in t_grads]


# --- backward semantics -------------------------------------------------------------------------


def small_graph(a: Any, b: Any) -> tuple[Any, Any]:
    """An intermediate node ``c`` and the output ``out``."""
    c = a * b + a.tanh()
    out = c * c + b
    return c, out


def torch_small_graph() -> dict[str, float]:
    a, b = torch_leaf(0.7), torch_leaf(-1.3)
    c, out = small_graph(a, b)
    c.retain_grad()
    out.backward()
    return {"a": torch_grad(a), "b": torch_grad(b), "c": torch_grad(c)}


def test_intermediate_grads_are_kept_after_backward() -> None:
    expected = torch_small_graph()
    a, b = Value(0.7), Value(-1.3)
    c, out = small_graph(a, b)
    out.backward()
    assert c.grad == pytest.approx(expected["c"], rel=1e-12)
    assert (a.grad, b.grad) == pytest.approx((expected["a"], expected["b"]), rel=1e-12)
    assert out.grad == 1.0


def test_backward_twice_doubles_leaves_and_recomputes_intermediates() -> None:
    expected = torch_small_graph()
    a, b = Value(0.7), Value(-1.3)
    c, out = small_graph(a, b)
    out.backward()
    out.backward()
    assert a.grad == pytest.approx(2 * expected["a"], rel=1e-12)
    assert b.grad == pytest.approx(2 * expected["b"], rel=1e-12)
    assert c.grad == pytest.approx(expected["c"], rel=1e-12)
    assert out.grad == 1.0


def test_backward_twice_gives_leaves_exactly_twice() -> None:
    a, b = Value(0.7), Value(-1.3)
    _, out = small_graph(a, b)
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])


def test_backward_of_a_leaf_accumulates_one() -> None:
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_a_chain_of_a_million_nodes_back_propagates_without_recursion() -> None:
    c = 1.0000001
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # 1,000,000 op nodes, alternating * and +
        y = y * c
        y = y + 1e-7
    y.backward()
    assert x.grad == pytest.approx(c**500_000, rel=1e-9)


def test_a_node_shared_by_both_operands_at_every_level_is_visited_once() -> None:
    # y = y + y sixty times: each node is both parents of the next, so a sort that expanded a
    # node once per path would take 2**60 steps; d y/dx = 2**60, exact in floating point.
    x = Value(1.0)
    y = x
    for _ in range(60):
        y = y + y
    y.backward()
    assert x.grad == 2.0**60


def test_a_node_with_more_than_two_parents_gets_every_gradient() -> None:
    # No op makes one today, but backward's loop takes any number of parents.
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = _node(a.data + 2 * b.data + 3 * c.data, (a, b, c), (1.0, 2.0, 3.0), "dot")
    (out * 2.0).backward()
    assert (a.grad, b.grad, c.grad) == (2.0, 4.0, 6.0)


def test_zero_grad_zeroes_every_node_of_the_graph() -> None:
    a, b = Value(0.7), Value(-1.3)
    c, out = small_graph(a, b)
    out.backward()
    assert a.grad != 0.0 and b.grad != 0.0 and c.grad != 0.0
    out.zero_grad()
    assert (a.grad, b.grad, c.grad, out.grad) == (0.0, 0.0, 0.0, 0.0)


# --- small things -------------------------------------------------------------------------------


def test_repr() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2, label="a")) == "Value(data=2.0, grad=0.0, label='a')"


def test_label_can_be_set_after_construction() -> None:
    x = Value(1.0) * 2
    x.label = "twice"
    assert x.label == "twice"
    assert repr(x) == "Value(data=2.0, grad=0.0, label='twice')"


def test_op_strings() -> None:
    x, y = Value(1.0), Value(2.0)
    assert [v._op for v in (x + y, x - y, x * y, x / y, x**y, -x, x.exp(), x.relu())] == [
        "+",
        "-",
        "*",
        "/",
        "**",
        "neg",
        "exp",
        "relu",
    ]
    assert x._op == ""
    new_ops = [
        x.sqrt(),
        x.abs(),
        abs(x),
        x.square(),
        x.sin(),
        x.cos(),
        x.log1p(),
        x.softplus(),
        x.leaky_relu(),
        x.max(y),
        x.min(2.0),
    ]
    assert [v._op for v in new_ops] == [
        "sqrt",
        "abs",
        "abs",
        "square",
        "sin",
        "cos",
        "log1p",
        "softplus",
        "leaky_relu",
        "max",
        "min",
    ]


def test_value_exponent_zero_has_zero_base_derivative_even_for_a_subnormal_base():
    x, y = Value(5e-324), Value(0.0)
    (x**y).backward()
    tx = torch.tensor(5e-324, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (tx**ty).backward()
    assert x.grad == float(tx.grad) == 0.0
    assert y.grad == float(ty.grad)
