"""The ball-arithmetic reference: enclosures, precision raised only where needed, branches decided
exactly at kinks, undecided cases reported, and tolerances for another float format."""

import math

import mpmath
import pytest
import sympy
import torch
from flint import arb, ctx
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.judgement.outcome import Skip, Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.oracles.reference.balls import TooWide, arb_function
from gradtrio.checks.oracles.reference.enclose import (
    FLOAT32,
    FLOAT64,
    OutOfDomain,
    Undecided,
    reference,
)
from gradtrio.strategies import Expression, Node, cases
from gradtrio.strategies.expression import interpret
from hypothesis import given
from mpmath_reference import reference_mpmath

TANH = Expression(1, (Node("tanh", (0,)),))


def encloses(ball, exact):
    """Does ``ball`` hold the mpmath number ``exact`` (known to far more digits than the ball)?"""
    old = ctx.prec
    ctx.prec = 1500
    try:
        return ball.contains(arb(mpmath.nstr(exact, 400)))
    finally:
        ctx.prec = old


class SechValue:
    """A correct engine with one op, tanh, whose derivative is sech(x)**2 = 1 / cosh(x)**2:
    exact where 1 - tanh(x)**2 cancels to nothing."""

    def __init__(self, data, parents=(), local=()):
        self.data, self.grad, self._parents, self._local = float(data), 0.0, parents, local

    def tanh(self):
        return SechValue(math.tanh(self.data), (self,), (1.0 / math.cosh(self.data) ** 2,))

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._parents:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for p, d in zip(v._parents, v._local):
                p.grad += v.grad * d


def test_an_engine_with_the_exact_tanh_derivative_passes_where_one_minus_t_squared_cancels():
    engine = ValueClassEngine.from_class(SechValue)
    assert engine.run(TANH, (48.0,)).grads[0] == pytest.approx(8.124370650939e-42, rel=1e-12)
    verdict = judge(engine, TANH, (48.0,))
    assert verdict.status is Status.PASS, verdict.reason


def test_the_40_digit_reference_loses_tanh_prime_at_48_and_the_balls_keep_it():
    with mpmath.workdps(60):
        exact = mpmath.sech(48) ** 2  # 8.12e-42, computed without cancellation
    assert float(reference_mpmath(TANH, [48.0]).grads[0]) == 0.0  # 1 - tanh**2 at 40 digits
    ref = reference(TANH, [48.0])
    assert encloses(ref.grads[0], exact)
    # The tolerance allows tanh' computed from the output (1 - t*t = 0 in float64), not less.
    assert 1e-16 < ref.grad_bounds[0] < 1e-14


@pytest.mark.parametrize("x", [0.3, -2.0, 48.0, 700.0])
def test_the_tanh_derivative_ball_encloses_sech_squared(x):
    ref = reference(TANH, [x])
    with mpmath.workdps(450):
        assert encloses(ref.value, mpmath.tanh(x))
        assert encloses(ref.grads[0], mpmath.sech(x) ** 2)


@given(cases(max_nodes=8))
def test_balls_at_128_bits_overlap_balls_at_512(case):
    try:
        low = reference(case.expression, case.point)
    except OutOfDomain:
        return
    high = reference(case.expression, case.point, precision=512)
    for a, b in zip([*low.values, *low.adjoints], [*high.values, *high.adjoints]):
        assert a.overlaps(b), (a, b)  # both enclose the exact value


@given(cases(max_nodes=8))
def test_the_balls_agree_with_the_40_digit_reference_within_the_tolerance(case):
    try:
        ref = reference(case.expression, case.point)
    except OutOfDomain:
        return
    old = reference_mpmath(case.expression, case.point)
    for a, b, tol in zip(ref.values, old.values, ref.value_bounds):
        assert abs(float(a) - float(b)) <= tol
    for a, b, tol in zip(ref.adjoints, old.adjoints, ref.grad_bounds):
        assert abs(float(a) - float(b)) <= tol


# -- precision raised where a ball cannot decide ----------------------------------------------

# n3 = (x0 + x1) - x0 = x1 exactly, but at 128 bits 1 + 1e-45 is rounded: the ball around
# 1e-45 holds 0, so relu cannot tell its side until 256 bits.
CANCELS = Expression(2, (Node("add", (0, 1)), Node("sub", (2, 0)), Node("relu", (3,))))


