"""gradtrio: property-based gradient checking for autograd engines.

Installed, everything lives under this one name: :mod:`gradtrio.autograd` (the default engine),
:mod:`gradtrio.strategies` (the expression IR, the op registry, Hypothesis strategies) and
:mod:`gradtrio.checks` (adapters, oracles, verdict, reports, the command line, the pytest plugin).
In a source checkout those three are the top-level folders beside this one; the installed wheel
maps them here (``package-dir`` in ``pyproject.toml``), so no top-level name that another
distribution owns (HIPS autograd's ``autograd``) is ever installed.
"""

from __future__ import annotations

from pathlib import Path

# The one place of the version: pyproject.toml reads it (dynamic), gradtrio --version shows it.
__version__ = "0.3.0"

# A source checkout (run from its root, or an editable install whose finder has not been asked
# yet): the subpackages are the folders beside this one.
if not (Path(__file__).parent / "checks").is_dir():
    __path__.append(str(Path(__file__).resolve().parent.parent))  # noqa: F821 - a package's own
