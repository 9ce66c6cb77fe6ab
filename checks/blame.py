"""Blame: which op node's backward (or forward) is wrong, found by comparing node by node and
replaying suspects alone on the engine."""

from __future__ import annotations

from dataclasses import dataclass

from gradtrio.checks.compare import as_float, close
from gradtrio.checks.engine import CaseTimeout, Engine, EngineCrash, EngineRun
from gradtrio.checks.oracle_sympy import OutOfDomain, Reference, reference
from gradtrio.strategies.expression import Expression, Node

__all__ = [
    "Blame",
    "blame_backward",
    "blame_forward",
    "kink_convention_differs",
    "op_alone",
    "wrong_before",
]


@dataclass
class Blame:
    node: int | None
    op: str
    reason: str


def wrong_before(
    engine: Engine,
    e: Expression,
    point: tuple[float, ...],
    ref: Reference | None,
    crashed: int | None,
) -> Blame | None:
    """When the engine crashed at node ``crashed``, an earlier node whose value was already wrong
    (``2 - x`` computed as ``x - 2``, then ``log`` of it raising) is the real culprit."""
    if crashed is None or ref is None or crashed <= e.n_inputs:
        return None
    prefix = Expression(e.n_inputs, e.nodes[: crashed - e.n_inputs])
    try:
        run = engine.run(prefix, point)
    except (EngineCrash, CaseTimeout, RecursionError):
        return None
    blame = blame_forward(engine, prefix, run, ref)
    return blame if blame.node is not None else None


def kink_convention_differs(
    engine: Engine, expression: Expression, run: EngineRun, ref: Reference
) -> bool:
    """Does some op on an exact kink, replayed alone there, break the convention?"""
    return any(
        op_alone(engine, expression.node(k), [run.node_values[i] for i in expression.node(k).args])
        for k in ref.kink_nodes
    )


def blame_forward(engine: Engine, expression: Expression, run: EngineRun, ref: Reference) -> Blame:
    for k in range(expression.n_inputs, expression.size):
        if not close(run.node_values[k], as_float(ref.values[k]), ref.value_bounds[k]):
            node = expression.node(k)
            return Blame(
                k,
                node.op,
                f"{expression.name(k)} = {expression.node_source(k)} is "
                f"{run.node_values[k]!r}, expected {as_float(ref.values[k])!r}",
            )
    return Blame(None, "forward", "no single node's value is wrong")


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
        and not close(run.node_grads[i], as_float(ref.adjoints[i]), ref.grad_bounds[i])  # type: ignore[arg-type]
    ]
    if not wrong:  # intermediate gradients unavailable: replay every op alone, output first
        suspects = list(range(expression.size - 1, expression.n_inputs - 1, -1))
        first_wrong = None
    else:
        first_wrong = wrong[-1]
        if first_wrong == expression.output:
            return Blame(first_wrong, "backward", "the output's own gradient is not 1")
        suspects = [k for k in expression.consumers()[first_wrong] if live[k]]
    for k in suspects:
        node = expression.node(k)
        why = op_alone(engine, node, [run.node_values[i] for i in node.args])
        if why:
            control = _control(engine, node)
            if control is not None and op_alone(
                engine, control, [0.75] * len(control.args), avoid=frozenset({node.op})
            ):
                return Blame(
                    k,
                    "backward",
                    f"{why}; {control.op} fails alone the same way, so "
                    "the fault is in backward itself, not in one op",
                )
            return Blame(k, node.op, why)
    if first_wrong is None:
        return Blame(None, "backward", "every op is right alone; the traversal is wrong")
    users = ", ".join(expression.name(k) for k in suspects)
    return Blame(
        first_wrong,
        "traversal",
        f"every op is right alone, but {expression.name(first_wrong)}'s gradient from "
        f"{users} is wrong: accumulation or visiting order in backward",
    )


def _control(engine: Engine, node: Node) -> Node | None:
    """A different op with the same sharing pattern, to tell a bug in one op's derivative from a
    bug in the backward loop every op goes through."""
    repeated = len(node.args) == 2 and node.args[0] == node.args[1]
    for name in ("add", "mul") if repeated else ("neg", "tanh", "exp"):
        if name != node.op and "nodes" in engine.ops.get(name, ()):
            return Node(name, (0, 0) if repeated else (0,))
    return None


def _scaler(engine: Engine, avoid: set[str], index: int) -> tuple[Node | None, str]:
    """A node after ``index`` that makes the upstream gradient differ from 1, so a dropped
    upstream factor shows, built from an op not in ``avoid`` (the ops under test)."""
    choices = (
        ("mul", "right", Node("mul", (index,), const=3.0, side="right"), " (times 3)"),
        ("add", "nodes", Node("add", (index, index)), " (doubled)"),
        ("neg", "nodes", Node("neg", (index,)), " (negated)"),
    )
    for name, form, node, note in choices:
        if name not in avoid and form in engine.ops.get(name, ()):
            return node, note
    return None, ""


def op_alone(
    engine: Engine, node: Node, operand_values: list[float], avoid: frozenset[str] = frozenset()
) -> str:
    """Replay one op on fresh leaves (keeping a repeated operand repeated), followed by a scaling
    by an op other than it and those in ``avoid``, so that a missing upstream factor shows;
    '' when it is right."""
    distinct = list(dict.fromkeys(node.args))
    leaf_of = {i: j for j, i in enumerate(distinct)}
    values = dict(zip(node.args, operand_values))
    nodes = [Node(node.op, tuple(leaf_of[i] for i in node.args), node.const, node.side)]
    scaler, scaled = _scaler(engine, {node.op, *avoid}, len(distinct))
    if scaler is not None:
        nodes.append(scaler)
    alone = Expression(len(distinct), tuple(nodes))
    point = [values[i] for i in distinct]
    try:
        ref = reference(alone, point)
        run = engine.run(alone, point)
    except (OutOfDomain, EngineCrash, CaseTimeout, RecursionError):
        return ""
    for j, (g, r, tol) in enumerate(zip(run.grads, ref.grads, ref.grad_bounds)):
        if not close(g, as_float(r), tol):
            return (
                f"alone, {alone.node_source(len(distinct))} at {point} gives "
                f"d/d{alone.name(j)} = {g!r}{scaled}, expected {as_float(r)!r}"
            )
    return ""
