"""A whole harness run, in phases with plain data between them: the corpus is replayed, the sweep
judges every op in every form and region, Hypothesis searches every family the engine's ops
allow, the deep chains follow, each new failure is minimised and refined within a time budget,
and the new bugs are saved to the corpus. The result knows every finding's severity and whether
the run passed."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradtrio.checks.defaults import (
    DEFAULT_DEEP,
    DEFAULT_EXAMPLES,
    DEFAULT_MAX_NODES,
    POST_SEARCH_BUDGET,
    too_undecided,
)
from gradtrio.checks.engines.limits import CaseTimeout
from gradtrio.checks.engines.protocol import Engine, EngineCrash, Limitation, LimitationKind
from gradtrio.checks.judgement.outcome import Severity, Skip
from gradtrio.checks.judgement.verdict import Verdict, explain
from gradtrio.checks.search.corpus import replay, save_new
from gradtrio.checks.search.families import deep_family, families, has_deep_chains
from gradtrio.checks.search.hypothesis_search import Phase, SearchResult, finding_key, search
from gradtrio.checks.search.interrupt import Interrupt
from gradtrio.checks.search.shard import WHOLE, Shard
from gradtrio.checks.search.shrink import Deadline, minimise, refine
from gradtrio.checks.search.sweep import Coverage, sweep
from hypothesis import strategies as st

__all__ = ["Finding", "RunResult", "replay_corpus", "run", "severity_counts"]


@dataclass(frozen=True)
class Finding:
    """A failing verdict of the run, the corpus file it was replayed from (None when the
    search found it) and the one its case was saved to (None when not saved)."""

    verdict: Verdict
    origin: str | None = None
    saved: str | None = None


@dataclass
class RunResult:
    """What a run judged and found. ``findings`` are the replayed failures, then the new ones,
    each minimised; ``limitations`` the engine's, probed and met."""

    engine: str
    ops: list[str]
    search: SearchResult = field(default_factory=SearchResult)
    findings: list[Finding] = field(default_factory=list)
    limitations: list[Limitation] = field(default_factory=list)
    elapsed_s: float = 0.0
    corpus_errors: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    adapter: Engine | None = field(default=None, repr=False)
    strict: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    coverage: Coverage | None = None  # the sweep's, when it ran
    interrupted: str | None = None  # the signal that stopped the run early

    # -- counts ------------------------------------------------------------------------------
    @property
    def failures(self) -> list[Verdict]:
        return [f.verdict for f in self.findings]

    @property
    def replayed(self) -> list[Finding]:
        """The findings replayed from the corpus."""
        return [f for f in self.findings if f.origin is not None]

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
        return too_undecided(self.undecided, self.examples)

    def of_severity(self, severity: Severity) -> list[Verdict]:
        return [v for v in self.failures if v.severity is severity]

    @property
    def bugs(self) -> list[Verdict]:
        return self.of_severity(Severity.BUG)

    @property
    def failing(self) -> list[Verdict]:
        """The findings that fail the run: bugs, or every finding when strict."""
        return [v for v in self.failures if v.fails(self.strict)]

    @property
    def passed(self) -> bool:
        """No finding that fails the run, and not too many undecided cases."""
        return not self.too_undecided and not self.failing

    def note_limitations(self, verdicts: list[Verdict]) -> None:
        """Record the engine limitations these failures show, each once."""
        for verdict in verdicts:
            limitation = verdict.limitation
            if limitation is not None and limitation not in self.limitations:
                self.limitations.append(limitation)


def _smallest(failures: list[Verdict]) -> list[Verdict]:
    """One failure per finding, the smallest."""
    best: dict[tuple[object, ...], Verdict] = {}
    for verdict in failures:
        key = finding_key(verdict)
        if key not in best or len(verdict.expression.nodes) < len(best[key].expression.nodes):
            best[key] = verdict
    return list(best.values())


def severity_counts(failures: list[Verdict]) -> Counter[str]:
    return Counter(v.severity.value for v in failures if v.severity is not None)


