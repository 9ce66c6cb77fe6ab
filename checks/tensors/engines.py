"""Tensor engines: a tensor expression replayed on a tensor class, or on PyTorch float64 tensors.

One interface (:class:`TensorEngine`): ``run`` builds every node from its operands (a shared
node is the same object wherever it is used), reduces the last one to ``(last * W).sum()``, runs
the backward pass and reads the output's value and each input's gradient, as the engine holds it
(a gradient of another shape is the verdict's to judge). What the engine raises is a
:class:`TensorCrash` naming the node or the phase, never a traceback from inside the harness.

:class:`TensorClassEngine` drives a micrograd-style tensor class: the attributes holding the
value and the gradient and the backward method are found by probing, as for a Value class, and
the ops the class lacks are not drawn. :class:`TorchTensors` is PyTorch, imported when used.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from gradtrio.checks.engines.faults import EngineFaults, text_of
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.engines.value_class import (
    BACKWARD_METHODS,
    GRAD_ATTRS,
    VALUE_ATTRS,
    load_class,
)
from gradtrio.strategies.ops import OPS
from gradtrio.strategies.tensor_cases import all_tensor_ops
from gradtrio.strategies.tensor_expression import (
    TENSOR_OPS,
    TensorExpression,
    TensorNode,
    output_weights,
)

__all__ = ["TensorClassEngine", "TensorCrash", "TensorEngine", "TensorRun", "TorchTensors"]


@dataclass(frozen=True)
class TensorRun:
    """The output's value and each input's gradient as float64 arrays (None where the engine
    left an input without one)."""

    value: float
    grads: tuple[np.ndarray | None, ...]


class TensorCrash(Exception):
    """The engine raised, or gave something that is not a number; the message says where."""


class TensorEngine(Protocol):
    """What the tensor verdict knows of an engine."""

    name: str

    def supports(self) -> frozenset[str]:
        """The tensor ops (registry and structural names) the engine has."""
        ...

    def run(self, expression: TensorExpression, inputs: Sequence[np.ndarray]) -> TensorRun:
        """Value and input gradients of ``expression`` at ``inputs``; :class:`TensorCrash`."""
        ...


Call = Callable[[TensorNode, list[Any]], Any]


def _reduction(name: str) -> Call:
    def call(node: TensorNode, operands: list[Any]) -> Any:
        method = getattr(operands[0], name)
        if node.axis is None and not node.keepdims:
            return method()
        return method(axis=node.axis, keepdims=node.keepdims)

    return call


def _transpose(node: TensorNode, operands: list[Any]) -> Any:
    (x,) = operands
    return x.T if node.perm == (1, 0) else x.transpose(node.perm)


# How a tensor class is asked for each structural op, and the attribute that says it has it.
_CLASS_CALLS: dict[str, tuple[str, Call]] = {
    "sum": ("sum", _reduction("sum")),
    "mean": ("mean", _reduction("mean")),
    "matmul": ("__matmul__", lambda node, xs: operator.matmul(*xs)),
    "reshape": ("reshape", lambda node, xs: xs[0].reshape(node.shape)),
    "transpose": ("transpose", _transpose),
}
# Tensor classes name elementwise max and min as NumPy does: x.max(y) would be a reduction.
_PICKS = {"max": "maximum", "min": "minimum"}


def _class_call(name: str) -> tuple[str, Call]:
    if name in _CLASS_CALLS:
        return _CLASS_CALLS[name]
    if name in _PICKS:
        method = _PICKS[name]
        return method, lambda node, xs: getattr(xs[0], method)(xs[1])
    row = OPS[name]
    return row.engine_attrs["nodes"], lambda node, xs: row.apply(*xs)


def _replay(
    expression: TensorExpression, leaves: list[Any], call: Callable[[str], Call], weights: Any
) -> Any:
    """Every node from its operands, then ``(last * weights).sum()``; TensorCrash on a raise."""
    values = list(leaves)
    for k, node in enumerate(expression.nodes, start=expression.n_inputs):
        try:
            values.append(call(node.op)(node, [values[i] for i in node.args]))
        except EngineFaults.caught as exc:
            raise TensorCrash(
                f"{expression.name(k)} = {expression.node_source(k)} raised "
                f"{type(exc).__name__}: {text_of(exc)}"
            ) from None
    try:
        return (values[-1] * weights).sum()
    except EngineFaults.caught as exc:
        raise TensorCrash(
            f"out = ({expression.name(expression.output)} * W).sum() raised "
            f"{type(exc).__name__}: {text_of(exc)}"
        ) from None


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        return np.array(value, dtype=np.float64)
    except EngineFaults.caught as exc:
        raise TensorCrash(f"{what} is not an array of numbers: {text_of(exc)}") from None


def _scalar(value: Any) -> float:
    array = _as_array(value, "the output's value")
    if array.size != 1:
        raise TensorCrash(f"(last * W).sum() has shape {array.shape}: expected one number")
    return float(array.reshape(()))


@dataclass(eq=False)
class TensorClassEngine:
    """A tensor class and how to drive it; build with :meth:`from_class` or :meth:`load`."""

    cls: type
    name: str
    value_attr: str
    grad_attr: str
    backward: str
    ops: frozenset[str]

    @classmethod
    def load(cls, spec: str) -> TensorClassEngine:
        """The class named ``package.module:Class`` or ``path/to/file.py:Class``."""
        return cls.from_class(load_class(spec), name=spec)

    @classmethod
    def from_class(cls, tensor_cls: type, *, name: str | None = None) -> TensorClassEngine:
        """Probe ``tensor_cls``: build one tensor, find its value and gradient attributes and its
        backward method, and list the ops it has; :class:`EngineError` naming what is missing."""
        name = name or f"{tensor_cls.__module__}:{tensor_cls.__qualname__}"
        probe_data = np.array([[1.5, -0.5]])
        try:
            probe = tensor_cls(probe_data.copy())
        except EngineFaults.caught as exc:
            raise EngineError(
                f"engine {name}: {tensor_cls.__name__}(array) raised {type(exc).__name__}: "
                f"{text_of(exc)}"
            ) from None
        value_attr = next(
            (a for a in VALUE_ATTRS if _holds(probe, a) and _equal(probe, a, probe_data)), ""
        )
        grad_attr = next((a for a in GRAD_ATTRS if _holds(probe, a)), "")
        backward = next((m for m in BACKWARD_METHODS if _holds(probe, m)), "")
        for what, found, names in (
            ("value attribute holding the array", value_attr, VALUE_ATTRS),
            ("gradient attribute", grad_attr, GRAD_ATTRS),
            ("backward method", backward, BACKWARD_METHODS),
        ):
            if not found:
                looked = ", ".join(f".{n}" for n in names)
                raise EngineError(f"engine {name}: no {what} found (looked for {looked})")
        ops = frozenset(op for op in all_tensor_ops() if _holds(probe, _class_call(op)[0]))
        return cls(tensor_cls, name, value_attr, grad_attr, backward, ops)

    def supports(self) -> frozenset[str]:
        return self.ops

    def run(self, expression: TensorExpression, inputs: Sequence[np.ndarray]) -> TensorRun:
        try:
            leaves = [self.cls(np.array(x, dtype=np.float64)) for x in inputs]
            weights = self.cls(output_weights(expression.shapes[-1]))
        except EngineFaults.caught as exc:
            raise TensorCrash(
                f"building an input raised {type(exc).__name__}: {text_of(exc)}"
            ) from None
        out = _replay(expression, leaves, lambda op: _class_call(op)[1], weights)
        try:
            getattr(out, self.backward)()
            value = getattr(out, self.value_attr)
            grads = [getattr(leaf, self.grad_attr) for leaf in leaves]
        except EngineFaults.caught as exc:
            raise TensorCrash(
                f"out.{self.backward}() raised {type(exc).__name__}: {text_of(exc)}"
            ) from None
        return TensorRun(
            _scalar(value),
            tuple(
                None if g is None else _as_array(g, f"x{i}.{self.grad_attr}")
                for i, g in enumerate(grads)
            ),
        )


def _holds(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except EngineFaults.caught:
        return False


def _equal(obj: Any, name: str, expected: np.ndarray) -> bool:
    try:
        return bool(np.array_equal(np.asarray(getattr(obj, name), dtype=np.float64), expected))
    except EngineFaults.caught:
        return False


def _torch_call(name: str) -> Call:
    row = TENSOR_OPS.get(name)
    if row is None:
        op = OPS[name]
        return lambda node, xs: op.torch(*xs)
    if name in ("sum", "mean"):

        def reduce(node: TensorNode, xs: list[Any]) -> Any:
            method = getattr(xs[0], name)
            if node.axis is not None:
                return method(dim=node.axis, keepdim=node.keepdims)
            total = method()  # over every axis; torch keeps none of them
            return total.reshape((1,) * xs[0].dim()) if node.keepdims else total

        return reduce
    if name == "transpose":
        return lambda node, xs: xs[0].permute(node.perm)
    return _CLASS_CALLS[name][1]


@dataclass(eq=False)
class TorchTensors:
    """PyTorch float64 tensors, a leaf per input (``requires_grad``), ``.backward()``."""

    name: str = "torch"

    def supports(self) -> frozenset[str]:
        return frozenset(all_tensor_ops())

    def run(self, expression: TensorExpression, inputs: Sequence[np.ndarray]) -> TensorRun:
        import torch

        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
        weights = torch.tensor(output_weights(expression.shapes[-1]), dtype=torch.float64)
        out = _replay(expression, leaves, _torch_call, weights)
        out.backward()
        return TensorRun(
            float(out.detach()),
            tuple(None if x.grad is None else x.grad.numpy().copy() for x in leaves),
        )
