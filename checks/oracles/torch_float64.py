"""Oracle: the same DAG replayed in PyTorch float64 autograd, a shared node being one tensor.

Asked only where the engine disagrees with the reference (to say whether the reference is backed),
so torch is imported on first use: a run on a correct engine never imports it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import Op

__all__ = ["TorchResult", "torch_gradients"]


@dataclass(init=False)
class TorchResult:
    """The output value and the input gradients; every node's gradient on demand.

    The verdict needs the input gradients only. Asking PyTorch for every node's as well (a
    retained gradient on each node) costs a third of the replay, so without ``node_grads``
    :attr:`node_grads` replays ``replay`` (the expression and point) once, when first read."""

    value: float
    grads: list[float]
    _node_grads: list[float] | None = field(repr=False, compare=False)
    _replay: tuple[Expression, tuple[float, ...]] | None = field(repr=False, compare=False)

    def __init__(
        self,
        value: float,
        grads: list[float],
        node_grads: list[float] | None = None,
        *,
        replay: tuple[Expression, tuple[float, ...]] | None = None,
    ) -> None:
        self.value, self.grads = value, grads
        self._node_grads, self._replay = node_grads, replay

    @property
    def node_grads(self) -> list[float]:
        """d(output)/d(node) for every node, inputs first (0.0 where the output does not use it)."""
        if self._node_grads is None:
            if self._replay is None:
                raise ValueError("TorchResult has neither node gradients nor a case to replay")
            self._node_grads = _node_gradients(*self._replay)
        return self._node_grads


def _apply(op: Op, node: Node, operands: list[Any]) -> Any:
    if node.kind == "numpy.float64":  # a NumPy scalar would turn a tensor operand into an array
        operands = [float(o) if o is node.const else o for o in operands]
    return op.torch(*operands)


def _replayed(expression: Expression, point: Sequence[float]) -> tuple[list[Any], list[Any]]:
    import torch

    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in point]
    return leaves, interpret(expression, leaves, _apply)


def torch_gradients(expression: Expression, point: Sequence[float]) -> TorchResult:
    """Output value and input gradients in float64 (every node's gradient on demand)."""
    leaves, values = _replayed(expression, point)
    out = values[-1]
    out.backward()
    grads = [0.0 if v.grad is None else float(v.grad) for v in leaves]
    replay = (expression, tuple(float(x) for x in point))
    return TorchResult(float(out.detach()), grads, replay=replay)


def _node_gradients(expression: Expression, point: Sequence[float]) -> list[float]:
    _, values = _replayed(expression, point)
    for v in values[expression.n_inputs :]:
        v.retain_grad()
    values[-1].backward()
    return [0.0 if v.grad is None else float(v.grad) for v in values]
