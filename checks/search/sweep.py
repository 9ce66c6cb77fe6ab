"""The sweep: before the random search, every op the engine has, in every form, with every kind
of constant, alone and with one neighbour, at points in every magnitude band and at the op's own
thresholds.

A band is a decade from subnormal to near overflow of the engine's format, both signs (|x| ~
1e-300, ~ 1e-30, ..., ~ 1, ~ 10, ..., ~ 1e300 at float64); a threshold is where a common formula
of the op changes behaviour (the registry's ``thresholds``: tanh saturating, exp overflowing,
sin's range reduction). A neighbour is an operand computed by another node (upstream), the
result scaled by -2 or multiplied by the op's own input (downstream): what a backward that
mishandles computed operands, upstream gradients or a second consumer needs to show. A few
thousand one- and two-node cases, their runs batched by expression (one round trip each), judged
against the reference; only a disagreement is judged in full. What was judged and skipped, per
op, form and region, is the coverage table.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import Engine, LimitationKind
from gradtrio.checks.judgement.verdict import judge, judge_many
from gradtrio.checks.oracles.reference.rounding import FLOAT64, FORMATS, FloatFormat
from gradtrio.checks.search.hypothesis_search import Phase, SearchResult, finding_key
from gradtrio.checks.search.interrupt import Interrupt
from gradtrio.checks.search.shard import WHOLE, Shard
from gradtrio.strategies.case import Case
from gradtrio.strategies.expression import KINDS, Const, Expression, Node, typed
from gradtrio.strategies.ops import OPS, Form, Op

__all__ = [
    "BANDS",
    "REGIONS",
    "Cell",
    "Coverage",
    "SweepResult",
    "bands",
    "label",
    "sweep",
    "sweep_cases",
]

#: Decades from subnormal to near overflow: (region, magnitude), each judged at both signs.
BANDS: tuple[tuple[str, float], ...] = (
    ("tiny", 3e-320),  # subnormal
    ("tiny", 4e-300),
    ("tiny", 2.5e-100),
    ("tiny", 3e-30),
    ("small", 2e-10),
    ("small", 3e-3),
    ("unit", 0.35),
    ("unit", 1.7),
    ("large", 12.5),
    ("large", 250.0),
    ("large", 2.5e3),
    ("huge", 4e10),
    ("huge", 3e30),
    ("huge", 2e100),
    ("huge", 3e300),
    ("huge", 1.5e308),
)
#: The coverage table's columns.
REGIONS = ("tiny", "small", "unit", "large", "huge", "thresholds", "neighbours")
_NEIGHBOUR_POINTS = (0.35, -0.35, 1.7, -1.7)
_REDUCED_POINTS = (0.35, -0.35, 1.7, -1.7, 12.5, -12.5, 250.0, -250.0)
_OTHER = 0.75  # the other operand of a binary op, away from every special value
FULL_JUDGEMENTS = 5
"""Disagreements judged in full per op, form and expression before the sweep only counts them
(a broken op fails everywhere; once a bug is found there, more of the same say nothing new).
Per expression, so that imprecision of the op alone does not hide a bug of it in company
(tinygrad's tanh loses digits near 0, and its tanh(tanh(x)) gradient is nan below -354.9)."""


@dataclass(frozen=True)
class Cell:
    """A row and a column of the coverage table: an op's form and a region."""

    op: str
    form: str
    region: str


@dataclass
class Coverage:
    """What the sweep judged, skipped and found failing, per cell."""

    judged: Counter[Cell] = field(default_factory=Counter)
    skipped: Counter[Cell] = field(default_factory=Counter)
    failed: Counter[Cell] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, str]]:
        """The table's rows, (op, form), in registry order."""
        seen = {(c.op, c.form) for c in (*self.judged, *self.skipped, *self.failed)}
        return [
            (op, form) for op in OPS for form in ("nodes", "left", "right") if (op, form) in seen
        ]

    def to_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        """``{"add (nodes)": {"tiny": {"judged": 40, "skipped": 2, "failed": 0}, ...}, ...}``"""
        table: dict[str, dict[str, dict[str, int]]] = {}
        for op, form in self.rows():
            row = table.setdefault(label(op, form), {})
            for region in REGIONS:
                cell = Cell(op, form, region)
                counts = {
                    "judged": self.judged[cell],
                    "skipped": self.skipped[cell],
                    "failed": self.failed[cell],
                }
                if any(counts.values()):
                    row[region] = counts
        return table