def _probed_limitations(engine: Engine) -> list[Limitation]:
    """The engine's probed limitations; an engine that crashes or hangs while probed has none
    to report here (its cases report the crash)."""
    try:
        return engine.limitations()
    except (EngineCrash, CaseTimeout):
        return []


# -- the phases ---------------------------------------------------------------------------------


def replay_corpus(
    result: RunResult, engine: Engine, corpus: Path, shard: Shard = WHOLE
) -> list[tuple[Path | None, Verdict]]:
    """Judge every case saved in ``corpus`` (a ``shard``'s files) into ``result``: each counts
    as a case of the family "corpus", each failure is a finding naming its file, and an
    unreadable file goes to ``corpus_errors``. Returns every file with its verdict."""
    judged: list[tuple[Path | None, Verdict]] = []
    began = time.monotonic()
    for item in replay(engine, corpus, shard):
        if isinstance(item, Exception):
            result.corpus_errors.append(str(item))
            continue
        entry, verdict = item
        judged.append((entry.path, verdict))
        result.search.count(verdict.case, family="corpus")
        result.search.timed("corpus", began)
        began = time.monotonic()
        if verdict.failed:
            result.findings.append(Finding(verdict, str(entry.path)))
            result.note_limitations([verdict])
    return judged


@dataclass(frozen=True)
class _Settings:
    examples: int
    seed: int
    max_nodes: int
    deep: int
    strict: bool
    budget: float | None
    shrink_budget: float | None
    interrupt: Interrupt


def _search(
    engine: Engine, s: _Settings, on_case: Callable[[], None], swept: list[Verdict]
) -> SearchResult:
    """Hypothesis over the families, each draw at the engine's ``points_per_expression``, then
    (unless the search was cut short or found a hang, which chains of five times the limit
    would only repeat) the deep chains, one point each, which it does not shrink: each step
    costs seconds, and :func:`minimise` halves them instead.

    Several points per expression meet a finding of the sweep (``swept``) in nearly every draw
    of its op: such a search does not stop to shrink one that the sweep has at a smaller case,
    and judges on."""
    start = time.monotonic()
    batched = engine.points_per_expression > 1
    known = {finding_key(v): len(v.expression.nodes) for v in swept} if batched else None
    found = search(
        engine,
        st.one_of(list(families(engine, s.max_nodes).values())),
        examples=s.examples,
        seed_value=s.seed,
        budget=s.budget,
        shrink_budget=s.shrink_budget,
        interrupt=s.interrupt,
        on_case=on_case,
        strict=s.strict,
        points=engine.points_per_expression,
        known=known,
    )
    hangs = any(
        v.limitation is not None and v.limitation.kind is LimitationKind.HANG
        for v in found.failures
    )
    cut = Phase.SEARCH in found.cut_short or s.interrupt
    if s.deep and has_deep_chains(engine) and not cut and not hangs:
        left = None if s.budget is None else max(1.0, s.budget - (time.monotonic() - start))
        found.merge(
            search(
                engine,
                deep_family(engine),
                examples=s.deep,
                seed_value=s.seed,
                shrink=False,
                budget=left,
                interrupt=s.interrupt,
                on_case=on_case,
                strict=s.strict,
            )
        )
    return found


_WHOLE = (LimitationKind.RECURSION, LimitationKind.COMPILE_TIME)


def _minimised(
    engine: Engine,
    failures: list[Verdict],
    known: list[Verdict],
    seed: int,
    deadline: Deadline,
    say: Callable[[str], None],
) -> list[Verdict]:
    """Each failure of the search made as small as the deadline allows, one per finding and
    none of a finding already ``known`` (replayed from the corpus). A RecursionError and a
    compile past the time limit are kept whole: the size is the point of such a case."""
    finished: list[Verdict] = []
    for n, verdict in enumerate(failures, start=1):
        if verdict.limitation is not None and verdict.limitation.kind in _WHOLE:
            finished.append(verdict)
            continue
        say(
            f"gradtrio: minimising failure {n}/{len(failures)} "
            f"({len(verdict.expression.nodes):,} op nodes)"
        )
        for refined in refine(engine, minimise(engine, verdict, deadline), seed, deadline):
            refined = minimise(engine, refined, deadline)
            if all(finding_key(refined) != finding_key(other) for other in [*known, *finished]):
                finished.append(refined)
    return finished


