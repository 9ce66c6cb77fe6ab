"""What every library adapter shares: the engine protocol's surface, rounding to the adapter's
dtype, declared conventions measured on the installed library, one op table (the arithmetic
operators once, here), and the reproducer's layout. Two modes build on it:

- object graphs (:class:`ObjectGraphAdapter`): the DAG is built on the library's tensors, a shared
  node being one tensor; backward is called on the output and gradients read from the leaves (and
  from the intermediates where the library keeps them);
- functional (:class:`FunctionalAdapter`): ``f(x0..xn)`` is built from the DAG and differentiated
  by the library's ``grad``; every node's gradient comes from a zero added at that node
  (``f(x, z)`` with node k's value plus ``z_k``: d out/d z_k is node k's gradient).

Ops are applied through the library's own API, looked up by registry op name in the adapter's
op table (the callable and the same call as source text, for reproducers); a name the registry
lacks is ignored, an op the library lacks is simply absent from ``ops``.
"""

from __future__ import annotations

import contextlib
import math
import operator
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import EllipsisType
from typing import Any, ClassVar

import numpy as np
from gradtrio.checks.defaults import DEFAULT_TIMEOUT
from gradtrio.checks.engines.faults import EngineFaults
from gradtrio.checks.engines.limits import CaseTimeout, TimeLimit, size_scale
from gradtrio.checks.engines.local import LocalEngine
from gradtrio.checks.engines.protocol import EngineCrash, EngineRun
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import OPS, Form, Op

__all__ = [
    "ARITHMETIC",
    "CONVENTION_PROBES",
    "FunctionalAdapter",
    "LibraryAdapter",
    "LibraryOp",
    "ObjectGraphAdapter",
    "calls",
    "methods",
]

Program = tuple[int, Sequence[Node]]
"""(number of inputs, op nodes): an expression without the registry's validation, so that the
conventions of ops the registry does not have yet can be measured too."""

CONVENTION_PROBES: dict[tuple[str, float], tuple[Program, tuple[float, ...]]] = {
    # (op, at) -> a one-node program and the point where its first input's derivative is read.
    # Unary ops: the kink at operand value ``at``. Binary max/min: a tie, at = a - b = 0.
    # pow: ``x ** 0.0`` at x = 0 (a float exponent of zero, not the integer 0).
    ("relu", 0.0): ((1, (Node("relu", (0,)),)), (0.0,)),
    ("abs", 0.0): ((1, (Node("abs", (0,)),)), (0.0,)),
    ("leaky_relu", 0.0): ((1, (Node("leaky_relu", (0,)),)), (0.0,)),
    ("sqrt", 0.0): ((1, (Node("sqrt", (0,)),)), (0.0,)),
    ("max", 0.0): ((2, (Node("max", (0, 1)),)), (1.0, 1.0)),
    ("min", 0.0): ((2, (Node("min", (0, 1)),)), (1.0, 1.0)),
    ("pow", 0.0): ((1, (Node("pow", (0,), 0.0, "right"),)), (0.0,)),
}

LibraryOp = tuple[Callable[..., Any], str]
"""An op in a library: the callable on the library's values (constants passed as Python
floats), and the same call as source text with ``{0}``, ``{1}`` for the operands."""

ARITHMETIC: dict[str, LibraryOp] = {
    "add": (operator.add, "{0} + {1}"),
    "sub": (operator.sub, "{0} - {1}"),
    "mul": (operator.mul, "{0} * {1}"),
    "div": (operator.truediv, "{0} / {1}"),
    "pow": (operator.pow, "{0} ** {1}"),
    "neg": (operator.neg, "-{0}"),
}
"""The operators every library overloads on its values."""


def calls(module: Any, prefix: str, names: Iterable[str]) -> dict[str, LibraryOp]:
    """Unary functions of the same name in ``module``, written ``prefix.name(x)``."""
    return {name: (getattr(module, name), f"{prefix}.{name}({{0}})") for name in names}


def methods(names: Iterable[str]) -> dict[str, LibraryOp]:
    """Unary methods of the same name on the library's values, written ``x.name()``."""
    return {name: (operator.methodcaller(name), f"{{0}}.{name}()") for name in names}