def label(op: str, form: str) -> str:
    """A row's name: ``add (nodes)``, or ``tanh`` for an op of one form."""
    return op if len(OPS[op].forms) == 1 else f"{op} ({form})"


# -- the cases -----------------------------------------------------------------------------------


def bands(fmt: FloatFormat) -> tuple[tuple[str, float], ...]:
    """The bands of an engine's format: float64's, or those inside a narrower format's range
    with its own subnormal and near-overflow magnitudes at the ends."""
    if fmt == FLOAT64:
        return BANDS
    low, high = fmt.subnormal * 4096, fmt.max * 0.8
    inside = tuple((region, m) for region, m in BANDS if low < m < high)
    return (("tiny", low), *inside, ("huge", high))


def _points(op: Op, fmt: FloatFormat = FLOAT64) -> list[tuple[str, float]]:
    """(region, value) of the first operand: every band at both signs, the op's thresholds
    that the format holds (neither 0 nor beyond its largest number there)."""
    points = [(region, s * m) for region, m in bands(fmt) for s in (1.0, -1.0)]
    held = [t for t in op.thresholds if t == 0.0 or fmt.subnormal <= abs(t) <= fmt.max]
    points += [("thresholds", s * t) for t in held for s in (1.0, -1.0)]
    return list(dict.fromkeys(points))


def _constants(op: Op, side: Form) -> list[Const]:
    """The constants a form is swept with: the registry's list for the side, each as a float,
    and as an int where integral, and the first as a NumPy scalar too."""
    listed = op.constants[side]
    out: list[Const] = [float(c) for c in listed]
    out += [int(c) for c in listed if float(c).is_integer()]
    out.append(typed(listed[0], KINDS[2]))
    return out


@dataclass(frozen=True)
class _Helpers:
    """Which ops the engine has to build neighbours with."""

    ops: dict[str, tuple[Form, ...]]

    def has(self, op: str, form: Form) -> bool:
        return form in self.ops.get(op, ())

    def computed(self, suspect: str, index: int) -> tuple[Node, float] | None:
        """A node computing the value of ``index`` again, and the factor its input needs."""
        if suspect != "mul" and self.has("mul", "right"):
            return Node("mul", (index,), 2.0, "right"), 0.5  # (v / 2) * 2 is exactly v
        if suspect != "add" and self.has("add", "right"):
            return Node("add", (index,), 0.0, "right"), 1.0
        return None

    def scaled(self, suspect: str, index: int) -> Node | None:
        if suspect != "mul" and self.has("mul", "right"):
            return Node("mul", (index,), -2.0, "right")
        if suspect != "neg" and self.has("neg", "nodes"):
            return Node("neg", (index,))
        return None

    def reused(self, suspect: str, index: int, original: int) -> Node | None:
        """The result joined with the op's own input: the input then has a second consumer."""
        for join in ("mul", "add"):
            if join != suspect and self.has(join, "nodes"):
                return Node(join, (index, original))
        return None


def _neighbours(helpers: _Helpers, node: Node, arity: int) -> Iterator[tuple[Expression, float]]:
    """Two-node expressions around ``node`` (on inputs 0..arity-1) with the factor the first
    input's value takes: its operands computed (each, for a binary op), its result scaled, its
    result joined with its first input."""
    n = arity
    for j in range(arity):
        made = helpers.computed(node.op, j)
        if made is not None:
            helper, factor = made
            args = tuple(n if i == j else i for i in node.args)
            moved = Node(node.op, args, node.const, node.side)
            yield Expression(n, (helper, moved)), factor if j == 0 else 1.0
    scaled = helpers.scaled(node.op, n)
    if scaled is not None:
        yield Expression(n, (node, scaled)), 1.0
    reused = helpers.reused(node.op, n, 0)
    if reused is not None:
        yield Expression(n, (node, reused)), 1.0


Group = list[tuple["Cell", Case]]
"""Cases of one expression, each with its cell: their runs are one round trip."""


def sweep_cases(engine: Engine, only: str | None = None) -> Iterator[Group]:
    """The sweep's cases, grouped by expression, each with its cell; ``only`` restricts it to
    one op."""
    helpers = _Helpers(dict(engine.ops))
    fmt = FORMATS[engine.dtype]
    for name, forms in engine.ops.items():
        if only is not None and name != only:
            continue
        op = OPS[name]
        points = _points(op, fmt)
        for form in forms:
            yield from _form_cases(helpers, op, form, points)


