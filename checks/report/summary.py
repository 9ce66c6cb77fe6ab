"""Presenting a run: the terminal summary and the JSON document (``gradtrio.result/1``, which
the JUnit XML, the annotations and ``gradtrio merge`` read). Each failure's report is formatted
once and the same text goes to the terminal, the report files and the JSON."""

from __future__ import annotations

from typing import Any

from gradtrio.checks.defaults import UNDECIDED_THRESHOLD
from gradtrio.checks.judgement.outcome import Severity
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.report.document import FORMAT
from gradtrio.checks.report.locations import finding_location
from gradtrio.checks.report.text import example_line, format_verdict, reproducer
from gradtrio.checks.search.hypothesis_search import Phase, SearchResult, finding_id
from gradtrio.checks.search.run import Finding, RunResult, severity_counts
from gradtrio.checks.search.sweep import REGIONS, Cell, Coverage, label

__all__ = [
    "coverage_cell",
    "coverage_rows",
    "coverage_table",
    "cut_short_notes",
    "interrupted_line",
    "outcome_line",
    "result_json",
    "shared_fraction",
    "summary",
    "tally",
]


def summary(result: RunResult, rerun: str) -> tuple[str, list[str]]:
    """The summary a person reads, and each failure's report (in ``result.failures`` order)."""
    reports = [format_verdict(v, engine=result.adapter) for v in result.failures]
    s = result.search
    ops = ", ".join(f"{op} {n}" for op, n in sorted(s.op_counts.items()))
    fams = ", ".join(f"{f} {n}" for f, n in sorted(s.family_counts.items()) if n)
    shared = shared_fraction(s)
    lines = [
        f"gradtrio: {result.engine}",
        f"  cases judged: {s.examples} ({fams}) in {result.elapsed_s:.1f} s",
        f"  ops covered: {len(s.op_counts)}/{len(result.ops)}: {ops}",
        f"  drawn cases with a shared node: {shared:.0%}; skipped outside the domain: "
        f"{result.skipped}; undecided: {result.undecided}",
    ]
    if s.family_counts.get("corpus") or result.saved:
        lines.append(
            f"  regression corpus: {s.family_counts.get('corpus', 0)} case(s) replayed, "
            f"{len(result.replayed)} failing; {len(result.saved)} new case(s) saved"
        )
    lines += [f"    saved {path}" for path in result.saved]
    if result.coverage is not None:
        lines += coverage_table(result.coverage)
    for limitation in result.limitations:
        lines.append(f"  engine limitation: {limitation.text}")
    lines += [f"  note: {note}" for note in cut_short_notes(result)]
    lines.append(f"  rerun: {rerun}")
    if result.interrupted is not None:
        lines.append(f"  {interrupted_line(result)}")
    followed = bool(result.failures) and not result.too_undecided  # by the reports
    lines.append(f"  {outcome_line(result)}{':' if followed else ''}")
    for finding, report in zip(result.findings, reports):
        lines.append("")
        if finding.origin:
            lines.append(f"replayed from the corpus: {finding.origin}")
        lines.append(report)
    return "\n".join(lines), reports


def tally(failures: list[Verdict]) -> str:
    """``1 bug, 2 warnings``: the count of each severity there is."""
    counts = severity_counts(failures)
    return ", ".join(
        f"{counts[sev.value]} {sev.value}{'s' if counts[sev.value] != 1 else ''}"
        for sev in Severity
        if counts[sev.value]
    )


def cut_short_notes(result: RunResult) -> list[str]:
    """A sentence for each phase that ran out of its time budget (an interrupted run is said
    apart: :func:`interrupted_line`)."""
    return [
        SLOW_SWEEP
        if phase is Phase.SWEEP
        else f"{phase.value} was cut short by its time budget; findings may be larger"
        for phase in result.search.cut_short
        if phase is not Phase.INTERRUPTED
    ]


SLOW_SWEEP = (
    "the sweep stopped early: a batch of its one- and two-node cases took longer than one case's "
    "time limit, though a case alone did not (a slow engine); its coverage table is partial"
)


def interrupted_line(result: RunResult) -> str:
    """What an interrupted run judged (call only when ``result.interrupted``)."""
    return (
        f"INTERRUPTED by {result.interrupted}: the {result.examples} cases judged so far, "
        f"{tally(result.failures) or 'no finding'} (deep chains and minimising skipped)"
    )


def outcome_line(result: RunResult) -> str:
    """The run's outcome in a sentence: the summary's last line before the reports, the
    report page's headline."""
    if result.too_undecided:
        return (
            f"FAILED: {result.undecided} of {result.examples} cases undecided (over "
            f"{UNDECIDED_THRESHOLD:.0%}): the reference could not decide them or the oracles "
            "disagreed with each other, so the engine was not judged there; check that torch is "
            "unmodified and report the cases"
        )
    if result.passed and not result.failures:
        return (
            "PASSED: the engine agrees with the exact reference (SymPy, in Arb balls) on every case"
        )
    if result.passed:
        return f"PASSED with {tally(result.failures)} (no bug; --strict fails on these)"
    return f"FAILED: {tally(result.failures)}, each shrunk"


