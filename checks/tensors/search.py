"""The tensor search: Hypothesis draws tensor cases the engine can build, each is judged, a
failure is blamed and shrunk by Hypothesis, and the smallest failing case of each finding (its
kind and blamed op) is kept as it is met."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
from gradtrio.checks.search.hypothesis_search import (
    failure_class,
    no_local_constants,
    reraise_foreign,
)
from gradtrio.checks.tensors.blame import TensorBlame, blame_tensor
from gradtrio.checks.tensors.engines import TensorEngine
from gradtrio.checks.tensors.verdict import TensorKind, TensorStatus, TensorVerdict, judge_tensor
from gradtrio.strategies.tensor_case import TensorCase
from gradtrio.strategies.tensor_cases import tensor_cases
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import HypothesisException

__all__ = ["TensorFinding", "TensorSearchResult", "search_tensors"]


@dataclass(frozen=True)
class TensorFinding:
    """A failing verdict, shrunk, and the op its blame names."""

    verdict: TensorVerdict
    blame: TensorBlame

    @property
    def key(self) -> tuple[TensorKind | None, str | None]:
        return (self.verdict.kind, self.blame.op)


@dataclass
class TensorSearchResult:
    examples: int = 0
    skipped: int = 0
    op_counts: Counter[str] = field(default_factory=Counter)
    findings: list[TensorFinding] = field(default_factory=list)
    seconds: float = 0.0


def _size(case: TensorCase) -> tuple[int, int, int]:
    """Smaller is simpler: fewer op nodes, fewer elements in all, lower rank."""
    expression = case.expression
    return (
        len(expression.nodes),
        sum(math.prod(s) for s in expression.shapes),
        expression.max_rank(),
    )


def search_tensors(
    engine: TensorEngine,
    *,
    examples: int = 200,
    seed: int = 0,
    max_nodes: int = 4,
    shrink: bool = True,
) -> TensorSearchResult:
    """Judge ``examples`` tensor cases drawn with ``seed`` from the ops ``engine`` supports."""
    result = TensorSearchResult()
    smallest: dict[tuple[object, ...], TensorFinding] = {}
    shrinking: list[bool] = []
    start = time.monotonic()

    @hypothesis.seed(seed)
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
    @given(tensor_cases(ops=engine.supports(), max_nodes=max_nodes))
    def one_case(case: TensorCase) -> None:
        verdict = judge_tensor(engine, case)
        if not shrinking:
            result.examples += 1
            result.op_counts.update(node.op for node in case.expression.nodes)
            result.skipped += verdict.status is TensorStatus.SKIP
        if not verdict.failed:
            return
        finding = TensorFinding(verdict, blame_tensor(engine, verdict))
        best = smallest.get(finding.key)
        if best is None or _size(case) < _size(best.verdict.case):
            smallest[finding.key] = finding
        shrinking.append(True)
        raise failure_class(finding.key)()

    try:
        # As the scalar search does, without the literals of the modules loaded so far, so that
        # a seed draws the same cases in every process.
        with no_local_constants():
            one_case()
    except (AssertionError, HypothesisException, BaseExceptionGroup) as exc:
        reraise_foreign(exc)
    found = [_minimised(engine, finding) for finding in smallest.values()] if shrink else []
    result.findings = sorted(found or smallest.values(), key=lambda f: _size(f.verdict.case))
    result.seconds = time.monotonic() - start
    return result


def _minimised(engine: TensorEngine, finding: TensorFinding) -> TensorFinding:
    """What Hypothesis leaves, smaller where it can be: op nodes removed one at a time (their
    users take their first operand, the point kept), each removal kept while the same finding
    remains. Hypothesis cannot delete a node whose operand shape its users depend on; the
    blamed op's replay alone, a failing case of one node, is taken first where it is the same
    finding."""
    replay = finding.blame.replay
    if replay is not None and _size(replay.case) < _size(finding.verdict.case):
        alone = TensorFinding(replay, blame_tensor(engine, replay))
        if alone.key == finding.key:
            finding = alone
    improved = True
    while improved:
        improved = False
        case = finding.verdict.case
        for k in range(case.expression.n_inputs, case.expression.size):
            try:
                smaller = TensorCase(case.expression.without_node(k), case.point).pruned()
            except ValueError:  # a shape no longer fits
                continue
            verdict = judge_tensor(engine, smaller)
            if not verdict.failed:
                continue
            candidate = TensorFinding(verdict, blame_tensor(engine, verdict))
            if candidate.key == finding.key:
                finding, improved = candidate, True
                break
    return finding
