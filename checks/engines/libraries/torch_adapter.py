"""PyTorch tensors as an object graph: leaves ``requires_grad=True``, every intermediate
``retain_grad()``, one ``backward()`` on the output. A batch is 1-D tensors of the points'
values, ``backward(ones)`` on the output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from gradtrio.checks.engines.libraries.base import (
    LibraryOp,
    ObjectGraphAdapter,
    calls,
)
from gradtrio.strategies.expression import Expression

__all__ = ["TorchAdapter"]

BATCH = 7  # points per call: fewer than two SIMD vectors of float64 (AVX2: 4, AVX-512: 8 each)

# Measured on torch 2.13.0: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = 0.01, maximum and
# minimum split a tie 0.5 / 0.5, d/dx x ** 0.0 at 0 = 0. PyTorch's are the reference conventions,
# so nothing is declared; softplus is linear past its threshold (x > 20, derivative exactly 1),
# as F.softplus documents: "reverts to the linear function when input * beta > threshold".


class TorchAdapter(ObjectGraphAdapter):
    library = "torch"
    # PyTorch's CPU kernels run SIMD (Sleef) code on blocks of two vectors and scalar code on the
    # rest, a 0-dimensional tensor included: they differ in the last bit (tanh, exp, sigmoid, pow
    # ...). Below two vectors of float64 on AVX2 (8 numbers) every point takes the scalar code.
    batch_width = BATCH

    def __init__(self, name: str = "torch", dtype: str = "float64", **kw: Any) -> None:
        self.version = torch.__version__
        self.torch_dtype = torch.float64 if dtype == "float64" else torch.float32
        super().__init__(name, dtype, **kw)

    def _tensor(self, x: Any) -> Any:
        return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=self.torch_dtype)

    def _library_ops(self) -> dict[str, LibraryOp]:
        pair = self._tensor
        unary = ("exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sin", "cos", "square")
        return {
            **calls(torch, "torch", (*unary, "log1p")),
            "leaky_relu": (F.leaky_relu, "torch.nn.functional.leaky_relu({0})"),
            "softplus": (F.softplus, "torch.nn.functional.softplus({0})"),
            "max": (
                lambda a, b: torch.maximum(pair(a), pair(b)),
                "torch.maximum(as_tensor({0}), as_tensor({1}))",
            ),
            "min": (
                lambda a, b: torch.minimum(pair(a), pair(b)),
                "torch.minimum(as_tensor({0}), as_tensor({1}))",
            ),
        }

    def leaf(self, x: float, grads: bool) -> Any:
        return torch.tensor(x, dtype=self.torch_dtype, requires_grad=grads)

    def batch_leaf(self, column: Sequence[float], grads: bool) -> Any:
        return torch.tensor(column, dtype=self.torch_dtype, requires_grad=grads)

    def batch_backward(self, out: Any) -> None:
        out.backward(torch.ones_like(out))

    def batch_numbers(
        self, values: Sequence[Any], grads: bool, width: int
    ) -> tuple[list[list[float]], list[list[float]] | None]:
        with torch.no_grad():
            node_values = torch.stack([v.expand(width) for v in values]).tolist()
            if not grads:
                return node_values, None
            zero = torch.zeros(width, dtype=self.torch_dtype)
            rows = [zero if v.grad is None else v.grad.expand(width) for v in values]
            return node_values, torch.stack(rows).tolist()

    def prepare(self, values: Sequence[Any]) -> None:
        for v in values:
            if v.requires_grad and not v.is_leaf:
                v.retain_grad()

    def numbers(self, values: Sequence[Any], grads: bool) -> tuple[list[float], list[float] | None]:
        node_values = [v.item() for v in values]
        if not grads:
            return node_values, None
        # A node the output does not depend on has no gradient: 0, as for an unused input.
        return node_values, [0.0 if v.grad is None else v.grad.item() for v in values]

    def source_preamble(self, expression: Expression) -> list[str]:
        pairs = {"max", "min"} & set(expression.ops_used())
        return [
            "import torch",
            "",
            f"DTYPE = torch.{self.dtype}",
            *(["as_tensor = lambda x: torch.as_tensor(x, dtype=DTYPE)"] if pairs else []),
        ]

    def source_leaf(self, x: float) -> str:
        return f"torch.tensor({x!r}, dtype=DTYPE, requires_grad=True)"

    def source_number(self, value: str) -> str:
        return f"{value}.item()"
