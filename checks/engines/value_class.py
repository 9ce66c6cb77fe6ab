"""The Value-class adapter: replays an expression on any micrograd-style value class.

The class is given as ``package.module:Class`` or ``path/to/file.py:Class``. The attribute holding
the value, the one holding the gradient and the backward method are found by probing (or given);
ops the class lacks are not generated, while an op that exists and misbehaves is a crash.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gradtrio.checks.defaults import DEFAULT_ENGINE, DEFAULT_TIMEOUT
from gradtrio.checks.engines.faults import EngineFaults, as_number, repr_text, text_of
from gradtrio.checks.engines.limits import CaseTimeout, TimeLimit, size_scale
from gradtrio.checks.engines.loading import LoadError, import_line, load_object
from gradtrio.checks.engines.local import LocalEngine
from gradtrio.checks.engines.op_probes import OpSurvey
from gradtrio.checks.engines.protocol import (
    EngineCrash,
    EngineError,
    EngineRun,
    Limitation,
    LimitationKind,
)
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import Form, Op

__all__ = ["ValueClassEngine", "import_line", "load_class"]

VALUE_ATTRS = ("data", "val", "value")
GRAD_ATTRS = ("grad", "gradient", "derivative")
BACKWARD_METHODS = ("backward", "backprop", "backpropagate")


def load_class(spec: str) -> type:
    """Import ``package.module:Class`` or ``path/to/file.py:Class``."""
    if ":" not in spec:
        raise EngineError(f"--engine {spec!r}: expected package.module:Class or path/file.py:Class")
    try:
        cls = load_object(spec, what="--engine", kind="class")
    except EngineError:
        raise
    except LoadError as exc:
        raise EngineError(str(exc)) from None
    if not isinstance(cls, type):
        module = spec.rpartition(":")[0]
        raise EngineError(f"--engine {spec!r}: {module!r} has no class {spec.rpartition(':')[2]!r}")
    return cls


@dataclass(eq=False)  # an engine is itself: compared and hashed by identity
class ValueClassEngine(LocalEngine):
    """A value class and how to drive it. Build with :meth:`load` or :meth:`from_class`.

    ``ops`` are the registry ops (and forms) the class has; ``unchecked`` names methods that look
    like ops but that gradtrio cannot check (no registry row, or a parameter other than the
    row's), so that nothing the engine has goes silently unchecked."""

    cls: type
    spec: str
    value_attr: str
    grad_attr: str
    backward: str
    wrap_constants: bool
    timeout: float | None = DEFAULT_TIMEOUT
    ops: dict[str, tuple[Form, ...]] = field(default_factory=dict)
    unchecked: dict[str, str] = field(default_factory=dict)
    dtype: str = "float64"
    _limitations: list[Limitation] | None = field(default=None, init=False, repr=False)
    _probe_deadline: float = field(default=math.inf, init=False, repr=False)

    def __post_init__(self) -> None:
        self.time_limit = TimeLimit(self.timeout)

    @classmethod
    def load(cls, spec: str = DEFAULT_ENGINE, **overrides: Any) -> ValueClassEngine:
        return cls.from_class(load_class(spec), spec=spec, **overrides)

    @classmethod
    def from_class(
        cls,
        value_cls: type,
        *,
        spec: str | None = None,
        value_attr: str | None = None,
        grad_attr: str | None = None,
        backward: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> ValueClassEngine:
        spec = spec or f"{value_cls.__module__}:{value_cls.__qualname__}"
        try:
            probe = value_cls(1.5)
        except EngineFaults.caught as exc:
            raise EngineError(
                f"engine {spec}: {value_cls.__name__}(1.5) raised {type(exc).__name__}: "
                f"{text_of(exc)}"
            ) from None
        value_attr = value_attr or _probe_attr(probe, VALUE_ATTRS, 1.5)
        # A gradient may be None until backward has run: then any attribute of that name will do.
        grad_attr = (
            grad_attr
            or _probe_attr(probe, GRAD_ATTRS, None)
            or next((name for name in GRAD_ATTRS if _has(probe, name)), "")
        )
        backward = backward or next((m for m in BACKWARD_METHODS if _has(probe, m)), "")
        for what, name, probed, flag in (
            ("value attribute", value_attr, VALUE_ATTRS, "--value-attr"),
            ("gradient attribute", grad_attr, GRAD_ATTRS, "--grad-attr"),
            ("backward method", backward, BACKWARD_METHODS, "--backward"),
        ):
            if not name:
                looked = ", ".join(f".{n}" for n in probed)
                raise EngineError(
                    f"engine {spec}: no {what} found (looked for {looked}); name it with {flag}"
                )
            if not _has(probe, name):
                raise EngineError(
                    f"engine {spec}: {value_cls.__name__}(1.5) has no {what} .{name} ({flag})"
                )
        engine = cls(value_cls, spec, value_attr, grad_attr, backward, False, timeout)
        # The probes together get one case's time: an engine whose every op takes seconds
        # (or never returns) is reported by its cases, not probed for minutes.
        engine._probe_deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        survey = OpSurvey(value_cls, value_attr, engine._apply, engine._probe)
        engine.wrap_constants = not survey.takes_numbers()
        engine.ops, engine.unchecked = survey.ops(engine._attr, {value_attr, grad_attr, backward})
        return engine

    # -- probing -----------------------------------------------------------------------------
    def _probe(self, probe: Any, default: Any) -> Any:
        """``probe()`` within what is left of the probing time; ``default`` once it is out."""
        left = self._probe_deadline - time.monotonic()
        if left <= 0:
            return default
        try:
            with TimeLimit(None if math.isinf(left) else left)():
                return probe()
        except CaseTimeout:
            return default

    def _attr(self, op: Op, form: Form) -> str:
        # Wrapped constants turn `2 - x` into `Value(2) - x`, which needs the plain operator.
        if form == "left" and self.wrap_constants:
            return op.engine_attrs["nodes"]
        return op.engine_attrs[form]

    # -- running -----------------------------------------------------------------------------
    def _apply(self, op: Op, node: Node, operands: list[Any]) -> Any:
        if self.wrap_constants and node.side is not None:
            operands = [o if isinstance(o, self.cls) else self.cls(o) for o in operands]
        try:
            out = op.apply(*operands)
        except (CaseTimeout, MemoryError):
            raise
        except EngineFaults.caught as exc:
            detail = f"raised {type(exc).__name__}: {text_of(exc)}"
            raise EngineCrash(op.name, detail, error=type(exc).__name__) from exc
        if not isinstance(out, self.cls):
            raise EngineCrash(
                op.name,
                f"returned {type(out).__name__} {repr_text(out)}, expected {self.cls.__name__}",
            )
        return out

    def _read(self, obj: Any, attr: str, where: str, node: int | None = None) -> float:
        raw = getattr(obj, attr, None)
        value = as_number(raw)
        if value is None:
            raise EngineCrash(where, f".{attr} is {repr_text(raw)}, not a number", node)
        return value

    def _build(self, expression: Expression, point: Sequence[float]) -> tuple[list[Any], list[Any]]:
        leaves = [self._leaf(expression, i, x) for i, x in enumerate(point)]
        built: list[Any] = []

        def apply(op: Op, node: Node, operands: list[Any]) -> Any:
            try:
                out = self._apply(op, node, operands)
            except EngineCrash as exc:
                index = expression.n_inputs + len(built)
                exc.where = f"{expression.name(index)} = {expression.node_source(index)}"
                exc.node = index
                exc.args = (f"{exc.where}: {exc.detail}",)
                raise
            built.append(out)
            return out

        return leaves, interpret(expression, leaves, apply)

    def _leaf(self, expression: Expression, index: int, x: float) -> Any:
        try:
            return self.cls(float(x))
        except (CaseTimeout, RecursionError, MemoryError):
            raise
        except EngineFaults.caught as exc:
            name = expression.name(index)
            detail = (
                f"{self.cls.__name__}({float(x)!r}) raised {type(exc).__name__}: {text_of(exc)}"
            )
            raise EngineCrash(f"input {name}", detail, index, type(exc).__name__) from exc

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        """The output value only (finite differences call this many times)."""
        with self.time_limit(size_scale(len(expression.nodes))):
            _, values = self._build(expression, point)
            return self._read(values[-1], self.value_attr, "forward")

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        """Forward, backward, and everything the engine exposes afterwards.

        Raises :class:`EngineCrash` (naming the node) or :class:`CaseTimeout`. An input the
        output does not use may have a gradient of None (as in PyTorch): that means 0."""
        with self.time_limit(size_scale(len(expression.nodes))):
            leaves, values = self._build(expression, point)
            out = values[-1]
            try:
                getattr(out, self.backward)()
            except (CaseTimeout, MemoryError):
                raise
            except EngineFaults.caught as exc:  # RecursionError included: a limitation, reported
                detail = f"raised {type(exc).__name__}: {text_of(exc)}"
                raise EngineCrash("backward", detail, error=type(exc).__name__) from exc
            live = expression.live()
            node_values = [
                self._read(v, self.value_attr, expression.name(i), i) for i, v in enumerate(values)
            ]
            node_grads = [as_number(getattr(v, self.grad_attr, None)) for v in values]
            grads = [
                0.0
                if not live[i] and getattr(v, self.grad_attr, None) is None
                else self._read(v, self.grad_attr, f"{expression.name(i)}.{self.grad_attr}")
                for i, v in enumerate(leaves)
            ]
            return EngineRun(node_values[-1], grads, node_grads, node_values)

    def limitations(self) -> list[Limitation]:
        """What the engine does differently from PyTorch outside a single forward and backward,
        found by probing once: a second backward that double-counts, and what is not checked."""
        if self._limitations is None:
            found = [self._backward_twice()]
            if self.unchecked:
                listed = "; ".join(f"{name}: {why}" for name, why in sorted(self.unchecked.items()))
                found.append(Limitation(LimitationKind.UNCHECKED, f"not checked: {listed}"))
            self._limitations = [note for note in found if note is not None]
        return list(self._limitations)

    def _backward_twice(self) -> Limitation | None:
        """Does a second backward on the same graph add exactly the first call's gradients again
        (as PyTorch's leaves accumulate), or double-count intermediate gradients?"""
        if not all("nodes" in self.ops.get(name, ()) for name in ("mul", "add")):
            return None
        expression = Expression(2, (Node("mul", (0, 1)), Node("add", (2, 2))))
        point = (1.5, -0.5)
        try:
            with self.time_limit():
                leaves, values = self._build(expression, point)
                grads = []
                for call in ("first", "second"):
                    getattr(values[-1], self.backward)()
                    grads.append(
                        [self._read(v, self.grad_attr, f"{call} backward") for v in leaves]
                    )
        except EngineFaults.caught:  # crashes and hangs are reported by the cases themselves
            return None
        first, second = grads
        if all(math.isclose(b, 2 * a) for a, b in zip(first, second, strict=True)):
            return None  # leaves accumulate, as in PyTorch
        if all(math.isclose(b, a) for a, b in zip(first, second, strict=True)):
            return None  # gradients are reset by each call: no accumulation, but nothing wrong
        return Limitation(
            LimitationKind.BACKWARD_TWICE,
            f"{self.backward}() called twice on one graph double-counts intermediate "
            f"gradients: for {expression} at x0={point[0]}, x1={point[1]} the second call "
            f"leaves x0.{self.grad_attr} = {second[0]!r}, expected {2 * first[0]!r} (twice the "
            f"first call's {first[0]!r}); reset every node's gradient between calls",
        )

    def describe(self) -> str:
        wrap = ", constants wrapped" if self.wrap_constants else ""
        return (
            f"{self.spec} (value .{self.value_attr}, grad .{self.grad_attr}, "
            f".{self.backward}(){wrap})"
        )

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        """Standalone source that imports the class, rebuilds the case with the class's own
        attribute names (its constants wrapped when it needs that), runs backward and prints the
        output value and the input gradients."""
        imports, cls = import_line(self.spec)
        return expression.to_python(
            point,
            engine=cls,
            engine_import=imports,
            backward=f"{self.backward}()",
            value_attr=self.value_attr,
            grad_attr=self.grad_attr,
            wrap_constants=self.wrap_constants,
        )


def _has(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except EngineFaults.caught:
        return False


def _probe_attr(probe: Any, names: Sequence[str], expected: float | None) -> str:
    for name in names:
        try:
            value = as_number(getattr(probe, name, None))
        except EngineFaults.caught:
            continue
        if value is not None and (expected is None or math.isclose(value, expected)):
            return name
    return ""
