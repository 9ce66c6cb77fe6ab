"""Blame: which op node's local derivative (or value) is wrong, found by comparing node by node
and replaying suspects alone on the engine.

Engines build ops from other ops (micrograd's ``a - b`` is ``a + b * -1``), so a bug in one op
shows through others. The replays therefore only scale with ops that have passed alone first, and
an op that fails alone is checked against the primitive control ops: when a control fails alone
too, it is the likelier culprit ("mul (used by sub)"); when every control fails the same way, the
fault is in the backward loop that all ops go through."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import Engine, EngineCrash, EngineRun
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.judgement.outcome import Blame, Crash, Culprit
from gradtrio.checks.oracles.reference.enclose import OutOfDomain, Reference, reference
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS

__all__ = [
    "blame_backward",
    "blame_crash",
    "blame_forward",
    "kink_convention_differs",
    "op_alone",
]

_CONTROL_POINT = 0.75


def blame_crash(
    engine: Engine, e: Expression, point: tuple[float, ...], ref: Reference | None, crash: Crash
) -> Blame:
    """The node that crashed, or an earlier node whose value was already wrong (``2 - x``
    computed as ``x - 2``, then ``log`` of it raising)."""
    node = crash.node
    if node is not None and node < e.n_inputs:
        return Blame(node, Culprit.INPUT, None, crash.detail)
    if node is not None and ref is not None and node > e.n_inputs:
        prefix = Expression(e.n_inputs, e.nodes[: node - e.n_inputs])
        try:
            run = engine.run(prefix, point)
        except (EngineCrash, CaseTimeout, RecursionError):
            run = None
        if run is not None:
            earlier = blame_forward(prefix, run, ref)
            if earlier.node is not None:
                return earlier
    if node is not None:
        return Blame(node, Culprit.OP, e.node(node).op, crash.detail)
    detail = crash.detail
    if ref is not None:  # backward raised: which node's backward raises alone?
        values = [float(v) for v in ref.values]
        for k in _suspects(e):
            alone, at = _alone(e.node(k), [values[i] for i in e.node(k).args])
            try:
                engine.run(alone, at)
            except EngineCrash as exc:
                if exc.where == "backward":
                    where = f"{e.name(k)} = {e.node_source(k)}"
                    return Blame(k, Culprit.OP, e.node(k).op, f"alone, {where} {exc.detail}")
            except (CaseTimeout, RecursionError):
                continue
    return Blame(None, Culprit.BACKWARD, None, detail)


def _suspects(e: Expression, per_kind: int = 3, most: int = 60) -> list[int]:
    """Nodes to replay alone, last first: a few of each kind of node (op, constant, side), so
    that a 10,000-node chain costs a few dozen replays, not 10,000."""
    seen: dict[tuple[object, ...], int] = {}
    chosen: list[int] = []
    for k in range(e.size - 1, e.n_inputs - 1, -1):
        node = e.node(k)
        key = (node.op, node.const, node.side)
        if seen.get(key, 0) < per_kind:
            seen[key] = seen.get(key, 0) + 1
            chosen.append(k)
            if len(chosen) == most:
                break
    return chosen


def _alone(node: Node, operand_values: list[float]) -> tuple[Expression, list[float]]:
    """``node`` on fresh leaves, a repeated operand kept repeated, and the point for them."""
    distinct = list(dict.fromkeys(node.args))
    leaf_of = {i: j for j, i in enumerate(distinct)}
    values = dict(zip(node.args, operand_values))
    alone = Node(node.op, tuple(leaf_of[i] for i in node.args), node.const, node.side)
    return Expression(len(distinct), (alone,)), [values[i] for i in distinct]


def kink_convention_differs(
    engine: Engine, expression: Expression, run: EngineRun, ref: Reference
) -> bool:
    """Does some op on an exact kink, replayed alone there, break the convention?"""
    return any(
        op_alone(engine, expression.node(k), [run.node_values[i] for i in expression.node(k).args])
        for k in ref.kink_nodes
    )


def blame_forward(expression: Expression, run: EngineRun, ref: Reference) -> Blame:
    for k in range(expression.n_inputs, expression.size):
        if not close(run.node_values[k], float(ref.values[k]), ref.value_bounds[k]):
            node = expression.node(k)
            return Blame(
                k,
                Culprit.OP,
                node.op,
                f"{expression.name(k)} = {expression.node_source(k)} is "
                f"{run.node_values[k]!r}, expected {float(ref.values[k])!r}",
            )
    return Blame(None, Culprit.FORWARD, None, "no single node's value is wrong")


def blame_backward(engine: Engine, expression: Expression, run: EngineRun, ref: Reference) -> Blame:
    """The op whose backward is wrong: find the last node (in topological order) whose gradient
    is wrong; every later node's is right, so the fault lies in what one of its consumers passed
    back. Each consumer's op is then replayed alone on the engine to see which one errs."""
    live = expression.live()
    wrong = [
        i
        for i in range(expression.size)
        if live[i]
        and run.node_grads[i] is not None
        and not close(run.node_grads[i], float(ref.adjoints[i]), ref.grad_bounds[i])  # type: ignore[arg-type]
    ]
    if not wrong:  # intermediate gradients unavailable: replay every op alone, output first
        suspects = list(range(expression.size - 1, expression.n_inputs - 1, -1))
        first_wrong = None
    else:
        first_wrong = wrong[-1]
        if first_wrong == expression.output:
            return Blame(first_wrong, Culprit.OUTPUT, None, "the output's own gradient is not 1")
        suspects = [k for k in expression.consumers()[first_wrong] if live[k]]
    for k in suspects:
        node = expression.node(k)
        why = op_alone(engine, node, [run.node_values[i] for i in node.args])
        if why:
            return _primitive_blame(engine, k, node, why)
    if first_wrong is None:
        return Blame(
            None, Culprit.TRAVERSAL, None, "every op is right alone; the traversal is wrong"
        )
    users = ", ".join(expression.name(k) for k in suspects)
    return Blame(
        first_wrong,
        Culprit.TRAVERSAL,
        None,
        f"every op is right alone, but {expression.name(first_wrong)}'s gradient from "
        f"{users} is wrong: accumulation or visiting order in backward",
    )