def test_precision_is_raised_until_the_kink_side_is_decided():
    ref = reference(CANCELS, [1.0, 1e-45])
    assert ref.precision == 256
    assert float(ref.value) == 1e-45 and float(ref.grads[1]) == 1.0
    assert reference(Expression(1, (Node("relu", (0,)),)), [0.5]).precision == 128


def test_a_ball_still_too_wide_at_the_cap_is_undecided_not_guessed():
    with pytest.raises(Undecided, match="undecided at 128 bits"):
        reference(CANCELS, [1.0, 1e-45], max_precision=128)


def test_an_exact_value_on_a_kink_that_balls_cannot_prove_is_undecided():
    # tanh(x) computed twice, subtracted: exactly 0, but each ball has a radius.
    e = Expression(
        1, (Node("tanh", (0,)), Node("tanh", (0,)), Node("sub", (1, 2)), Node("relu", (3,)))
    )
    with pytest.raises(Undecided):
        reference(e, [0.5])
    assert issubclass(Undecided, OutOfDomain)  # callers that know only OutOfDomain skip
    verdict = judge(ValueClassEngine.load(), e, (0.5,))
    assert verdict.skip is Skip.UNDECIDED and "undecided" in verdict.reason


# -- Piecewise and kinks -----------------------------------------------------------------------


def test_an_operand_exactly_on_the_kink_takes_the_convention_branch():
    e = Expression(1, (Node("sub", (0,), const=0.5, side="right"), Node("relu", (1,))))
    ref = reference(e, [0.5])
    assert ref.kink_nodes == [2]
    assert ref.grads[0].is_zero()  # relu'(0) = 0, torch's convention
    assert float(reference(e, [0.5], kinks="right").grads[0]) == 1.0
    assert float(reference(e, [0.5], kinks="mean").grads[0]) == 0.5


A = sympy.Symbol("a", real=True)


def run_ball(expr, x, precision=128):
    fn = arb_function([A], [expr])
    old = ctx.prec
    ctx.prec = precision
    try:
        return fn(x)[0]
    finally:
        ctx.prec = old


@pytest.mark.parametrize(
    "expr, at_zero",
    [
        (sympy.Piecewise((A / 64, A <= 0), (A, True)), 0),  # leaky_relu: closed branch first
        (sympy.diff(sympy.Piecewise((A / 64, A <= 0), (A, True)), A), 1 / 64),
        (sympy.diff(sympy.Abs(A), A), 0),  # sign(0) = 0, as torch's abs'(0)
        (sympy.diff(sympy.Max(A, 0), A), 0.5),  # SymPy's Heaviside(0)
    ],
    ids=["leaky-relu", "leaky-relu-prime", "abs-prime", "max-prime"],
)
def test_branches_are_exact_on_the_boundary_and_refuse_to_guess_near_it(expr, at_zero):
    on_kink = run_ball(expr, arb(0))
    assert on_kink.is_exact() and float(on_kink) == at_zero
    assert float(run_ball(expr, arb(-0.5))) == float(expr.subs(A, -0.5))
    straddling = arb(0) + arb(1) / 3 - arb(1) / 3  # holds 0, radius > 0
    assert not straddling.is_exact() and 0 in straddling
    with pytest.raises(TooWide):
        run_ball(expr, straddling)


@pytest.mark.parametrize("c, derivative", [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)])
def test_pow_at_zero_follows_the_exact_derivative_of_the_substituted_constant(c, derivative):
    # c * x**(c-1) is 0 * inf at x = 0 for c = 0; so is the second derivative for c = 1.
    e = Expression(1, (Node("pow", (0,), const=c, side="right"),))
    ref = reference(e, [0.0])
    assert float(ref.value) == (1.0 if c == 0.0 else 0.0)
    assert ref.grads[0].is_exact() and float(ref.grads[0]) == derivative


def test_a_value_outside_the_domain_is_out_of_domain():
    # d/dx sqrt(x) = 1 / (2 sqrt(x)) is infinite at 0, whichever way it is written
    with pytest.raises(OutOfDomain, match="n1"):
        reference(Expression(1, (Node("pow", (0,), const=0.5, side="right"),)), [0.0])
    with pytest.raises(OutOfDomain):
        reference(Expression(1, (Node("log", (0,)),)), [-1.0])