class LibraryAdapter(LocalEngine):
    """The engine protocol for one autograd library at one dtype.

    Subclasses set ``library`` (the import name) and ``version``, give the library's ops beyond
    :data:`ARITHMETIC` in :meth:`_library_ops`, and list in ``documented`` ((op, at) -> a citation
    of the library's own documentation or issue tracker) the conventions that differ from
    PyTorch's. ``dtype`` is "float64" or "float32"."""

    library: ClassVar[str] = ""
    documented: ClassVar[dict[tuple[str, float], str]] = {}
    default_timeout: ClassVar[float] = DEFAULT_TIMEOUT  # per case; compiling libraries need more

    def __init__(
        self, name: str, dtype: str = "float64", timeout: float | None | EllipsisType = ...
    ) -> None:
        self.name = name
        self.spec = name
        self.dtype = dtype
        # ``...``: the library's default; None: no limit.
        self.timeout = self.default_timeout if isinstance(timeout, EllipsisType) else timeout
        self.time_limit = TimeLimit(self.timeout)
        self.unchecked: dict[str, str] = {}
        self.table: dict[str, LibraryOp] = {**ARITHMETIC, **self._library_ops()}
        self.ops: dict[str, tuple[Form, ...]] = {
            name: op.forms
            for name, op in OPS.items()
            if name in self.table  # registry order
        }
        self._conventions: dict[tuple[str, float], float] | None = None

    # -- to be provided by each library ------------------------------------------------------
    version: str = ""

    def _library_ops(self) -> dict[str, LibraryOp]:
        """The library's ops beyond the arithmetic operators, by registry op name."""
        raise NotImplementedError

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        """Every node's value and, with ``grads``, the gradients (``grads`` of an EngineRun
        computed without them is empty)."""
        raise NotImplementedError

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        """A standalone snippet in the library's own API that builds the case, differentiates it
        and prints ``value: v`` and ``grads: [...]``, the numbers :meth:`run` reads."""
        raise NotImplementedError

    # -- the harness's surface ---------------------------------------------------------------

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        """Forward and backward; :class:`EngineCrash` for any exception the library raises."""
        with self.time_limit(size_scale(len(expression.nodes))), _quiet():
            return self._evaluate((expression.n_inputs, expression.nodes), point, grads=True)

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        """The output value only (finite differences call this many times)."""
        with self.time_limit(size_scale(len(expression.nodes))), _quiet():
            return self._evaluate((expression.n_inputs, expression.nodes), point, grads=False).value

    def describe(self) -> str:
        return f"{self.library} {self.version}, {self.dtype}"

    def constant(self, node: Node) -> float | int | None:
        """The node's constant as it goes into the library: an int stays an int (``x ** 2`` is
        the library's integer power), a float or a NumPy scalar is a Python float rounded to the
        dtype, as a user of the library writes it."""
        if node.number is None or node.kind == "int":
            return node.const
        return self.rounded(node.number)

    # -- conventions -------------------------------------------------------------------------
    @property
    def conventions(self) -> dict[tuple[str, float], float]:
        """The documented conventions, as measured on the installed version: (op, at) -> the
        derivative with respect to the first operand there (see :data:`CONVENTION_PROBES`)."""
        if self._conventions is None:
            self._conventions = {key: self.measure(key) for key in self.documented}
        return dict(self._conventions)

    @property
    def citations(self) -> dict[tuple[str, float], str]:
        return dict(self.documented)

    def measure(self, key: tuple[str, float]) -> float:
        """The library's derivative at one probe of :data:`CONVENTION_PROBES`; nan when the op
        is missing or raises there."""
        program, point = CONVENTION_PROBES[key]
        if any(node.op not in self.table for node in program[1]):
            return math.nan
        try:
            with _quiet():
                return self._evaluate(program, point, grads=True).grads[0]
        except EngineCrash:
            return math.nan

    # -- shared helpers ----------------------------------------------------------------------
    def _apply(self, index: int, expression_or_nodes: Program, node: Node, operands: list[Any]):
        if node.side is not None:  # the constant, rounded to the dtype, in its place
            operands[0 if node.side == "left" else -1] = self.constant(node)
        try:
            return self.table[node.op][0](*operands)
        except (CaseTimeout, RecursionError, MemoryError):
            raise
        except EngineFaults.caught as exc:
            where = f"{_name(expression_or_nodes, index)} = {node.op}"
            raise EngineCrash(where, f"raised {type(exc).__name__}: {exc}", index) from exc

    def node_lines(self, expression: Expression) -> list[str]:
        """``n3 = <library call>`` for every op node, constants rounded to the dtype."""
        lines = []
        for k in range(expression.n_inputs, expression.size):
            node = expression.node(k)
            operands = [expression.name(i) for i in node.args]
            const = self.constant(node)
            if const is not None:
                literal = repr(const) if const >= 0 else f"({const!r})"
                operands.insert(0 if node.side == "left" else 1, literal)
            lines.append(f"{expression.name(k)} = {self.table[node.op][1].format(*operands)}")
        return lines

    def header(self) -> str:
        return f"# {self.describe()}; gradtrio case"


