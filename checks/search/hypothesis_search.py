"""The search: Hypothesis draws cases from a strategy, each is judged, and failures are shrunk by
Hypothesis within a time budget.

For an engine whose cost is per expression rather than per point (a library that compiles or
dispatches every op), each draw is an expression at several points (the drawn case's and more
from its family, :func:`~gradtrio.strategies.dags.more_points`), judged in one round trip
(:func:`~gradtrio.checks.judgement.verdict.judge_many`); every point counts as a case.

The smallest failing verdict of each distinct finding is recorded as it is met, so that a search
cut short by its budget (or by a shrink that Hypothesis abandons) still ends with what it found.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

import hypothesis
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.outcome import Skip
from gradtrio.checks.judgement.verdict import Verdict, judge, judge_many
from gradtrio.checks.search.interrupt import Interrupt
from gradtrio.strategies.case import Case
from gradtrio.strategies.dags import more_points
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException, HypothesisWarning

__all__ = [
    "Phase",
    "SearchResult",
    "failure_class",
    "finding_id",
    "finding_key",
    "no_local_constants",
    "reraise_foreign",
    "search",
]


class Phase(Enum):
    """A phase of a run that has a time budget, and so may be cut short."""

    SEARCH = "search"
    SHRINKING = "shrinking"
    SWEEP = "sweep"  # a batch took longer than a case may, though a case alone did not
    MINIMISING = "minimising"
    INTERRUPTED = "interrupted"  # stopped on request: a signal, not a budget


@dataclass
class SearchResult:
    """What one search judged and found."""

    examples: int = 0
    shared: int = 0  # drawn cases (not the sweep's) with a shared node
    skipped: Counter[Skip] = field(default_factory=Counter)
    op_counts: Counter[str] = field(default_factory=Counter)
    family_counts: Counter[str] = field(default_factory=Counter)
    failures: list[Verdict] = field(default_factory=list)
    cut_short: list[Phase] = field(default_factory=list)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Time spent judging, per family (shrinking included; drawing and minimising not)."""

    def timed(self, family: str, start: float) -> None:
        """Add the time since ``start`` (``time.monotonic()``) to ``family``'s judging."""
        self.seconds[family] += time.monotonic() - start

    def count(self, case: Case, family: str | None = None) -> None:
        """Count one judged case, under ``family`` (default: the family that drew it)."""
        self.examples += 1
        self.family_counts[family or case.family] += 1
        if case.family != "sweep":  # the sweep's neighbours share a node by construction
            self.shared += case.expression.has_shared_node()
        self.op_counts.update(node.op for node in case.expression.nodes)

    def merge(self, other: SearchResult) -> None:
        self.examples += other.examples
        self.shared += other.shared
        self.skipped.update(other.skipped)
        self.op_counts.update(other.op_counts)
        self.family_counts.update(other.family_counts)
        self.failures += other.failures
        self.cut_short += other.cut_short
        for family, seconds in other.seconds.items():
            self.seconds[family] += seconds


def finding_key(verdict: Verdict) -> tuple[object, ...]:
    """Two failures with the same key are the same finding (one is kept, the smallest)."""
    blame = verdict.blame
    culprit = None if blame is None else (blame.culprit, blame.op)
    limitation = None if verdict.limitation is None else verdict.limitation.kind
    return (verdict.kind, verdict.severity, culprit, limitation)


def finding_id(verdict: Verdict) -> str:
    """:func:`finding_key` as text (``gradient/bug/op:tanh/-``), the same in every run: what
    tells the findings of several runs' JSON apart when they are merged."""
    return "/".join(_text(part) for part in finding_key(verdict))


def _text(part: object) -> str:
    if isinstance(part, tuple):
        return ":".join(_text(p) for p in part)
    if part is None:
        return "-"
    return str(part.value) if isinstance(part, Enum) else str(part)


class _Failed(AssertionError):
    """Raised inside the Hypothesis test so that it shrinks the case; one class per finding."""


class _OutOfTime(Exception):
    """Raised inside the Hypothesis test once the search's budget is spent."""


class _Enough(Exception):
    """Raised inside the Hypothesis test once draws of several points have judged the search's
    cases (Hypothesis counts draws, not points)."""


_classes: dict[tuple[object, ...], type[_Failed]] = {}


def failure_class(key: tuple[object, ...]) -> type[_Failed]:
    # Hypothesis tells distinct bugs apart by exception type and place: one type per finding.
    if key not in _classes:
        _classes[key] = type(f"_Failed{len(_classes)}", (_Failed,), {})
    return _classes[key]


