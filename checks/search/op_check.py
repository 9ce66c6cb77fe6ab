"""One op checked on its own and in company, region by region: what ``gradtrio verify-op NAME``
and :func:`gradtrio.checks.check_op` run.

First the sweep of the op (:mod:`gradtrio.checks.search.sweep`: every band from subnormal to near
overflow at both signs, its thresholds, a neighbour upstream and downstream), then random
regions: the op alone across its domain (inputs in [-3, 3], every form it has), near its kinks
and domain edges (inputs within 0.1 of 0, where this registry's edges and kinks lie, and exactly
on each kink), at wide ranges (inputs up to ±1e3) and inside random DAGs with the engine's
control ops (add, mul), where its backward meets upstream gradients of every sign and size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gradtrio.checks.defaults import VERIFY_EXAMPLES
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.verdict import explain
from gradtrio.checks.search.hypothesis_search import SearchResult, search
from gradtrio.checks.search.run import Finding, RunResult
from gradtrio.checks.search.sweep import sweep
from gradtrio.strategies.case import Case
from gradtrio.strategies.dags import cases, kink_cases, wide_cases
from gradtrio.strategies.ops import OPS, Form
from hypothesis import strategies as st

__all__ = ["SWEPT", "OpCheck", "Region", "cannot_check", "check_one_op", "regions", "verify"]

SWEPT = "sweep: every band, thresholds, neighbours"
"""The name of the sweep among the regions."""


@dataclass(frozen=True)
class Region:
    name: str
    strategy: st.SearchStrategy[Case]


@dataclass
class OpCheck:
    """What checking one op found: per region (the sweep first) its search, and all of it
    together as one run (``result``: findings explained, coverage of the sweep)."""

    name: str
    result: RunResult
    regions: list[tuple[str, SearchResult]] = field(default_factory=list)


def _with_op(name: str, strategy: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
    return strategy.filter(lambda case: name in case.expression.ops_used())


def cannot_check(engine: Engine, name: str) -> str | None:
    """Why ``engine``'s op ``name`` cannot be checked (one line), or None when it can."""
    if name not in OPS:
        return (
            f"unknown op {name!r}; known ops: {', '.join(OPS)} "
            "(register a row with --ops MODULE first)"
        )
    if name not in engine.ops:
        attrs = ", ".join(sorted(set(OPS[name].engine_attrs.values())))
        why = engine.unchecked.get(name, f"looked for {attrs} on {engine.spec}")
        return f"engine {engine.spec} cannot check {name!r} ({why})"
    return None


def regions(engine: Engine, name: str) -> list[Region]:
    """The regions :func:`verify` checks ``name`` in, given the forms ``engine`` has; the
    company in random DAGs is the control ops (add, mul, ...) the engine has."""
    only: dict[str, tuple[Form, ...]] = {name: engine.ops[name]}
    company = {
        op: forms
        for op, forms in engine.ops.items()
        if op == name or OPS[op].control and OPS[op].arity == 2
    }
    out = [
        Region("alone, across [-3, 3]", cases(ops=only, max_nodes=1)),
        Region(
            "alone, within 0.1 of 0 (edges)",
            cases(ops=only, max_nodes=1, min_value=-0.1, max_value=0.1, margin=1e-6),
        ),
    ]
    if OPS[name].kinks:
        out.append(
            Region("exactly on a kink", _with_op(name, kink_cases(ops=company, max_nodes=3)))
        )
    out += [
        Region("wide, inputs up to ±1e3", wide_cases(ops=only, max_nodes=2)),
        Region(
            f"in random DAGs with {', '.join(sorted(set(company) - {name})) or 'itself'}",
            _with_op(name, cases(ops=company, max_nodes=8)),
        ),
    ]
    return out


def verify(
    engine: Engine, name: str, *, examples: int = VERIFY_EXAMPLES, run_seed: int = 0
) -> list[tuple[Region, SearchResult]]:
    """Judge ``engine``'s op ``name`` in every random region, ``examples`` cases each."""
    return [
        (region, search(engine, region.strategy, examples=examples, seed_value=run_seed))
        for region in regions(engine, name)
    ]


def check_one_op(
    engine: Engine,
    name: str,
    *,
    examples: int = VERIFY_EXAMPLES,
    run_seed: int = 0,
    strict: bool = False,
) -> OpCheck:
    """The sweep of ``engine``'s op ``name``, then every region of :func:`verify`; the op must
    be one the engine has (see :func:`cannot_check`)."""
    total = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=strict)
    done = OpCheck(name, total)
    start = time.monotonic()
    swept = sweep(engine, only=name)
    total.coverage = swept.coverage
    done.regions.append((SWEPT, swept.search))
    done.regions += [
        (region.name, found)
        for region, found in verify(engine, name, examples=examples, run_seed=run_seed)
    ]
    for _, found in done.regions:
        total.search.merge(found)
        total.findings += [Finding(explain(engine, v)) for v in found.failures]
        total.note_limitations(found.failures)
    total.elapsed_s = time.monotonic() - start
    return done
