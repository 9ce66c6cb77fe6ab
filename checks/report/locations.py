"""Where a finding points in the user's files: the engine class's source file and the line of
the blamed op's method (of the backward method, for a fault in the backward loop or the
traversal; of the class, when neither is written in it).

The source is read with :mod:`ast`, never imported: the engine's code runs in its worker
process, not in the harness. A class re-exported by a package (``from .engine import Value``)
is followed to its module. Only a file under the current directory is given, relative to it:
CI annotations and test reports link the files of the repository they run in.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

from gradtrio.checks.engines.value_class import BACKWARD_METHODS
from gradtrio.strategies.ops import OPS

__all__ = ["Location", "finding_location", "source_location"]

Location = dict[str, object]
"""``{"file": "tests/engines/x.py", "line": 42}``, as the JSON has it."""

_MAX_SOURCE_BYTES = 4 * 2**20
_REEXPORT_DEPTH = 3


def finding_location(spec: str, culprit: str | None, op: str | None) -> Location | None:
    """The place in the engine's source that a blame with ``culprit`` and ``op`` points at."""
    if op in OPS:
        methods: Sequence[str] = list(dict.fromkeys(OPS[op].engine_attrs.values()))
    elif culprit in ("backward", "traversal"):
        methods = BACKWARD_METHODS
    else:
        methods = ()
    return source_location(spec, methods)


def source_location(spec: str, methods: Sequence[str] = ()) -> Location | None:
    """The file of the class ``spec`` names (``path/file.py:Class`` or ``package.module:Class``)
    and the line of the first of ``methods`` defined in its body, else of the class; None when
    the class is not found in a file under the current directory."""
    module, sep, name = spec.rpartition(":")
    if not sep or not module or not name:
        return None
    path = Path(module) if module.endswith(".py") else _module_file(module)
    found = None if path is None else _find_class(path, name, _REEXPORT_DEPTH)
    if found is None:
        return None
    path, cls = found
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except (OSError, ValueError):
        return None
    return {"file": relative.as_posix(), "line": _method_line(cls, methods)}


def _method_line(cls: ast.ClassDef, methods: Sequence[str]) -> int:
    lines: dict[str, int] = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.setdefault(node.name, node.lineno)
        elif isinstance(node, ast.Assign):  # __radd__ = __add__
            for target in node.targets:
                if isinstance(target, ast.Name):
                    lines.setdefault(target.id, node.lineno)
    return next((lines[m] for m in methods if m in lines), cls.lineno)


def _parse(path: Path) -> ast.Module | None:
    try:
        if path.stat().st_size > _MAX_SOURCE_BYTES:
            return None
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _find_class(path: Path, name: str, depth: int) -> tuple[Path, ast.ClassDef] | None:
    """The class ``name`` defined at the top of ``path``, or imported there from a module whose
    file is found (``depth`` imports deep at most)."""
    tree = _parse(path)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return path, node
    for node in tree.body if depth else ():
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if (alias.asname or alias.name) != name:
                continue
            source = _imported_file(path, node)
            if source is not None:
                return _find_class(source, alias.name, depth - 1)
    return None


def _imported_file(importer: Path, node: ast.ImportFrom) -> Path | None:
    if not node.level:
        return None if node.module is None else _module_file(node.module)
    base = importer.parent
    for _ in range(node.level - 1):
        base = base.parent
    target = base.joinpath(*(node.module or "").split(".")) if node.module else base
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_file(name: str) -> Path | None:
    """The source file of module ``name``, found without running any of the user's code: a
    package is looked into only once imported (Python's own search then imports nothing), else
    through the folders of the package found before it."""
    parts = name.split(".")
    spec: ModuleSpec | None = None
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        module = sys.modules.get(prefix)
        try:
            if module is not None:
                spec = module.__spec__
            elif i == 1 or ".".join(parts[: i - 1]) in sys.modules:
                spec = importlib.util.find_spec(prefix)
            else:
                assert spec is not None  # the parent's, found in the step before
                spec = PathFinder.find_spec(prefix, spec.submodule_search_locations)
        except (ImportError, ValueError):
            return None
        if spec is None or (i < len(parts) and spec.submodule_search_locations is None):
            return None
    origin = None if spec is None else spec.origin
    return Path(origin) if origin and origin.endswith(".py") else None