def _name(program: Program, index: int) -> str:
    return f"x{index}" if index < program[0] else f"n{index}"


def run_program(
    program: Program, leaves: Sequence[Any], apply: Callable[[Op | None, Node, list[Any]], Any]
) -> list[Any]:
    """:func:`interpret` for an :class:`Expression`; the same loop for a probe program, whose ops
    need not be registry rows."""
    n_inputs, nodes = program
    if all(node.op in OPS for node in nodes):
        return interpret(Expression(n_inputs, tuple(nodes)), leaves, apply)  # type: ignore[arg-type]
    values = list(leaves)
    for node in nodes:
        values.append(apply(None, node, node.operands(values)))
    return values


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Overflow and invalid-value warnings are expected on wide points; judged, not printed."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def grad_or_zero(g: Any) -> float:
    # An input the output does not use has no gradient in most libraries: it is 0.
    return 0.0 if g is None else float(g)


class ObjectGraphAdapter(LibraryAdapter):
    """Tensors with a backward method: torch, MyGrad, tinygrad. Each library says how to make a
    leaf, how to read every node's value and gradient, and the same three things as source
    text for the reproducer."""

    def leaf(self, x: float, grads: bool) -> Any:
        raise NotImplementedError

    def backward(self, out: Any) -> None:
        out.backward()

    def numbers(self, values: Sequence[Any], grads: bool) -> tuple[list[float], list[float] | None]:
        """Every node's value and, with ``grads``, every node's gradient (0 where the library
        has none: a node the output does not use)."""
        raise NotImplementedError

    def prepare(self, values: Sequence[Any]) -> None:
        """Called between the forward pass and backward (torch retains intermediate grads)."""

    # -- the reproducer's pieces -------------------------------------------------------------
    def source_preamble(self, expression: Expression) -> list[str]:
        """The imports and definitions the snippet needs."""
        raise NotImplementedError

    def source_leaf(self, x: float) -> str:
        """An input of value ``x`` that gets a gradient."""
        raise NotImplementedError

    def source_number(self, value: str) -> str:
        """The library's scalar ``value`` as a Python float, in source."""
        raise NotImplementedError

    def source_readout(self, out: str, inputs: list[str]) -> list[str]:
        """After ``out.backward()``: print ``value: v`` and ``grads: [...]`` of ``inputs``."""
        number, listed = self.source_number, ", ".join(inputs)
        return [
            f'print("value:", {number(out)})',
            f"grads = [0.0 if x.grad is None else {number('x.grad')} for x in ({listed},)]",
            'print("grads:", grads)',
        ]

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        inputs = [expression.name(i) for i in range(expression.n_inputs)]
        out = expression.name(expression.output)
        lines = [
            self.header(),
            *self.source_preamble(expression),
            "",
            *(f"{name} = {self.source_leaf(self.rounded(x))}" for name, x in zip(inputs, point)),
            *self.node_lines(expression),
            f"{out}.backward()",
            *self.source_readout(out, inputs),
        ]
        return "\n".join(lines) + "\n"

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        leaves = [self.leaf(self.rounded(x), grads) for x in point]
        built = 0

        def apply(op: Op | None, node: Node, operands: list[Any]) -> Any:
            nonlocal built
            index = program[0] + built
            built += 1
            return self._apply(index, program, node, operands)

        values = run_program(program, leaves, apply)
        if grads:
            self.prepare(values)
            try:
                self.backward(values[-1])
            except (CaseTimeout, MemoryError):
                raise
            except EngineFaults.caught as exc:  # RecursionError included: a limitation, reported
                raise EngineCrash("backward", f"raised {type(exc).__name__}: {exc}") from exc
        try:
            node_values, node_grads = self.numbers(values, grads)
        except (CaseTimeout, MemoryError):
            raise
        except EngineFaults.caught as exc:
            raise EngineCrash("reading results", f"raised {type(exc).__name__}: {exc}") from exc
        if node_grads is None:
            return EngineRun(node_values[-1], [], [], node_values)
        return EngineRun(node_values[-1], node_grads[: len(leaves)], node_grads, node_values)


