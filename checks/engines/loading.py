"""Loading what the user names: an engine class (``package.module:Class`` or
``path/to/file.py:Class``), a module of op rows (``--ops``), and objects registered through entry
points; and the way back, the import lines of a loaded object, for reproducers that run alone.
Every failure is one line for the user (:class:`LoadError`), whatever the user's code raised
while importing."""

from __future__ import annotations

import importlib.util
import inspect
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "LoadError",
    "entry_point_objects",
    "import_line",
    "import_path",
    "load_object",
    "load_op_modules",
]

_FROM_FILE = "_gradtrio_user_"
"""The prefix of the module name a file loaded by path gets (its ``__module__`` in objects)."""


class LoadError(Exception):
    """Something the user named cannot be loaded; the message is one line."""


def _module_from_file(path: Path, what: str, spec: str) -> ModuleType:
    if not path.is_file():
        raise LoadError(f"{what} {spec!r}: no such file {str(path)!r}")
    name = f"{_FROM_FILE}{path.stem}_{abs(hash(str(path.resolve())))}"
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.util.spec_from_file_location(name, path)
    if loader is None or loader.loader is None:
        raise LoadError(f"{what} {spec!r}: {str(path)!r} is not a Python file")
    module = importlib.util.module_from_spec(loader)
    sys.modules[name] = module
    # As for a script, modules beside the file are importable while it loads.
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        loader.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(folder)
    return module


def load_object(
    spec: str, default_attr: str | None = None, *, what: str = "--engine", kind: str = "attribute"
) -> Any:
    """The object named by ``module:attr`` or ``path/file.py:attr``; with ``default_attr``, a bare
    module or file name means that attribute of it."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep:
        module_part, attr = spec, default_attr or ""
    if not module_part or not attr:
        form = "package.module:Class or path/file.py:Class"
        raise LoadError(f"{what} {spec!r}: expected {form}")
    try:
        if module_part.endswith(".py"):
            return getattr(_module_from_file(Path(module_part), what, spec), attr)
        return pkgutil.resolve_name(f"{module_part}:{attr}")
    except LoadError:
        raise
    except AttributeError:
        raise LoadError(f"{what} {spec!r}: {module_part!r} has no {kind} {attr!r}") from None
    except (Exception, SystemExit) as exc:  # user code failing at import is a configuration error
        raise LoadError(
            f"{what} {spec!r}: importing {module_part!r} failed: {type(exc).__name__}: {exc}"
        ) from None


def entry_point_objects(group: str) -> list[tuple[str, Any]]:
    """Every entry point of ``group``, loaded: (its name, the object)."""
    loaded = []
    for point in entry_points(group=group):
        try:
            loaded.append((f"entry point {point.name!r} ({point.value})", point.load()))
        except (Exception, SystemExit) as exc:
            raise LoadError(
                f"entry point {point.name!r} in {group} ({point.value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from None
    return loaded


def load_op_modules(names: Sequence[str]) -> list[str]:
    """Register the op rows of each named module (its ``OPS``, a list of :class:`Op`, or the
    object named by ``module:attr``) and of every entry point in the group ``gradtrio.ops``.
    Returns the names of the ops added, in registry order."""
    from gradtrio.strategies.ops import OPS, Op, register

    before = set(OPS)
    sources = [(f"--ops {name!r}", load_object(name, "OPS", what="--ops")) for name in names]
    sources += entry_point_objects("gradtrio.ops")
    for where, rows in sources:
        rows = [rows] if isinstance(rows, Op) else rows
        if (
            not isinstance(rows, (list, tuple))
            or not rows
            or not all(isinstance(r, Op) for r in rows)
        ):
            raise LoadError(f"{where}: expected a list of gradtrio Op rows, got {rows!r:.80}")
        try:
            register(*rows, replace=True)
        except (TypeError, ValueError) as exc:
            raise LoadError(f"{where}: {exc}") from None
    return [name for name in OPS if name not in before]


def import_line(spec: str, alias: str = "engine") -> tuple[str, str]:
    """The import line(s) that make the object of ``spec`` (``module:name`` or
    ``path/file.py:name``) available, and its name there; a file whose name is no module name
    is loaded by path as the module ``alias``."""
    module, _, name = spec.rpartition(":")
    if module.endswith(".py"):
        path = Path(module).resolve()
        lines = f"import sys\nsys.path.insert(0, {str(path.parent)!r})\n"
        if path.stem.isidentifier():
            return lines + f"from {path.stem} import {name}", name
        return lines + (  # a file name that is no module name: load it by path
            "import importlib.util\n"
            f"_spec = importlib.util.spec_from_file_location({alias!r}, {str(path)!r})\n"
            f"_{alias} = importlib.util.module_from_spec(_spec)\n"
            f"_spec.loader.exec_module(_{alias})\n"
            f"{name} = _{alias}.{name}"
        ), name
    return f"from {module} import {name}", name


def _attribute(module: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        module = getattr(module, part, None)
    return module


def import_path(obj: Any, what: str) -> tuple[str, str]:
    """The import lines of ``obj`` (a function, a callable object, or a method of a class, such
    as a ``torch.autograd.Function``'s ``apply``) and the expression naming it after them:
    ``("from my_ops import LogCosh", "LogCosh.apply")``. :class:`LoadError` naming ``what`` when
    the object cannot be imported by name (a lambda, a function defined inside another)."""
    owner, attribute = obj, ""
    if inspect.ismethod(obj) and inspect.isclass(obj.__self__):
        owner, attribute = obj.__self__, f".{obj.__func__.__name__}"
    # A wrapper may keep its own module and qualified name (HIPS autograd's primitive keeps
    # the wrapped function as ``fun``): the names of what it wraps are tried too.
    inner = [owner, *(getattr(owner, a) for a in ("__wrapped__", "fun") if hasattr(owner, a))]
    found = [
        (module_name, name)
        for o in inner
        for module_name in [getattr(o, "__module__", None) or ""]
        for name in (getattr(o, "__qualname__", None), getattr(o, "__name__", None))
        if name and _attribute(sys.modules.get(module_name), name) is owner
    ]
    if not found:
        shown = getattr(owner, "__qualname__", None) or f"{owner!r:.60}"
        raise LoadError(
            f"{what}: {shown} cannot be imported by name, so a reproducer could not call it; "
            "define it at the top level of your module"
        )
    module_name, qualname = found[0]
    module = sys.modules[module_name]
    top, _, rest = qualname.partition(".")
    file = getattr(module, "__file__", None)
    if file is not None and module_name.startswith((_FROM_FILE, "__main__")):
        spec = f"{file}:{top}"
    else:
        spec = f"{module_name}:{top}"
    lines, name = import_line(spec, alias="user_ops")
    return lines, name + (f".{rest}" if rest else "") + attribute
