"""The report page of a run, ``index.html`` in its report directory: what a person opens first.

One self-contained file, its stylesheet and script inline and nothing loaded from elsewhere: the
run's outcome, its settings and the command that reruns it; the findings by severity (bug,
precision, warning), with filters by severity and kind, each with its picture (:mod:`.dag_svg`,
the blamed node in red), what each oracle gave, the shrunk case, the blame and the reproducer
with a copy button; the engine's limitations, the sweep's coverage and the counts. A run
without findings gets its page too.

Every string reaches the page through Jinja2 with autoescaping on, so what an engine says
(messages, reprs, printed output) stays text; the pictures are built by ElementTree, which
escapes as well. The words come from the text report's and the summary's functions, so the page,
the terminal and the JSON say the same things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.outcome import Kind, Severity
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.report.dag_svg import DRAW_MAX_NODES, dag_svg
from gradtrio.checks.report.summary import (
    coverage_cell,
    coverage_rows,
    cut_short_notes,
    interrupted_line,
    outcome_line,
    shared_fraction,
)
from gradtrio.checks.report.text import (
    SHOWN_NODES,
    directional_fd,
    example_line,
    expression_lines,
    oracle_table,
    reproducer,
)
from gradtrio.checks.search.run import Finding, RunResult
from gradtrio.checks.search.sweep import REGIONS

__all__ = ["PAGE_NAME", "render_page"]

PAGE_NAME = "index.html"


@dataclass(frozen=True)
class _Cell:
    text: str
    wrong: bool = False


@dataclass(frozen=True)
class _Finding:
    """One finding as the page shows it; every field is plain text but ``picture``."""

    number: int
    nodes: int
    severity: str
    kind: str
    heading: str
    reason: str
    facts: list[str]
    blame: str | None
    picture: Any  # markupsafe.Markup of the SVG, or None
    picture_note: str
    columns: list[str]
    rows: list[tuple[str, list[_Cell]]]
    along: str | None
    agreement: list[tuple[str, bool]]
    inputs: list[str]
    listing: list[str]
    limitation: str | None
    output: str
    source: str | None
    example: str | None
    report: str
    files: list[str]


def _finding(
    n: int, finding: Finding, report: str, files: Sequence[str], engine: Engine | None
) -> _Finding:
    from markupsafe import Markup

    v: Verdict = finding.verdict
    e = v.expression
    kind = v.kind.value if v.kind else v.status.value
    blamed = v.blame.node if v.blame is not None else None
    label = None
    if v.blame is not None:
        label = v.blame.label(e.name(blamed) if blamed is not None else None)
    svg = dag_svg(e, v.point, blamed=blamed, ident=f"failure-{n}")
    dot = f"failure-{n}.dot"
    note = (
        f"{len(e.nodes):,} op nodes: too many to draw here (at most {DRAW_MAX_NODES}); "
        f"the graph is in {dot}"
        if svg is None
        else ""
    )
    wrong = {m.what for m in v.mismatches}
    columns = ["value", *(e.name(i) for i in range(e.n_inputs))]
    rows = [
        (name, [_Cell(c, name == "engine" and col in wrong) for c, col in zip(cells, columns)])
        for name, cells in oracle_table(v)
    ]
    if v.engine is None and v.crash is not None:  # what the engine gave instead of numbers
        error = v.crash.error
        said = {"": "no usable number", "CaseTimeout": "no result in time"}.get(error)
        cells = [_Cell(said or f"raised {error}", True), *[_Cell("-")] * (len(columns) - 1)]
        rows.insert(0, ("engine", cells))
    facts = [f"{v.case.family} case", f"{len(e.nodes):,} op node{'s' if len(e.nodes) != 1 else ''}"]
    if finding.origin:
        facts.append(f"replayed from the corpus: {finding.origin}")
    small = len(e.nodes) <= SHOWN_NODES
    return _Finding(
        number=n,
        nodes=len(e.nodes),
        severity=v.severity.value if v.severity else "unknown",
        kind=kind,
        heading=f"failure {n}: {kind}" + (f", blamed on {label}" if label else ""),
        reason=v.reason,
        facts=facts,
        blame=None if v.blame is None else f"{label}: {v.blame.reason}",
        picture=None if svg is None else Markup(svg),
        picture_note=note,
        columns=columns,
        rows=rows,
        along=directional_fd(v),
        agreement=list(v.agreement.pairs().items()) if v.agreement is not None else [],
        inputs=[f"{e.name(i)} = {x!r}" for i, x in enumerate(v.point)],
        listing=expression_lines(e),
        limitation=None if v.limitation is None else v.limitation.text,
        output=v.output,
        source=reproducer(v, engine=engine) if small else None,
        example=example_line(v) if small else None,
        report=report,
        files=list(files),
    )


def _coverage(result: RunResult) -> list[tuple[str, list[tuple[str, str, bool]]]] | None:
    """(row name, cells), each cell its text, its tooltip and whether some case failed."""
    if result.coverage is None:
        return None
    return [
        (
            name,
            [
                (
                    coverage_cell(judged, total, failed),
                    f"{name}, {region}: {judged} judged of {total} cases, {failed} failed",
                    failed > 0,
                )
                for region, (judged, total, failed) in zip(REGIONS, cells)
            ],
        )
        for name, cells in coverage_rows(result.coverage)
    ]


def _facts(result: RunResult) -> list[tuple[str, str]]:
    s = result.search
    families = ", ".join(f"{f} {n:,}" for f, n in sorted(s.family_counts.items()) if n)
    return [
        ("cases judged", f"{s.examples:,}" + (f" ({families})" if families else "")),
        ("ops covered", f"{len(s.op_counts)} of {len(result.ops)}"),
        ("drawn cases with a shared node", f"{shared_fraction(s):.0%}"),
        ("skipped outside the domain", f"{result.skipped:,}"),
        ("undecided", f"{result.undecided:,}"),
        ("time", f"{result.elapsed_s:.1f} s"),
    ]


def render_page(
    result: RunResult,
    reports: Sequence[str],
    rerun: str,
    *,
    versions: Mapping[str, str] | None = None,
    files: Sequence[Sequence[str]] = (),
) -> str:
    """The page of ``result``: ``reports`` are its findings' text reports (in
    ``result.findings`` order), ``rerun`` the command that reruns it, ``files`` the names of
    each finding's report files in the same directory (linked from the page)."""
    import jinja2
    from markupsafe import Markup

    names = [*files, *[()] * (len(result.findings) - len(files))]
    findings = [
        _finding(n, f, report, names[n - 1], result.adapter)
        for n, (f, report) in enumerate(zip(result.findings, reports), start=1)
    ]
    groups = [
        (sev.value, [f for f in findings if f.severity == sev.value])
        for sev in sorted(Severity, key=lambda s: s.rank)
    ]
    kinds = [(k.value, sum(f.kind == k.value for f in findings)) for k in Kind]
    settings = [("engine", result.engine)]
    settings += [
        (key.replace("_", " "), str(value))
        for key, value in result.settings.items()
        if value is not None  # an unsharded run has no shard
    ]
    settings.append(("strict", "yes" if result.strict else "no"))
    settings += [(f"{name} version", version) for name, version in (versions or {}).items()]
    loader = jinja2.PackageLoader("gradtrio.checks.report", ".")
    environment = jinja2.Environment(
        loader=loader,
        autoescape=True,  # every {{ value }} is escaped unless it is Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    style, script = (loader.get_source(environment, name)[0] for name in ("page.css", "page.js"))
    return environment.get_template("page.html.j2").render(
        style=Markup(style),
        script=Markup(script),
        engine=result.engine,
        outcome=outcome_line(result),
        passed=result.passed,
        interrupted=None if result.interrupted is None else interrupted_line(result),
        notes=cut_short_notes(result),
        rerun=rerun,
        settings=settings,
        facts=_facts(result),
        findings=findings,
        groups=[(severity, group) for severity, group in groups if group],
        severities=[(severity, len(group)) for severity, group in groups],
        kinds=[(kind, count) for kind, count in kinds if count],
        limitations=[limitation.text for limitation in result.limitations],
        corpus_errors=result.corpus_errors,
        saved=result.saved,
        regions=REGIONS,
        coverage=_coverage(result),
    )
