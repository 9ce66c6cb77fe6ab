"""A tensor case's verdict: the engine's output value and every input element's gradient against
the exact reference of the case's scalar expansion.

The reference encloses the expansion's value and the gradient of each scalar input, which is
the gradient of the input element it stands for; the tolerance is the expansion's first-order
rounding bound, with each reduction's terms allowed to be added in any order (see
:func:`any_order_bounds`). A gradient of another shape than its input is a bug naming both
shapes. An engine is wrong only where PyTorch float64, replaying the expansion, agrees with the
reference: where it does not, the case is skipped as undecided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.oracles.reference.enclose import OutOfDomain, Reference, reference
from gradtrio.checks.oracles.reference.rounding import rounding_bounds
from gradtrio.checks.oracles.torch_float64 import torch_gradients
from gradtrio.checks.tensors.engines import TensorCrash, TensorEngine
from gradtrio.strategies.domain import point_problem
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_expansion import Expansion, expand

__all__ = [
    "ElementMismatch",
    "TensorKind",
    "TensorStatus",
    "TensorVerdict",
    "any_order_bounds",
    "judge_tensor",
]


class TensorStatus(Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class TensorKind(Enum):
    """What is wrong in a failing tensor case."""

    VALUE = "value"
    GRADIENT = "gradient"
    SHAPE = "shape"
    CRASH = "crash"

    def describe(self) -> str:
        return {
            TensorKind.VALUE: "the output value differs from the reference",
            TensorKind.GRADIENT: "a gradient differs from the reference",
            TensorKind.SHAPE: "a gradient has another shape than its input",
            TensorKind.CRASH: "the engine raised where every exact quantity is finite",
        }[self]


@dataclass(frozen=True)
class ElementMismatch:
    """One number the engine got wrong: the value (``where`` is "value") or a gradient element
    (``where`` is "x1[2, 0]")."""

    where: str
    engine: float
    expected: float
    tolerance: float

    def describe(self) -> str:
        error = abs(self.engine - self.expected)
        return (
            f"{self.where}: engine {self.engine:.17g}, expected {self.expected:.17g}, "
            f"|error| {error:.3g} > tolerance {self.tolerance:.3g}"
        )


@dataclass(frozen=True)
class TensorVerdict:
    """The judgement of one tensor case; ``reason`` says why it failed or was skipped."""

    case: TensorCase
    status: TensorStatus
    kind: TensorKind | None = None
    reason: str = ""
    mismatches: tuple[ElementMismatch, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status is TensorStatus.FAIL

    def summary(self) -> str:
        """One line: what is wrong and the first number or shape that shows it."""
        if self.mismatches:
            more = len(self.mismatches) - 1
            return self.mismatches[0].describe() + (f" (and {more} more)" if more else "")
        return self.reason


def any_order_bounds(expansion: Expansion, ref: Reference) -> tuple[float, list[float]]:
    """Tolerances on the output value and on every scalar input's gradient that hold however
    the engine orders the terms of each reduction (NumPy's pairwise sum, a BLAS kernel): each
    ``add`` of a reduction is bounded as if its partial sum were as large as the sum of every
    term's magnitude, n - 1 roundings of that size in all, which bounds any order. Never below
    the reference's own bounds (which include its balls' radii)."""
    expression, values, parts, adjoints = ref.magnitudes
    widened = list(values)
    for k, terms in expansion.sums.items():
        widened[k] = sum(values[t] for t in terms)
    value_bounds, grad_bounds = rounding_bounds(expression, widened, parts, adjoints, ref.fmt)
    n = expression.n_inputs
    grads = [max(a, b) for a, b in zip(grad_bounds[:n], ref.grad_bounds[:n])]
    return max(value_bounds[-1], ref.value_bounds[-1]), grads


def judge_tensor(engine: TensorEngine, case: TensorCase) -> TensorVerdict:
    """Judge ``engine`` on ``case`` (see the module docstring)."""
    expansion = expand(case.expression)
    scalar = expansion.expression
    problem = point_problem(scalar, case.point)
    if problem is not None:
        return TensorVerdict(case, TensorStatus.SKIP, reason=f"outside the domain: {problem}")
    try:
        ref = reference(scalar, case.point)
    except OutOfDomain as exc:
        return TensorVerdict(case, TensorStatus.SKIP, reason=str(exc))
    try:
        run = engine.run(case.expression, case.inputs())
    except TensorCrash as exc:
        return TensorVerdict(case, TensorStatus.FAIL, TensorKind.CRASH, str(exc))
    for i, (grad, shape) in enumerate(zip(run.grads, case.expression.inputs)):
        if grad is not None and grad.shape != shape:
            return TensorVerdict(
                case,
                TensorStatus.FAIL,
                TensorKind.SHAPE,
                f"x{i}: the gradient has shape {grad.shape}, expected {shape} (the input's shape)",
            )
    value_tol, grad_tols = any_order_bounds(expansion, ref)
    wrong: list[tuple[ElementMismatch, int | None]] = []
    if not close(run.value, ref.expected_value, value_tol):
        wrong.append((ElementMismatch("value", run.value, ref.expected_value, value_tol), None))
    expected = ref.expected_grads
    for i, (grad, shape) in enumerate(zip(run.grads, case.expression.inputs)):
        flat = np.zeros(math.prod(shape)) if grad is None else grad.reshape(-1)
        for s, got in zip(expansion.input_elements(i), flat.tolist()):
            if not close(got, expected[s], grad_tols[s], gradient=True):
                where = expansion.element_name(s)
                wrong.append((ElementMismatch(where, got, expected[s], grad_tols[s]), s))
    if not wrong:
        return TensorVerdict(case, TensorStatus.PASS)
    disputed = _torch_disputes(expansion, case, ref, value_tol, grad_tols, wrong)
    if disputed:
        return TensorVerdict(
            case,
            TensorStatus.SKIP,
            reason=f"undecided: PyTorch float64 disagrees with the reference on {disputed}",
        )
    kind = TensorKind.VALUE if wrong[0][1] is None else TensorKind.GRADIENT
    return TensorVerdict(case, TensorStatus.FAIL, kind, kind.describe(), tuple(m for m, _ in wrong))


def _torch_disputes(
    expansion: Expansion,
    case: TensorCase,
    ref: Reference,
    value_tol: float,
    grad_tols: list[float],
    wrong: list[tuple[ElementMismatch, int | None]],
) -> str:
    """The first number the engine got wrong on which PyTorch does not back the reference."""
    torch = torch_gradients(expansion.expression, case.point)
    for mismatch, s in wrong:
        if s is None:
            backed = close(torch.value, ref.expected_value, value_tol)
        else:
            backed = close(torch.grads[s], mismatch.expected, grad_tols[s], gradient=True)
        if not backed:
            return mismatch.where
    return ""
