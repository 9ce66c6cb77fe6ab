"""A whole harness run: the corpus is replayed, Hypothesis searches every family the engine's
ops allow, the deep chains follow, and each failure is minimised and refined within a time
budget; the result knows what every finding's severity is and what the exit code must be."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradtrio.checks.corpus import replay, save
from gradtrio.checks.engine import Engine, EngineCrash
from gradtrio.checks.limits import CaseTimeout
from gradtrio.checks.outcome import Limitation, LimitationKind, Severity, Skip
from gradtrio.checks.search import SearchResult, finding_key, search
from gradtrio.checks.shrink import Deadline, minimise, refine
from gradtrio.checks.verdict import Verdict
from gradtrio.strategies.case import Case
from gradtrio.strategies.dags import cases, deep_chains, kink_cases, mlp_cases, wide_cases
from gradtrio.strategies.ops import OPS
from hypothesis import strategies as st

__all__ = ["RunResult", "families", "replay_corpus", "run"]

POST_SEARCH_BUDGET = 40.0
"""Seconds for shrinking, minimising and refining all failures of a default run."""
UNDECIDED_THRESHOLD = 0.02
"""A run whose share of undecided cases is above this does not pass silently."""


@dataclass
class RunResult:
    engine: str
    ops: list[str]
    search: SearchResult = field(default_factory=SearchResult)
    failures: list[Verdict] = field(default_factory=list)
    limitations: list[Limitation] = field(default_factory=list)
    elapsed_s: float = 0.0
    replayed: list[tuple[str, Verdict]] = field(default_factory=list)
    corpus_errors: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    adapter: Engine | None = field(default=None, repr=False)
    strict: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    # -- counts ------------------------------------------------------------------------------
    @property
    def examples(self) -> int:
        return self.search.examples

    @property
    def op_counts(self) -> Counter[str]:
        return self.search.op_counts

    @property
    def family_counts(self) -> Counter[str]:
        return self.search.family_counts

    @property
    def undecided(self) -> int:
        return self.search.skipped[Skip.UNDECIDED]

    @property
    def skipped(self) -> int:
        return self.search.skipped[Skip.OUTSIDE_DOMAIN] + self.search.skipped[Skip.KINK_AMBIGUOUS]

    @property
    def too_undecided(self) -> bool:
        return self.examples > 0 and self.undecided / self.examples > UNDECIDED_THRESHOLD

    def of_severity(self, severity: Severity) -> list[Verdict]:
        return [v for v in self.failures if v.severity is severity]

    @property
    def bugs(self) -> list[Verdict]:
        return self.of_severity(Severity.BUG)

    @property
    def passed(self) -> bool:
        """No bug (and, when strict, no finding at all), and not too many undecided cases."""
        if self.too_undecided:
            return False
        return not (self.failures if self.strict else self.bugs)

    def add_failure(self, verdict: Verdict) -> None:
        """Record a failing verdict, and its engine limitation once."""
        self.failures.append(verdict)
        limitation = verdict.limitation
        if limitation is not None and limitation not in self.limitations:
            self.limitations.append(limitation)

    def origin(self, verdict: Verdict) -> str | None:
        """The corpus file a failure was replayed from, or None for a newly found one."""
        return next((path for path, v in self.replayed if v is verdict), None)


def families(engine: Engine, max_nodes: int) -> dict[str, st.SearchStrategy[Case]]:
    """The case families this engine's ops allow."""
    ops = engine.ops
    out: dict[str, st.SearchStrategy[Case]] = {"interior": cases(ops=ops, max_nodes=max_nodes)}
    if any(OPS[name].kinks for name in ops):
        out["kink"] = kink_cases(ops=ops, max_nodes=max(2, min(max_nodes, 8)))
    out["wide"] = wide_cases(ops=ops, max_nodes=max(1, min(max_nodes, 8)))
    if _traceable(ops):
        out["mlp"] = mlp_cases()
    return out


def _traceable(ops: dict[str, tuple[str, ...]]) -> bool:
    """Can the engine run what ``autograd.nn``'s MLP computes (its ops, in the forms used)?"""
    needs = {"add": "left", "sub": "right", "mul": "right", "pow": "right", "tanh": "nodes"}
    return all(form in ops.get(name, ()) for name, form in needs.items()) and "relu" in ops


def _limitations(engine: Engine) -> list[Any]:
    """The engine's probed limitations; an engine that crashes or hangs while probed has none
    to report here (its cases report the crash)."""
    try:
        return engine.limitations()
    except (EngineCrash, CaseTimeout):
        return []


