"""tinygrad tensors as an object graph on its CPU device (``DEV=CPU``; it compiles each kernel
with clang). Leaves are ``Tensor([x], dtype=...).reshape(())`` in the reproducer, 1-D tensors of
the points' values here (a Python-number ``Tensor(x)`` is a constant that never gets a
gradient). ``backward()`` fills ``.grad`` of every float tensor in the graph, intermediates
included.

Each read schedules, generates and compiles kernels: the generation (tinygrad's own rewrites, in
Python) costs about 0.1 s for a 20-node case, the run of a compiled kernel microseconds. So an
expression is compiled once, ``WIDTH`` points wide, for everything: a run, a forward pass (the
same kernel, its value read) and their batches read the output and the inputs' gradients in one
``Tensor.stack``, as the reproducer does; every node's value and gradient (another, larger
kernel, for the blame) only on first read. Stacking them all into the run's kernel changes what
tinygrad fuses there, and with it the last bits of some gradients (10 cases in 60). From the
third call of an expression on, ``TinyJit`` replays its kernels on the new points: no graph, no
schedule (2 ms a call, against 10 to 25 ms). The kernels are built with ``NOOPT``: tinygrad's
loop optimisations (upcasting the points' dimension) double the generation time and change no
number, every op being elementwise (the tests compare every op with the reproducer's scalar
kernels, bit for bit).

A 10,000-node chain does not compile within any reasonable limit (a 100-node tanh chain takes
about a minute): as for every engine that ``compiles``, a run judges one deep chain, under
:data:`~gradtrio.checks.engines.limits.COMPILE_LIMIT`, and no result there is a limitation."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("DEV", "CPU")  # before tinygrad reads it

import tinygrad  # noqa: E402
from gradtrio.checks.engines.libraries.base import (  # noqa: E402
    Lazy,
    LibraryOp,
    ObjectGraphAdapter,
    Program,
    SharedResult,
    columns,
    methods,
    per_point,
    reraised,
    structure,
)
from gradtrio.checks.engines.protocol import EngineCrash, EngineRun  # noqa: E402
from gradtrio.strategies.expression import Expression  # noqa: E402
from tinygrad import Tensor, TinyJit, dtypes  # noqa: E402
from tinygrad.helpers import Context  # noqa: E402

__all__ = ["TinygradAdapter"]

WIDTH = 64  # points per kernel: every call of an expression runs one compiled graph
NOOPT = 1  # tinygrad's own switch: no loop optimisations (see the module docstring)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tinygrad")
    except Exception:  # a source checkout of tinygrad has no metadata
        return getattr(tinygrad, "__version__", "unknown")


class TinygradAdapter(ObjectGraphAdapter):
    library = "tinygrad"
    # Every new graph is compiled by clang, forward and backward kernels: seconds on a busy
    # machine (measured: 11 s for the first run of an 8-node case, 0.16 s after).
    default_timeout = 120.0
    compiles = True
    batch_width = WIDTH
    pad_batches = True
    # A new expression costs its compilation, a further point nothing. A default run's 500
    # drawn cases, cold: 8.1 s at 16 points per expression, 18.3 s at 8, 1.1 s at 64 (but over
    # only 8 expressions; at one point, 500 compilations).
    points_per_expression = 16

    def __init__(self, name: str = "tinygrad", dtype: str = "float64", **kw: Any) -> None:
        self.version = _version()
        self.tg_dtype = dtypes.float64 if dtype == "float64" else dtypes.float32
        super().__init__(name, dtype, **kw)

    def _library_ops(self) -> dict[str, LibraryOp]:
        unary = ("exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sin", "cos", "square")
        return {
            **methods((*unary, "leaky_relu", "softplus")),
            "max": (
                lambda a, b: a.maximum(b) if isinstance(a, Tensor) else b.maximum(a),
                "Tensor.maximum({0}, {1})",
            ),
            "min": (
                lambda a, b: a.minimum(b) if isinstance(a, Tensor) else b.minimum(a),
                "Tensor.minimum({0}, {1})",
            ),
        }

    def describe(self) -> str:
        return f"tinygrad {self.version}, {self.dtype}, device {os.environ.get('DEV', 'default')}"

    def leaf(self, x: float, grads: bool) -> Any:
        return Tensor([x], dtype=self.tg_dtype).reshape(())

    def batch_leaf(self, column: Sequence[float], grads: bool) -> Any:
        return Tensor(list(column), dtype=self.tg_dtype)

    def batch_backward(self, out: Any) -> None:
        out.backward(out.const_like(1.0))  # what backward() of a scalar seeds

    def batch_numbers(
        self, values: Sequence[Any], grads: bool, width: int
    ) -> tuple[list[list[float]], list[list[float]] | None]:
        """Every node's value and gradient, one kernel (each read compiles and runs one)."""
        n = len(values)
        kept = [v.grad for v in values] if grads else []
        batch = [v.reshape(-1).expand(width) for v in values]
        batch += [g.reshape(-1).expand(width) for g in kept if g is not None]
        with Context(NOOPT=NOOPT):
            numbers = [[float(x) for x in row] for row in Tensor.stack(*batch).numpy().tolist()]
        if not grads:
            return numbers[:n], None
        found = iter(numbers[n:])
        # backward() fills every float tensor in the graph; a node it leaves None has gradient 0.
        return numbers[:n], [[0.0] * width if g is None else next(found) for g in kept]

    def _evaluate(self, program: Program, point: Sequence[float], grads: bool) -> EngineRun:
        return self._single_via_batch(program, point, grads)

    def _leaves(self, program: Program, points: Sequence[Sequence[float]]) -> list[Any]:
        rounded = [[self.rounded(x) for x in c] for c in columns(points, program[0])]
        return [self.batch_leaf(column, True) for column in rounded]

    def _step(self, program: Program) -> Callable[..., Any]:
        """The leaves -> the output and the inputs' gradients, stacked and realized."""

        def step(*leaves: Any) -> Any:
            values = self._graph(program, list(leaves), True, self.batch_backward)
            grads = (x.zeros_like() if x.grad is None else x.grad for x in values[: program[0]])
            with Context(NOOPT=NOOPT):
                return Tensor.stack(values[-1], *grads).realize()

        return step

    def _evaluate_many(
        self, program: Program, points: Sequence[Sequence[float]], grads: bool
    ) -> list[EngineRun]:
        # Forward too runs the run's kernel: one compilation per expression, not two. TinyJit
        # replays the kernels from the third call of an expression on: no graph, no schedule.
        width, n_inputs = len(points), program[0]
        key = ("step", *structure(program), width)
        step = self.cached(key, lambda: TinyJit(self._step(program)))
        try:
            stacked = reraised("reading results", lambda: step(*self._leaves(program, points)))
            out, *input_grads = stacked.numpy().tolist()
        except BaseException:
            self._built.pop(key, None)  # a capture cut short is not replayed
            raise
        if not grads:
            return [EngineRun(float(v), [], [], []) for v in out]
        size = n_inputs + len(program[1])
        nodes = SharedResult(lambda: self._node_details(program, points))
        rows = per_point(input_grads, width)
        return [
            EngineRun(
                float(v),
                [float(g) for g in row],  # type: ignore[arg-type]
                Lazy(_pick(nodes, 1, b), size),  # type: ignore[arg-type]
                Lazy(_pick(nodes, 0, b), size),  # type: ignore[arg-type]
            )
            for b, (v, row) in enumerate(zip(out, rows))
        ]

    def _node_details(
        self, program: Program, points: Sequence[Sequence[float]]
    ) -> tuple[list[list[float | None]], list[list[float | None]]]:
        """Per point, every node's value and gradient: the graph built again, read in one
        kernel; a failure gives None gradients (the blame then replays ops alone)."""
        width, size = len(points), program[0] + len(program[1])
        try:
            values = self._graph(program, self._leaves(program, points), True, self.batch_backward)
            node_values, node_grads = reraised(
                "reading results", lambda: self.batch_numbers(values, True, width)
            )
        except EngineCrash:
            return [[math.nan] * size] * width, [[None] * size] * width
        return per_point(node_values, width), per_point(node_grads or [], width)

    def source_preamble(self, expression: Expression) -> list[str]:
        return [
            "import os",
            "",
            'os.environ.setdefault("DEV", "CPU")',
            "from tinygrad import Tensor, dtypes",
        ]

    def source_leaf(self, x: float) -> str:
        return f"Tensor([{x!r}], dtype=dtypes.{self.dtype}).reshape(())"

    def source_readout(self, out: str, inputs: list[str]) -> list[str]:
        return [
            f"leaves = ({', '.join(inputs)},)",
            "grads = [x.grad if x.grad is not None else x.zeros_like() for x in leaves]",
            f"numbers = Tensor.stack({out}, *grads).numpy().tolist()",
            'print("value:", float(numbers[0]))',
            'print("grads:", [float(g) for g in numbers[1:]])',
        ]


def _pick(shared: SharedResult, which: int, point: int) -> Callable[[], list[float | None]]:
    return lambda: shared.get()[which][point]
