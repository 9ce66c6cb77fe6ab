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
    assert "5 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (  # an upward import
            "gradtrio.checks.oracles.torch_float64",
            "import gradtrio.checks.report.text",
            "gradtrio.checks.oracles is not allowed to import gradtrio.checks.report",
        ),
        (  # a cycle between two modules of one stage
            "gradtrio.checks.engines.limits",
            "import gradtrio.checks.engines.local",
            "No cycles are allowed in gradtrio.checks.engines",
        ),
        (  # one oracle importing another
            "gradtrio.checks.oracles.finite_differences",
            "import gradtrio.checks.oracles.torch_float64",
            "the three oracles never import each other BROKEN",
        ),
        (  # an upward import inside the tensor slice
            "gradtrio.checks.tensors.verdict",
            "import gradtrio.checks.tensors.search",
            "tensors is a pipeline of its own: check > search > blame > verdict > engines BROKEN",
        ),
    ],
    ids=["upward", "cycle", "oracle-to-oracle", "tensor-verdict-to-search"],
)
def test_a_planted_import_breaks_the_contract(tmp_path, module, line, broken):
    tree = installed_tree(tmp_path)
    plant(tree, module, line)
    done = lint(tree)
    assert done.returncode != 0
    assert broken in done.stdout.replace("\n", " "), done.stdout
