"""Probes of the engine run once per engine, outside the cases: behaviour that is not a wrong
gradient of one case but that a user of the engine should know of."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gradtrio.checks.limits import EngineFaults
from gradtrio.checks.outcome import Limitation, LimitationKind
from gradtrio.strategies.expression import Expression, Node

if TYPE_CHECKING:
    from gradtrio.checks.engine import Engine

__all__ = ["probe_backward_twice", "probe_limitations"]


def probe_limitations(engine: Engine) -> list[Limitation]:
    found = [probe_backward_twice(engine)]
    if engine.unchecked:
        listed = "; ".join(f"{name}: {why}" for name, why in sorted(engine.unchecked.items()))
        found.append(Limitation(LimitationKind.UNCHECKED, f"not checked: {listed}"))
    return [note for note in found if note is not None]


def probe_backward_twice(engine: Engine) -> Limitation | None:
    """Does a second ``backward()`` on the same graph add exactly the first call's gradients
    again (as PyTorch's leaves accumulate), or double-count intermediate gradients?"""
    if not all("nodes" in engine.ops.get(name, ()) for name in ("mul", "add")):
        return None
    expression = Expression(2, (Node("mul", (0, 1)), Node("add", (2, 2))))
    point = (1.5, -0.5)
    try:
        with engine.time_limit():
            leaves, values = engine._build(expression, point)
            grads = []
            for call in ("first", "second"):
                getattr(values[-1], engine.backward)()
                grads.append(
                    [engine._read(v, engine.grad_attr, f"{call} backward") for v in leaves]
                )
    except EngineFaults.caught:  # crashes and hangs are reported by the cases themselves
        return None
    first, second = grads
    if all(math.isclose(b, 2 * a) for a, b in zip(first, second, strict=True)):
        return None  # leaves accumulate, as in PyTorch
    if all(math.isclose(b, a) for a, b in zip(first, second, strict=True)):
        return None  # gradients are reset by each call: no accumulation, but nothing wrong
    return Limitation(
        LimitationKind.BACKWARD_TWICE,
        f"{engine.backward}() called twice on one graph double-counts intermediate "
        f"gradients: for {expression} at x0={point[0]}, x1={point[1]} the second call "
        f"leaves x0.{engine.grad_attr} = {second[0]!r}, expected {2 * first[0]!r} (twice the "
        f"first call's {first[0]!r}); reset every node's gradient between calls",
    )