# -- digits ------------------------------------------------------------------------------------


def test_digits_say_how_much_of_each_ball_is_certain():
    assert reference(Expression(1, (Node("mul", (0, 0)),)), [0.75]).digits == math.inf
    assert 30 < reference(TANH, [0.3]).digits < 40
    assert reference(TANH, [48.0]).digits == 0.0  # the ball holds 0: narrow only for its bound


# -- float formats -----------------------------------------------------------------------------

SMALL = Expression(
    1,
    (
        Node("mul", (0,), const=3.0, side="right"),
        Node("tanh", (1,)),
        Node("exp", (2,)),
        Node("div", (3, 0)),
    ),
)


def replay(expression, point, dtype):
    leaves = [torch.tensor(x, dtype=dtype, requires_grad=True) for x in point]
    out = interpret(expression, leaves, lambda op, node, operands: op.torch(*operands))[-1]
    out.backward()
    return float(out.detach()), [float(x.grad) for x in leaves]


def test_a_float32_replay_is_within_the_float32_bound_and_not_the_float64_one():
    point = [0.375]  # and every constant: exact in float32
    value, grads = replay(SMALL, point, torch.float32)
    ref32 = reference(SMALL, point, dtype=FLOAT32)
    ref64 = reference(SMALL, point, dtype="float64")
    assert ref64.fmt is FLOAT64 and ref32.fmt is FLOAT32
    assert abs(value - float(ref32.value)) <= ref32.value_bounds[-1]
    assert abs(value - float(ref64.value)) > ref64.value_bounds[-1]
    assert abs(grads[0] - float(ref32.grads[0])) <= ref32.grad_bounds[0]
    assert abs(grads[0] - float(ref64.grads[0])) > ref64.grad_bounds[0]
    # ...and float64's own replay is within the float64 bound
    value64, grads64 = replay(SMALL, point, torch.float64)
    assert abs(value64 - float(ref64.value)) <= ref64.value_bounds[-1]
    assert abs(grads64[0] - float(ref64.grads[0])) <= ref64.grad_bounds[0]


def test_a_value_beyond_the_format_range_has_no_finite_bound():
    e = Expression(1, (Node("exp", (0,)),))
    assert math.isfinite(reference(e, [80.0], dtype=FLOAT32).value_bounds[-1])
    assert reference(e, [100.0], dtype=FLOAT32).value_bounds[-1] == math.inf  # e**100 > 3.4e38
    assert math.isfinite(reference(e, [100.0]).value_bounds[-1])


def test_a_finite_gradient_behind_an_overflow_is_undecided_not_judged():
    # exp(999 + relu(-360)) overflows; the exact d/dx1 is 0 (relu is off), but a faithful
    # float64 backward multiplies the overflowed inf by relu's 0 and may give nan.
    e = Expression(
        2,
        (
            Node("neg", (1,)),
            Node("neg", (2,)),
            Node("relu", (3,)),
            Node("sub", (4, 0)),
            Node("exp", (5,)),
        ),
    )
    with pytest.raises(Undecided, match="d/dx1 is 0"):
        reference(e, [-999.0, -360.0])
    verdict = judge(ValueClassEngine.load(), e, (-999.0, -360.0))
    assert verdict.status is Status.SKIP
    # ...while an output that overflows with gradients that overflow too is judged
    exp = Expression(1, (Node("exp", (0,)),))
    assert judge(ValueClassEngine.load(), exp, (800.0,)).status is Status.PASS


@pytest.mark.parametrize("x", [1e-100, 1e-3, 2.225073858507203e-309])
def test_the_cosine_gradient_near_zero_is_judged_to_a_few_ulps(x):
    # cos' = -sin x is nobody's formula of the output: no allowance for writing it from cos x,
    # which near 0 would make the tolerance |cot x cos x| u, some 1e84 at x = 1e-100.
    e = Expression(1, (Node("cos", (0,)),))
    ref = reference(e, (x,))
    exact = -math.sin(x)
    assert float(ref.grads[0]) == exact
    assert ref.grad_bounds[0] <= max(16 * 2.0**-53 * abs(exact), ref.fmt.floor)
    if abs(exact) > ref.fmt.floor:  # below the floor every gradient is taken as 0
        assert not close(-exact, exact, ref.grad_bounds[0], gradient=True)  # a wrong sign fails
