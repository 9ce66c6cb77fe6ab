"""Merging the JSON documents of several runs of one engine (``gradtrio merge``): the shards of
one run (``--shard I/N``), or runs of other seeds.

The merged document has the format of one run's, so that the JUnit XML and the annotations are
written from it as from a run, and a merge can be merged again. Counts, coverage and times are
summed (``elapsed_s`` is the runs' time added up, not a wall time); each distinct finding
(``failures[].finding``) is kept once, with its smallest case; ``merged`` lists the runs. The
exit code is the one the whole would have had: 1 for a finding that fails it (a bug, or any
finding when a run was ``--strict``) or too many undecided cases over all the runs; else the
first other code of a run (an interrupted one's 130 or 143, a replay's 2); else 2 when a shard
of a sharded run is missing; else 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from gradtrio.checks.defaults import too_undecided
from gradtrio.checks.report.document import FORMAT, Document, DocumentError, fails

__all__ = ["merge", "merged_summary"]


def _runs(name: str, doc: Document) -> list[Document]:
    """The runs a document holds: itself, or the runs it was merged from."""
    if isinstance(doc.get("merged"), list):
        return [dict(run) for run in doc["merged"] if isinstance(run, dict)]
    keys = ("command", "seed", "shard", "exit_code", "judged")
    return [{"file": name, **{k: doc.get(k) for k in keys}}]


def _sum_counts(maps: Iterable[Any]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    for m in maps:
        total.update(m if isinstance(m, dict) else {})
    return dict(sorted(total.items()))


def _coverage(docs: Sequence[Document]) -> dict[str, Any] | None:
    tables = [doc["coverage"] for doc in docs if isinstance(doc.get("coverage"), dict)]
    if not tables:
        return None
    merged: dict[str, dict[str, Counter[str]]] = {}
    for table in tables:
        for row, regions in table.items():
            for region, counts in regions.items():
                merged.setdefault(row, {}).setdefault(region, Counter()).update(counts)
    return {row: {r: dict(c) for r, c in regions.items()} for row, regions in merged.items()}


def _smallest_findings(docs: Sequence[Document]) -> list[Document]:
    """One failure per distinct finding, the one with the fewest op nodes, in the order met."""
    best: dict[str, Document] = {}
    for doc in docs:
        for failure in doc["failures"]:
            key = failure["finding"]
            if key not in best or failure["nodes"] < best[key]["nodes"]:
                best[key] = failure
    return list(best.values())


def _unique(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _missing_shards(runs: Sequence[Document]) -> list[str]:
    present: dict[int, set[int]] = {}
    for run in runs:
        index, slash, count = str(run.get("shard") or "").partition("/")
        if slash and index.isdigit() and count.isdigit():
            present.setdefault(int(count), set()).add(int(index))
    return [
        f"{i}/{n}" for n, seen in sorted(present.items()) for i in range(1, n + 1) if i not in seen
    ]


def _check(documents: Sequence[tuple[str, Document]]) -> list[Document]:
    """Every run of the documents, once each; a document of another engine, or holding a run
    already given, is an error naming its file."""
    first_name, first = documents[0]
    commands: dict[str, str] = {}
    runs: list[Document] = []
    for name, doc in documents:
        if doc["engine"] != first["engine"]:
            raise DocumentError(
                f"{name!r}: a run of --engine {doc['engine']!r}, and {first_name!r} of "
                f"{first['engine']!r}; merge the runs of one engine"
            )
        for run in _runs(name, doc):
            command = run.get("command")
            if isinstance(command, str) and command in commands:
                raise DocumentError(
                    f"{name!r}: the same run as {commands[command]!r} ({command}); "
                    "merge each run once"
                )
            if isinstance(command, str):
                commands[command] = name
            runs.append(run)
    return runs


def merge(documents: Sequence[tuple[str, Document]], command: str) -> Document:
    """The document of the whole of ``documents`` (each with the name of its file, checked by
    :func:`~.document.load`); ``command`` is the merge's own. Raises :class:`DocumentError`
    naming the file for a document of another engine or one holding a run twice."""
    if not documents:
        raise DocumentError("no file to merge")
    runs = _check(documents)
    docs = [doc for _, doc in documents]
    strict = any(doc["strict"] for doc in docs)
    failures = _smallest_findings(docs)
    stats = [doc["stats"] for doc in docs]
    judged = sum(doc["judged"] for doc in docs)
    undecided = sum(s.get("undecided_oracles_disagree", 0) for s in stats)
    families = _sum_counts(s.get("families") for s in stats)
    # The share of drawn cases with a shared node, weighted by each run's drawn cases.
    drawn = [d["judged"] - _drawn_not(d["stats"].get("families", {})) for d in docs]
    shared = sum(s.get("shared_fraction", 0.0) * n for s, n in zip(stats, drawn))
    undecided_fails = too_undecided(undecided, judged)
    missing = _missing_shards(runs)
    passed = not undecided_fails and not any(fails(f, strict) for f in failures)
    others = [run["exit_code"] for run in runs if run.get("exit_code") not in (0, 1, None)]
    exit_code = 1 if not passed else others[0] if others else 2 if missing else 0
    severities = Counter(str(f["severity"]) for f in failures)
    corpus = [doc["corpus"] for doc in docs]
    return {
        "format": FORMAT,
        "engine": docs[0]["engine"],
        "ops": sorted({op for doc in docs for op in doc["ops"]}),
        "unchecked": {k: v for doc in docs for k, v in sorted(doc.get("unchecked", {}).items())},
        "strict": strict,
        "command": command,
        "versions": docs[0].get("versions", {}),
        "merged": runs,
        "missing_shards": missing,
        "judged": judged,
        "passed": passed,
        "too_undecided": undecided_fails,
        "exit_code": exit_code,
        "severities": {sev: severities.get(sev, 0) for sev in ("bug", "precision", "warning")},
        "failures": failures,
        "corpus": {
            "replayed": sum(c.get("replayed", 0) for c in corpus),
            "errors": _unique(e for c in corpus for e in c.get("errors", [])),
            "saved": _unique(s for c in corpus for s in c.get("saved", [])),
        },
        "limitations": _unique(n for doc in docs for n in doc["limitations"]),
        "cut_short": _unique(p for doc in docs for p in doc.get("cut_short", [])),
        "interrupted": next((d["interrupted"] for d in docs if d.get("interrupted")), None),
        "coverage": _coverage(docs),
        "stats": {
            "shared_fraction": shared / sum(drawn) if sum(drawn) > 0 else 0.0,
            "op_counts": _sum_counts(s.get("op_counts") for s in stats),
            "families": families,
            "family_seconds": {
                f: round(t, 3)
                for f, t in _sum_counts(s.get("family_seconds") for s in stats).items()
            },
            "skipped_out_of_domain": sum(s.get("skipped_out_of_domain", 0) for s in stats),
            "undecided_oracles_disagree": undecided,
        },
        "elapsed_s": round(sum(doc["elapsed_s"] for doc in docs), 3),
    }


def _drawn_not(families: dict[str, int]) -> int:
    """The cases of a run that were not drawn: the sweep's and the corpus's."""
    return families.get("sweep", 0) + families.get("corpus", 0)


def merged_summary(doc: Document) -> str:
    """What a person reads of a merge: the runs, the cases, the outcome, each finding."""
    runs = doc["merged"]
    families = ", ".join(f"{f} {n:,}" for f, n in doc["stats"]["families"].items())
    lines = [
        f"gradtrio merge: {doc['engine']}, {len(runs)} run(s)",
        *(
            f"  {run.get('file')}: {run.get('judged')} cases"
            + (f", shard {run['shard']}" if run.get("shard") else "")
            + f", exit {run.get('exit_code')}"
            for run in runs
        ),
        f"  cases judged: {doc['judged']:,} ({families}) in {doc['elapsed_s']:.1f} s of run time",
    ]
    lines += [f"  engine limitation: {n.get('text')}" for n in doc["limitations"]]
    if doc["missing_shards"]:
        lines.append(
            f"  MISSING: shard(s) {', '.join(doc['missing_shards'])} were not merged; "
            "the cases they would have judged are not here"
        )
    counts = doc["severities"]
    tally = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items() if n)
    if doc["too_undecided"]:
        undecided = doc["stats"]["undecided_oracles_disagree"]
        lines.append(f"  FAILED: {undecided} of {doc['judged']} cases undecided")
    elif doc["exit_code"] == 1:
        lines.append(f"  FAILED: {tally}, the distinct findings of all the runs:")
    elif doc["interrupted"]:
        lines.append(f"  INTERRUPTED: a run was stopped by {doc['interrupted']}")
    elif tally:
        lines.append(f"  PASSED with {tally} (no bug; --strict fails on these):")
    else:
        lines.append("  PASSED: the engine agrees with the exact reference on every case")
    for failure in doc["failures"]:
        lines += ["", str(failure["report"])]
    return "\n".join(lines)
