"""gradtrio as a library declares itself: ranges in pyproject.toml that hold the torch a user
already has, one tested set of pins in constraints.txt, a wheel holding the package and nothing
else, the version in one place, and the release's license and changelog."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from wheel_contents import package_folders, problems

import gradtrio

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# torch 2.13.0 is what this project is developed on; 2.15.0 the newest release when 0.3.0 was
# made: a user with it must keep it.
TORCHES = ("2.13.0", "2.15.0")


def declared() -> list[Requirement]:
    """Every requirement of pyproject.toml, the extras' too (the extras' own gradtrio[...] not)."""
    lines = PROJECT["dependencies"] + sum(PROJECT["optional-dependencies"].values(), [])
    return [r for r in map(Requirement, lines) if r.name != "gradtrio"]


def pins() -> dict[str, Version]:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pinned[canonicalize_name(name)] = Version(version)
    return pinned


# -- ranges and pins ------------------------------------------------------------------------------


def test_the_torch_range_holds_the_torch_a_user_has_and_the_pinned_one():
    (torch,) = [r for r in map(Requirement, PROJECT["dependencies"]) if r.name == "torch"]
    for version in TORCHES:
        assert torch.specifier.contains(version), (str(torch), version)
    assert pins()["torch"] == Version("2.13.0")


def test_every_dependency_is_a_range_not_a_pin():
    for requirement in map(Requirement, PROJECT["dependencies"]):
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">="}, f"{requirement}: a library declares the lowest it needs"


def test_every_requirement_has_a_pin_inside_its_range():
    pinned = pins()
    for requirement in declared():
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"constraints.txt pins no {requirement.name}"
        assert requirement.specifier.contains(version), f"{requirement} against pin {version}"


# -- the wheel ------------------------------------------------------------------------------------


def source_copy(source: Path) -> Path:
    """What the sdist holds, copied to ``source``: setuptools writes its egg-info and build
    folders beside the sources, which must not be the checkout's."""
    source.mkdir(exist_ok=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in set(package_folders().values()):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built with this environment's setuptools."""
    source = source_copy(tmp_path_factory.mktemp("source"))
    out = source / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*command, "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("gradtrio-*.whl")
    return built


def metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def test_the_wheel_holds_every_module_under_gradtrio_and_nothing_else(wheel):
    assert problems(wheel) == []
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"gradtrio", f"gradtrio-{gradtrio.__version__}.dist-info"}


def test_a_module_outside_the_listed_packages_is_reported_missing(wheel, tmp_path):
    # What the check is for: a new subpackage that pyproject.toml's packages list lacks.
    lacking = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as full, zipfile.ZipFile(lacking, "w") as part:
        for item in full.infolist():
            if not item.filename.startswith("gradtrio/checks/search/"):
                part.writestr(item, full.read(item))
    assert "missing gradtrio/checks/search/sweep.py" in problems(lacking)


def test_the_wheel_metadata_declares_the_torch_range_the_version_and_the_license(wheel):
    data = metadata(wheel)
    assert data["Version"] == gradtrio.__version__
    assert data["License-Expression"] == "MIT"
    requirements = [Requirement(line) for line in data.get_all("Requires-Dist")]
    (torch,) = [r for r in requirements if r.name == "torch" and r.marker is None]
    assert all(torch.specifier.contains(version) for version in TORCHES), str(torch)


# -- the version, the license, the changelog ------------------------------------------------------


def test_the_version_is_read_from_gradtrio_in_one_place():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    assert setuptools["dynamic"]["version"] == {"attr": "gradtrio.__version__"}


def test_version_shows_the_changelogs_latest_release(capsys):
    # Light to answer: tests/test_structure.py checks that it imports neither torch nor SymPy.
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    released = re.search(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", changelog(), re.M)
    assert released is not None, "CHANGELOG.md has no dated release"
    assert (done.value.code, capsys.readouterr().out) == (0, f"gradtrio {released[1]}\n")


def changelog() -> str:
    return (ROOT / "CHANGELOG.md").read_text()


def test_the_changelog_keeps_a_changelog_with_this_release_grouped():
    text = changelog()
    assert text.startswith("# Changelog\n") and "## [Unreleased]" in text
    release = text.split(f"## [{gradtrio.__version__}] - ")[1].split("\n## [")[0]
    groups = re.findall(r"^### (\w+)$", release, re.M)
    assert groups and set(groups) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed"}


def test_the_license_is_the_mit_license_that_pyproject_names():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) ") and "the gradtrio authors" in text


# -- beside the torch a user has (the registry) ---------------------------------------------------

UNREACHABLE = (
    "NewConnectionError",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "ProxyError",
)


def fake_torch(venv: Path, version: str) -> None:
    """A venv whose only distribution is a torch of ``version`` (its metadata alone: pip's
    resolver reads no more of an installed distribution)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    info = site / f"torch-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text("")


@pytest.mark.slow
@pytest.mark.parametrize("version", TORCHES)
def test_pip_installs_gradtrio_beside_the_users_torch_and_keeps_it(tmp_path, version):
    venv, report = tmp_path / "venv", tmp_path / "report.json"
    fake_torch(venv, version)
    source = source_copy(tmp_path / "source")
    # A user's pip: the package index, none of this project's or this machine's constraints.
    (tmp_path / "none.txt").write_text("")
    env = {**os.environ, "PIP_CONSTRAINT": str(tmp_path / "none.txt")}
    command = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    done = subprocess.run(
        [*command, "--dry-run", "--quiet", "--report", str(report), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    unreachable = [line for line in done.stderr.splitlines() if any(s in line for s in UNREACHABLE)]
    if done.returncode != 0 and unreachable:
        pytest.skip(f"pip cannot reach the package index: {unreachable[0].strip()}")
    assert done.returncode == 0, done.stderr
    chosen = {
        item["metadata"]["name"]: item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert "torch" not in chosen, f"pip would replace torch {version} by {chosen.get('torch')}"
    assert chosen["gradtrio"] == gradtrio.__version__
