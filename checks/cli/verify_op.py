"""``gradtrio verify-op NAME``: check one op on its own and in company, region by region.

First the sweep of the op (:mod:`gradtrio.checks.search.sweep`: every band from subnormal to near
overflow at both signs, its thresholds, a neighbour upstream and downstream), with its coverage
table; then random regions: the op alone across its domain (inputs in [-3, 3], every form it
has), near its kinks and domain edges (inputs within 0.1 of 0, where this registry's edges and
kinks lie, and exactly on each kink), at wide ranges (inputs up to ±1e3) and inside random DAGs
with add and mul. Each region prints how many cases were judged, how many used the op, and pass
or fail; failures are shrunk and reported as in a full run.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from gradtrio.checks.cli.commands import engine_of
from gradtrio.checks.cli.outputs import finish, rerun_command
from gradtrio.checks.cli.parser import UsageError
from gradtrio.checks.defaults import VERIFY_EXAMPLES
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.verdict import explain
from gradtrio.checks.report.summary import coverage_table
from gradtrio.checks.report.text import format_verdict
from gradtrio.checks.search.hypothesis_search import SearchResult, search
from gradtrio.checks.search.run import Finding, RunResult, severity_counts
from gradtrio.checks.search.sweep import sweep
from gradtrio.strategies.case import Case
from gradtrio.strategies.dags import cases, kink_cases, wide_cases
from gradtrio.strategies.ops import OPS, Form
from hypothesis import strategies as st

__all__ = ["Region", "regions", "verify", "verify_main"]


@dataclass(frozen=True)
class Region:
    name: str
    strategy: st.SearchStrategy[Case]


def _with_op(name: str, strategy: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
    return strategy.filter(lambda case: name in case.expression.ops_used())


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
    """Judge ``engine``'s op ``name`` in every region, ``examples`` cases each."""
    return [
        (region, search(engine, region.strategy, examples=examples, seed_value=run_seed))
        for region in regions(engine, name)
    ]


def verify_main(args: argparse.Namespace) -> int:
    """0 when the op passes in every region, 1 when it fails somewhere, 2 for a usage error."""
    engine = engine_of(args)
    name = args.name
    if name not in OPS:
        raise UsageError(
            f"verify-op: unknown op {name!r}; known ops: {', '.join(OPS)} "
            "(register a row with --ops MODULE first)"
        )
    if name not in engine.ops:
        attrs = ", ".join(sorted(set(OPS[name].engine_attrs.values())))
        why = engine.unchecked.get(name, f"looked for {attrs} on {engine.spec}")
        raise UsageError(f"verify-op: engine {engine.spec} cannot check {name!r} ({why})")
    op = OPS[name]
    kinks = ", ".join(f"at {k.at:g} (convention {k.convention:g})" for k in op.kinks) or "none"
    lines = [
        f"gradtrio verify-op {name} on {engine.describe()}",
        f"  arity {op.arity}; forms {', '.join(engine.ops[name])}; kinks {kinks}",
    ]
    total = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=args.strict)
    start = time.monotonic()
    swept = sweep(engine, only=name)
    total.coverage = swept.coverage
    regions = [("sweep: every band, thresholds, neighbours", swept.search)]
    regions += [
        (region.name, found)
        for region, found in verify(engine, name, examples=args.examples, run_seed=args.seed)
    ]
    for region_name, found in regions:
        bugs = [v for v in found.failures if v.fails(args.strict)]
        status = "pass" if not bugs else f"FAIL ({len(bugs)})"
        if found.failures and not bugs:
            status = f"pass ({len(found.failures)} warning(s))"
        lines.append(
            f"  {region_name:<40} {found.examples:>5} cases, {found.op_counts[name]:>5} {name} "
            f"nodes, {sum(found.skipped.values()):>4} skipped: {status}"
        )
        if found is swept.search:
            lines += ["  " + line for line in coverage_table(swept.coverage)]
        total.search.merge(found)
        total.findings += [Finding(explain(engine, v)) for v in found.failures]
        total.note_limitations(found.failures)
    total.elapsed_s = time.monotonic() - start
    reports = [format_verdict(v, engine=engine) for v in total.failures]
    tally = ", ".join(f"{n} {sev}" for sev, n in sorted(severity_counts(total.failures).items()))
    if total.passed and not total.failures:
        lines.append(f"  PASSED: {name} agrees with the exact reference in every region")
    else:
        lines.append(f"  {'PASSED' if total.passed else 'FAILED'}: {name}: {tally}")
    lines.append(f"  rerun: {rerun_command(args)}")
    lines += [line for report in reports for line in ("", report)]
    return finish(total, args, "\n".join(lines), reports)
