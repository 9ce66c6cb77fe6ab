"""What a value class does with each registry op, probed once when it loads: which ops and forms
it has, whether it takes plain numbers as operands, which forms it refuses on purpose, and which
methods look like ops gradtrio has no row for.

A form is refused on purpose, and so "not checked", only when the engine rejects its operand
type by design (an ``AssertionError`` or ``NotImplementedError``, or Python's own "unsupported
operand" when the class returns ``NotImplemented``) while another form of the same op works
(micrograd asserts that an exponent is a number). An op that raises in every form it has, or
raises anything else in one, is kept: its cases report the crash as a bug.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import partial
from typing import Any

import gradtrio.strategies
from gradtrio.checks.engines.faults import EngineFaults, as_number
from gradtrio.checks.engines.protocol import EngineCrash
from gradtrio.strategies.expression import Node
from gradtrio.strategies.ops import OPS, Form, Op

__all__ = ["OpSurvey", "refused_on_purpose"]

Within = Callable[[Callable[[], Any], Any], Any]
"""Runs a probe within what is left of the probing time: ``within(probe, default)``."""

_REFUSALS = ("AssertionError", "NotImplementedError")
_DISPATCH = "unsupported operand type"  # Python's TypeError when every operand says NotImplemented
_NOT_OPS = {"zero_grad", "parameters", "item", "numpy", "detach", "tolist", "copy"}


def _harness_folders() -> tuple[str, ...]:
    """gradtrio's own code: where Python's dispatch raises when the class says NotImplemented
    (gradtrio applied the operator)."""
    checks = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # engines/ is in it
    strategies = os.path.join(os.path.dirname(checks), "strategies")
    installed = os.path.dirname(os.path.abspath(gradtrio.strategies.__file__ or strategies))
    return tuple({checks + os.sep, strategies + os.sep, installed + os.sep})


_HARNESS = _harness_folders()


def refused_on_purpose(crash: EngineCrash) -> bool:
    """Did the engine reject the operands by design rather than fail while computing?"""
    if crash.error in _REFUSALS:
        return True
    cause = crash.__cause__
    if crash.error != "TypeError" or cause is None or _DISPATCH not in str(cause):
        return False
    # Python's own dispatch raises where the operator was applied, in gradtrio's code; the same
    # message from the engine's own code (``self.data & other.data``) is a bug of the engine.
    tb = cause.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return True
    inner = os.path.abspath(tb.tb_frame.f_code.co_filename)
    return inner.startswith(_HARNESS)


class OpSurvey:
    """The probes of one value class. ``apply(op, node, operands)`` is the engine's own way to
    apply an op (raising :class:`EngineCrash`), ``value_attr`` where a value keeps its number,
    ``within`` runs each probe within the probing time."""

    def __init__(
        self,
        cls: type,
        value_attr: str,
        apply: Callable[[Op, Node, list[Any]], Any],
        within: Within,
    ) -> None:
        self.cls, self.value_attr, self.apply, self.within = cls, value_attr, apply, within

    def _x(self) -> Any:
        return self.cls(1.5)

    def _y(self) -> Any:
        return self.cls(2.0)

    def _works(self, op: Op, other: Callable[[], Any]) -> bool:
        """Does ``x (op) other`` give a value of the class holding a number?"""
        try:
            out = op.apply(self._x(), other())
        except EngineFaults.caught:
            return False
        if not isinstance(out, self.cls):
            return False
        try:
            return as_number(getattr(out, self.value_attr, None)) is not None
        except EngineFaults.caught:
            return False

    def takes_numbers(self) -> bool:
        """False only when the class has no way to take a plain number: every binary operator it
        has that takes a value of its own class (``x + y``) refuses a number (``x + 2.0``). One
        operator refusing numbers where others take them is that operator's bug, and its cases
        show it; constants are wrapped (``x + Value(2.0)``) only for a class like the former."""
        verdicts = []
        for op in OPS.values():
            if "right" not in op.engine_attrs or not hasattr(self.cls, op.engine_attrs["right"]):
                continue
            if not self.within(partial(self._works, op, self._y), False):
                continue  # broken for values of the class too: says nothing here
            verdicts.append(self.within(partial(self._works, op, lambda: 2.0), False))
        return not verdicts or any(verdicts)

    def ops(
        self, attr: Callable[[Op, Form], str], not_ops: set[str]
    ) -> tuple[dict[str, tuple[Form, ...]], dict[str, str]]:
        """The ops and forms the class has (``attr(op, form)`` names the attribute each form
        needs) and what it has but gradtrio cannot check, with why; ``not_ops`` are methods
        that are no ops (its value and gradient attributes, its backward method)."""
        ops: dict[str, tuple[Form, ...]] = {}
        unchecked: dict[str, str] = {}
        for name, op in OPS.items():
            forms = tuple(form for form in op.forms if hasattr(self.cls, attr(op, form)))
            if not forms:
                continue
            outcome = {form: self.within(partial(self._try, op, form), None) for form in forms}
            works = [form for form, crash in outcome.items() if crash is None]
            refused = {
                form: crash
                for form, crash in outcome.items()
                if crash is not None and works and refused_on_purpose(crash)
            }
            for form, crash in refused.items():
                unchecked[name if len(op.forms) == 1 else f"{name} ({form})"] = (
                    f"the engine refuses it ({crash.detail})"
                )
            forms = tuple(form for form in forms if form not in refused)
            differs = self.within(partial(self._parameter_differs, op), "")
            if differs:
                unchecked[name] = differs
            else:
                ops[name] = forms
        known = {a for op in OPS.values() for a in op.engine_attrs.values()} | not_ops
        for method in self._op_like_methods(known):
            unchecked.setdefault(method, "no registry row (register one with --ops)")
        return ops, unchecked

    def _try(self, op: Op, form: Form) -> EngineCrash | None:
        """The crash of one form of ``op`` on ordinary operands; None when it gives a value."""
        node = (
            Node(op.name, (0,) * op.arity)
            if form == "nodes"
            else Node(op.name, (0,), const=op.constants[form][0], side=form)
        )
        try:
            self.apply(op, node, node.operands([self._x()]))
        except EngineCrash as crash:
            return crash
        except EngineFaults.caught as exc:  # a hang or a recursion: never a refusal
            return EngineCrash(op.name, f"raised {type(exc).__name__}", error=type(exc).__name__)
        return None

    def _parameter_differs(self, op: Op) -> str:
        """Why the engine's op has another parameter than the row assumes ('' when it agrees)."""
        if op.probe is None:
            return ""
        operands, expected = op.probe
        try:
            got = as_number(getattr(op.apply(*(self.cls(x) for x in operands)), self.value_attr))
        except EngineFaults.caught:
            return ""  # a crash is for the cases to report
        if got is None or math.isclose(got, expected, rel_tol=1e-12, abs_tol=0.0):
            return ""
        args = ", ".join(map(repr, operands))
        return (
            f"gives {got!r} at {args} where the registry row assumes {expected!r} (another "
            "default parameter: register a row for it with --ops)"
        )

    def _op_like_methods(self, known: set[str]) -> list[str]:
        """Public methods that, called on a value with no argument or with another value,
        return a value of the class: they look like ops."""
        cls = self.cls

        def returns_a_value(name: str, with_other: bool) -> bool:
            try:
                args = (cls(0.5),) if with_other else ()
                return isinstance(getattr(cls(0.75), name)(*args), cls)
            except EngineFaults.caught:
                return False

        found = []
        for name in sorted(dir(cls)):
            if name.startswith("_") or name in known or name in _NOT_OPS:
                continue
            attr = getattr(cls, name, None)
            if not callable(attr) or isinstance(attr, type):
                continue
            if any(self.within(partial(returns_a_value, name, o), False) for o in (False, True)):
                found.append(name)
        return found
