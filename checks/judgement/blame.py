"""Blame: which op node's local derivative (or value) is wrong, found by comparing node by node
and replaying suspects on the engine, alone and in context (:mod:`.replays`).

Engines build ops from other ops (micrograd's ``a - b`` is ``a + b * -1``), so a bug in one op
shows through others. The replays therefore only use helper ops that have passed alone first, and
an op that fails alone is checked against the primitive control ops: when a control fails alone
too, it is the likelier culprit ("mul (used by sub)"); when every control fails the same way, the
fault is in the backward loop that all ops go through; when another op of the same value fails
too, the traversal loses such nodes; when a chain of two nodes of a helper that is right alone
fails too, the traversal visits nodes in a wrong order (and the suspect is built from several).
Where pow takes only a number exponent, ``x ** -1.0`` is the last control (micrograd's
``a / b`` is ``a * b ** -1``)."""

from __future__ import annotations

from collections.abc import Sequence

from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import Engine, EngineCrash, EngineRun
from gradtrio.checks.judgement.compare import close
from gradtrio.checks.judgement.outcome import Blame, Crash, Culprit
from gradtrio.checks.judgement.replays import (
    CONTROL_POINT,
    Replay,
    first_failure,
    helpers_of,
    same_context,
    wrong_in,
)
from gradtrio.checks.oracles.reference.enclose import Reference
from gradtrio.strategies.expression import Expression, Node
from gradtrio.strategies.ops import OPS

__all__ = [
    "blame_backward",
    "blame_crash",
    "blame_forward",
    "kink_convention_differs",
    "op_alone",
]


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
        key = (node.op, node.const, node.kind, node.side)
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
        if not close(run.node_values[k], ref.expected_values[k], ref.value_bounds[k]):
            node = expression.node(k)
            return Blame(
                k,
                Culprit.OP,
                node.op,
                f"{expression.name(k)} = {expression.node_source(k)} is "
                f"{run.node_values[k]!r}, expected {ref.expected_values[k]!r}",
            )
    return Blame(None, Culprit.FORWARD, None, "no single node's value is wrong")


def blame_backward(
    engine: Engine, expression: Expression, run: EngineRun, ref: Reference, *, thorough: bool
) -> Blame:
    """The op whose backward is wrong: find the last node (in topological order) whose gradient
    is wrong; every later node's is right, so the fault lies in what one of its consumers passed
    back. Each consumer's op is then replayed on the engine, in every context of
    :mod:`.replays`, to see which one errs; only when every one is right in every context is
    the traversal to blame (with ``thorough`` False, in the first two contexts only)."""
    live = expression.live()
    wrong = [
        i
        for i in range(expression.size)
        if live[i]
        and run.node_grads[i] is not None
        and not close(run.node_grads[i], ref.expected_adjoints[i], ref.grad_bounds[i])  # type: ignore[arg-type]
    ]
    hidden = any(
        live[k] and run.node_grads[k] is None for k in range(expression.n_inputs, expression.size)
    )
    if not wrong or hidden:  # intermediate gradients unavailable: replay every op, output first
        suspects = [k for k in range(expression.size - 1, expression.n_inputs - 1, -1) if live[k]]
        first_wrong = None
    else:
        first_wrong = wrong[-1]
        if first_wrong == expression.output:
            return Blame(first_wrong, Culprit.OUTPUT, None, "the output's own gradient is not 1")
        suspects = [k for k in expression.consumers()[first_wrong] if live[k]]
    for k in suspects:
        node = expression.node(k)
        operands = [run.node_values[i] for i in node.args]
        found = first_failure(engine, node, operands, thorough=thorough)
        if found is not None:
            return _op_blame(engine, expression, k, run.node_values[k], *found)
    said = (
        "in every context (on leaves, under upstream gradients of both signs and 0, with "
        "computed and with shared operands)"
        if thorough
        else "on leaves and under an upstream gradient"
    )
    if first_wrong is None:
        return Blame(
            None, Culprit.TRAVERSAL, None, f"every op is right {said}; the traversal is wrong"
        )
    users = ", ".join(expression.name(k) for k in suspects)
    return Blame(
        first_wrong,
        Culprit.TRAVERSAL,
        None,
        f"every op is right {said}, but {expression.name(first_wrong)}'s gradient from "
        f"{users} is wrong: accumulation or visiting order in backward",
    )


