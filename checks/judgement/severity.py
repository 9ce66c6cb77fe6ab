"""How much a finding matters: a bug, a precision finding, or a warning.

- bug: a wrong value or gradient at an ordinary point; an exception, None, NaN or a non-number
  where every exact quantity of the case is finite.
- warning: Python's own float semantics (``OverflowError`` where the exact result itself exceeds
  float64, which gives inf), an engine raising where a common formula of the op raises although
  the exact result exists (micrograd's ``x ** 0`` backward at 0, ``exp(c log x)`` at a negative
  base), a kink convention other than PyTorch's, engine limitations.
- precision: a result beyond the faithful-rounding bound but within what a reasonable float64
  formula of the same ops may lose (cancellation, underflow to zero): digits lost, not a wrong
  derivative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradtrio.checks.judgement.outcome import Crash, Mismatch, Severity
from gradtrio.checks.oracles.reference.enclose import Reference
from gradtrio.checks.oracles.torch_float64 import TorchResult
from gradtrio.strategies.case import Case
from gradtrio.strategies.domain import float_values
from gradtrio.strategies.ops import OPS

__all__ = ["crash_severity", "mismatch_severity", "non_finite_severity", "singular_nodes"]

_ARITHMETIC = ("OverflowError", "ZeroDivisionError", "ValueError")


def singular_nodes(case: Case) -> list[int]:
    """Nodes whose operands lie exactly on a singular point of the op's derivative formula."""
    values = float_values(case.expression, case.point)
    found = []
    for k, node in enumerate(case.expression.nodes, start=case.expression.n_inputs):
        singular = OPS[node.op].singular
        if singular is not None and singular(node.operands(values), node.form):
            found.append(k)
    return found


def crash_severity(
    case: Case, ref: Reference, crash: Crash, torch: TorchResult | None = None
) -> tuple[Severity, str]:
    """The severity of an engine exception, and a note for the reason ("" for a bug) that
    says what PyTorch float64 gives there: an arithmetic error (``OverflowError``,
    ``ZeroDivisionError``, ``ValueError``) is Python's float semantics, a warning, where some
    exact quantity of the case (a value or a gradient) exceeds the format, and at a point where a
    common formula of the op raises; any other crash, and one where every exact quantity is
    finite, is a bug."""
    there = (
        ""
        if torch is None
        else f"; PyTorch float64 gives value {torch.value!r}, gradients {torch.grads!r}"
    )
    error, node = crash.error, crash.node
    e = case.expression
    if error == "OverflowError" and node is not None:
        exact = float_values(e, case.point)[node]
        if math.isinf(exact):
            return Severity.WARNING, (
                f" (Python float semantics: the exact value of {e.name(node)} exceeds float64, "
                f"where float64 arithmetic gives inf{there})"
            )
    if error in _ARITHMETIC:
        beyond = _beyond(case, ref)
        if beyond:
            return Severity.WARNING, (
                f" (Python float semantics: an exact quantity of the case exceeds "
                f"{ref.fmt.name}: {beyond}{there})"
            )
        return _at_a_singular_point(case, "raises", there)
    return Severity.BUG, ""


def _beyond(case: Case, ref: Reference) -> str:
    """The exact values and gradients of the case beyond the format's range, named ('' when
    there are none)."""
    e = case.expression
    values = [f"{e.name(k)}" for k in ref.overflowing()]
    grads = [f"d/d{e.name(k)}" for k in ref.overflowing_adjoints()]
    return ", ".join(values + grads)


def non_finite_severity(
    case: Case, ref: Reference, torch: TorchResult | None = None
) -> tuple[Severity, str]:
    """The severity of an inf or nan where the exact result is finite: a warning where some
    exact quantity of the case is not (an intermediate or the output beyond the format's range:
    the chain rule then meets inf * 0, which is nan) and at a point where a common formula of
    the op gives one (``exp(c log x)``'s chain rule at a base whose reciprocal overflows), a bug
    anywhere else."""
    there = "" if torch is None else f"; PyTorch float64 gives gradients {torch.grads!r}"
    beyond = _beyond(case, ref)
    if beyond:
        return Severity.WARNING, (
            f" (an exact quantity of the case exceeds {ref.fmt.name}: {beyond} at "
            f"{_point(case)}, where the chain rule meets inf * 0{there})"
        )
    return _at_a_singular_point(case, "gives inf or nan", there)


def _at_a_singular_point(case: Case, does: str, there: str) -> tuple[Severity, str]:
    singular = singular_nodes(case)
    if not singular:
        return Severity.BUG, ""
    e = case.expression
    names = ", ".join(f"{e.name(k)} = {e.node_source(k)}" for k in singular)
    return Severity.WARNING, (
        f" (at a point where a common formula of the op {does} although the exact result "
        f"exists: {names} at {_point(case)}{there})"
    )


def _point(case: Case) -> str:
    return ", ".join(f"{case.expression.name(i)}={x!r}" for i, x in enumerate(case.point))


def mismatch_severity(mismatches: Sequence[Mismatch], precision: Sequence[float]) -> Severity:
    """A wrong value or gradient is a bug unless every mismatch lies within its precision bound
    (``precision``, one per mismatch: digits lost by a reasonable formula, see the module
    docstring). A finite result where the exact one exceeds the format (expected ±inf) is never
    within: no formula's lost digits explain it."""
    within = all(
        math.isfinite(m.engine)
        and math.isfinite(m.expected)
        and abs(m.engine - m.expected) <= bound
        for m, bound in zip(mismatches, precision, strict=True)
    )
    return Severity.PRECISION if within else Severity.BUG