class FunctionalAdapter(LibraryAdapter):
    """Libraries that differentiate functions: JAX, HIPS autograd."""

    def array(self, x: float) -> Any:
        """An input as the library's function takes it, in the adapter's dtype."""
        raise NotImplementedError

    def gradient_function(self, f: Callable[..., Any], n_args: int) -> Callable[..., Any]:
        """``(*args) -> (value, [d f / d arg_i])`` for ``f`` of ``n_args`` scalar arguments."""
        raise NotImplementedError

    def values_function(self, f: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        """``f`` itself, or a compiled version of it (jit)."""
        return f

    def _built(self, program: Program, with_zeros: bool) -> Callable[..., Any]:
        n_inputs, nodes = program

        def f(*args: Any) -> Any:
            xs, zs = args[:n_inputs], args[n_inputs:]
            built = 0

            def apply(op: Op | None, node: Node, operands: list[Any]) -> Any:
                nonlocal built
                index = n_inputs + built
                out = self._apply(index, program, node, operands)
                if with_zeros:
                    out = out + zs[built]
                built += 1
                return out

            values = run_program(program, list(xs), apply)
            return values[-1] if with_zeros else values

        return f

    def compiled(self, program: Program) -> tuple[Callable[..., Any], ...]:
        """The values function, the gradient function (inputs only: what a user calls, and what
        the reproducer prints) and the gradient function with a zero at every node (for the
        blame; under jit it may round differently from the first, so it is kept apart)."""
        n_inputs, nodes = program
        plain = self._built(program, with_zeros=False)
        return (
            self.values_function(plain),
            self.gradient_function(lambda *xs: plain(*xs)[-1], n_inputs),
            self.gradient_function(self._built(program, with_zeros=True), n_inputs + len(nodes)),
        )

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        n_inputs, nodes = program
        values_fn, grad_fn, node_grad_fn = self.compiled(program)
        xs = [self.array(self.rounded(x)) for x in point]
        node_values = [float(v) for v in values_fn(*xs)]
        if not grads:
            return EngineRun(node_values[-1], [], [], node_values)
        try:
            value, input_grads = grad_fn(*xs)
        except (EngineCrash, CaseTimeout, MemoryError):
            raise
        except EngineFaults.caught as exc:
            raise EngineCrash("grad", f"raised {type(exc).__name__}: {exc}") from exc

        def node_grads() -> list[float | None]:
            # d out / d z_k is node k's gradient (the output's own is 1 by construction).
            zeros = [self.array(0.0) for _ in nodes]
            try:
                with _quiet():
                    _, all_grads = node_grad_fn(*xs, *zeros)
            except EngineFaults.caught:  # the blame then replays ops alone instead
                return [None] * (n_inputs + len(nodes))
            return [grad_or_zero(g) for g in all_grads]

        return EngineRun(
            float(value),
            [grad_or_zero(g) for g in input_grads],
            LazyGrads(node_grads, n_inputs + len(nodes)),  # type: ignore[arg-type]
            node_values,
        )


class LazyGrads(Sequence):
    """Every node's gradient, computed on first use: only the blame of a failing case reads
    them, and the zero-augmented gradient costs as much again as the plain one."""

    def __init__(self, compute: Callable[[], list[float | None]], size: int) -> None:
        self._compute = compute
        self._size = size
        self._grads: list[float | None] | None = None

    def _all(self) -> list[float | None]:
        if self._grads is None:
            self._grads = self._compute()
        return self._grads

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return repr(self._all()) if self._grads is not None else f"<{self._size} node gradients>"
