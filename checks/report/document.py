"""The JSON document of a run (``gradtrio.result/1``, written by :mod:`.summary` for ``--json``)
as the CI outputs and ``gradtrio merge`` read it: loading and checking a file, what a finding
is called, and whether it fails the run. Light to import: no stage of the harness is loaded, so
``gradtrio merge`` starts at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "DocumentError", "fails", "finding_title", "load"]

FORMAT = "gradtrio.result/1"

Document = dict[str, Any]

# The fields a merge reads, with the JSON types they must have.
_FIELDS: dict[str, tuple[type, ...]] = {
    "engine": (str,),
    "ops": (list,),
    "strict": (bool,),
    "judged": (int,),
    "exit_code": (int,),
    "failures": (list,),
    "corpus": (dict,),
    "limitations": (list,),
    "stats": (dict,),
    "elapsed_s": (int, float),
}
_FAILURE_FIELDS: dict[str, tuple[type, ...]] = {
    "finding": (str,),
    "severity": (str,),
    "nodes": (int,),
    "report": (str,),
}


class DocumentError(Exception):
    """A file is not a readable gradtrio result; the message is one line naming it."""


def load(path: Path) -> Document:
    """The document in ``path``, checked to have the fields a merge reads."""
    name = repr(str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DocumentError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DocumentError(f"{name}: is a directory, expected a JSON file") from None
    except OSError as exc:
        raise DocumentError(f"{name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{name}: not UTF-8 text, expected a gradtrio --json file") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"{name}: not JSON ({exc.msg} at line {exc.lineno}), expected a gradtrio --json file"
        ) from None
    except RecursionError:
        raise DocumentError(f"{name}: JSON nested too deeply") from None
    got = data.get("format") if isinstance(data, dict) else type(data).__name__
    if not isinstance(data, dict) or got != FORMAT:
        raise DocumentError(
            f"{name}: not a gradtrio result (format={got!r}; expected {FORMAT!r}, "
            "as gradtrio run --json writes)"
        )
    problem = _wrong_field(data, _FIELDS)
    if problem is None:
        for n, failure in enumerate(data["failures"]):
            problem = _wrong_field(failure, _FAILURE_FIELDS, f"failures[{n}].")
            if problem is not None:
                break
    if problem is not None:
        raise DocumentError(f"{name}: not a gradtrio result: {problem}")
    return data


def _wrong_field(data: Any, fields: dict[str, tuple[type, ...]], where: str = "") -> str | None:
    if not isinstance(data, dict):
        return f"{where.rstrip('.') or 'the document'} is {type(data).__name__}, expected an object"
    for key, types in fields.items():
        value = data.get(key)
        # bool is an int to Python, not to JSON: an exit code of true is not a number
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            kinds = " or ".join(_JSON_NAMES[t] for t in types)
            return f"{where}{key}={value!r}: expected {kinds}"
    return None


_JSON_NAMES = {
    str: "a string",
    list: "a list",
    dict: "an object",
    bool: "true or false",
    int: "an integer",
    float: "a number",
}


def fails(failure: Document, strict: bool) -> bool:
    """Does this finding fail the run: a bug, or any finding under ``--strict``?"""
    return strict or failure.get("severity") == "bug"


def finding_title(failure: Document) -> str:
    """What a finding is called in a test report or an annotation: ``bug: gradient in tanh``,
    ``warning: crash in backward``."""
    blame = failure.get("blame") or {}
    op, culprit = blame.get("op"), blame.get("culprit")
    where = op or culprit or "the engine"
    if op and culprit not in (None, "op"):
        where = f"{op} ({culprit})"
    return f"{failure.get('severity')}: {failure.get('kind')} in {where}"
