"""PyTorch tensors as an object graph: leaves ``requires_grad=True``, every intermediate
``retain_grad()``, one ``backward()`` on the output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from gradtrio.checks.engines.libraries.base import (
    LibraryOp,
    ObjectGraphAdapter,
    calls,
    grad_or_zero,
)
from gradtrio.checks.engines.protocol import EngineRun
from gradtrio.strategies.expression import Expression

__all__ = ["TorchAdapter"]

# Measured on torch 2.13.0: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = 0.01, maximum and
# minimum split a tie 0.5 / 0.5, d/dx x ** 0.0 at 0 = 0. PyTorch's are the reference conventions,
# so nothing is declared; softplus is linear past its threshold (x > 20, derivative exactly 1),
# as F.softplus documents: "reverts to the linear function when input * beta > threshold".


class TorchAdapter(ObjectGraphAdapter):
    library = "torch"

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

    def prepare(self, values: Sequence[Any]) -> None:
        for v in values:
            if v.requires_grad and not v.is_leaf:
                v.retain_grad()

    def backward(self, out: Any) -> None:
        out.backward()

    def read(self, values: Sequence[Any], leaves: Sequence[Any], grads: bool) -> EngineRun:
        node_values = [v.item() for v in values]
        if not grads:
            return EngineRun(node_values[-1], [], [], node_values)
        node_grads = [None if v.grad is None else v.grad.item() for v in values]
        # A node the output does not depend on has no gradient: 0, as for an unused input.
        node_grads = [grad_or_zero(g) for g in node_grads]
        return EngineRun(node_values[-1], node_grads[: len(leaves)], list(node_grads), node_values)

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        dtype = f"torch.{self.dtype}"
        inputs = [expression.name(i) for i in range(expression.n_inputs)]
        out = expression.name(expression.output)
        lines = [
            self.header(),
            "import torch",
            "",
            f"DTYPE = {dtype}",
            *(
                ["as_tensor = lambda x: torch.as_tensor(x, dtype=DTYPE)"]
                if {"max", "min"} & set(expression.ops_used())
                else []
            ),
            *(
                f"{name} = torch.tensor({self.rounded(x)!r}, dtype=DTYPE, requires_grad=True)"
                for name, x in zip(inputs, point)
            ),
            *self.node_lines(expression),
            f"{out}.backward()",
            f'print("value:", {out}.item())',
            f"grads = [0.0 if x.grad is None else x.grad.item() for x in ({', '.join(inputs)},)]",
            'print("grads:", grads)',
        ]
        return "\n".join(lines) + "\n"