def _form_cases(
    helpers: _Helpers, op: Op, form: Form, points: list[tuple[str, float]]
) -> Iterator[Group]:
    def group(
        expression: Expression, region_points: Iterable[tuple[str, tuple[float, ...]]]
    ) -> Group:
        return [
            (Cell(op.name, form, region), Case(expression, point, "sweep"))
            for region, point in region_points
        ]

    if op.arity == 1:
        node = Node(op.name, (0,))
        yield group(Expression(1, (node,)), [(r, (v,)) for r, v in points])
        # The op on its own result, at its thresholds: a saturated output fed to it again
        # (tinygrad 0.14's gradient of tanh(tanh(x)) is nan below -354.9, tanh's alone is not).
        twice = Expression(1, (node, Node(op.name, (1,))))
        yield group(twice, [("neighbours", (v,)) for r, v in points if r == "thresholds"])
    elif form == "nodes":
        node = Node(op.name, (0, 1))
        pairs = [(r, (v, _OTHER)) for r, v in points] + [(r, (_OTHER, v)) for r, v in points]
        yield group(Expression(2, (node,)), pairs)
        same = [(r, (v,)) for r, v in points if r in ("unit", "large")]
        yield group(Expression(1, (Node(op.name, (0, 0)),)), same)  # x * x
    else:
        for k, const in enumerate(_constants(op, form)):
            chosen = points if k == 0 else [(r, v) for r, v in points if v in _REDUCED_POINTS]
            cased = Node(op.name, (0,), const, form)
            yield group(Expression(1, (cased,)), [(r, (v,)) for r, v in chosen])
            node = cased if k == 0 else node
    arity = 2 if form == "nodes" else 1
    for expression, factor in _neighbours(helpers, node, arity):
        others = (_OTHER,) * (arity - 1)
        yield group(expression, [("neighbours", (v * factor, *others)) for v in _NEIGHBOUR_POINTS])


# -- judging -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What the sweep judged (``search``: cases, skips, ops, failures judged in full, one per
    finding) and the coverage table; ``hang`` when the engine hung and the sweep stopped."""

    search: SearchResult = field(default_factory=SearchResult)
    coverage: Coverage = field(default_factory=Coverage)
    hang: bool = False


def sweep(
    engine: Engine,
    only: str | None = None,
    interrupt: Interrupt | None = None,
    shard: Shard = WHOLE,
) -> SweepResult:
    """Judge the sweep's cases on ``engine`` (``only`` one op of it; of a ``shard``, every
    ``N``-th group of one expression). A batch that hangs ends the sweep, its first case judged
    in full (the hang is the finding)."""
    result = SweepResult()
    found, coverage = result.search, result.coverage
    seen: set[tuple[object, ...]] = set()
    full: Counter[tuple[str, str, int]] = Counter()  # per op, form and expression
    bugs: set[tuple[str, str]] = set()
    for k, cases in enumerate(sweep_cases(engine, only)):
        if not shard.takes(k):
            continue
        if interrupt:
            break
        began = time.monotonic()
        try:
            verdicts = judge_many(engine, [case for _, case in cases], raise_timeout=True)
        except CaseTimeout:
            # One case's limit for a batch of one- and two-node cases: the engine hangs on
            # this expression, or is too slow for the sweep. Its first case alone tells which,
            # and the sweep stops either way (a slow engine would take a limit per batch).
            cases, verdicts = cases[:1], [None]
            found.cut_short.append(Phase.SWEEP)
        for (cell, case), verdict in zip(cases, verdicts, strict=True):
            found.count(case)
            row = (cell.op, cell.form)
            if verdict is None:  # a disagreement or a crash: judged in full, a few per row
                if row in bugs or full[(*row, k)] >= FULL_JUDGEMENTS:
                    coverage.failed[cell] += 1
                    continue
                verdict = judge(engine, case, thorough=False)
                full[(*row, k)] += verdict.failed  # a batch that crashed whole: each alone
            if verdict.skip is not None:
                coverage.skipped[cell] += 1
                found.skipped[verdict.skip] += 1
            elif verdict.failed:
                coverage.failed[cell] += 1
                if verdict.is_bug:
                    bugs.add(row)
                limitation = verdict.limitation
                result.hang = limitation is not None and limitation.kind is LimitationKind.HANG
                key = finding_key(verdict)
                if key not in seen:
                    seen.add(key)
                    found.failures.append(verdict)
            else:
                coverage.judged[cell] += 1
            if result.hang:
                break
        found.timed("sweep", began)
        if result.hang or Phase.SWEEP in found.cut_short:
            if result.hang:  # the hang is the finding, not a slow engine
                found.cut_short = [p for p in found.cut_short if p is not Phase.SWEEP]
            break
    return result
