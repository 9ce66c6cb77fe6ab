"""What a wheel of gradtrio must hold: every module of the four folders that are installed
(``package-dir`` in ``pyproject.toml``) and the data files that ``package-data`` names, under
``gradtrio/``, and besides them its ``.dist-info`` alone (no tests, benchmarks or examples, no
other top-level name).

``python tests/wheel_contents.py WHEEL`` prints what is missing or extra and exits 1 if anything
is (``.ci/wheel-check`` runs it on the wheel it built); ``tests/test_packaging.py`` uses
:func:`problems` on a wheel it builds itself.
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setuptools_table() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def package_folders() -> dict[str, str]:
    """Each installed package's folder in the checkout (``package-dir`` in pyproject.toml)."""
    return setuptools_table()["package-dir"]


def folder_of(package: str) -> Path:
    """The checkout's folder of any installed package: its nearest ``package-dir`` entry's."""
    folders = package_folders()
    owner = max((p for p in folders if f"{package}.".startswith(f"{p}.")), key=len)
    return ROOT / folders[owner] / Path(*package.split(".")[owner.count(".") + 1 :])


def expected_files() -> set[str]:
    """The wheel's name of every ``.py`` file in those folders (all of them, so a subpackage
    left out of ``packages`` is missed) and of every file that ``package-data`` names."""
    table = setuptools_table()
    patterns = {package: ["**/*.py"] for package in table["package-dir"]}
    for package, data in table.get("package-data", {}).items():
        patterns.setdefault(package, []).extend(data)
    return {
        f"{package.replace('.', '/')}/{path.relative_to(folder_of(package)).as_posix()}"
        for package, globs in patterns.items()
        for pattern in globs
        for path in folder_of(package).glob(pattern)
    }


def problems(wheel: Path) -> list[str]:
    """One line per file the wheel lacks and per file it should not have."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    files = {name for name in names if not name.split("/")[0].endswith(".dist-info")}
    missing = [f"missing {name}" for name in sorted(expected_files() - files)]
    extra = [f"not part of the package: {name}" for name in sorted(files - expected_files())]
    return missing + extra


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].endswith(".whl"):
        raise SystemExit(f"usage: python {sys.argv[0]} WHEEL (a .whl file), got {sys.argv[1:]}")
    found = problems(Path(sys.argv[1]))
    print("\n".join(found) or f"{Path(sys.argv[1]).name}: every file of the package, nothing else")
    raise SystemExit(1 if found else 0)