def search(
    engine: Engine,
    strategy: st.SearchStrategy[Case],
    *,
    examples: int,
    seed_value: int = 0,
    shrink: bool = True,
    budget: float | None = None,
    shrink_budget: float | None = None,
    interrupt: Interrupt | None = None,
    on_case: Callable[[], None] = lambda: None,
    strict: bool = False,
    points: int = 1,
    known: Mapping[tuple[object, ...], int] | None = None,
) -> SearchResult:
    """Judge ``examples`` cases drawn from ``strategy`` with seed ``seed_value``.

    With ``points`` above 1 (an engine's ``points_per_expression``), each draw is a case and up
    to ``points - 1`` more points for its expression (:func:`_batches`), so ``examples`` cases
    take about ``examples / points`` draws; a failure at any of them is shrunk as a failing
    case would be. ``known`` maps findings already found (:func:`finding_key`) to the op nodes
    of their smallest case: one met again at a case no smaller is recorded, not shrunk, and the
    search goes on.

    ``interrupt``, once requested, ends the search at the next case.
    ``budget`` (seconds) bounds the drawing and judging; ``shrink_budget`` bounds Hypothesis's
    shrinking after the first failure. A search cut short says so in ``cut_short``. Only a bug
    (any finding, when ``strict``) stops the search for Hypothesis to shrink it: a warning or a
    precision finding is recorded, smallest first, and the search goes on, so that it cannot
    hide a bug found later.
    """
    result = SearchResult()
    if examples < 1:  # a shard whose share of a small run is nothing (Hypothesis needs one)
        return result
    smallest: dict[tuple[object, ...], Verdict] = {}
    known = known or {}
    start = time.monotonic()
    first_failure: list[float] = []

    def cut(phase: Phase) -> bool:
        if phase not in result.cut_short:
            result.cut_short.append(phase)
        return True

    def out_of_time() -> bool:
        if interrupt:
            return cut(Phase.INTERRUPTED)
        now = time.monotonic()
        if first_failure and shrink_budget is not None and now - first_failure[0] > shrink_budget:
            return cut(Phase.SHRINKING)
        if budget is not None and now - start > budget:
            return cut(Phase.SEARCH)
        return False

    @seed(seed_value)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink]
        if shrink
        else [hypothesis.Phase.generate],
    )
    @given(strategy if points == 1 else _batches(strategy, points))  # one point: as drawn
    def one_draw(drawn: Case | tuple[Case, ...]) -> None:
        batch = (drawn,) if isinstance(drawn, Case) else drawn
        shrinking = bool(first_failure)
        if points > 1 and not shrinking:
            if result.examples >= examples:
                raise _Enough
            batch = batch[: examples - result.examples]
        if out_of_time():
            raise _OutOfTime
        began = time.monotonic()
        try:
            # The engine's runs of every point at once; judged in full where it disagrees.
            verdicts = judge_many(engine, batch) if len(batch) > 1 else [None]
            for k, (case, verdict) in enumerate(zip(batch, verdicts, strict=True)):
                if k and out_of_time():
                    raise _OutOfTime
                one_case(case, verdict, shrinking)
        finally:
            result.timed(batch[0].family, began)

    def one_case(case: Case, verdict: Verdict | None, shrinking: bool) -> None:
        if not shrinking:
            result.count(case)
            on_case()
        # Once a failure is found Hypothesis only shrinks: passing cases then need no FD.
        if verdict is None:
            verdict = judge(engine, case, thorough=False)
        if verdict.skip is not None and not shrinking:
            result.skipped[verdict.skip] += 1
        if verdict.failed:
            key = finding_key(verdict)
            best = smallest.get(key)
            if best is None or len(case.expression.nodes) < len(best.expression.nodes):
                smallest[key] = verdict
            if not verdict.fails(strict) or len(case.expression.nodes) >= known.get(key, math.inf):
                return
            if not first_failure:
                first_failure.append(time.monotonic())
            raise failure_class(key)()

    try:
        with warnings.catch_warnings(), no_local_constants():
            warnings.simplefilter("ignore", HypothesisWarning)  # 10,000-node cases: long reprs
            one_draw()
    except (_Failed, _OutOfTime, _Enough, HypothesisException, BaseExceptionGroup) as exc:
        reraise_foreign(exc)
    # Blamed quickly, for the findings' keys; the caller explains what it reports.
    result.failures = list(smallest.values())
    return result


def _batches(strategy: st.SearchStrategy[Case], points: int) -> st.SearchStrategy[tuple[Case, ...]]:
    """A case drawn from ``strategy`` and its expression at up to ``points - 1`` more points
    of its family, each a case of its own; the further points shrink with the case."""

    def at_more_points(case: Case) -> st.SearchStrategy[tuple[Case, ...]]:
        more = more_points(case, points - 1)
        return more.map(
            lambda found: (case, *(case.with_expression(case.expression, p) for p in found))
        )

    return strategy.flatmap(at_more_points)


@contextlib.contextmanager
def no_local_constants() -> Iterator[None]:
    """Hypothesis draws some numbers from the literals of every local module loaded so far (test
    files, the engine's module, the caller's script), so the same seed would draw other cases in
    another process. The search leaves them out: a seed draws the same cases wherever it runs."""
    try:
        from hypothesis.internal.conjecture import providers

        get, cache = providers._get_local_constants, providers.CONSTANTS_CACHE.cache
        none = providers.Constants()
    except (ImportError, AttributeError):  # a Hypothesis without them
        yield
        return
    providers._get_local_constants = lambda: none
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = get
        cache.clear()


def reraise_foreign(exc: BaseException) -> None:
    """Re-raise anything that is not ours or Hypothesis's own report of our failures."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            reraise_foreign(inner)
    elif not isinstance(exc, (_Failed, _OutOfTime, _Enough, HypothesisException)):
        raise exc