def run(
    engine: Engine,
    *,
    examples: int = DEFAULT_EXAMPLES,
    run_seed: int = 0,
    max_nodes: int = DEFAULT_MAX_NODES,
    deep: int = DEFAULT_DEEP,
    progress: bool = True,
    corpus: Path | None = None,
    strict: bool = False,
    budget: float | None = None,
    post_budget: float | None = POST_SEARCH_BUDGET,
    note: Callable[[str], None] | None = None,
    sweep_first: bool = True,
    interrupt: Interrupt | None = None,
    shard: Shard = WHOLE,
) -> RunResult:
    """Judge the sweep's cases (unless not ``sweep_first``), ``examples`` cases spread over the
    families, then ``deep`` very deep chains (one at most on an engine that compiles: each
    takes its compile limit, :data:`~gradtrio.checks.engines.limits.COMPILE_LIMIT`); of a
    ``shard`` (:mod:`.shard`), its part of each and of the corpus, with its own seed.

    With ``corpus`` (a directory), its saved cases are judged first and every new bug is saved
    there. ``budget`` bounds the search in seconds, and the shrinking, minimising and refining
    after it get no longer than that either; ``post_budget`` bounds those (None: no bound,
    for measurements that must not depend on the machine's speed). ``note`` receives progress
    lines for the phases after the search. ``interrupt``, once requested (a signal), ends the
    sweep or the search at the next case and skips the deep chains and minimising; the result
    then has what was judged, its findings blamed and saved, and says it was interrupted.
    """
    say = note or (_stderr if progress else (lambda text: None))
    if budget is not None and post_budget is not None:  # the whole run within the budget
        post_budget = min(post_budget, budget)
    shrink_budget = None if post_budget is None else post_budget / 2
    interrupt = interrupt if interrupt is not None else Interrupt()
    examples, deep, run_seed = shard.share(examples), shard.share(deep), shard.seed(run_seed)
    if engine.compiles:  # every chain costs a compile past COMPILE_LIMIT: one says it
        deep = min(deep, 1)
    settings = _Settings(
        examples, run_seed, max_nodes, deep, strict, budget, shrink_budget, interrupt
    )
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=strict)
    result.limitations.extend(_probed_limitations(engine))
    start = time.monotonic()
    if corpus is not None:
        replay_corpus(result, engine, corpus, shard)
    swept = SearchResult()
    if sweep_first:
        done = sweep(engine, interrupt=interrupt, shard=shard)
        swept, result.coverage = done.search, done.coverage
        result.search.merge(swept)
    bar = _bar(examples + deep, progress)
    try:
        found = _search(engine, settings, bar.update, swept.failures)
    finally:
        bar.close()
    result.search.merge(found)
    found.failures = _smallest([*swept.failures, *found.failures])
    result.note_limitations(found.failures)
    deadline = Deadline(0.0 if interrupt else post_budget)  # a user who stops wants it soon
    # A new failure of a finding replayed from the corpus is reported once, as the replay.
    new = _minimised(engine, found.failures, result.failures, run_seed, deadline, say)
    if deadline.cut and not interrupt:
        result.search.cut_short.append(Phase.MINIMISING)
    result.interrupted = interrupt.signal
    files: dict[int, Path] = {}
    if corpus is not None:
        saved = save_new(corpus, new, engine.spec)
        result.saved = [str(path) for path in saved.written]
        files = saved.files
        if saved.error is not None:
            result.corpus_errors.append(saved.error)
    result.findings += [
        Finding(explain(engine, v), saved=str(files[k]) if k in files else None)
        for k, v in enumerate(new)
    ]
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
