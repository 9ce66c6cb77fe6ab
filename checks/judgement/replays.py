"""Replays of one suspect op on the engine, in the contexts where real engines go wrong.

A bug may show only in context: a backward that ignores or clips its upstream gradient, a local
derivative that is wrong only when an operand is a computed node, an ``=`` where ``+=`` belongs
that shows only when an operand has a second consumer. :func:`contexts` builds, around one node,
the small expressions that reach each of these, in a fixed order: on fresh leaves, under upstream
gradients of both signs and several magnitudes (0 included), with each operand computed, with
each operand consumed a second time (both orders). :func:`first_failure` replays them until one
disagrees with the reference, so that the blame can say "sub is right on leaves, wrong when its
right operand is computed".

The helper nodes (a scaling ``x * c``, a computed operand ``(v / 2) * 2``, a second consumer
``x * 3`` joined by ``+``) are only used once they have passed alone themselves; an op is never
its own helper where another will do.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import Engine, EngineCrash, format_of
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.oracles.reference.enclose import OutOfDomain, reference
from gradtrio.strategies.expression import Expression, Node

__all__ = ["Replay", "contexts", "first_failure", "helpers_of", "same_context", "wrong_in"]

UPSTREAMS = (3.0, -2.0, 0.0, 1e3, -1e-3)
"""Upstream gradients a suspect is replayed under, beyond the plain 1: both signs, large and
small magnitudes, and 0 (a backward that ignores its upstream gradient passes under 1 alone)."""
CONTROL_POINT = 0.75


@dataclass(frozen=True)
class Replay:
    """One small expression around the suspect; ``said`` completes "right ..., wrong ...",
    ``kind`` names the context ("leaves", "upstream", "computed", "shared") and ``upstream``
    the upstream gradient of an "upstream" one."""

    said: str
    expression: Expression
    point: tuple[float, ...]
    kind: str = "leaves"
    upstream: float = 1.0


@dataclass(frozen=True)
class Helpers:
    """The engine's helper ops that passed alone: which may scale, compute and join."""

    mul_const: bool  # x * c (the scaler and the computed operand)
    add_nodes: bool  # x + y (joins a second consumer's path)
    neg: bool  # -x (a scaler by -1 when x * c is not there)


_HELPERS: weakref.WeakKeyDictionary[Engine, Helpers] = weakref.WeakKeyDictionary()


def helpers_of(engine: Engine) -> Helpers:
    """Which helpers this engine gets right alone (found once per engine)."""
    found = _HELPERS.get(engine)
    if found is None:
        x = CONTROL_POINT
        found = Helpers(
            mul_const=_has(engine, "mul", "right")
            and not wrong_in(engine, _expr(1, Node("mul", (0,), const=3.0, side="right")), (x,)),
            add_nodes=_has(engine, "add", "nodes")
            and not wrong_in(engine, _expr(2, Node("add", (0, 1))), (x, x / 1.2)),
            neg=_has(engine, "neg", "nodes")
            and not wrong_in(engine, _expr(1, Node("neg", (0,))), (x,)),
        )
        _HELPERS[engine] = found
    return found


def _has(engine: Engine, op: str, form: str) -> bool:
    return form in engine.ops.get(op, ())


def _expr(n_inputs: int, *nodes: Node) -> Expression:
    return Expression(n_inputs, tuple(nodes))


def wrong_in(engine: Engine, expression: Expression, point: Sequence[float]) -> str:
    """How the engine's input gradients differ from the reference's on ``expression`` at
    ``point`` ('' when they agree, or when the replay cannot be judged: out of the domain, a
    crash, a hang)."""
    point = tuple(engine.rounded(x) for x in point)
    try:
        ref = reference(expression, point, dtype=format_of(engine))
        run = engine.run(expression, point)
    except (OutOfDomain, EngineCrash, CaseTimeout, RecursionError):
        return ""
    for j, (g, r, tol) in enumerate(zip(run.grads, ref.expected_grads, ref.grad_bounds)):
        if not close(g, r, tol):
            return f"gives d/d{expression.name(j)} = {g!r}, expected {r!r}"
    return ""


