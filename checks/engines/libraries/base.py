"""What every library adapter shares: the engine protocol's surface, rounding to the adapter's
dtype, declared conventions measured on the installed library, one op table (the arithmetic
operators once, here), the reproducer's layout, and the batched interface (:meth:`run_many`,
:meth:`forward_many`: one expression at many points in one library call). Two modes build on it:

- object graphs (:class:`ObjectGraphAdapter`): the DAG is built on the library's tensors, a shared
  node being one tensor; backward is called on the output and gradients read from the leaves (and
  from the intermediates where the library keeps them);
- functional (:class:`FunctionalAdapter`): ``f(x0..xn)`` is built from the DAG and differentiated
  by the library's own vjp; every node's gradient comes from a zero added at that node
  (``f(xs, zs)`` with node k's value plus ``zs[k]``: d out/d zs[k] is node k's gradient), all of
  them in the same one derivative call.

A batch evaluates the expression once on 1-D arrays of the points' values (every op is
elementwise; constants stay Python floats), so one eager call or one compiled graph serves every
point. Ops are applied through the library's own API, looked up by registry op name in the
adapter's op table (the callable and the same call as source text, for reproducers); a name the
registry lacks is ignored, an op the library lacks is simply absent from ``ops``. A user's row
with an implementation for the library (``Op.implementations``) joins the table: the adapter
then checks that implementation, and its reproducers import it from the user's module.
"""

from __future__ import annotations

import contextlib
import math
import operator
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from types import EllipsisType
from typing import Any, ClassVar

import numpy as np
from gradtrio.checks.defaults import DEFAULT_TIMEOUT
from gradtrio.checks.engines.faults import EngineFaults
from gradtrio.checks.engines.limits import CaseTimeout, TimeLimit, size_scale
from gradtrio.checks.engines.loading import import_path
from gradtrio.checks.engines.local import LocalEngine
from gradtrio.checks.engines.protocol import EngineCrash, EngineRun
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import BUILT_IN, OPS, Form, Op

__all__ = [
    "ARITHMETIC",
    "CONVENTION_PROBES",
    "FunctionalAdapter",
    "Lazy",
    "LazyGrads",
    "LibraryAdapter",
    "LibraryOp",
    "ObjectGraphAdapter",
    "calls",
    "methods",
]

Program = tuple[int, Sequence[Node]]
"""(number of inputs, op nodes): an expression without the registry's validation, so that the
conventions of ops the registry does not have yet can be measured too."""