def shared_fraction(s: SearchResult) -> float:
    """The share of the drawn cases (not the sweep's, not the corpus's) with a shared node."""
    drawn = s.examples - s.family_counts.get("sweep", 0) - s.family_counts.get("corpus", 0)
    return s.shared / drawn if drawn > 0 else 0.0


def coverage_rows(coverage: Coverage) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """The sweep's coverage, one row per op and form, its name and, in each of
    :data:`REGIONS`, the cases judged, all cases, and the failed ones."""
    rows = []
    for op, form in coverage.rows():
        cells = []
        for region in REGIONS:
            cell = Cell(op, form, region)
            judged, failed = coverage.judged[cell], coverage.failed[cell]
            cells.append((judged, judged + coverage.skipped[cell] + failed, failed))
        rows.append((label(op, form), cells))
    return rows


def coverage_cell(judged: int, total: int, failed: int) -> str:
    """``12/16``: judged of the cases in one region, ``!`` where some failed, ``-`` for none."""
    return f"{judged}/{total}{'!' if failed else ''}" if total else "-"


def coverage_table(coverage: Coverage) -> list[str]:
    """The sweep's coverage as text: judged of the cases in each region, a ``!`` where some
    failed, ``-`` where the region has none."""
    rows = coverage_rows(coverage)
    width = max((len(name) for name, _ in rows), default=8) + 2
    lines = [
        "  sweep coverage (judged/cases per region; ! some failed):",
        "    " + "".ljust(width) + "".join(region.ljust(12) for region in REGIONS),
    ]
    for name, cells in rows:
        texts = [coverage_cell(*counts).ljust(12) for counts in cells]
        lines.append("    " + name.ljust(width) + "".join(texts).rstrip())
    return lines


def _failure_json(finding: Finding, result: RunResult, report: str) -> dict[str, Any]:
    v = finding.verdict
    blame: dict[str, Any] = {"culprit": None, "op": None}
    if v.blame is not None:
        blame = {
            "node": None if v.blame.node is None else v.expression.name(v.blame.node),
            "culprit": v.blame.culprit.value,
            "op": v.blame.op,
            "reason": v.blame.reason,
        }
    location = finding_location(result.engine, blame["culprit"], blame["op"])
    return {
        "severity": None if v.severity is None else v.severity.value,
        "kind": None if v.kind is None else v.kind.value,
        "family": v.case.family,
        "nodes": len(v.expression.nodes),
        "expression": v.expression.to_dict(),
        "point": list(v.point),
        "rules": v.case.rules.to_dict(),
        "reproducer": reproducer(v, engine=result.adapter),
        "engine_output": v.output,
        "example": example_line(v),
        "corpus_file": finding.origin,
        "saved_as": finding.saved,
        "finding": finding_id(v),
        "location": location,
        "blame": None if v.blame is None else blame,
        "oracles": {} if v.agreement is None else v.agreement.pairs(),
        "reason": v.reason,
        "limitation": None if v.limitation is None else v.limitation.text,
        "report": report,
    }


def result_json(
    result: RunResult,
    reports: list[str],
    rerun: str,
    versions: dict[str, str],
    exit_code: int,
) -> dict[str, Any]:
    s = result.search
    counts = severity_counts(result.failures)
    return {
        "format": FORMAT,
        "engine": result.engine,
        "ops": result.ops,
        "unchecked": dict(sorted(result.adapter.unchecked.items())) if result.adapter else {},
        **result.settings,
        "strict": result.strict,
        "command": rerun,
        "versions": versions,
        "judged": s.examples,
        "passed": result.passed,
        "too_undecided": result.too_undecided,
        "exit_code": exit_code,
        "severities": {sev.value: counts.get(sev.value, 0) for sev in Severity},
        "failures": [_failure_json(f, result, r) for f, r in zip(result.findings, reports)],
        "corpus": {
            "replayed": s.family_counts.get("corpus", 0),
            "errors": result.corpus_errors,
            "saved": result.saved,
        },
        "limitations": [{"kind": n.kind.value, "text": n.text} for n in result.limitations],
        "cut_short": [phase.value for phase in s.cut_short],
        "interrupted": result.interrupted,
        "coverage": None if result.coverage is None else result.coverage.to_dict(),
        "stats": {
            "shared_fraction": shared_fraction(s),
            "op_counts": dict(sorted(s.op_counts.items())),
            "families": {f: n for f, n in sorted(s.family_counts.items()) if n},
            "family_seconds": {f: round(t, 3) for f, t in sorted(s.seconds.items())},
            "skipped_out_of_domain": result.skipped,
            "undecided_oracles_disagree": result.undecided,
        },
        "elapsed_s": round(result.elapsed_s, 3),
    }
