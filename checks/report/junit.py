"""A run's results as JUnit XML (``--junit-xml``), in the dialect Jenkins, GitLab and the GitHub
test-report actions read: ``testsuites`` > ``testsuite`` > ``testcase`` with ``failure``,
``error`` and ``skipped``, each with its ``time``.

Written from the JSON document (:mod:`.document`), so a run and a merge of runs give the same
shape. One test case per case family, passing, its judged count as its output and its judging
time as its ``time``. One per finding: one that fails the run (a bug; any finding under
``--strict``) is a ``<failure>``; a precision finding or a warning that does not is
``<skipped>`` with the finding as its message and text. Skipped rather than a passing case with
``<system-out>``: GitLab shows the text of a failure, an error or a skip and ignores a passing
case's output, Jenkins lists skips with their messages, and the GitHub report actions count and
list them, where a passing case's output is one page deeper or not shown at all. A finding's
case has no ``time`` (its judging is counted in its family's), and has the ``file`` (GitLab links
it) and ``line`` of the blamed op's method where known. An unreadable corpus file, an
interrupted run and a shard missing from a merge are ``<error>`` cases; too many undecided
cases, a ``<failure>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from gradtrio.checks.report.document import Document, fails, finding_title

__all__ = ["FAMILIES", "junit_xml"]

FAMILIES = ("interior", "kink", "wide", "mlp", "deep", "sweep", "corpus")
"""The families in the order a run judges them; others (``user``) follow by name."""

# XML 1.0 has no way to write these, escaped or not; an engine's text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _case(suite: ET.Element, classname: str, name: str, **attrs: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"classname": classname, "name": _text(name), **attrs})


def _outcome(case: ET.Element, tag: str, message: str, text: str = "", **attrs: str) -> None:
    element = ET.SubElement(case, tag, {"message": _text(message), **attrs})
    element.text = _text(text) if text else None


def _unique(name: str, taken: set[str]) -> str:
    n, out = 1, name
    while out in taken:
        n += 1
        out = f"{name} ({n})"
    taken.add(out)
    return out


def _families(suite: ET.Element, doc: Document) -> None:
    stats = doc.get("stats", {})
    counts: dict[str, int] = stats.get("families", {})
    seconds: dict[str, float] = stats.get("family_seconds", {})
    order = [f for f in FAMILIES if f in counts] + sorted(set(counts) - set(FAMILIES))
    for family in order:
        case = _case(suite, "gradtrio.families", family, time=f"{seconds.get(family, 0.0):.3f}")
        n = counts[family]
        ET.SubElement(case, "system-out").text = f"{n:,} case{'s' if n != 1 else ''} judged"


def _finding_text(failure: Document) -> tuple[str, str]:
    """The one-line message (the reason and the blame) and the full text of a finding."""
    blame = failure.get("blame") or {}
    message = str(failure.get("reason", ""))
    if blame.get("reason"):
        node = f"{blame.get('node')} ({blame.get('op')})" if blame.get("op") else blame.get("node")
        message += f"; blame: {node or blame.get('culprit')}: {blame['reason']}"
    lines = [str(failure.get("report", ""))]
    for key, what in (("corpus_file", "replayed from"), ("saved_as", "saved to")):
        if failure.get(key):
            lines.append(f"corpus file ({what}): {failure[key]}")
    return message.splitlines()[0] if message else "", "\n".join(lines)


def _findings(suite: ET.Element, doc: Document) -> None:
    taken: set[str] = set()
    for failure in doc.get("failures", []):
        attrs = {}
        location = failure.get("location") or {}
        where = location.get("file") or failure.get("corpus_file") or failure.get("saved_as")
        if where:
            attrs["file"] = _text(where)
        if location.get("line"):
            attrs["line"] = str(location["line"])
        name = _unique(finding_title(failure), taken)
        case = _case(suite, "gradtrio.findings", name, **attrs)
        message, text = _finding_text(failure)
        kind = _text(failure.get("kind") or "")
        if fails(failure, bool(doc.get("strict"))):
            _outcome(case, "failure", message, text, type=kind)
        else:
            severity = failure.get("severity")
            _outcome(case, "skipped", f"{severity} (does not fail the run): {message}", text)


def _problems(suite: ET.Element, doc: Document) -> None:
    """What makes a run fail or incomplete that is no finding."""
    stats = doc.get("stats", {})
    if doc.get("too_undecided"):
        case = _case(suite, "gradtrio.run", "undecided cases")
        undecided, judged = stats.get("undecided_oracles_disagree", 0), doc.get("judged", 0)
        message = (
            f"{undecided} of {judged} cases undecided: the reference could not decide them "
            "or the oracles disagreed with each other, so the engine was not judged there"
        )
        _outcome(case, "failure", message)
    if doc.get("interrupted"):
        case = _case(suite, "gradtrio.run", "interrupted")
        message = f"stopped by {doc['interrupted']}: only the cases judged before it are here"
        _outcome(case, "error", message)
    taken: set[str] = set()
    for error in doc.get("corpus", {}).get("errors", []):
        _outcome(_case(suite, "gradtrio.corpus", _unique(error, taken)), "error", error)
    for shard in doc.get("missing_shards", []):
        case = _case(suite, "gradtrio.run", f"shard {shard}")
        _outcome(case, "error", f"shard {shard}: no result of this shard was merged")


_PROPERTIES = ("engine", "command", "exit_code", "seed", "examples", "max_nodes", "shard")


def _properties(suite: ET.Element, doc: Document) -> None:
    props = ET.SubElement(suite, "properties")
    values: list[tuple[str, Any]] = [(k, doc.get(k)) for k in _PROPERTIES]
    values += [("strict", str(bool(doc.get("strict"))).lower())]
    values += [(f"version.{k}", v) for k, v in doc.get("versions", {}).items()]
    for name, value in values:
        if value is not None:
            ET.SubElement(props, "property", name=name, value=_text(value))


def junit_xml(doc: Document) -> str:
    """The XML text of the document ``doc``."""
    time = f"{float(doc.get('elapsed_s', 0.0)):.3f}"
    suite = ET.Element("testsuite", name=_text(f"gradtrio: {doc.get('engine')}"), time=time)
    _properties(suite, doc)
    _families(suite, doc)
    _findings(suite, doc)
    _problems(suite, doc)
    notes = [f"engine limitation: {n.get('text')}" for n in doc.get("limitations", [])]
    notes += [f"cut short: {phase}" for phase in doc.get("cut_short", [])]
    if notes:
        ET.SubElement(suite, "system-out").text = _text("\n".join(notes))
    cases = suite.findall("testcase")
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(c.find("failure") is not None for c in cases)),
        "errors": str(sum(c.find("error") is not None for c in cases)),
        "skipped": str(sum(c.find("skipped") is not None for c in cases)),
    }
    for key, n in counts.items():
        suite.set(key, n)
    root = ET.Element("testsuites", {"name": "gradtrio", "time": time, **counts})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
