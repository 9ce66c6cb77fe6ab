"""Hypothesis strategies for expression DAGs with shared subexpressions, and points to test them at.

Shrinking is designed in: operands are drawn as back-offsets from the newest node (0 = the newest,
so graphs shrink toward chains and toward ``x * x``), the draw loop decides how many nodes there
are, and the op subset is drawn as a set of *banned* ops, which shrinks toward every op enabled.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Hypothesis also draws constants found in the source of the modules loaded when a test runs.
# The settings profiles are loaded with the strategies, as they were when the package imported
# everything eagerly, so that a seed keeps drawing the same cases.
import gradtrio.strategies.profiles  # noqa: F401
from gradtrio.strategies.case import Case
from gradtrio.strategies.domain import (
    DEFAULT_MARGIN,
    DEFAULT_MAX_MAGNITUDE,
    float_values,
    node_problem,
    point_problem,
)
from gradtrio.strategies.expression import KINDS, Const, Expression, Node, alone, typed
from gradtrio.strategies.ops import OPS, Form
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

__all__ = [
    "OpsArg",
    "cases",
    "deep_chains",
    "expressions",
    "kink_cases",
    "mlp_cases",
    "more_points",
    "points",
    "wide_cases",
]

OpsArg = Collection[str] | Mapping[str, Collection[Form]] | None
"""Op names (every form of each), a mapping from op name to the forms allowed, or None for all."""


# -- argument validation ------------------------------------------------------------------------


def _resolve_ops(ops: OpsArg) -> dict[str, tuple[Form, ...]]:
    if ops is None:
        return {name: op.forms for name, op in OPS.items()}
    if isinstance(ops, str):
        raise InvalidArgument(f"ops={ops!r}: expected a collection of op names, not a string")
    items = ops.items() if isinstance(ops, Mapping) else ((name, None) for name in ops)
    resolved: dict[str, tuple[Form, ...]] = {}
    for name, forms in items:
        if name not in OPS:
            raise InvalidArgument(f"ops contains unknown op {name!r}; known ops: {', '.join(OPS)}")
        allowed = OPS[name].forms if forms is None else tuple(forms)
        unknown = [f for f in allowed if f not in OPS[name].forms]
        if unknown:
            raise InvalidArgument(
                f"ops[{name!r}] has form {unknown[0]!r}; {name} has forms {OPS[name].forms}"
            )
        if allowed:
            resolved[name] = allowed
    if not resolved:
        raise InvalidArgument(f"ops={ops!r}: expected at least one op")
    return resolved


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be an integer >= {minimum}")


def _check_order(lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        raise InvalidArgument(f"Cannot have {hi_name}={hi!r} < {lo_name}={lo!r}")


def _check_range(min_value: float, max_value: float) -> None:
    for name, v in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidArgument(f"{name}={v!r} must be a finite number")
    _check_order("min_value", min_value, "max_value", max_value)


def _check_margin(margin: float) -> None:
    if not isinstance(margin, (int, float)) or not 0 <= margin < 1:
        raise InvalidArgument(f"margin={margin!r} must be a number in [0, 1)")


# -- the builder shared by every family ---------------------------------------------------------


class _Builder:
    """Grows an expression node by node at a fixed point, keeping only nodes that are fair to test
    there, so points need no filtering afterwards."""

    def __init__(self, point: Sequence[float], margin: float, max_magnitude: float) -> None:
        self.point = tuple(float(x) for x in point)
        self.values = list(self.point)
        self.nodes: list[Node] = []
        self.margin = margin
        self.max_magnitude = max_magnitude

    def add(self, node: Node, *, exact_kinks: bool = False, overflow: bool = False) -> bool:
        operands = node.operands(self.values)
        try:
            value = float(OPS[node.op].float_fn(*operands))
        except (ValueError, ZeroDivisionError, OverflowError):
            return False
        problem = node_problem(
            node,
            operands,
            value,
            margin=self.margin,
            max_magnitude=self.max_magnitude,
            exact_kinks=exact_kinks,
            overflow=overflow,
        )
        if problem is not None or overflow and not math.isinf(value):
            return False
        self.nodes.append(node)
        self.values.append(value)
        return True

    def would_overflow(self, node: Node) -> bool:
        operands = node.operands(self.values)
        try:
            value = OPS[node.op].float_fn(*operands)
        except OverflowError:
            return True
        return math.isinf(value) and all(math.isfinite(x) for x in operands)

    def expression(self) -> Expression:
        return Expression(n_inputs=len(self.point), nodes=tuple(self.nodes))


# Strategies are built once and reused: Hypothesis validates every new strategy object it
# draws from, which cost as much as the drawing itself when each node built its own.
@functools.cache
def _integers(lo: int, hi: int) -> SearchStrategy[int]:
    return st.integers(lo, hi)


def _below(n: int) -> SearchStrategy[int]:
    return _integers(0, n - 1)


def _floats(lo: float, hi: float) -> SearchStrategy[float]:
    # Keyed by the signs too: -0.0 == 0.0, but a bound of -0.0 lets -0.0 be drawn.
    return _signed_floats(lo, hi, math.copysign(1.0, lo), math.copysign(1.0, hi))


@functools.cache
def _signed_floats(lo: float, hi: float, *signs: float) -> SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@functools.lru_cache(maxsize=1024)  # op subsets are many: a bounded cache
def _one_of(choices: tuple[Any, ...]) -> SearchStrategy[Any]:
    return st.sampled_from(choices)


def _typed(drawn: tuple[float, str]) -> Const:
    value, kind = drawn
    value = 0.0 if value == 0 else value  # -0.0 is not a constant anyone types
    return typed(value, kind if kind != "int" or float(value).is_integer() else "float")


@functools.cache
def _constant(listed: tuple[float, ...]) -> SearchStrategy[Const]:
    """A constant from the registry's list for the op and side, or any in [-10, 10], of every
    kind people type (see :data:`~gradtrio.strategies.expression.KINDS`): a float, an int where
    the value is integral, a NumPy float64; shrinks toward a listed float."""
    values = st.sampled_from(listed) | st.floats(-10, 10, width=64)
    return st.tuples(values, st.sampled_from(KINDS)).map(_typed)


@functools.cache
def _banned(names: tuple[str, ...]) -> SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(names), max_size=len(names) - 1)


def _log_uniform(largest: float) -> SearchStrategy[float]:
    """Magnitudes from 1e-3 to ``largest``, uniform in their decade, either sign; shrinks toward
    1 (exponent 0)."""
    top = math.log10(largest)
    return st.builds(
        lambda e, sign: sign * min(largest, 10.0**e),
        st.floats(min(-3.0, top), top),
        st.sampled_from((1.0, -1.0)),
    )


_STOP = st.integers(0, 4)
_COIN = st.booleans()


@st.composite
def _node(
    draw: st.DrawFn,
    available: dict[str, tuple[Form, ...]],
    allowed: tuple[str, ...],
    builder: _Builder,
) -> Node:
    """One op with its operands, drawn together so that shrinking keeps them local. One
    strategy per expression: the number of nodes so far is read from ``builder`` at each draw."""
    size = len(builder.values)
    name = draw(_one_of(allowed))
    op = OPS[name]
    form = draw(_one_of(available[name]))
    first = size - 1 - draw(_below(size))
    if op.arity == 1:
        return Node(name, (first,))
    if form != "nodes":
        return Node(name, (first,), const=draw(_constant(tuple(op.constants[form]))), side=form)
    # Repeated operands (x * x, t + t) are where accumulation bugs hide: ask for them directly.
    second = first if draw(_COIN) else size - 1 - draw(_below(size))
    return Node(name, (first, second))


def _grow(
    draw: st.DrawFn,
    builder: _Builder,
    available: dict[str, tuple[Form, ...]],
    min_nodes: int,
    max_nodes: int,
) -> None:
    banned = draw(_banned(tuple(sorted(available))))
    node = _node(available, tuple(name for name in available if name not in banned), builder)
    attempts = 0
    while len(builder.nodes) < max_nodes and attempts < 4 * max_nodes:
        attempts += 1
        # Stop with probability about 1/5 per node; shrinks toward stopping (a draw of 0).
        if len(builder.nodes) >= min_nodes and draw(_STOP) == 0:
            break
        builder.add(draw(node))
    assume(len(builder.nodes) >= min_nodes)


def _inputs(draw: st.DrawFn, min_inputs: int, max_inputs: int, lo: float, hi: float) -> list[float]:
    n = draw(_integers(min_inputs, max_inputs))
    return [draw(_floats(lo, hi)) for _ in range(n)]


# -- public strategies --------------------------------------------------------------------------


def cases(
    *,
    ops: OpsArg = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_nodes: int = 1,
    max_nodes: int = 12,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = DEFAULT_MARGIN,
) -> SearchStrategy[Case]:
    """Expressions drawn together with a point at which every node is fair to test.

    Arguments:
        ops: op names, a mapping from op name to allowed forms ("nodes", "left", "right"), or None
            (default) for every op in the registry in every form.
        min_inputs, max_inputs: bounds on the number of inputs (defaults 1 and 3).
        min_nodes, max_nodes: bounds on the number of op nodes (defaults 1 and 12).
        min_value, max_value: bounds on input values (defaults -3.0 and 3.0).
        margin: smallest distance, relative to ``1 + |operand|``, of any operand from its op's
            domain edge or kink (default 0.01), so finite differences see one smooth piece.

    The point is drawn first and each node is kept only if it is fair there, so no example is
    filtered away for its point. Examples shrink toward fewer nodes, toward chains of the newest
    node (``x0 * x0``), toward constants in the registry's list, and toward inputs near 0.

    >>> from hypothesis import given
    >>> @given(cases(ops=["mul", "add"], max_nodes=4))
    ... def test_engine(case): ...
    """
    available = _resolve_ops(ops)
    _check_count("min_inputs", min_inputs, 1)
    _check_count("max_inputs", max_inputs, 1)
    _check_order("min_inputs", min_inputs, "max_inputs", max_inputs)
    _check_count("min_nodes", min_nodes, 0)
    _check_count("max_nodes", max_nodes, 1)
    _check_order("min_nodes", min_nodes, "max_nodes", max_nodes)
    _check_range(min_value, max_value)
    _check_margin(margin)

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        builder = _Builder(
            _inputs(draw, min_inputs, max_inputs, min_value, max_value),
            margin,
            DEFAULT_MAX_MAGNITUDE,
        )
        _grow(draw, builder, available, min_nodes, max_nodes)
        return Case(builder.expression(), builder.point, "interior")

    return draw_case()


def expressions(
    *,
    ops: OpsArg = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_nodes: int = 1,
    max_nodes: int = 12,
) -> SearchStrategy[Expression]:
    """Expression DAGs with shared subexpressions; arguments as for :func:`cases`.

    Every expression drawn has at least one fair point in [-3, 3]; draw points for it with
    :func:`points`. Shrinks as :func:`cases` does.

    >>> from hypothesis import given
    >>> @given(expressions(max_nodes=6).flatmap(points))
    ... def test_point_is_fair(point): ...
    """
    return cases(
        ops=ops,
        min_inputs=min_inputs,
        max_inputs=max_inputs,
        min_nodes=min_nodes,
        max_nodes=max_nodes,
    ).map(lambda case: case.expression)


def points(
    expression: Expression,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = DEFAULT_MARGIN,
    tries: int = 16,
) -> SearchStrategy[tuple[float, ...]]:
    """Input values for ``expression`` at which every node is fair to test (see :func:`cases`).

    Each example tries up to ``tries`` (default 16) candidates inside [min_value, max_value],
    widening from near the origin, and keeps the first fair one; only when all fail is the example
    rejected. Shrinks toward inputs near 0.
    """
    if not isinstance(expression, Expression):
        raise InvalidArgument(f"expression={expression!r} must be an Expression")
    _check_range(min_value, max_value)
    _check_margin(margin)
    _check_count("tries", tries, 1)

    @st.composite
    def draw_point(draw: st.DrawFn) -> tuple[float, ...]:
        for attempt in range(tries):
            # Early candidates come from a narrow range, where most expressions are fair.
            scale = min(1.0, (attempt + 1) / tries * 2)
            lo, hi = min_value * scale, max_value * scale
            point = tuple(draw(_floats(lo, hi)) for _ in range(expression.n_inputs))
            if point_problem(expression, point, margin=margin) is None:
                return point
        assume(False)
        raise AssertionError("unreachable")

    return draw_point()


def kink_cases(*, ops: OpsArg = None, max_nodes: int = 8) -> SearchStrategy[Case]:
    """Cases in which at least one op with a kink (relu at 0) gets an operand exactly on it, to
    check the convention there (PyTorch's: relu'(0) = 0).

    The kink operand is an input set to the kink, or ``x - c`` with ``c`` equal to the input, so
    it is exact in every backend. Further nodes follow as in :func:`cases`.
    """
    available = _resolve_ops(ops)
    _check_count("max_nodes", max_nodes, 2)
    kinked = tuple(name for name in available if OPS[name].kinks)
    if not kinked:
        raise InvalidArgument(f"ops={ops!r} has no op with a kink")

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        point = _inputs(draw, 1, 3, -3.0, 3.0)
        name = draw(_one_of(kinked))
        kink = draw(_one_of(OPS[name].kinks))
        i = draw(_below(len(point)))
        if kink.between:  # a tie: the node against itself, or against a constant equal to it
            forms = available[name]
            tie_with_const = "right" in forms and ("nodes" not in forms or draw(_COIN))
            builder = _Builder(point, DEFAULT_MARGIN, DEFAULT_MAX_MAGNITUDE)
            node = (
                Node(name, (i,), const=point[i] - kink.at, side="right")
                if tie_with_const
                else Node(name, (i, i))
            )
            assume(kink.at == 0.0 or tie_with_const)
        else:
            shifted = "sub" in available and "right" in available["sub"] and draw(_COIN)
            if not shifted:
                point[i] = kink.at
            builder = _Builder(point, DEFAULT_MARGIN, DEFAULT_MAX_MAGNITUDE)
            if shifted:
                builder.add(Node("sub", (i,), const=point[i] - kink.at, side="right"))
            node = Node(name, (len(builder.values) - 1 if shifted else i,))
        assume(builder.add(node, exact_kinks=True))
        _grow(draw, builder, available, 0, max_nodes - len(builder.nodes))
        return Case(builder.expression(), builder.point, "kink")

    return draw_case()


def wide_cases(
    *, ops: OpsArg = None, max_nodes: int = 8, max_value: float = 1e3
) -> SearchStrategy[Case]:
    """Cases with inputs up to ``±max_value`` (default 1e3), where naive exp, tanh and sigmoid
    formulas overflow; node values may be anything short of overflow."""
    available = _resolve_ops(ops)
    _check_count("max_nodes", max_nodes, 1)
    _check_range(-max_value, max_value)
    inputs = st.lists(_wide_value(max_value), min_size=1, max_size=3)

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        point = draw(inputs)
        builder = _Builder(point, _WIDE_MARGIN, _WIDE_MAX_MAGNITUDE)
        _grow(draw, builder, available, 1, max_nodes)
        # Sometimes end on a node that overflows: float64 gives ±inf there, and so must the engine.
        candidates = [
            node for node in _overflowing_nodes(builder, available) if builder.would_overflow(node)
        ]
        overflow: bool = bool(candidates) and draw(_COIN)
        if overflow:
            builder.add(candidates[draw(_below(len(candidates)))], overflow=True)
        return Case(builder.expression(), builder.point, "wide")

    return draw_case()


_WIDE_MARGIN = 1e-6
_WIDE_MAX_MAGNITUDE = 1e300  # node values short of overflow


@functools.cache
def _wide_value(max_value: float) -> SearchStrategy[float]:
    """An input of a wide case: magnitudes just past where exp(x) (709.8) and exp(2x) (354.9)
    overflow, log-uniform ones (so that every decade up to ``max_value``, 10 < |x| < 20 where
    tanh and sigmoid saturate among them, is as common as any other) and any."""
    beyond = [x for m in (360.0, 720.0, 800.0, max_value) if m <= max_value for x in (-m, m)]
    spread, anywhere = _log_uniform(max_value), st.floats(-max_value, max_value)
    return st.sampled_from(beyond) | spread | anywhere if beyond else spread | anywhere


def _overflowing_nodes(builder: _Builder, available: dict[str, tuple[Form, ...]]) -> list[Node]:
    """Nodes that could overflow from an existing node, one per op that can overflow and node:
    ``exp(v)``, ``v * v``, ``v ** 64``."""
    out = []
    for name, forms in available.items():
        op = OPS[name]
        if op.can_overflow:
            node = alone(op, 0)
            if node.form in forms:
                out += [alone(op, i) for i in range(len(builder.values))]
    return out


def deep_chains(
    *, ops: OpsArg = None, min_depth: int = 10_000, max_depth: int = 12_000
) -> SearchStrategy[Case]:
    """Very deep expressions (default 10,000 to 12,000 op nodes, beyond Python's recursion limit)
    made by repeating a short drawn pattern of steps, each ending in a bounded op (tanh,
    sigmoid, ...) so values stay bounded; steps may add the node from two steps back (a residual,
    so nodes are shared all along the chain)."""
    available = _resolve_ops(ops)
    _check_count("min_depth", min_depth, 1)
    _check_count("max_depth", max_depth, 1)
    _check_order("min_depth", min_depth, "max_depth", max_depth)
    squash = [name for name in available if OPS[name].bounded and OPS[name].arity == 1]
    if not squash:
        raise InvalidArgument(f"ops={ops!r}: deep chains need a bounded op such as tanh")
    # Steps are ops smooth everywhere: unary ones on the newest node, binary ones with 0.5.
    smooth = [name for name in available if OPS[name].edge is None and not OPS[name].kinks]
    steps = [name for name in smooth if OPS[name].arity == 1] + [
        name for name in smooth if OPS[name].arity == 2 and "right" in available[name]
    ]
    residual = next(
        (
            name
            for name in available
            if OPS[name].arity == 2 and OPS[name].control and "nodes" in available[name]
        ),
        None,
    )

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        pattern = draw(st.lists(st.sampled_from(steps or squash), max_size=3))
        pattern.append(draw(st.sampled_from(squash)))
        with_residual = residual is not None and draw(st.booleans())
        depth = draw(st.integers(min_depth, max_depth))
        x = draw(st.floats(-2, 2))
        nodes: list[Node] = []
        while len(nodes) < depth:
            for name in pattern:
                last = len(nodes)  # index of the newest node (one input before the op nodes)
                if OPS[name].arity == 2:
                    nodes.append(Node(name, (last,), const=0.5, side="right"))
                else:
                    nodes.append(Node(name, (last,)))
            if with_residual and residual is not None and len(nodes) >= 2:
                nodes.append(Node(residual, (len(nodes), len(nodes) - 1)))
                nodes.append(Node(pattern[-1], (len(nodes),)))
        return Case(Expression(1, tuple(nodes)), (x,), "deep")

    return draw_case()


def mlp_cases(
    *, max_inputs: int = 3, max_hidden: int = 3, max_samples: int = 4
) -> SearchStrategy[Case]:
    """The graph users of such engines build: an ``autograd.nn.MLP`` (1 or 2 hidden layers, relu
    or tanh) with a squared-error loss over a few samples, traced into an expression whose inputs
    are the network's parameters (the samples are constants). Shrinks toward one input, one
    hidden unit and one sample.

    ``max_inputs`` (default 3), ``max_hidden`` (units per hidden layer, default 3) and
    ``max_samples`` (default 4) bound the network and the loss. Every parameter is shared by all
    samples, and every hidden output by the next layer, at any size. A case costs the finite
    differences about parameters times nodes: 4 hidden units instead of 3 triple that work and
    double the family's time, and catch the same mutants and test engines
    (``benchmarks/bench_mlp_size.py``)."""
    _check_count("max_inputs", max_inputs, 1)
    _check_count("max_hidden", max_hidden, 1)
    _check_count("max_samples", max_samples, 1)

    hidden_sizes = st.lists(_integers(1, max_hidden), min_size=1, max_size=2)
    activations = _one_of(("tanh", "relu"))
    seeds = _integers(0, 2**32 - 1)
    data = _floats(-2, 2)
    samples_of = {  # by the number of inputs
        nin: st.lists(
            st.tuples(st.lists(data, min_size=nin, max_size=nin), data),
            min_size=1,
            max_size=max_samples,
        )
        for nin in range(1, max_inputs + 1)
    }

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        import random

        from gradtrio.autograd.nn import MLP
        from gradtrio.strategies.trace import Tape

        nin = draw(_integers(1, max_inputs))
        hidden = draw(hidden_sizes)
        activation = draw(activations)
        mlp = MLP(nin, [*hidden, 1], rng=random.Random(draw(seeds)), activation=activation)
        tape = Tape()
        for layer in mlp.layers:  # the network's own code runs on tracers in its parameters' place
            for neuron in layer.neurons:
                neuron.w = [tape.input(w.data) for w in neuron.w]  # type: ignore[misc]
                neuron.b = tape.input(neuron.b.data)  # type: ignore[assignment]
        samples = draw(samples_of[nin])
        loss: Any = 0.0
        for x, y in samples:
            loss = loss + (mlp(x) - y) ** 2  # type: ignore[operator]
        expression = tape.expression()
        assume(point_problem(expression, tape.point) is None)
        return Case(expression, tuple(tape.point), "mlp")

    return draw_case()


# -- more points for a drawn case ---------------------------------------------------------------


def _on_kinks(expression: Expression, point: Sequence[float]) -> frozenset[int]:
    """The op nodes with an operand exactly on one of their op's kinks at ``point``."""
    values = float_values(expression, point)
    return frozenset(
        k
        for k, node in enumerate(expression.nodes, start=expression.n_inputs)
        if any(kink.offset(node.operands(values)) == 0 for kink in OPS[node.op].kinks)
    )


def _inputs_of(expression: Expression, nodes: Collection[int]) -> frozenset[int]:
    """The inputs that ``nodes`` are computed from."""
    seen: set[int] = set()
    todo = list(nodes)
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += expression.node(k).args if k >= expression.n_inputs else ()
    return frozenset(k for k in seen if k < expression.n_inputs)


def _ordinary(case: Case) -> Callable[[tuple[float, ...]], bool]:
    return lambda point: point_problem(case.expression, point) is None


def _wide(case: Case) -> Callable[[tuple[float, ...]], bool]:
    """A wide case's point: its output overflows there if it does at the case's own."""
    e = case.expression
    overflows = math.isinf(float_values(e, case.point)[-1])
    rules = {"margin": _WIDE_MARGIN, "max_magnitude": _WIDE_MAX_MAGNITUDE}

    def fair(point: tuple[float, ...]) -> bool:
        if point_problem(e, point, **rules, overflow_output=overflows) is not None:
            return False
        return math.isinf(float_values(e, point)[-1]) == overflows

    return fair


def _kink(case: Case) -> Callable[[tuple[float, ...]], bool]:
    """A kink case's point: the same nodes exactly on a kink, every other one fair."""
    e, on = case.expression, _on_kinks(case.expression, case.point)
    return lambda point: (
        point_problem(e, point, exact_kinks=True) is None and _on_kinks(e, point) == on
    )


@dataclass(frozen=True)
class _PointRule:
    """How a family draws its points: ``value`` one input's value, ``fair(case)`` the test of a
    point for the case's expression, ``fixed(case)`` the inputs every point keeps."""

    value: SearchStrategy[float]
    fair: Callable[[Case], Callable[[tuple[float, ...]], bool]]
    fixed: Callable[[Case], frozenset[int]] = lambda case: frozenset()


_POINT_RULES = {  # the families' default arguments
    "interior": _PointRule(_floats(-3.0, 3.0), _ordinary),
    "wide": _PointRule(_wide_value(1e3), _wide),
    # A kink case's kink operand is exact only at the inputs it was drawn with: they stay.
    "kink": _PointRule(
        _floats(-3.0, 3.0),
        _kink,
        lambda case: _inputs_of(case.expression, _on_kinks(case.expression, case.point)),
    ),
    # Every parameter anywhere in [-1, 1], where the network's weights are initialised.
    "mlp": _PointRule(_floats(-1.0, 1.0), _ordinary),
}


def more_points(
    case: Case, count: int, *, tries: int = 8
) -> SearchStrategy[tuple[tuple[float, ...], ...]]:
    """Up to ``count`` more points for ``case``'s expression, drawn as its family's strategy
    draws points with its default arguments (``case.family``: "interior" as :func:`cases`,
    "kink" as :func:`kink_cases`, "wide" as :func:`wide_cases`, "mlp" as :func:`mlp_cases`,
    every parameter in [-1, 1]) and fair for the expression as the family's own point is: a
    kink case's points keep the inputs that put an operand exactly on a kink and vary the
    others; a wide case's output overflows at all of them or at none.

    Each point is the first of up to ``tries`` candidates (default 8) that is fair and not yet
    among the points (the case's own included); where none is, the point is left out, so fewer
    may come back: none for another family, or for a kink case whose every input lies under a
    kink. Shrinks toward inputs near 0.

    >>> from hypothesis import given
    >>> @given(cases(max_nodes=6).flatmap(lambda case: more_points(case, 7)))
    ... def test_engine_at_eight_points(points): ...
    """
    if not isinstance(case, Case):
        raise InvalidArgument(f"case={case!r} must be a Case")
    _check_count("count", count, 0)
    _check_count("tries", tries, 1)
    rule = _POINT_RULES.get(case.family)
    if rule is None or count == 0:
        return st.just(())
    fair, fixed = rule.fair(case), rule.fixed(case)
    if len(fixed) == case.expression.n_inputs:
        return st.just(())

    @st.composite
    def draw_points(draw: st.DrawFn) -> tuple[tuple[float, ...], ...]:
        found: dict[tuple[float, ...], None] = {case.point: None}
        for _ in range(count):
            for _attempt in range(tries):
                point = tuple(
                    x if i in fixed else draw(rule.value) for i, x in enumerate(case.point)
                )
                if point not in found and fair(point):
                    found[point] = None
                    break
        return tuple(found)[1:]

    return draw_points()
