"""The import contracts of ``pyproject.toml`` (``[tool.importlinter]``), run on the package as it
is installed.

In the checkout the subpackages of ``gradtrio`` are the top-level folders (``package-dir``), which
import-linter's graph cannot follow; :func:`installed_tree` copies them into one ``gradtrio/``
folder, and :func:`lint` runs ``lint-imports`` on it. ``python tests/layers.py`` prints its report
and exits with its code (``tox -e lint`` runs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"gradtrio": "", "autograd": "autograd", "checks": "checks", "strategies": "strategies"}


def installed_tree(target: Path) -> Path:
    """A copy of the package as installed (``target/gradtrio/checks``, ...); returns ``target``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder, inside in FOLDERS.items():
        shutil.copytree(
            ROOT / folder, target / "gradtrio" / inside, ignore=ignore, dirs_exist_ok=True
        )
    return target


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts on ``tree`` (from :func:`installed_tree`)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # before any installed or editable gradtrio
    command = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
    return subprocess.run(
        [*command, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        done = lint(installed_tree(Path(tmp)))
    print(done.stdout + done.stderr, end="")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