def _primitive_blame(engine: Engine, k: int, node: Node, why: str) -> Blame:
    """``node``'s op fails alone. The control ops, tried in registry order (most primitive
    first: add, mul, neg, ...), with the suspect's sharing pattern, tell where the fault is: the
    first that fails alone is the culprit (the suspect may be built from it: "mul (used by
    sub)"); when every one fails, the fault is in the backward loop itself."""
    repeated = len(node.args) == 2 and node.args[0] == node.args[1]
    verdicts = []
    for control in _controls(engine, repeated):
        if control.op == node.op:
            verdicts.append((control, why))
            continue
        values = [_CONTROL_POINT, _CONTROL_POINT / 1.2][: len(set(control.args))]
        verdicts.append((control, op_alone(engine, control, values)))
    failing = [control for control, fails in verdicts if fails]
    if len(verdicts) >= 2 and len(failing) == len(verdicts):
        names = ", ".join(c.op for c in failing if c.op != node.op)
        return Blame(
            k,
            Culprit.BACKWARD,
            node.op,
            f"{why}; {names} fail alone the same way, so the fault is in backward itself, "
            "not in one op",
        )
    if failing and failing[0].op != node.op:
        culprit = failing[0].op
        return Blame(
            k,
            Culprit.OP,
            culprit,
            f"{why}; {culprit} alone fails too, and {node.op} may be built from it: "
            f"{culprit} (used by {node.op})",
        )
    return Blame(k, Culprit.OP, node.op, why)


def _controls(engine: Engine, repeated: bool) -> list[Node]:
    """Control ops with the sharing pattern of the suspect, in registry order: ``c(x, x)`` for
    a node using one operand twice; ``c(x)`` and ``c(x, y)`` otherwise."""
    out = []
    for name, op in OPS.items():
        if not op.control or "nodes" not in engine.ops.get(name, ()):
            continue
        if repeated and op.arity == 2:
            out.append(Node(name, (0, 0)))
        elif not repeated:
            out.append(Node(name, (0,) if op.arity == 1 else (0, 1)))
    return out


_SCALE = 3.0


def _scaler(name: str, index: int) -> Node:
    """A scaling node on ``index`` that uses it once (sharing could trip a traversal bug)."""
    if OPS[name].arity == 1:
        return Node(name, (index,))
    return Node(name, (index,), const=_SCALE, side="right")


_SCALERS: weakref.WeakKeyDictionary[Engine, list[str]] = weakref.WeakKeyDictionary()
"""The trusted scalers of each engine, found once."""


def _trusted_scalers(engine: Engine) -> list[str]:
    """Control ops that give the right gradient alone (with an upstream gradient of 1) and
    whose derivative there is not 1, so that they scale the upstream gradient: ``x * 3``,
    ``-x``, ``tanh(x)``."""
    cache = _SCALERS.get(engine)
    if cache is not None:
        return cache
    trusted = []
    for name, forms in engine.ops.items():
        op = OPS[name]
        node = _scaler(name, 0)
        if not op.control or node.form not in forms:
            continue
        try:
            derivative = float(reference(Expression(1, (node,)), [_CONTROL_POINT]).grads[0])
        except OutOfDomain:
            continue
        if derivative != 1.0 and not _wrong_alone(engine, (node,), 1):
            trusted.append(name)
    _SCALERS[engine] = trusted
    return trusted


def _wrong_alone(
    engine: Engine, nodes: tuple[Node, ...], n_inputs: int, point: Sequence[float] | None = None
) -> str:
    alone = Expression(n_inputs, nodes)
    point = [_CONTROL_POINT] * n_inputs if point is None else point
    try:
        ref = reference(alone, point)
        run = engine.run(alone, point)
    except (OutOfDomain, EngineCrash, CaseTimeout, RecursionError):
        return ""
    for j, (g, r, tol) in enumerate(zip(run.grads, ref.grads, ref.grad_bounds)):
        if not close(g, float(r), tol):
            return (
                f"alone, {alone.node_source(n_inputs)} at {list(point)} gives "
                f"d/d{alone.name(j)} = {g!r}, expected {float(r)!r}"
            )
    return ""


def op_alone(engine: Engine, node: Node, operand_values: list[float]) -> str:
    """Replay one op on fresh leaves (keeping a repeated operand repeated), followed by a
    trusted op of another kind that scales the upstream gradient, so that a missing upstream
    factor shows; '' when it is right."""
    alone, point = _alone(node, operand_values)
    nodes = list(alone.nodes)
    scaler = next((s for s in _trusted_scalers(engine) if s != node.op), None)
    note = ""
    if scaler is not None:
        nodes.append(_scaler(scaler, alone.n_inputs))
        note = f" (then {scaler})"
    why = _wrong_alone(engine, tuple(nodes), alone.n_inputs, point)
    return why.replace(" gives ", f"{note} gives ", 1) if why else ""
