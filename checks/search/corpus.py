"""The regression corpus: every failing case saved as one JSON file, replayed first on every run
and kept until deleted by hand.

A file holds the case (the IR's JSON, the point, its family and the rules it is judged by), the
kind and severity of the failure, the engine spec it failed on and the first line of its report.
Files of the first format (``gradtrio.corpus/1``, options instead of rules) still replay. Its
name comes from a hash of the case, so saving the same case twice writes one file; a different
file already holding that name is never overwritten (the new one gets a numeric suffix).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.outcome import Skip, Status
from gradtrio.checks.judgement.verdict import Verdict, judge
from gradtrio.checks.search.shard import WHOLE, Shard
from gradtrio.strategies.case import Case, Rules
from gradtrio.strategies.expression import Expression

__all__ = ["FORMAT", "CorpusError", "Entry", "Saved", "entries", "replay", "save", "save_new"]

FORMAT = "gradtrio.corpus/2"
FORMAT_1 = "gradtrio.corpus/1"
MAX_FILE_BYTES = 16 * 2**20
"""Larger files are not read: a saved case is a few kilobytes, a deep chain about a megabyte."""
# Format 1 stored the options that differ from the strategies' defaults of the time.
_FORMAT_1_RULES = Rules(exact_kinks=False, max_magnitude=1e6, overflow_output=False)


class CorpusError(Exception):
    """A corpus file cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Entry:
    """One saved case, with what was known of its failure when it was saved."""

    case: Case
    kind: str = ""
    severity: str = ""
    engine: str = ""
    summary: str = ""
    path: Path | None = None

    def case_json(self) -> dict[str, Any]:
        return {
            "expression": self.case.expression.to_dict(),
            "point": list(self.case.point),
            "family": self.case.family,
            "rules": self.case.rules.to_dict(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **self.case_json(),
            "kind": self.kind,
            "severity": self.severity,
            "engine": self.engine,
            "summary": self.summary,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.case_json(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_verdict(cls, verdict: Verdict, engine: str) -> Entry:
        summary = f"{_value(verdict.kind)} failure: {verdict.reason}".splitlines()[0][:300]
        return cls(verdict.case, _value(verdict.kind), _value(verdict.severity), engine, summary)

    @classmethod
    def from_json(cls, data: Any, path: Path | None = None) -> Entry:
        if not isinstance(data, dict) or data.get("format") not in (FORMAT, FORMAT_1):
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"format={got!r}: not a gradtrio corpus file (expected {FORMAT!r})")
        try:
            expression = Expression.from_dict(data["expression"])
            point = tuple(float(x) for x in data["point"])
            if data["format"] == FORMAT_1:
                options = data.get("options", {})
                if not isinstance(options, dict):
                    raise ValueError(f"options={options!r}: expected an object")
                rules = Rules.from_dict({**_FORMAT_1_RULES.to_dict(), **options})
            else:
                rules = Rules.from_dict(data.get("rules", {}))
            family = data.get("family", "corpus")
            if not isinstance(family, str):
                raise ValueError(f"family={family!r}: expected a string")
            case = Case(expression, point, family, rules)
        except KeyError as exc:
            raise ValueError(f"missing field {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed case: {exc}") from None
        return cls(
            case,
            str(data.get("kind", "")),
            str(data.get("severity", "")),
            str(data.get("engine", "")),
            str(data.get("summary", "")),
            path,
        )


def _value(member: Any) -> str:
    return "" if member is None else str(member.value)


def save(directory: Path, verdict: Verdict, engine: str) -> Path | None:
    """Save the case of a failing ``verdict``; return the new file, or None when the corpus
    already holds this case.

    Safe for concurrent runs sharing ``directory`` (pytest-xdist workers, CI jobs on one disk):
    a file appears only complete, and a name is taken by exactly one writer.
    """
    entry = Entry.from_verdict(verdict, engine)
    text = json.dumps(entry.to_json(), indent=2) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        path = directory / f"case-{entry.digest}{'' if n == 0 else f'-{n}'}.json"
        if _publish(path, text):
            return path
        try:
            held = Entry.from_json(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # someone else's file, or damaged: leave it alone
        if held.case_json() == entry.case_json():
            return None
    raise CorpusError(f"corpus {str(directory)!r}: no free file name for case-{entry.digest}")


def _publish(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text``, or return False when it exists (never overwritten).

    The text goes to a temporary file first (not ``*.json``, so no reader lists it) and is
    hard-linked to its name: a reader or a concurrent writer never sees it half written, which
    would make a writer of the same case take it for damaged and save a duplicate.
    """
    # Named here rather than by mkstemp, whose files are private (0600) whatever the umask.
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("x") as handle:
            handle.write(text)
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive creation, written at once
        try:
            with path.open("x") as target:
                target.write(text)
            return True
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)


def entries(directory: Path, shard: Shard = WHOLE) -> Iterator[Entry | CorpusError]:
    """Every ``*.json`` file in ``directory`` (of a ``shard``, those whose names are its) in
    name order: an :class:`Entry`, or a :class:`CorpusError` naming a file that cannot be used
    (the others still follow)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.json")):
        if not shard.takes_name(path.name):
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                yield CorpusError(
                    f"corpus file {str(path)!r}: larger than {MAX_FILE_BYTES // 2**20} MiB; skipped"
                )
                continue
            yield Entry.from_json(json.loads(path.read_text()), path)
        except OSError as exc:
            yield CorpusError(f"corpus file {str(path)!r}: {exc.strerror}; skipped")
        except RecursionError:
            yield CorpusError(f"corpus file {str(path)!r}: JSON nested too deeply; skipped")
        except UnicodeDecodeError:
            yield CorpusError(f"corpus file {str(path)!r}: not UTF-8 text; skipped")
        except json.JSONDecodeError as exc:
            yield CorpusError(
                f"corpus file {str(path)!r}: not JSON ({exc.msg} at line {exc.lineno}); skipped"
            )
        except ValueError as exc:
            yield CorpusError(f"corpus file {str(path)!r}: {exc}; skipped")


@dataclass
class Saved:
    """What :func:`save_new` did: the files it wrote, those that already held a case, the file
    of each case saved or held (by its place among the verdicts), and the error that stopped it
    (one line; None when it did not stop)."""

    written: list[Path] = field(default_factory=list)
    held: list[Path] = field(default_factory=list)
    files: dict[int, Path] = field(default_factory=dict)
    error: str | None = None


def save_new(directory: Path, verdicts: Iterable[Verdict], engine: str) -> Saved:
    """Save the new failing cases of a run (or of a battery item) to the corpus. A case that
    shows an engine limitation (a deep chain, a hang) is drawn again on every run: not saved."""
    saved = Saved()
    for k, verdict in enumerate(verdicts):
        if verdict.limitation is not None:
            continue
        try:
            path = save(directory, verdict, engine)
        except OSError as exc:
            saved.error = f"corpus {str(directory)!r}: could not save a case: {exc.strerror or exc}"
            break
        if path is None:
            digest = Entry.from_verdict(verdict, engine).digest
            path = directory / f"case-{digest}.json"
            saved.held.append(path)
        else:
            saved.written.append(path)
        saved.files[k] = path
    return saved


def replay(
    engine: Engine, directory: Path, shard: Shard = WHOLE
) -> Iterator[tuple[Entry, Verdict] | CorpusError]:
    """Judge ``engine`` on every case in the corpus (a ``shard``'s part of it), in file-name
    order."""
    for item in entries(directory, shard):
        if isinstance(item, CorpusError):
            yield item
            continue
        missing = sorted(set(item.case.expression.ops_used()) - set(engine.ops))
        if missing:
            reason = f"{Skip.MISSING_OP.value}: {', '.join(missing)}"
            yield item, Verdict(item.case, Status.SKIP, skip=Skip.MISSING_OP, reason=reason)
            continue
        yield item, judge(engine, item.case)
