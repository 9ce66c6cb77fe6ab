"""A whole harness run: Hypothesis draws cases from every family the engine supports, each is
judged, failures are shrunk by Hypothesis and collected with their reports."""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning
from tqdm import tqdm

if sys.version_info < (3, 11):  # pragma: no cover - Hypothesis installs the backport there
    from exceptiongroup import BaseExceptionGroup

from gradtrio.checks.api import FAILURES, CheckFailure
from gradtrio.checks.corpus import replay, save
from gradtrio.checks.engine import Engine
from gradtrio.checks.report import example_line, format_verdict, reproducer
from gradtrio.checks.verdict import Verdict, judge
from gradtrio.strategies.dags import Case, cases, deep_chains, kink_cases, mlp_cases, wide_cases
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import OPS

__all__ = ["RunResult", "families", "replay_corpus", "run"]


@dataclass
class RunResult:
    engine: str
    ops: list[str]
    examples: int = 0
    skipped: int = 0
    undecided: int = 0
    shared: int = 0
    op_counts: Counter[str] = field(default_factory=Counter)
    family_counts: Counter[str] = field(default_factory=Counter)
    failures: list[Verdict] = field(default_factory=list)
    limitations: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    replayed: list[tuple[str, Verdict]] = field(default_factory=list)
    corpus_errors: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    adapter: Engine | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def bugs(self) -> list[Verdict]:
        """The failures other than an engine limitation (RecursionError on a deep graph)."""
        return [v for v in self.failures if not _is_recursion_limit(v)]

    def add_failure(self, verdict: Verdict) -> None:
        """Record a failing verdict, and its engine limitation once."""
        self.failures.append(verdict)
        if verdict.limitation and verdict.limitation not in self.limitations:
            self.limitations.append(verdict.limitation)

    def origin(self, verdict: Verdict) -> str | None:
        """The corpus file a failure was replayed from, or None for a newly found one."""
        return next((path for path, v in self.replayed if v is verdict), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "ops": self.ops,
            "examples": self.examples,
            "passed": self.passed,
            "failures": [_failure_json(v, self.adapter, self.origin(v)) for v in self.failures],
            "corpus": {
                "replayed": len(self.replayed),
                "errors": self.corpus_errors,
                "saved": self.saved,
            },
            "limitations": self.limitations,
            "stats": {
                "shared_fraction": self.shared / self.examples if self.examples else 0.0,
                "op_counts": dict(sorted(self.op_counts.items())),
                "families": dict(sorted(self.family_counts.items())),
                "skipped_out_of_domain": self.skipped,
                "undecided_oracles_disagree": self.undecided,
            },
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _is_recursion_limit(verdict: Verdict) -> bool:
    return "RecursionError" in verdict.limitation


def _failure_json(
    v: Verdict, adapter: Engine | None = None, origin: str | None = None
) -> dict[str, Any]:
    blame = None
    if v.blame is not None:
        blame = {
            "node": None if v.blame.node is None else v.expression.name(v.blame.node),
            "op": v.blame.op,
            "reason": v.blame.reason,
        }
    return {
        "kind": v.kind,
        "nodes": len(v.expression.nodes),
        "expression": v.expression.to_dict(),
        "point": list(v.point),
        "reproducer": reproducer(v, engine=adapter) if adapter else reproducer(v),
        "example": example_line(v),
        "corpus_file": origin,
        "blame": blame,
        "oracles": v.agreement,
        "reason": v.reason,
        "limitation": v.limitation,
        "report": format_verdict(v, engine=adapter),
    }


def families(engine: Engine, max_nodes: int) -> dict[str, st.SearchStrategy[Case]]:
    """The case families this engine's ops allow."""
    ops = engine.ops
    out: dict[str, st.SearchStrategy[Case]] = {"interior": cases(ops=ops, max_nodes=max_nodes)}
    if any(OPS[name].kinks for name in ops):
        out["kink"] = kink_cases(ops=ops, max_nodes=max(2, min(max_nodes, 8)))
    out["wide"] = wide_cases(ops=ops, max_nodes=max(1, min(max_nodes, 8)))
    mlp_needs = {"add": "left", "sub": "right", "mul": "right", "pow": "right"}
    if all(form in ops.get(name, ()) for name, form in mlp_needs.items()) and {
        "tanh",
        "relu",
    } <= set(ops):
        out["mlp"] = mlp_cases()
    return out


def _harness(
    result: RunResult,
    engine: Engine,
    strategy: st.SearchStrategy[Case],
    examples: int,
    run_seed: int,
    tick: Callable[[], None],
    shrink: bool = True,
) -> None:
    shrinking: list[Verdict] = []

    @seed(run_seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
    )
    @given(strategy)
    def one_case(case: Case) -> None:
        result.examples += 1
        tick()
        expression = case.expression
        result.family_counts[case.family] += 1
        result.shared += expression.has_shared_node()
        result.op_counts.update(node.op for node in expression.nodes)
        # Once a failure is found Hypothesis only shrinks: passing cases then need no FD.
        verdict = judge(
            engine,
            expression,
            case.point,
            exact_kinks=case.exact_kinks,
            max_magnitude=case.max_magnitude,
            overflow_output=case.overflow_output,
            with_fd=not shrinking,
        )
        if verdict.status == "skip":
            result.skipped += "domain" in verdict.reason
            result.undecided += "disagree" in verdict.reason
        if verdict.failed:
            assert verdict.kind is not None
            shrinking.append(verdict)
            raise FAILURES[verdict.kind](verdict)

    try:
        with warnings.catch_warnings():  # a 10,000-node case has a long repr; that is expected
            warnings.simplefilter("ignore", HypothesisWarning)
            one_case()
    except CheckFailure as exc:
        _collect(result, [exc])
    except BaseExceptionGroup as group:  # several distinct bugs, each shrunk on its own
        _collect(result, list(group.exceptions))


def _collect(result: RunResult, errors: list[BaseException]) -> None:
    for exc in errors:
        if not isinstance(exc, CheckFailure):
            raise exc
        result.add_failure(exc.verdict)


def _same_failure(
    engine: Engine, verdict: Verdict, expression: Expression, point: tuple[float, ...]
) -> Verdict | None:
    again = judge(engine, expression, point, max_magnitude=1e300, overflow_output=True)
    return again if again.failed and again.kind == verdict.kind else None


def _fewer_nodes(engine: Engine, verdict: Verdict) -> Verdict:
    """Finish what Hypothesis's shrinking may leave: drop nodes the output does not use, then
    remove op nodes one at a time (users take the removed node's first operand) while the same
    kind of failure remains."""
    expression, point = verdict.expression.pruned(verdict.point)
    if expression != verdict.expression:
        verdict = _same_failure(engine, verdict, expression, point) or verdict
    k = verdict.expression.size - 1
    while k >= verdict.expression.n_inputs and len(verdict.expression.nodes) > 1:
        smaller, point = verdict.expression.without_node(k).pruned(verdict.point)
        verdict = _same_failure(engine, verdict, smaller, point) or verdict
        k = min(k - 1, verdict.expression.size - 1)
    return verdict


def _refined(engine: Engine, verdict: Verdict, run_seed: int) -> list[Verdict]:
    """Structured families (MLPs, wide or kink cases) shrink only within their own shape, and a
    large failure of one kind may hide a small one of another (an imprecise tanh first seen as a
    gradient error deep in an MLP is, alone, a forward error). Search plain DAGs over the failing
    case's ops: keep the smaller case of the same kind, and add the smallest of each other kind."""
    verdict = _fewer_nodes(engine, verdict)
    if len(verdict.expression.nodes) <= 2 or verdict.kind is None:
        return [verdict]
    ops = {name: engine.ops[name] for name in verdict.expression.ops_used()}
    family = kink_cases(ops=ops) if verdict.kind == "convention" else cases(ops=ops, max_nodes=6)
    retry = RunResult(engine.spec, sorted(ops))
    _harness(retry, engine, family, 300, run_seed, lambda: None)
    smallest: dict[str | None, Verdict] = {verdict.kind: verdict}
    for v in retry.failures:
        best = smallest.get(v.kind)
        if best is None or len(v.expression.nodes) < len(best.expression.nodes):
            smallest[v.kind] = v
    return [_fewer_nodes(engine, v) for v in (smallest.pop(verdict.kind), *smallest.values())]


def replay_corpus(
    result: RunResult, engine: Engine, corpus: Path
) -> list[tuple[Path | None, Verdict]]:
    """Judge every case saved in ``corpus`` into ``result`` (unreadable files go to its
    ``corpus_errors``); returns each file with its verdict."""
    judged: list[tuple[Path | None, Verdict]] = []
    for item in replay(engine, corpus):
        if isinstance(item, Exception):
            result.corpus_errors.append(str(item))
            continue
        entry, verdict = item
        judged.append((entry.path, verdict))
        result.examples += 1
        result.family_counts["corpus"] += 1
        result.op_counts.update(node.op for node in entry.expression.nodes)
        if verdict.failed:
            result.add_failure(verdict)
            result.replayed.append((str(entry.path), verdict))
    return judged


def run(
    engine: Engine,
    *,
    examples: int = 500,
    run_seed: int = 0,
    max_nodes: int = 12,
    deep: int = 2,
    progress: bool = True,
    corpus: Path | None = None,
) -> RunResult:
    """Judge ``examples`` cases spread over the families, then ``deep`` very deep chains.

    With ``corpus`` (a directory), its saved cases are judged first and every new failure is saved
    there; unreadable corpus files are listed in ``corpus_errors`` and skipped."""
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine)
    result.limitations.extend(engine.limitations())
    start = time.perf_counter()
    if corpus is not None:
        replay_corpus(result, engine, corpus)
    strategy = st.one_of(list(families(engine, max_nodes).values()))
    bar = tqdm(
        total=examples + deep,
        desc="checking",
        unit="case",
        file=sys.stderr,
        disable=not progress,
        mininterval=0.5,
        leave=False,
    )
    try:
        _harness(result, engine, strategy, examples, run_seed, bar.update)
        if deep and any(name in engine.ops for name in ("tanh", "sigmoid")):
            chains = deep_chains(ops=engine.ops, min_depth=10_000, max_depth=10_500)
            # Not shrunk: the depth is the point of these cases, and each step costs seconds.
            _harness(result, engine, chains, deep, run_seed, bar.update, shrink=False)
    finally:
        bar.close()
    replayed = {id(v) for _, v in result.replayed}
    refined: list[Verdict] = []
    for v in result.failures:
        keep = id(v) in replayed or _is_recursion_limit(v)
        for r in [v] if keep else _refined(engine, v, run_seed):
            if keep or all(r.kind != other.kind or r.blame != other.blame for other in refined):
                refined.append(r)
    result.failures = refined
    # A new failure that is a replayed case again is reported once, as the replay.
    known = {(v.expression, v.point) for _, v in result.replayed}
    result.failures = [
        v for v in result.failures if id(v) in replayed or (v.expression, v.point) not in known
    ]
    if corpus is not None:
        for verdict in result.bugs:  # deep chains are drawn again on every run; not saved
            if id(verdict) not in replayed:
                saved = save(corpus, verdict, engine.spec)
                if saved is not None:
                    result.saved.append(str(saved))
    result.elapsed_s = time.perf_counter() - start
    return result
