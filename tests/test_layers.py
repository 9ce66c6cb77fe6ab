"""The layer contract (``[tool.importlinter]`` in pyproject.toml) holds, and fails the build on
an upward import or an import cycle planted into a copy of the package."""

from pathlib import Path

import pytest
from layers import installed_tree, lint

pytest.importorskip("importlinter", reason="import-linter is in the test extra")


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / "gradtrio" / Path(*module.split(".")[1:]).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_pipeline_layers_hold(tmp_path):
    done = lint(installed_tree(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "4 kept, 0 broken" in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    tree = installed_tree(tmp_path)
    plant(tree, "gradtrio.checks.oracles.torch_float64", "import gradtrio.checks.report.text")
    done = lint(tree)
    assert done.returncode != 0
    assert "gradtrio.checks.oracles is not allowed to import gradtrio.checks.report" in done.stdout


def test_an_import_cycle_breaks_the_contract(tmp_path):
    tree = installed_tree(tmp_path)
    plant(tree, "gradtrio.checks.engines.limits", "import gradtrio.checks.engines.local")
    done = lint(tree)
    assert done.returncode != 0
    assert "No cycles are allowed in gradtrio.checks.engines" in done.stdout