def _op_blame(
    engine: Engine, e: Expression, k: int, value: float, replay: Replay, why: str
) -> Blame:
    """The blame once ``e``'s node ``k`` has failed ``replay``. The control ops, tried in the
    same context in registry order (most primitive first: add, mul, neg, ...), tell where the
    fault is: when every one fails the same way, in what all ops go through (backward itself, or
    the traversal for a context of computed or shared operands); when an earlier one fails, in
    that op, which the suspect may be built from ("mul (used by sub)"). On leaves, another op of
    the same value failing too means the traversal loses such nodes, whatever their op."""
    node = e.node(k)
    source = f"{e.name(k)} = {e.node_source(k)}"
    if replay.kind == "leaves":
        reason = f"{source} alone, on leaves, {why}"
        if _value_fails(engine, node, value):
            return Blame(
                k,
                Culprit.TRAVERSAL,
                None,
                f"{reason}; so does another op whose value is {value!r}: the traversal loses "
                "the gradient of such nodes, whatever their op",
            )
        chain = _chain_fails(engine, node)
        if chain:
            return Blame(
                k,
                Culprit.TRAVERSAL,
                None,
                f"{reason}; so does {chain}, two nodes of an op that is right alone: the "
                f"fault is in the traversal (the visiting order), which {node.op} goes through "
                "if the engine builds it from several nodes",
            )
    else:
        reason = f"{node.op} is right on leaves, wrong {replay.said}: {replay.expression} {why}"
    repeated = len(node.args) == 2 and node.args[0] == node.args[1]

    def fails(control: Node) -> str:
        if control.op == node.op:
            return why
        values = [CONTROL_POINT, CONTROL_POINT / 1.2][: len(set(control.args))]
        return same_context(engine, replay, control, values)

    verdicts = [(control, fails(control)) for control in _controls(engine, repeated)]
    failing = [control for control, failed in verdicts if failed]
    if len(verdicts) >= 2 and len(failing) == len(verdicts):
        names = ", ".join(c.op for c in failing if c.op != node.op)
        shared = replay.kind in ("computed", "shared")
        return Blame(
            k,
            Culprit.TRAVERSAL if shared else Culprit.BACKWARD,
            None if shared else node.op,
            f"{reason}; {names} fail the same way {replay.said}, so the fault is in "
            + ("the traversal (accumulation or visiting order)" if shared else "backward itself")
            + ", not in one op",
        )
    if not failing and _power_control(engine, repeated, node) and fails(POWER_CONTROL):
        failing = [POWER_CONTROL]
    if failing and failing[0].op != node.op:
        culprit = failing[0].op
        return Blame(
            k,
            Culprit.OP,
            culprit,
            f"{reason}; {culprit} fails too {replay.said}, and {node.op} may be built from it: "
            f"{culprit} (used by {node.op})",
        )
    return Blame(k, Culprit.OP, node.op, reason)


def _value_fails(engine: Engine, node: Node, value: float) -> bool:
    """Does another op giving the same value fail too: ``(value / 2) * 2`` (when that op is
    right elsewhere)?"""
    if node.op == "mul" or not helpers_of(engine).mul_const:
        return False
    doubled = Expression(1, (Node("mul", (0,), const=2.0, side="right"),))
    return bool(wrong_in(engine, doubled, (value / 2,)))


def _chain_fails(engine: Engine, node: Node) -> str:
    """Does a chain of two nodes of a helper that is right alone fail on leaves
    (``(x * 3) * 2``)? Then the engine visits nodes in a wrong order, and a suspect that fails
    alone is one the engine builds from several nodes (micrograd's ``a - b`` is ``a + b * -1``).
    The chain as source text, or '' when it is right (or there is no such helper)."""
    if node.op == "mul" or not helpers_of(engine).mul_const:
        return ""
    chain = Expression(
        1,
        (
            Node("mul", (0,), const=3.0, side="right"),
            Node("mul", (1,), const=2.0, side="right"),
        ),
    )
    return "(x0 * 3.0) * 2.0" if wrong_in(engine, chain, (CONTROL_POINT,)) else ""


#: The power an engine may build other ops from (micrograd's ``a / b`` is ``a * b ** -1``),
#: tried last, in its constant form, when no control op fails: where the engine has no
#: ``x ** y`` of two nodes to be a control of its own.
POWER_CONTROL = Node("pow", (0,), const=-1.0, side="right")


def _power_control(engine: Engine, repeated: bool, node: Node) -> bool:
    pow_forms = engine.ops.get("pow", ())
    return not repeated and node.op != "pow" and "right" in pow_forms and "nodes" not in pow_forms


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


def op_alone(engine: Engine, node: Node, operand_values: Sequence[float]) -> str:
    """How ``node``'s op, replayed on the engine on leaves and under an upstream gradient,
    first disagrees with the reference; '' when it is right in both."""
    found = first_failure(engine, node, operand_values, thorough=False)
    if found is None:
        return ""
    replay, why = found
    return f"{replay.expression} {replay.said} at {list(replay.point)} {why}"
