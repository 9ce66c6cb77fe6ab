"""MyGrad tensors as an object graph: ``mygrad.tensor`` leaves, module functions for the ops,
``backward()`` on the output. MyGrad keeps every intermediate's gradient, but clears gradients
when a tensor takes part in a new operation, so they are read right after ``backward()``. A
batch is 1-D tensors of the points' values; ``backward()`` of a non-scalar seeds ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mygrad as mg
import mygrad.nnet as nnet
import numpy as np
from gradtrio.checks.engines.libraries.base import (
    LibraryOp,
    ObjectGraphAdapter,
    calls,
    grad_or_zero,
)
from gradtrio.strategies.expression import Expression

__all__ = ["MyGradAdapter"]

LEAKY_SLOPE = 0.01  # mygrad.nnet.leaky_relu has no default slope; this is torch's and JAX's


class MyGradAdapter(ObjectGraphAdapter):
    library = "mygrad"

    def __init__(self, name: str = "mygrad", dtype: str = "float64", **kw: Any) -> None:
        self.version = mg.__version__
        self.np_dtype: Any = mg.float64 if dtype == "float64" else mg.float32
        super().__init__(name, dtype, **kw)

    def _library_ops(self) -> dict[str, LibraryOp]:
        names = ("exp", "log", "tanh", "sqrt", "sin", "cos", "square", "log1p")
        return {
            **calls(mg, "mg", names),
            **calls(nnet, "mg.nnet", ("sigmoid", "relu")),
            "abs": (mg.absolute, "mg.absolute({0})"),
            "leaky_relu": (
                lambda a: nnet.leaky_relu(a, LEAKY_SLOPE),
                f"mg.nnet.leaky_relu({{0}}, {LEAKY_SLOPE!r})",
            ),
            "max": (mg.maximum, "mg.maximum({0}, {1})"),
            "min": (mg.minimum, "mg.minimum({0}, {1})"),
        }

    def leaf(self, x: float, grads: bool) -> Any:
        return mg.tensor(x, dtype=self.np_dtype, constant=not grads)

    def numbers(self, values: Sequence[Any], grads: bool) -> tuple[list[float], list[float] | None]:
        node_values = [float(v.item()) for v in values]
        return node_values, [grad_or_zero(v.grad) for v in values] if grads else None

    def batch_leaf(self, column: Sequence[float], grads: bool) -> Any:
        return mg.tensor(np.asarray(column, dtype=self.np_dtype), constant=not grads)

    def batch_numbers(
        self, values: Sequence[Any], grads: bool, width: int
    ) -> tuple[list[list[float]], list[list[float]] | None]:
        def rows(arrays: list[Any]) -> list[list[float]]:
            shaped = [np.broadcast_to(np.asarray(a, dtype=np.float64), (width,)) for a in arrays]
            return np.stack(shaped).tolist()

        node_values = rows([v.data for v in values])
        if not grads:
            return node_values, None
        return node_values, rows([0.0 if v.grad is None else v.grad for v in values])

    def source_preamble(self, expression: Expression) -> list[str]:
        return ["import mygrad as mg"]

    def source_leaf(self, x: float) -> str:
        return f"mg.tensor({x!r}, dtype=mg.{self.dtype})"

    def source_number(self, value: str) -> str:
        return f"float({value})"
