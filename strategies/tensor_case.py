"""A tensor case: a tensor expression and the point to judge it at, its inputs' elements in
order (each input in C order), as the scalar expansion numbers them. JSON format
``gradtrio.tensor-case/1``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gradtrio.strategies.tensor_expression import TensorExpression

__all__ = ["FORMAT", "TensorCase"]

FORMAT = "gradtrio.tensor-case/1"


@dataclass(frozen=True)
class TensorCase:
    """``expression`` at ``point``; ``family`` says which strategy drew it ("user" by hand)."""

    expression: TensorExpression
    point: tuple[float, ...]
    family: str = "user"

    def __post_init__(self) -> None:
        if not isinstance(self.expression, TensorExpression):
            raise ValueError(f"expression={self.expression!r}: expected a TensorExpression")
        try:
            point = tuple(float(x) for x in self.point)
        except (TypeError, ValueError):
            raise ValueError(f"point={self.point!r}: expected a sequence of numbers") from None
        if len(point) != self.expression.elements():
            raise ValueError(
                f"point has {len(point)} values: expected {self.expression.elements()}, the "
                f"elements of {self.expression.signature()}"
            )
        if not all(math.isfinite(x) for x in point):
            raise ValueError(f"point={list(point)!r}: expected finite numbers")
        object.__setattr__(self, "point", point)

    @classmethod
    def of(cls, expression: TensorExpression, *inputs: Any) -> TensorCase:
        """A hand-built case from one array (or nested list) per input, of the input's shape."""
        if len(inputs) != expression.n_inputs:
            raise ValueError(f"{len(inputs)} inputs given: expected {expression.n_inputs}")
        flat: list[float] = []
        for i, (value, shape) in enumerate(zip(inputs, expression.inputs)):
            array = np.asarray(value, dtype=np.float64)
            if array.shape != shape:
                raise ValueError(f"input x{i} has shape {array.shape}: expected {shape}")
            flat += array.ravel().tolist()
        return cls(expression, tuple(flat))

    def inputs(self) -> list[np.ndarray]:
        """The inputs as float64 arrays of their shapes (fresh copies)."""
        out, start = [], 0
        for shape in self.expression.inputs:
            size = math.prod(shape)
            out.append(np.array(self.point[start : start + size], dtype=np.float64).reshape(shape))
            start += size
        return out

    def pruned(self) -> TensorCase:
        """The case without the nodes and inputs its output does not depend on."""
        expression, point = self.expression.pruned(self.point)
        return TensorCase(expression, point, self.family)

    def to_json(self) -> str:
        return json.dumps(
            {"format": FORMAT, "expression": self.expression.to_dict(), "point": list(self.point)}
        )

    @classmethod
    def from_json(cls, text: str) -> TensorCase:
        """Rebuild from :meth:`to_json` output; ``ValueError`` naming the bad field otherwise."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"format={got!r}: expected a {FORMAT!r} object")
        if "expression" not in data or "point" not in data:
            raise ValueError("malformed tensor case: expected 'expression' and 'point'")
        return cls(TensorExpression.from_dict(data["expression"]), tuple(data["point"]))