def has_deep_chains(engine: Engine) -> bool:
    return any(OPS[name].bounded and OPS[name].arity == 1 for name in engine.ops)


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
        result.search.count(verdict.case, family="corpus")
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
    strict: bool = False,
    budget: float | None = None,
    post_budget: float | None = POST_SEARCH_BUDGET,
    note: Callable[[str], None] | None = None,
) -> RunResult:
    """Judge ``examples`` cases spread over the families, then ``deep`` very deep chains.

    With ``corpus`` (a directory), its saved cases are judged first and every new bug is saved
    there. ``budget`` bounds the search in seconds, and the shrinking, minimising and refining
    after it get no longer than that either; ``post_budget`` bounds those (None: no bound,
    for measurements that must not depend on the machine's speed). ``note`` receives progress
    lines for the phases after the search.
    """
    say = note or (_stderr if progress else (lambda text: None))
    if budget is not None and post_budget is not None:  # the whole run within the budget
        post_budget = min(post_budget, budget)
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=strict)
    result.limitations.extend(_limitations(engine))
    start = time.monotonic()
    if corpus is not None:
        replay_corpus(result, engine, corpus)
    strategy = st.one_of(list(families(engine, max_nodes).values()))
    post = Deadline(post_budget)
    bar = _bar(examples + deep, progress)
    try:
        found = search(
            engine,
            strategy,
            examples=examples,
            seed_value=run_seed,
            budget=budget,
            shrink_budget=None if post_budget is None else post_budget / 2,
            on_case=bar.update,
            strict=strict,
        )
        result.search.merge(found)
        # An engine that already hangs gains nothing from chains that get 5 times the limit.
        hangs = any(
            v.limitation is not None and v.limitation.kind is LimitationKind.HANG
            for v in found.failures
        )
        if deep and has_deep_chains(engine) and "search" not in found.cut_short and not hangs:
            chains = deep_chains(ops=engine.ops, min_depth=10_000, max_depth=10_500)
            # Not shrunk by Hypothesis: each step costs seconds; minimise() halves them instead.
            remaining = None if budget is None else max(1.0, budget - (time.monotonic() - start))
            result.search.merge(
                search(
                    engine,
                    chains,
                    examples=deep,
                    seed_value=run_seed,
                    shrink=False,
                    budget=remaining,
                    on_case=bar.update,
                    strict=strict,
                )
            )
    finally:
        bar.close()
    replayed = {id(v) for _, v in result.replayed}
    finished: list[Verdict] = [v for v in result.failures if id(v) in replayed]
    new = result.search.failures
    for n, verdict in enumerate(new, start=1):
        result.add_failure(verdict)
        if verdict.limitation is not None and verdict.limitation.kind is LimitationKind.RECURSION:
            finished.append(verdict)  # the depth is the point of such a case
            continue
        say(
            f"gradtrio: minimising failure {n}/{len(new)} "
            f"({len(verdict.expression.nodes):,} op nodes)"
        )
        smaller = minimise(engine, verdict, post, lambda text: None)
        for refined in refine(engine, smaller, run_seed, post):
            refined = minimise(engine, refined, post, lambda text: None)
            if all(finding_key(refined) != finding_key(other) for other in finished):
                finished.append(refined)
    if post.cut:
        result.search.cut_short.append("minimising")
    # A new failure that is a replayed case again is reported once, as the replay.
    known = {v.case for _, v in result.replayed}
    result.failures = [v for v in finished if id(v) in replayed or v.case not in known]
    if corpus is not None:
        for verdict in result.failures:
            if id(verdict) in replayed or verdict.limitation is not None:
                continue  # deep chains and hangs are drawn again on every run; not saved
            try:
                saved = save(corpus, verdict, engine.spec)
            except OSError as exc:
                result.corpus_errors.append(
                    f"corpus {str(corpus)!r}: could not save a case: {exc.strerror or exc}"
                )
                break
            if saved is not None:
                result.saved.append(str(saved))
    result.elapsed_s = time.monotonic() - start
    return result


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _bar(total: int, progress: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc="checking",
        unit="case",
        file=sys.stderr,
        disable=not progress,
        mininterval=0.5,
        leave=False,
    )


def severity_counts(failures: list[Verdict]) -> Counter[str]:
    return Counter(v.severity.value for v in failures if v.severity is not None)
