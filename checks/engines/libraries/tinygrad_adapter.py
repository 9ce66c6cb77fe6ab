"""tinygrad tensors as an object graph on its CPU device (``DEV=CPU``; it compiles each kernel
with clang). Leaves are ``Tensor([x], dtype=...).reshape(())``: a Python-number ``Tensor(x)`` is
a constant that never gets a gradient. ``backward()`` fills ``.grad`` of every float tensor in
the graph, intermediates included. Each read compiles and runs a kernel, so every value and
gradient is read in one batch (``Tensor.stack``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("DEV", "CPU")  # before tinygrad reads it

import tinygrad  # noqa: E402
from gradtrio.checks.engines.libraries.base import (  # noqa: E402
    LibraryOp,
    ObjectGraphAdapter,
    methods,
)
from gradtrio.strategies.expression import Expression  # noqa: E402
from tinygrad import Tensor, dtypes  # noqa: E402

__all__ = ["TinygradAdapter"]


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

    def numbers(self, values: Sequence[Any], grads: bool) -> tuple[list[float], list[float] | None]:
        n = len(values)
        kept = [v.grad for v in values] if grads else []
        batch = list(values) + [g for g in kept if g is not None]
        numbers = [float(x) for x in Tensor.stack(*batch).numpy().tolist()]
        if not grads:
            return numbers[:n], None
        found = iter(numbers[n:])
        # backward() fills every float tensor in the graph; a node it leaves None has gradient 0.
        return numbers[:n], [0.0 if g is None else next(found) for g in kept]

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
