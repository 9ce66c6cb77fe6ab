"""The report of one op checked region by region (:mod:`gradtrio.checks.search.op_check`): a
line per region with its cases, its op nodes and pass or fail, the sweep's coverage row, the
outcome, the command that reruns it, and each finding's full report."""

from __future__ import annotations

from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.report.summary import coverage_table, outcome_line
from gradtrio.checks.report.text import format_verdict
from gradtrio.checks.search.op_check import SWEPT, OpCheck
from gradtrio.checks.search.run import severity_counts
from gradtrio.strategies.ops import OPS

__all__ = ["op_report"]


def op_report(done: OpCheck, engine: Engine, rerun: str) -> tuple[str, list[str]]:
    """The whole text, and each finding's report on its own (for the report files)."""
    name, total = done.name, done.result
    op = OPS[name]
    kinks = ", ".join(f"at {k.at:g} (convention {k.convention:g})" for k in op.kinks) or "none"
    lines = [
        f"gradtrio verify-op {name} on {engine.describe()}",
        f"  arity {op.arity}; forms {', '.join(engine.ops[name])}; kinks {kinks}",
    ]
    for region_name, found in done.regions:
        bugs = [v for v in found.failures if v.fails(total.strict)]
        status = "pass" if not bugs else f"FAIL ({len(bugs)})"
        if found.failures and not bugs:
            status = f"pass ({len(found.failures)} warning(s))"
        lines.append(
            f"  {region_name:<40} {found.examples:>5} cases, {found.op_counts[name]:>5} {name} "
            f"nodes, {sum(found.skipped.values()):>4} skipped: {status}"
        )
        if region_name == SWEPT:
            lines += ["  " + line for line in coverage_table(total.coverage)]
    reports = [format_verdict(v, engine=engine) for v in total.failures]
    tally = ", ".join(f"{n} {sev}" for sev, n in sorted(severity_counts(total.failures).items()))
    if total.failures:
        lines.append(f"  {'PASSED' if total.passed else 'FAILED'}: {name}: {tally}")
    if total.too_undecided:
        lines.append(f"  {outcome_line(total)}")
    elif not total.failures:
        lines.append(f"  PASSED: {name} agrees with the exact reference in every region")
    lines.append(f"  rerun: {rerun}")
    lines += [line for report in reports for line in ("", report)]
    return "\n".join(lines), reports