def _operand_names(node: Node) -> list[str]:
    if len(node.args) == 1:
        return ["its operand"]
    return ["its left operand", "its right operand"]


def contexts(
    engine: Engine, node: Node, operand_values: Sequence[float], *, own_helper: bool = False
) -> Iterator[Replay]:
    """The replays of ``node`` (applied to operands of these values), in the order they are
    tried. Leaves stand for the operands, a repeated operand kept repeated. An op is its own
    helper only with ``own_helper`` (a control tried in a suspect's context)."""
    helpers = helpers_of(engine)
    distinct = list(dict.fromkeys(node.args))
    leaf_of = {i: j for j, i in enumerate(distinct)}
    value_of = dict(zip(node.args, operand_values))
    leaves = tuple(float(value_of[i]) for i in distinct)
    n = len(distinct)
    suspect = Node(node.op, tuple(leaf_of[i] for i in node.args), node.const, node.side)
    scales = helpers.mul_const and (own_helper or node.op != "mul")
    names = _operand_names(node) if n == len(node.args) else ["its operand"]

    yield Replay("on leaves", _expr(n, suspect), leaves)
    if scales:
        for c in UPSTREAMS:
            said = f"under an upstream gradient of {c:g}"
            yield Replay(said, _expr(n, suspect, _times(n, c)), leaves, "upstream", c)
    elif helpers.neg and node.op != "neg":
        said = "under an upstream gradient of -1"
        yield Replay(said, _expr(n, suspect, Node("neg", (n,))), leaves, "upstream", -1.0)
    if scales:
        # Each operand a computed node of the same value: (v / 2) * 2 is exactly v.
        for j, name in enumerate(names):
            args = tuple(n if leaf_of[i] == j else leaf_of[i] for i in node.args)
            moved = Node(node.op, args, node.const, node.side)
            point = tuple(x / 2 if k == j else x for k, x in enumerate(leaves))
            said = f"when {name} is a computed node"
            computed = _expr(n, _times(j, 2.0), moved, _times(n + 1, 3.0))
            yield Replay(said, computed, point, "computed")
    if scales and helpers.add_nodes and (own_helper or node.op != "add"):
        # Each operand used again by another node, the two paths joined: x -> op, x -> x * 3,
        # the other consumer built after the suspect and joined second, then before and first.
        for j, name in enumerate(names):
            said = f"when {name} has a second consumer"
            after = (suspect, _times(j, 3.0), Node("add", (n, n + 1)))
            before = (_times(j, 3.0), _shift(suspect, n, 1), Node("add", (n, n + 1)))
            yield Replay(said, _expr(n, *after), leaves, "shared")
            yield Replay(said, _expr(n, *before), leaves, "shared")


def _times(index: int, c: float) -> Node:
    return Node("mul", (index,), const=c, side="right")


def _shift(node: Node, start: int, by: int) -> Node:
    """``node`` with operand indices from ``start`` on moved by ``by`` (a node inserted)."""
    args = tuple(i + by if i >= start else i for i in node.args)
    return Node(node.op, args, node.const, node.side)


def same_context(
    engine: Engine, replay: Replay, node: Node, operand_values: Sequence[float]
) -> str:
    """How ``node`` fails in the kind of context ``replay`` put another node in ('' when it is
    right in every such context, or has none)."""
    for other in contexts(engine, node, operand_values, own_helper=True):
        if other.kind == replay.kind:
            why = wrong_in(engine, other.expression, other.point)
            if why:
                return why
    return ""


def first_failure(
    engine: Engine, node: Node, operand_values: Sequence[float], *, thorough: bool = True
) -> tuple[Replay, str] | None:
    """The first replay of ``node`` that disagrees with the reference, and how; None when
    every one agrees. Not ``thorough``: on leaves and under the first upstream gradient only,
    which a search can afford for every failing case it meets while shrinking."""
    for replay in contexts(engine, node, operand_values):
        if not thorough and not (replay.kind == "leaves" or replay.upstream == UPSTREAMS[0]):
            continue
        why = wrong_in(engine, replay.expression, replay.point)
        if why:
            return replay, why
    return None
