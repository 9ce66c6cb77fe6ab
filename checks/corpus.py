"""The regression corpus: every failing case saved as one JSON file, replayed first on every run
and kept until deleted by hand.

A file holds the expression (the IR's JSON), the point, the options the case is judged with, the
kind of failure, the engine spec it failed on and the first line of its report. Its name comes
from a hash of the case, so saving the same case twice writes one file; a different file already
holding that name is never overwritten (the new one gets a numeric suffix).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradtrio.checks.report import CASE_DEFAULTS, case_options
from gradtrio.checks.verdict import Verdict, judge
from gradtrio.strategies.expression import Expression

__all__ = ["DEFAULT_CORPUS", "FORMAT", "CorpusError", "Entry", "entries", "replay", "save"]

DEFAULT_CORPUS = Path(".gradtrio/corpus")
FORMAT = "gradtrio.corpus/1"


class CorpusError(Exception):
    """A corpus file cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Entry:
    """One saved case. ``options`` are the :class:`~strategies.Case` options it needs beyond the
    defaults (see :func:`~checks.report.case_options`)."""

    expression: Expression
    point: tuple[float, ...]
    kind: str = ""
    engine: str = ""
    summary: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def case_json(self) -> dict[str, Any]:
        return {
            "expression": self.expression.to_dict(),
            "point": list(self.point),
            "options": dict(sorted(self.options.items())),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **self.case_json(),
            "kind": self.kind,
            "engine": self.engine,
            "summary": self.summary,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.case_json(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_verdict(cls, verdict: Verdict, engine: str) -> Entry:
        summary = f"{verdict.kind} failure: {verdict.reason}".splitlines()[0][:300]
        return cls(
            verdict.expression,
            verdict.point,
            verdict.kind or "",
            engine,
            summary,
            case_options(verdict),
        )

    @classmethod
    def from_json(cls, data: Any, path: Path | None = None) -> Entry:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"format={got!r}: not a gradtrio corpus file (expected {FORMAT!r})")
        try:
            expression = Expression.from_dict(data["expression"])
            point = tuple(float(x) for x in data["point"])
            options = dict(data.get("options", {}))
        except KeyError as exc:
            raise ValueError(f"missing field {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed case: {exc}") from None
        if len(point) != expression.n_inputs:
            raise ValueError(
                f"point has {len(point)} values, the expression {expression.n_inputs} inputs"
            )
        unknown = set(options) - set(CASE_DEFAULTS)
        if unknown:
            raise ValueError(f"options: unknown {sorted(unknown)!r}")
        return cls(
            expression,
            point,
            str(data.get("kind", "")),
            str(data.get("engine", "")),
            str(data.get("summary", "")),
            options,
            path,
        )


def save(directory: Path, verdict: Verdict, engine: str) -> Path | None:
    """Save the case of a failing ``verdict``; return the new file, or None when the corpus
    already holds this case."""
    entry = Entry.from_verdict(verdict, engine)
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        path = directory / f"case-{entry.digest}{'' if n == 0 else f'-{n}'}.json"
        if not path.exists():
            path.write_text(json.dumps(entry.to_json(), indent=2) + "\n")
            return path
        try:
            held = Entry.from_json(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # someone else's file, or damaged: leave it alone
        if held.case_json() == entry.case_json():
            return None
    raise CorpusError(f"corpus {str(directory)!r}: no free file name for case-{entry.digest}")


def entries(directory: Path) -> Iterator[Entry | CorpusError]:
    """Every ``*.json`` file in ``directory`` in name order: an :class:`Entry`, or a
    :class:`CorpusError` naming a file that cannot be used (the others still follow)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.json")):
        try:
            yield Entry.from_json(json.loads(path.read_text()), path)
        except OSError as exc:
            yield CorpusError(f"corpus file {str(path)!r}: {exc.strerror}; skipped")
        except json.JSONDecodeError as exc:
            yield CorpusError(
                f"corpus file {str(path)!r}: not JSON ({exc.msg} at line {exc.lineno}); skipped"
            )
        except ValueError as exc:
            yield CorpusError(f"corpus file {str(path)!r}: {exc}; skipped")


def replay(engine: Any, directory: Path) -> Iterator[tuple[Entry, Verdict] | CorpusError]:
    """Judge ``engine`` on every case in the corpus, in file-name order."""
    for item in entries(directory):
        if isinstance(item, CorpusError):
            yield item
            continue
        missing = sorted(set(item.expression.ops_used()) - set(engine.ops))
        if missing:
            yield (
                item,
                Verdict(
                    item.expression,
                    item.point,
                    "skip",
                    reason=f"the engine lacks {', '.join(missing)}",
                ),
            )
            continue
        # Judged as the case was when it was drawn: the Case defaults, then its own options.
        options = {**CASE_DEFAULTS, **item.options}
        yield item, judge(engine, item.expression, item.point, **options)  # type: ignore[arg-type]
