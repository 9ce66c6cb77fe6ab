"""The engine adapter: replays an expression on any micrograd-style value class.

The class is given as ``package.module:Class`` or ``path/to/file.py:Class``. The attribute holding
the value, the one holding the gradient and the backward method are found by probing (or given);
ops the class lacks are not generated, while an op that exists and misbehaves is a crash.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import math
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import OPS, Form, Op

__all__ = ["DEFAULT_ENGINE", "Engine", "EngineError", "EngineRun", "load_class"]

DEFAULT_ENGINE = "gradtrio.autograd:Value"
VALUE_ATTRS = ("data", "val", "value")
GRAD_ATTRS = ("grad", "gradient")
BACKWARD_METHODS = ("backward", "backprop", "backpropagate")


class EngineError(Exception):
    """The engine spec or class cannot be used; the message is one line for the user."""


class CaseTimeout(Exception):
    """One case ran past its time limit."""


class EngineCrash(Exception):
    """The engine raised or returned something unusable while running one case."""

    def __init__(self, where: str, detail: str, node: int | None = None) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail
        self.node = node


def load_class(spec: str) -> type:
    """Import ``package.module:Class`` or ``path/to/file.py:Class``."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise EngineError(f"--engine {spec!r}: expected package.module:Class or path/file.py:Class")
    try:
        if module_part.endswith(".py"):
            path = Path(module_part)
            if not path.is_file():
                raise EngineError(f"--engine {spec!r}: no such file {module_part!r}")
            name = f"_gradtrio_engine_{path.stem}"
            loader = importlib.util.spec_from_file_location(name, path)
            assert loader is not None and loader.loader is not None
            module = importlib.util.module_from_spec(loader)
            sys.modules[name] = module
            # As for a script, modules beside the file are importable while it loads.
            sys.path.insert(0, str(path.resolve().parent))
            try:
                loader.loader.exec_module(module)
            finally:
                sys.path.remove(str(path.resolve().parent))
        else:
            module = importlib.import_module(module_part)
    except EngineError:
        raise
    except Exception as exc:  # any import-time failure of user code is a configuration error
        raise EngineError(
            f"--engine {spec!r}: importing {module_part!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    cls = getattr(module, attr, None)
    if not isinstance(cls, type):
        raise EngineError(f"--engine {spec!r}: {module_part!r} has no class {attr!r}")
    return cls


@dataclass
class EngineRun:
    """What the engine computed for one case: the output value, each input's gradient, and every
    node's gradient where the engine keeps them (None where it does not)."""

    value: float
    grads: list[float]
    node_grads: list[float | None]
    node_values: list[float]


def _as_float(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


@dataclass
class Engine:
    """A value class and how to drive it. Build with :meth:`load` or :meth:`from_class`."""

    cls: type
    spec: str
    value_attr: str
    grad_attr: str
    backward: str
    wrap_constants: bool
    timeout: float | None = 10.0
    ops: dict[str, tuple[Form, ...]] = field(default_factory=dict)
    _limitations: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    _limited: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, spec: str = DEFAULT_ENGINE, **overrides: Any) -> Engine:
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
        timeout: float | None = 10.0,
    ) -> Engine:
        spec = spec or f"{value_cls.__module__}:{value_cls.__qualname__}"
        try:
            probe = value_cls(1.5)
        except Exception as exc:
            raise EngineError(
                f"engine {spec}: {value_cls.__name__}(1.5) raised {type(exc).__name__}: {exc}"
            ) from None
        value_attr = value_attr or _probe_attr(probe, VALUE_ATTRS, 1.5)
        # A gradient may be None until backward has run: then any attribute of that name will do.
        grad_attr = (
            grad_attr
            or _probe_attr(probe, GRAD_ATTRS, None)
            or next((name for name in GRAD_ATTRS if hasattr(probe, name)), "")
        )
        backward = backward or next((m for m in BACKWARD_METHODS if hasattr(probe, m)), "")
        for what, name, flag in (
            ("value attribute", value_attr, "--value-attr"),
            ("gradient attribute", grad_attr, "--grad-attr"),
            ("backward method", backward, "--backward"),
        ):
            if not name or not hasattr(probe, name):
                raise EngineError(
                    f"engine {spec}: no {what} {name or ''!r} found; name it with {flag}"
                )
        engine = cls(value_cls, spec, value_attr, grad_attr, backward, False, timeout)
        engine.wrap_constants = not engine._accepts_numbers(probe)
        engine.ops = engine._available_ops()
        return engine

    # -- probing -----------------------------------------------------------------------------
    def _accepts_numbers(self, probe: Any) -> bool:
        try:
            return _as_float(getattr(probe + 2.0, self.value_attr)) == 3.5
        except Exception:
            return False

    def _available_ops(self) -> dict[str, tuple[Form, ...]]:
        ops: dict[str, tuple[Form, ...]] = {}
        for name, op in OPS.items():
            forms = tuple(form for form in op.forms if hasattr(self.cls, self._attr(op, form)))
            if forms:
                ops[name] = forms
        return ops

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
        except (CaseTimeout, RecursionError, MemoryError):
            raise
        except Exception as exc:
            raise EngineCrash(op.name, f"raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(out, self.cls):
            raise EngineCrash(
                op.name, f"returned {type(out).__name__} {out!r:.60}, expected {self.cls.__name__}"
            )
        return out

    def _read(self, obj: Any, attr: str, where: str, node: int | None = None) -> float:
        value = _as_float(getattr(obj, attr, None))
        if value is None:
            raise EngineCrash(where, f".{attr} is {getattr(obj, attr, None)!r}, not a number", node)
        return value

    def _build(self, expression: Expression, point: Sequence[float]) -> tuple[list[Any], list[Any]]:
        leaves = [self.cls(float(x)) for x in point]
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

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        """The output value only (finite differences call this many times)."""
        with self.time_limit():
            _, values = self._build(expression, point)
            return self._read(values[-1], self.value_attr, "forward")

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        """Forward, backward, and everything the engine exposes afterwards.

        Raises :class:`EngineCrash` (naming the node) or :class:`CaseTimeout`."""
        with self.time_limit():
            leaves, values = self._build(expression, point)
            out = values[-1]
            try:
                getattr(out, self.backward)()
            except (CaseTimeout, MemoryError):
                raise
            except BaseException as exc:  # RecursionError included: a limitation, reported
                if not isinstance(exc, Exception):
                    raise
                raise EngineCrash("backward", f"raised {type(exc).__name__}: {exc}") from exc
            node_values = [
                self._read(v, self.value_attr, expression.name(i), i) for i, v in enumerate(values)
            ]
            node_grads = [_as_float(getattr(v, self.grad_attr, None)) for v in values]
            grads = [
                self._read(v, self.grad_attr, f"{expression.name(i)}.{self.grad_attr}")
                for i, v in enumerate(leaves)
            ]
            return EngineRun(node_values[-1], grads, node_grads, node_values)

    def limitations(self) -> list[str]:
        """What the engine does differently from PyTorch outside a single forward and backward,
        found by probing once: so far, whether a second ``backward()`` on the same graph adds
        exactly the first call's gradients again or double-counts intermediate gradients."""
        if self._limitations is None:
            self._limitations = [note for note in (self._probe_backward_twice(),) if note]
        return list(self._limitations)

    def _probe_backward_twice(self) -> str:
        if not all("nodes" in self.ops.get(name, ()) for name in ("mul", "add")):
            return ""
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
        except Exception:  # crashes and hangs are reported by the cases themselves
            return ""
        first, second = grads
        if all(math.isclose(b, 2 * a) for a, b in zip(first, second, strict=True)):
            return ""  # leaves accumulate, as in PyTorch
        if all(math.isclose(b, a) for a, b in zip(first, second, strict=True)):
            return ""  # gradients are reset by each call: no accumulation, but nothing wrong
        return (
            f"{self.backward}() called twice on one graph double-counts intermediate "
            f"gradients: for {expression} at x0={point[0]}, x1={point[1]} the second call "
            f"leaves x0.{self.grad_attr} = {second[0]!r}, expected {2 * first[0]!r} (twice the "
            f"first call's {first[0]!r}); reset every node's gradient between calls"
        )

    @contextlib.contextmanager
    def time_limit(self) -> Iterator[None]:
        """SIGALRM-based limit: turns a hang in pure-Python engine code into CaseTimeout. Nested
        uses share the outermost limit, so a whole case (its run and its finite differences)
        gets one, set once."""
        usable = (
            not self._limited
            and self.timeout is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if not usable:
            yield
            return

        def expire(signum: int, frame: Any) -> None:
            raise CaseTimeout(f"case exceeded the {self.timeout:g} s time limit")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)  # type: ignore[arg-type]
        self._limited = True
        try:
            yield
        finally:
            self._limited = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def describe(self) -> str:
        wrap = ", constants wrapped" if self.wrap_constants else ""
        return (
            f"{self.spec} (value .{self.value_attr}, grad .{self.grad_attr}, "
            f".{self.backward}(){wrap})"
        )


def _probe_attr(probe: Any, names: Sequence[str], expected: float | None) -> str:
    for name in names:
        value = _as_float(getattr(probe, name, None))
        if value is not None and (expected is None or math.isclose(value, expected)):
            return name
    return ""
