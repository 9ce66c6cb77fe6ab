"""Oracle: the same DAG replayed in PyTorch float64 autograd, a shared node being one tensor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import Op

__all__ = ["TorchResult", "torch_gradients"]


@dataclass
class TorchResult:
    value: float
    grads: list[float]
    node_grads: list[float]


def _apply(op: Op, node: Node, operands: list[Any]) -> Any:
    return op.torch(*operands)


def torch_gradients(expression: Expression, point: Sequence[float]) -> TorchResult:
    """Output value, input gradients and every node's gradient, in float64."""
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in point]
    values = interpret(expression, leaves, _apply)
    for v in values[expression.n_inputs :]:
        v.retain_grad()
    out = values[-1]
    out.backward()
    node_grads = [0.0 if v.grad is None else float(v.grad) for v in values]
    return TorchResult(float(out.detach()), node_grads[: expression.n_inputs], node_grads)
