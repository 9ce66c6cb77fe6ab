"""GitHub Actions annotations (``--annotations github``): one workflow command per finding,
``::error`` for one that fails the run, ``::warning`` for a precision finding or a warning, in
GitHub's documented format ``::error file=F,line=L,title=T::MESSAGE``.

GitHub reads them from a step's output and shows each on the run's page and, when ``file``
is in the repository, beside that line of a pull request's diff. ``file`` is the engine's
source file with the line of the blamed op's method where known (:mod:`.locations`), else the
corpus file the case was replayed from or saved to. The message (the reason, the case, the
blame and a short reproducer) is escaped as the Actions toolkit escapes it: ``%``, ``\\r`` and
``\\n`` in the message, and ``:`` and ``,`` as well in a property. GitHub shows at most 10 of
each kind per step: bugs come first.
"""

from __future__ import annotations

from gradtrio.checks.report.document import Document, fails, finding_title

__all__ = ["escape_data", "escape_property", "github_annotations", "workflow_command"]

REPRODUCER_CHARS = 2000
"""A longer reproducer is left out of the message (it is in the JSON and the report files)."""
_CASE_LINES = ("  expression", "  point", "  engine limitation", "  blame")
"""The lines of a text report (:func:`~.text.format_verdict`) that say what the case is."""


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, **properties: object) -> str:
    """``::level k=v,...::message`` with ``properties`` that are not None, each escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{level}{' ' if props else ''}{props}::{escape_data(message)}"


def _message(doc: Document, failure: Document) -> str:
    report = str(failure.get("report", "")).splitlines()
    lines = [f"{failure.get('reason')} ({doc.get('engine')})"]
    lines += [line.strip() for line in report if line.startswith(_CASE_LINES)]
    reproducer = str(failure.get("reproducer") or "")
    if reproducer and len(reproducer) <= REPRODUCER_CHARS:
        lines += ["reproduce:", *reproducer.rstrip("\n").splitlines()]
    elif reproducer:
        lines.append(f"reproducer: {len(reproducer):,} characters, in the JSON and the report")
    for key, what in (("corpus_file", "replayed from"), ("saved_as", "saved to")):
        if failure.get(key):
            lines.append(f"corpus file ({what}): {failure[key]}")
    return "\n".join(lines)


def github_annotations(doc: Document) -> list[str]:
    """The workflow commands of the document ``doc``: its failing findings, then the others,
    then too many undecided cases (which fail the run without a finding)."""
    strict = bool(doc.get("strict"))
    failures = sorted(doc.get("failures", []), key=lambda f: not fails(f, strict))
    out = []
    for failure in failures:
        location = failure.get("location") or {}
        file = location.get("file") or failure.get("corpus_file") or failure.get("saved_as")
        out.append(
            workflow_command(
                "error" if fails(failure, strict) else "warning",
                _message(doc, failure),
                file=file,
                line=location.get("line") if location.get("file") else None,
                title=f"gradtrio {finding_title(failure)}",
            )
        )
    if doc.get("too_undecided"):
        undecided = doc.get("stats", {}).get("undecided_oracles_disagree", 0)
        text = f"{undecided} of {doc.get('judged')} cases undecided ({doc.get('engine')})"
        out.append(workflow_command("error", text, title="gradtrio: too many undecided cases"))
    return out
