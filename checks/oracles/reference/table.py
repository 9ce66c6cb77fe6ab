"""The built-in ops' compiled parts, derived by SymPy once and kept on disk.

Importing SymPy and deriving every built-in op in every form costs close to a second, at the
start of every run. The first run that needs them derives them all (:func:`.codegen.op_source`)
and saves the sources in ``$GRADTRIO_CACHE_DIR`` (default ``$XDG_CACHE_HOME/gradtrio``, else
``~/.cache/gradtrio``); later runs read them back and import SymPy only for ops of the user's own,
and rows that replace a built-in one. A built-in op with a constant substituted (where its
general form has a removable singularity or overflows) is derived the first time a run needs it
and added to a second file, so later runs find that too.

The file's name holds a digest of what the sources depend on (the registry's, the derivation's
and the printer's code, the versions of SymPy and python-flint), so a change to any of them
derives afresh. A file that cannot be read or written is derived again, never fatal: the
sources are the same either way.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from gradtrio.checks.oracles.reference.parts import ArbSource
from gradtrio.strategies.ops import BUILT_IN, OPS, Form

__all__ = ["built_in_parts", "cache_dir", "keep_substituted", "table_path"]

_DEPENDS_ON = (
    "gradtrio.strategies.ops",
    "gradtrio.checks.oracles.reference.derivatives",
    "gradtrio.checks.oracles.reference.codegen",
    "gradtrio.checks.oracles.reference.parts",
)


def built_in_parts(name: str, form: Form, const: float | None = None) -> ArbSource | None:
    """The saved parts of a built-in op in ``form`` (with ``const`` substituted, if given), or
    None where they must be derived (an op that is not built in, a built-in name with another row
    registered, a constant no run has substituted yet)."""
    if not _built_in(name):
        return None
    if const is None:
        return _table().get((name, form))
    return _substituted().get((name, form, repr(float(const))))


def keep_substituted(name: str, form: Form, const: float, source: ArbSource) -> None:
    """Add the parts of a built-in op with ``const`` substituted, just derived, to the file of
    such parts (the whole file rewritten; a concurrent run's additions may be lost and derived
    again later, never corrupted)."""
    if not _built_in(name):
        return
    kept = _substituted()
    kept[(name, form, repr(float(const)))] = source
    entries = [{"op": n, "form": f, "const": c, **_entry(s)} for (n, f, c), s in kept.items()]
    _write(_substituted_path(), {"parts": entries}, "arb-substituted-*.json")


def _built_in(name: str) -> bool:
    return name in BUILT_IN and OPS.get(name) is BUILT_IN[name]


def cache_dir() -> Path:
    """Where gradtrio keeps what it derives once."""
    chosen = os.environ.get("GRADTRIO_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradtrio"


def table_path() -> Path:
    """The file for the current code and versions."""
    return cache_dir() / f"arb-parts-{_digest()}.json"


def _substituted_path() -> Path:
    return cache_dir() / f"arb-substituted-{_digest()}.json"


@functools.cache
def _digest() -> str:
    h = hashlib.sha256()
    for module in _DEPENDS_ON:  # found, not imported: two of them import SymPy
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        h.update(Path(spec.origin).read_bytes())
    for package in ("sympy", "python-flint"):
        try:
            h.update(f"{package} {version(package)}".encode())
        except PackageNotFoundError:
            h.update(f"{package} unknown".encode())
    return h.hexdigest()[:20]


@functools.cache
def _table() -> dict[tuple[str, str], ArbSource]:
    path = table_path()
    try:
        return _parse(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):  # absent, unreadable or not ours: derive
        pass
    from gradtrio.checks.oracles.reference.codegen import op_source

    table = {key: op_source(*key) for key in _built_in_forms()}
    entries = [{"op": name, "form": form, **_entry(s)} for (name, form), s in table.items()]
    _write(path, {"parts": entries}, "arb-parts-*.json")
    return table


@functools.cache
def _substituted() -> dict[tuple[str, str, str], ArbSource]:
    try:
        data = json.loads(_substituted_path().read_text())
        return {
            (str(e["op"]), str(e["form"]), repr(float(e["const"]))): _source(e)
            for e in data["parts"]
        }
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: start afresh
        return {}


def _parse(data: dict[str, Any]) -> dict[tuple[str, str], ArbSource]:
    table = {(str(entry["op"]), str(entry["form"])): _source(entry) for entry in data["parts"]}
    if set(table) != set(_built_in_forms()):
        raise ValueError("the saved table does not cover the built-in ops")
    return table


def _entry(s: ArbSource) -> dict[str, Any]:
    return {"text": s.text, "constants": s.constants, "arity": s.arity, "magnitudes": s.magnitudes}


def _source(entry: dict[str, Any]) -> ArbSource:
    constants = {str(k): (int(p), int(q)) for k, (p, q) in entry["constants"].items()}
    magnitudes = tuple(None if m is None else float(m) for m in entry["magnitudes"])
    return ArbSource(str(entry["text"]), constants, int(entry["arity"]), magnitudes)


def _built_in_forms() -> list[tuple[str, Form]]:
    return [(name, form) for name, op in BUILT_IN.items() for form in op.forms]


def _write(path: Path, data: dict[str, Any], stale: str) -> None:
    """Write ``data`` whole, or not at all (a temporary file renamed over the name), and remove
    the files matching ``stale`` that belong to other code or versions."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".arb-parts-", suffix=".tmp")
    except OSError:  # a read-only home: derived again next time
        return
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out)
        os.replace(temporary, path)
        for old in path.parent.glob(stale):  # tables of code since changed
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
