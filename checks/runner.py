"""A whole harness run: Hypothesis draws cases from every family the engine supports, each is
judged, failures are shrunk by Hypothesis and collected with their reports."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from tqdm import tqdm

from checks.api import FAILURES, CheckFailure
from checks.engine import Engine
from checks.report import format_verdict, reproducer
from checks.verdict import Verdict, judge
from strategies.dags import Case, cases, deep_chains, kink_cases, mlp_cases, wide_cases
from strategies.ops import OPS

__all__ = ["RunResult", "families", "run"]


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

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "ops": self.ops,
            "examples": self.examples,
            "passed": self.passed,
            "failures": [_failure_json(v) for v in self.failures],
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


def _failure_json(v: Verdict) -> dict[str, Any]:
    blame = None
    if v.blame is not None:
        blame = {"node": None if v.blame.node is None else v.expression.name(v.blame.node),
                 "op": v.blame.op, "reason": v.blame.reason}
    return {
        "kind": v.kind,
        "nodes": len(v.expression.nodes),
        "expression": v.expression.to_dict(),
        "point": list(v.point),
        "reproducer": reproducer(v),
        "blame": blame,
        "oracles": v.agreement,
        "reason": v.reason,
        "limitation": v.limitation,
        "report": format_verdict(v),
    }


def families(engine: Engine, max_nodes: int) -> dict[str, st.SearchStrategy[Case]]:
    """The case families this engine's ops allow."""
    ops = engine.ops
    out: dict[str, st.SearchStrategy[Case]] = {
        "interior": cases(ops=ops, max_nodes=max_nodes)}
    if any(OPS[name].kinks for name in ops):
        out["kink"] = kink_cases(ops=ops, max_nodes=max(2, min(max_nodes, 8)))
    out["wide"] = wide_cases(ops=ops, max_nodes=max(1, min(max_nodes, 8)))
    mlp_needs = {"add": "left", "sub": "right", "mul": "right", "pow": "right"}
    if all(form in ops.get(name, ()) for name, form in mlp_needs.items()) and {
        "tanh", "relu"} <= set(ops):
        out["mlp"] = mlp_cases()
    return out


def _harness(result: RunResult, engine: Engine, strategy: st.SearchStrategy[Case],
             examples: int, run_seed: int, tick: Callable[[], None]) -> None:
    @seed(run_seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=True,
              phases=[Phase.generate, Phase.shrink])
    @given(strategy)
    def one_case(case: Case) -> None:
        result.examples += 1
        tick()
        expression = case.expression
        result.family_counts[case.family] += 1
        result.shared += expression.has_shared_node()
        result.op_counts.update(node.op for node in expression.nodes)
        verdict = judge(engine, expression, case.point, exact_kinks=case.exact_kinks,
                        max_magnitude=case.max_magnitude)
        if verdict.status == "skip":
            result.skipped += "domain" in verdict.reason
            result.undecided += "disagree" in verdict.reason
        if verdict.failed:
            assert verdict.kind is not None
            raise FAILURES[verdict.kind](verdict, format_verdict(verdict))

    try:
        one_case()
    except CheckFailure as exc:
        _collect(result, [exc])
    except BaseExceptionGroup as group:  # several distinct bugs, each shrunk on its own
        _collect(result, list(group.exceptions))


def _collect(result: RunResult, errors: list[BaseException]) -> None:
    for exc in errors:
        if not isinstance(exc, CheckFailure):
            raise exc
        result.failures.append(exc.verdict)
        if exc.verdict.limitation and exc.verdict.limitation not in result.limitations:
            result.limitations.append(exc.verdict.limitation)


def run(engine: Engine, *, examples: int = 500, run_seed: int = 0, max_nodes: int = 12,
        deep: int = 2, progress: bool = True) -> RunResult:
    """Judge ``examples`` cases spread over the families, then ``deep`` very deep chains."""
    result = RunResult(engine.spec, sorted(engine.ops))
    start = time.perf_counter()
    strategy = st.one_of(list(families(engine, max_nodes).values()))
    bar = tqdm(total=examples + deep, desc="checking", unit="case", file=sys.stderr,
               disable=not progress, mininterval=0.5, leave=False)
    try:
        _harness(result, engine, strategy, examples, run_seed, bar.update)
        if deep and any(name in engine.ops for name in ("tanh", "sigmoid")):
            chains = deep_chains(ops=engine.ops, min_depth=10_000, max_depth=10_500)
            _harness(result, engine, chains, deep, run_seed, bar.update)
    finally:
        bar.close()
    result.elapsed_s = time.perf_counter() - start
    return result