CACHE_SIZE = 256
"""Built (and, for compiling libraries, compiled) functions kept, one per expression: the finite
differences call forward dozens of times per case, the blame replays the same small graphs."""

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
    PyTorch's. ``dtype`` is "float64" or "float32".

    Batches: :meth:`run_many` and :meth:`forward_many` evaluate one expression at many points in
    one library call (:meth:`_evaluate_many`; by default one point at a time, for an adapter
    that does not batch). ``batch_width`` is the most points one call takes (None: all of
    them); with ``pad_batches`` every call is exactly that wide (the last point repeated), for
    libraries that build one graph per shape (compiling ones, JAX's per-shape dispatch). An
    expression using one of ``unbatched_ops`` (ops whose batched kernels round differently
    from the single-point ones) is evaluated one point at a time, so that a batch always
    gives what :meth:`run` gives; so is an expression of more than ``batch_max_nodes`` op nodes
    (where a batched graph costs the library far more to build than a point's)."""

    library: ClassVar[str] = ""
    documented: ClassVar[dict[tuple[str, float], str]] = {}
    default_timeout: ClassVar[float] = DEFAULT_TIMEOUT  # per case; compiling libraries need more
    batch_width: ClassVar[int | None] = None
    pad_batches: ClassVar[bool] = False
    unbatched_ops: ClassVar[frozenset[str]] = frozenset()
    batch_max_nodes: ClassVar[int | None] = None

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
        self._imports: dict[str, str] = {}  # a user's op -> the import lines of its implementation
        self._add_implementations()
        self.ops: dict[str, tuple[Form, ...]] = {
            name: op.forms
            for name, op in OPS.items()
            if name in self.table  # registry order
        }
        self._conventions: dict[tuple[str, float], float] | None = None
        self._built: OrderedDict[Hashable, Any] = OrderedDict()

    # -- to be provided by each library ------------------------------------------------------
    version: str = ""

    def _library_ops(self) -> dict[str, LibraryOp]:
        """The library's ops beyond the arithmetic operators, by registry op name."""
        raise NotImplementedError

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        """Every node's value and, with ``grads``, the gradients (``grads`` of an EngineRun
        computed without them is empty)."""
        raise NotImplementedError

    def _evaluate_many(
        self, program: Program, points: Sequence[Sequence[float]], grads: bool
    ) -> list[EngineRun]:
        """:meth:`_evaluate` at every point, in one library call where the library batches;
        :class:`EngineCrash` when that call fails (the points are then run one by one)."""
        return [self._evaluate(program, point, grads) for point in points]

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        """A standalone snippet in the library's own API that builds the case, differentiates it
        and prints ``value: v`` and ``grads: [...]``, the numbers :meth:`run` reads."""
        raise NotImplementedError

    # -- the user's implementations ----------------------------------------------------------
    def _add_implementations(self) -> None:
        """Every registered row with an implementation for this library joins the table, in
        place of the library's own op of that name; a user's row that neither it nor the
        library implements is listed as not checked. A ``LoadError`` for an implementation
        that a reproducer could not import."""
        for name, op in OPS.items():
            implementation = op.implementations.get(self.library)
            if implementation is not None:
                imports, call = import_path(
                    implementation, f"op {name!r}: implementations[{self.library!r}]"
                )
                operands = ", ".join(f"{{{i}}}" for i in range(op.arity))
                self.table[name] = (implementation, f"{call}({operands})")
                self._imports[name] = imports
            elif name not in self.table and BUILT_IN.get(name) is not op:
                given = f" (it has {', '.join(op.implementations)})" if op.implementations else ""
                self.unchecked[name] = (
                    f"its row has no {self.library} implementation{given}; give the row "
                    f"implementations={{{self.library!r}: ...}}"
                )

    def implementation_imports(self, expression: Expression) -> list[str]:
        """The import lines of the user's implementations that ``expression`` uses."""
        lines: list[str] = []
        for name in expression.ops_used():
            for line in self._imports.get(name, "").splitlines():
                if line not in lines:
                    lines.append(line)
        return lines

    # -- the harness's surface ---------------------------------------------------------------

    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        """Forward and backward; :class:`EngineCrash` for any exception the library raises."""
        with self.time_limit(size_scale(len(expression.nodes))), _quiet():
            return self._evaluate((expression.n_inputs, expression.nodes), point, grads=True)

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        """The output value only (finite differences call this many times)."""
        with self.time_limit(size_scale(len(expression.nodes))), _quiet():
            return self._evaluate((expression.n_inputs, expression.nodes), point, grads=False).value

    def run_many(
        self, expression: Expression, points: Sequence[Sequence[float]]
    ) -> list[EngineRun | EngineCrash]:
        """:meth:`run` at every point, in one library call: per point the run :meth:`run` gives
        there (value, input gradients, every node's value and gradient where :meth:`run` has
        them). When the batched call raises, each point is run alone, and a point that crashes
        alone has its :class:`EngineCrash` in its place (not raised); a time-out, a
        MemoryError or a RecursionError while building the graph ends the whole call, as it
        ends :meth:`run`. Inside one ``time_limit`` (one case's, when the caller holds none:
        a batch costs a compiling or eager library about what one point costs)."""
        return self._many(expression, points, grads=True)

    def forward_many(
        self, expression: Expression, points: Sequence[Sequence[float]]
    ) -> list[float | EngineCrash]:
        """:meth:`forward` at every point, in one library call; a point that fails alone has
        its :class:`EngineCrash` in its place, as in :meth:`run_many`."""
        return [
            r if isinstance(r, EngineCrash) else r.value
            for r in self._many(expression, points, grads=False)
        ]

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

    # -- batches -----------------------------------------------------------------------------
    def _many(
        self, expression: Expression, points: Sequence[Sequence[float]], grads: bool
    ) -> list[EngineRun | EngineCrash]:
        program = (expression.n_inputs, expression.nodes)
        given = [tuple(point) for point in points]
        for point in given:
            if len(point) != expression.n_inputs:
                raise ValueError(
                    f"point has {len(point)} values: expected {expression.n_inputs} "
                    f"for {expression}"
                )
        out: list[EngineRun | EngineCrash] = []
        with self.time_limit(size_scale(len(expression.nodes))), _quiet():
            too_large = self.batch_max_nodes is not None and (
                len(expression.nodes) > self.batch_max_nodes
            )
            if too_large or self.unbatched_ops & set(expression.ops_used()):
                return [self._alone(program, point, grads) for point in given]
            width = self.batch_width or max(1, len(given))
            for start in range(0, len(given), width):
                out += self._chunk(program, given[start : start + width], grads)
        return out

    def _chunk(
        self, program: Program, chunk: list[tuple[float, ...]], grads: bool
    ) -> list[EngineRun | EngineCrash]:
        width = self.batch_width if self.pad_batches and self.batch_width else len(chunk)
        padded = chunk + [chunk[-1]] * (width - len(chunk))
        try:
            return list(self._evaluate_many(program, padded, grads)[: len(chunk)])
        except EngineCrash:  # which point fails: each alone
            return [self._alone(program, point, grads) for point in chunk]

    def _alone(
        self, program: Program, point: Sequence[float], grads: bool
    ) -> EngineRun | EngineCrash:
        try:
            return self._evaluate(program, point, grads)
        except EngineCrash as crash:
            return crash

    def _single_via_batch(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        """One point through the batched path, ``batch_width`` wide: for a library that compiles
        one graph per shape, so that run, forward and their batches share one compiled graph."""
        return self._evaluate_many(program, [tuple(point)] * (self.batch_width or 1), grads)[0]

    # -- shared helpers ----------------------------------------------------------------------
    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """What ``build()`` makes for ``key`` (an expression's structure, constants included),
        built once and kept while it is among the last :data:`CACHE_SIZE` used."""
        try:
            self._built.move_to_end(key)
            return self._built[key]
        except KeyError:
            pass
        built = build()
        self._built[key] = built
        if len(self._built) > CACHE_SIZE:
            self._built.popitem(last=False)
        return built

    def _apply(
        self,
        index: int,
        expression_or_nodes: Program,
        node: Node,
        operands: list[Any],
        constant: Callable[[float], Any] | None = None,
    ):
        if node.side is not None:  # the constant, rounded to the dtype, in its place
            const = self.constant(node)
            operand = const if constant is None else constant(const)  # type: ignore[arg-type]
            operands[0 if node.side == "left" else -1] = operand
        try:
            return self.table[node.op][0](*operands)
        except (CaseTimeout, RecursionError, MemoryError):
            raise
        except EngineFaults.caught as exc:
            where = f"{_name(expression_or_nodes, index)} = {node.op}"
            detail = f"raised {type(exc).__name__}: {exc}"
            raise EngineCrash(where, detail, index, type(exc).__name__) from exc

    def _build(
        self,
        program: Program,
        leaves: Sequence[Any],
        constant: Callable[[float], Any] | None = None,
    ) -> list[Any]:
        """Every node's library value, inputs first, from the ``leaves``; ``constant`` makes
        the library's operand of a constant (default: the Python float)."""
        built = 0

        def apply(op: Op | None, node: Node, operands: list[Any]) -> Any:
            nonlocal built
            index = program[0] + built
            built += 1
            return self._apply(index, program, node, operands, constant)

        return run_program(program, leaves, apply)

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


def structure(program: Program) -> tuple[int, tuple[Node, ...]]:
    """The cache key of a program: its inputs and nodes, constants included (a compiled graph
    holds its constants)."""
    return program[0], tuple(program[1])


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Overflow and invalid-value warnings are expected on wide points; judged, not printed."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def grad_or_zero(g: Any) -> float:
    # An input the output does not use has no gradient in most libraries: it is 0.
    return 0.0 if g is None else float(g)


def columns(points: Sequence[Sequence[float]], n_inputs: int) -> list[list[float]]:
    """Per input, its value at every point."""
    return [[point[i] for point in points] for i in range(n_inputs)]


def per_point(rows: Sequence[Sequence[float] | None], width: int) -> list[list[float | None]]:
    """``rows[k][b]`` (a None row: None at every point) as one list per point ``b``."""
    filled = [[None] * width if row is None else row for row in rows]
    return [list(point) for point in zip(*filled)] if filled else [[] for _ in range(width)]


def reraised(where: str, call: Callable[[], Any]) -> Any:
    """``call()``, the library's own exceptions as :class:`EngineCrash` at ``where``, named (a
    RecursionError on a deep graph is then a limitation, not a bug)."""
    try:
        return call()
    except (EngineCrash, CaseTimeout, MemoryError):
        raise
    except EngineFaults.caught as exc:
        detail = f"raised {type(exc).__name__}: {exc}"
        raise EngineCrash(where, detail, error=type(exc).__name__) from exc


class ObjectGraphAdapter(LibraryAdapter):
    """Tensors with a backward method: torch, MyGrad, tinygrad. Each library says how to make a
    leaf, how to read every node's value and gradient, and the same three things as source
    text for the reproducer; for batches, how to make a leaf holding every point's value
    (:meth:`batch_leaf`) and how to read the batched numbers (:meth:`batch_numbers`)."""

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

    # -- batches (an adapter without them runs a batch one point at a time) ------------------
    def batch_leaf(self, column: Sequence[float], grads: bool) -> Any:
        """An input holding every point's value, a 1-D tensor."""
        raise NotImplementedError

    def batch_backward(self, out: Any) -> None:
        """Backward from a 1-D output, every point's seed 1 (as a scalar output's)."""
        out.backward()

    def batch_numbers(
        self, values: Sequence[Any], grads: bool, width: int
    ) -> tuple[list[list[float]], list[list[float]] | None]:
        """Per node, its value at every point and, with ``grads``, its gradient there (0 where
        the library has none)."""
        raise NotImplementedError

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
            *self.implementation_imports(expression),
            "",
            *(f"{name} = {self.source_leaf(self.rounded(x))}" for name, x in zip(inputs, point)),
            *self.node_lines(expression),
            f"{out}.backward()",
            *self.source_readout(out, inputs),
        ]
        return "\n".join(lines) + "\n"

    def _graph(self, program: Program, leaves: list[Any], grads: bool, backward: Callable) -> list:
        values = self._build(program, leaves)
        if grads:
            self.prepare(values)
            try:
                backward(values[-1])
            except (CaseTimeout, MemoryError):
                raise
            except EngineFaults.caught as exc:  # RecursionError included: a limitation, reported
                detail = f"raised {type(exc).__name__}: {exc}"
                raise EngineCrash("backward", detail, error=type(exc).__name__) from exc
        return values

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        leaves = reraised("inputs", lambda: [self.leaf(self.rounded(x), grads) for x in point])
        values = self._graph(program, leaves, grads, self.backward)
        node_values, node_grads = reraised("reading results", lambda: self.numbers(values, grads))
        if node_grads is None:
            return EngineRun(node_values[-1], [], [], node_values)
        return EngineRun(node_values[-1], node_grads[: len(leaves)], node_grads, node_values)

    def _evaluate_many(
        self, program: Program, points: Sequence[Sequence[float]], grads: bool
    ) -> list[EngineRun]:
        if type(self).batch_leaf is ObjectGraphAdapter.batch_leaf:  # no batches: point by point
            return super()._evaluate_many(program, points, grads)
        width, n_inputs = len(points), program[0]
        rounded = [[self.rounded(x) for x in column] for column in columns(points, n_inputs)]
        leaves = reraised("inputs", lambda: [self.batch_leaf(c, grads) for c in rounded])
        values = self._graph(program, leaves, grads, self.batch_backward)
        node_values, node_grads = reraised(
            "reading results", lambda: self.batch_numbers(values, grads, width)
        )
        value_rows = per_point(node_values, width)
        if node_grads is None:
            return [EngineRun(v[-1], [], [], v) for v in value_rows]  # type: ignore[misc]
        grad_rows = per_point(node_grads, width)
        return [
            EngineRun(v[-1], g[:n_inputs], g, v)  # type: ignore[arg-type]
            for v, g in zip(value_rows, grad_rows)
        ]


class FunctionalAdapter(LibraryAdapter):
    """Libraries that differentiate functions: JAX, HIPS autograd.

    Each library gives its inputs (:meth:`array`, and :meth:`arrays` for a batch), its zeros
    (:meth:`zeros`, one per op node, -0.0 so that adding one changes no value, not even a
    negative zero's sign) and its vjp under a cotangent of ones (:meth:`vjp`; for one point
    that is ``value_and_grad``). A run is one derivative call of ``f(xs, zs)``: the output,
    every node's value, and the gradient of every input and every node. With
    ``separate_node_grads`` the run is the plain derivative of ``f(xs)``, the reproducer's own
    call, and every node's value and gradient come from the zero-augmented one on first read:
    under ``jax.jit`` another compiled function may round differently, and eager JAX's
    derivative of a 10,000-node chain takes half as long without a zero at every node. A
    library that compiles reads a forward pass from the run too (one compiled graph)."""

    separate_node_grads: ClassVar[bool] = False
    node_grads_max_nodes: ClassVar[int | None] = None
    """With ``separate_node_grads``, the most op nodes whose node gradients get their own
    compiled function; beyond, the blame replays ops alone (no node gradient is kept) and every
    node's value comes from the values function run uncompiled."""

    def array(self, x: float) -> Any:
        """An input as the library's function takes it, in the adapter's dtype."""
        raise NotImplementedError

    def arrays(self, column: Sequence[float]) -> Any:
        """An input holding every point's value, a 1-D array in the adapter's dtype."""
        raise NotImplementedError

    def zeros(self, n_nodes: int, width: int | None) -> Any:
        """``zs`` with ``zs[k]`` node k's zero, -0.0 (at every point: ``width`` of them)."""
        raise NotImplementedError

    def vjp(
        self, f: Callable[..., Any], args: tuple[Any, ...], has_aux: bool
    ) -> tuple[Any, Any, tuple[Any, ...]]:
        """``(out, aux, grads)``: ``f(*args)`` (``(out, aux)`` when ``has_aux``) and the gradient
        of ``out`` with respect to every argument under a cotangent of ones (each point's
        gradient of its own output)."""
        raise NotImplementedError

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """``f`` itself, or a compiled version of it (jit)."""
        return f

    def numbers(self, values: Any) -> Any:
        """The library's arrays as NumPy arrays (one transfer for many)."""
        return values

    def batch_constant(self, value: float, shape: tuple[int, ...]) -> Any:
        """A constant as the values function takes it in a batch of inputs of ``shape``
        (default: the Python float)."""
        return value

    # -- the functions of one expression -----------------------------------------------------
    def _plain(self, program: Program) -> Callable[..., list[Any]]:
        """``f(*xs)``: every node's value, inputs first."""

        def f(*xs: Any) -> list[Any]:
            shape = tuple(getattr(xs[0], "shape", ())) if xs else ()
            constant = (lambda c: self.batch_constant(c, shape)) if shape else None
            return self._build(program, list(xs), constant)

        return f

    def _augmented(self, program: Program) -> Callable[..., tuple[Any, list[Any]]]:
        """``f(xs, zs)``: the output and every node's value, node k's value plus ``zs[k]``."""
        n_inputs = program[0]

        def f(xs: tuple[Any, ...], zs: Any) -> tuple[Any, list[Any]]:
            built = 0

            def apply(op: Op | None, node: Node, operands: list[Any]) -> Any:
                nonlocal built
                out = self._apply(n_inputs + built, program, node, operands) + zs[built]
                built += 1
                return out

            values = run_program(program, list(xs), apply)
            return values[-1], values

        return f

    def functions(self, program: Program) -> tuple[Callable[..., Any], ...]:
        """(values, plain run, augmented run) of ``program``, built (and compiled) once: the
        values function ``(*xs) -> [every value]``; the plain run ``(*xs) -> (out, input
        grads)``; the augmented run ``(xs, zs) -> (out, every value, (input grads, node
        grads))``."""

        def build() -> tuple[Callable[..., Any], ...]:
            plain, augmented = self._plain(program), self._augmented(program)

            def run_plain(*xs: Any) -> tuple[Any, tuple[Any, ...]]:
                out, _, grads = self.vjp(lambda *a: plain(*a)[-1], xs, False)
                return out, grads

            def run_augmented(xs: tuple[Any, ...], zs: Any) -> tuple[Any, Any, tuple[Any, ...]]:
                return self.vjp(augmented, (xs, zs), True)

            return self.compile(plain), self.compile(run_plain), self.compile(run_augmented)

        return self.cached(("functions", *structure(program)), build)

    # -- evaluation --------------------------------------------------------------------------
    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        xs = reraised("inputs", lambda: [self.array(self.rounded(x)) for x in point])
        return self._runs(program, xs, None, grads)[0]

    def _evaluate_many(
        self, program: Program, points: Sequence[Sequence[float]], grads: bool
    ) -> list[EngineRun]:
        if type(self).arrays is FunctionalAdapter.arrays:  # no batches: point by point
            return super()._evaluate_many(program, points, grads)
        rounded = [[self.rounded(x) for x in c] for c in columns(points, program[0])]
        xs = reraised("inputs", lambda: [self.arrays(c) for c in rounded])
        return self._runs(program, xs, len(points), grads)

    def _runs(
        self, program: Program, xs: list[Any], width: int | None, grads: bool
    ) -> list[EngineRun]:
        """The runs at the points ``xs`` hold (``width`` of them; None: one, as scalars)."""
        values_fn, plain_fn, augmented_fn = self.functions(program)
        count = width or 1
        if not grads and not self.compiles:  # compiled, forward reads the run's value
            values = reraised("forward", lambda: self.numbers(values_fn(*xs)[-1]))
            return [EngineRun(v, [], [], []) for v in _flat(values, count)]
        if self.separate_node_grads:
            out, input_grads = reraised("grad", lambda: self.numbers(plain_fn(*xs)))
            outs = _flat(out, count)
            if not grads:
                return [EngineRun(v, [], [], []) for v in outs]
            rows = per_point([_flat(g, count) for g in input_grads], count)
            nodes = SharedResult(lambda: self._node_details(augmented_fn, program, xs, width))
            size = program[0] + len(program[1])
            return [
                EngineRun(
                    v,
                    [grad_or_zero(g) for g in row],
                    Lazy(lambda b=b: nodes.get()[1][b], size),  # type: ignore[misc]
                    Lazy(lambda b=b: nodes.get()[0][b], size),  # type: ignore[arg-type, misc]
                )
                for b, (v, row) in enumerate(zip(outs, rows))
            ]
        values, grads_all = self._node_details(augmented_fn, program, xs, width, strict=True)
        return [
            EngineRun(v[-1], g[: program[0]], g, v)  # type: ignore[arg-type]
            for v, g in zip(values, grads_all)
        ]

    def _node_details(
        self,
        augmented_fn: Callable[..., Any],
        program: Program,
        xs: list[Any],
        width: int | None,
        strict: bool = False,
    ) -> tuple[list[list[float]], list[list[float | None]]]:
        """Per point, every node's value and gradient from one call of the augmented run. Not
        ``strict`` (read only for the blame): a failure gives None gradients, and the blame
        then replays ops alone instead."""
        count, size = width or 1, program[0] + len(program[1])
        limit = self.node_grads_max_nodes
        if not strict and limit is not None and len(program[1]) > limit:
            try:
                with _quiet():
                    uncompiled = reraised(
                        "forward", lambda: self.numbers(self._plain(program)(*xs))
                    )
            except EngineCrash:
                uncompiled = [math.nan] * size
            rows = per_point([_flat(v, count) for v in uncompiled], count)
            return rows, [[None] * size] * count  # type: ignore[return-value]
        zs = self.zeros(len(program[1]), width)
        try:
            with _quiet():
                out, values, (x_grads, z_grads) = reraised(
                    "grad", lambda: self.numbers(augmented_fn(tuple(xs), zs))
                )
        except EngineCrash:
            if strict:
                raise
            return [[math.nan] * size] * count, [[None] * size] * count
        value_rows = per_point([_flat(v, count) for v in values], count)
        grad_rows = per_point([_flat(g, count) for g in (*x_grads, *_unstack(z_grads))], count)
        return (
            value_rows,  # type: ignore[return-value]
            [[grad_or_zero(g) for g in row] for row in grad_rows],
        )


def _flat(x: Any, count: int) -> list[float]:
    """A library number or 1-D array as ``count`` floats (a scalar broadcast to every point)."""
    if x is None:
        return [0.0] * count
    flat = np.asarray(x, dtype=np.float64).reshape(-1)
    if flat.size == 1 and count != 1:
        flat = np.broadcast_to(flat, (count,))
    return [float(v) for v in flat.tolist()]


def _unstack(zs: Any) -> list[Any]:
    """The gradient of the zeros, one entry per node (a tuple already, or an array's rows)."""
    return list(zs) if isinstance(zs, (tuple, list)) else list(np.asarray(zs))


class SharedResult:
    """One computation that several lazy sequences read (every point of a batch)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute: Callable[[], Any] | None = compute
        self._result: Any = None

    def get(self) -> Any:
        if self._compute is not None:
            self._result, self._compute = self._compute(), None
        return self._result


class Lazy(Sequence):
    """A sequence computed on first use: every node's value or gradient where only the blame of
    a failing case reads them and computing them costs as much again as the run (a second
    compiled graph). Pickled, it is the plain list (a worker sends it so)."""

    def __init__(self, compute: Callable[[], Sequence[Any]], size: int) -> None:
        self._compute = compute
        self._size = size
        self._items: list[Any] | None = None

    @property
    def pending(self) -> bool:
        """Not computed yet (a worker then leaves it behind rather than compute it to send)."""
        return self._items is None

    def _all(self) -> list[Any]:
        if self._items is None:
            self._items = list(self._compute())
        return self._items

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (self._all(),))

    def __repr__(self) -> str:
        return repr(self._all()) if self._items is not None else f"<{self._size} lazy items>"


LazyGrads = Lazy
"""The name the gradients' lazy sequence had."""
