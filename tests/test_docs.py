"""The documentation keeps up with the code: every option of the command line and of the pytest
plugin, every field of the JSON output and every built-in op has a reference entry; the site
builds with warnings as errors and documents every public name of the three packages."""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import gradtrio.autograd
import gradtrio.checks
import gradtrio.strategies
import pytest
from gradtrio.checks.cli.parser import parser
from gradtrio.checks.pytest_plugin import pytest_addoption
from gradtrio.checks.report.summary import result_json
from gradtrio.checks.search.run import RunResult
from gradtrio.strategies.ops import BUILT_IN

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
#: The public modules and the reference page of each.
PUBLIC = {
    gradtrio.checks: "reference/api/checks.md",
    gradtrio.strategies: "reference/api/strategies.md",
    gradtrio.autograd: "reference/api/autograd.md",
}


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """A page's ``## `` sections by title (the subsections stay in their section)."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def has_row(text: str, name: str) -> bool:
    """Is there a table row for ``name`` (``| `--json PATH` |``, ``| `engine` |``, ...)?"""
    return re.search(rf"^\| `{re.escape(name)}[` ,]", text, flags=re.MULTILINE) is not None


# -- the command line ---------------------------------------------------------------------------


def subcommands(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def options(p: argparse.ArgumentParser) -> Iterator[str]:
    """Each option's long name and each positional's metavar, as the reference names them."""
    for action in p._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.option_strings:
            yield max(action.option_strings, key=len)
        else:
            yield str(action.metavar or action.dest.upper())


def undocumented(top: argparse.ArgumentParser, reference: str) -> list[str]:
    """``command option`` for every option with no row in its command's section."""
    by_title = sections(reference)
    missing = [f"gradtrio {o}" for o in options(top) if not has_row(by_title["Other options"], o)]
    for name, sub in subcommands(top).items():
        text = by_title.get(f"gradtrio {name}", "")
        missing += [f"gradtrio {name} {o}" for o in options(sub) if not has_row(text, o)]
    return missing


def test_every_option_of_every_subcommand_has_a_reference_entry():
    top = parser()
    assert set(subcommands(top)) == {"run", "replay", "verify-op", "merge"}
    assert undocumented(top, page("reference/cli.md")) == []


def test_an_option_added_without_an_entry_is_reported():
    top = parser()
    subcommands(top)["replay"].add_argument("--new-flag", help="not documented yet")
    top.add_argument("--also-new")
    missing = undocumented(top, page("reference/cli.md"))
    assert missing == ["gradtrio --also-new", "gradtrio replay --new-flag"]


# -- the pytest plugin ---------------------------------------------------------------------------


class _Options:
    """Collects what the plugin registers: ``getgroup(...).addoption``, ``addini``."""

    def __init__(self) -> None:
        self.options: list[str] = []
        self.ini: list[str] = []

    def getgroup(self, *args: object) -> _Options:
        return self

    def addoption(self, *names: str, **kwargs: object) -> None:
        self.options.append(max(names, key=len))

    def addini(self, name: str, *args: object, **kwargs: object) -> None:
        self.ini.append(name)


def test_every_option_and_ini_key_of_the_pytest_plugin_is_documented():
    registered = _Options()
    pytest_addoption(registered)  # type: ignore[arg-type]
    text = page("how-to/pytest-and-tox.md")
    assert len(registered.options) >= 9
    assert [o for o in registered.options if not has_row(text, o)] == []
    assert [key for key in registered.ini if f"`{key}`" not in text] == []


# -- the JSON output and the registry -------------------------------------------------------------


def test_every_field_of_the_json_output_is_documented():
    fields = set(result_json(RunResult("spec", []), [], "gradtrio run", {}, 0))
    fields |= {"report_dir", "output_errors"}  # added by the command line around it
    text = sections(page("reference/json.md"))["The object"]
    documented = set(re.findall(r"`([a-z_]+)`", "\n".join(re.findall(r"^\| .*?\|", text, re.M))))
    assert fields - documented == set()


def test_every_built_in_op_has_a_row_in_the_registry_reference():
    text = sections(page("reference/registry.md"))["The 21 built-in ops"]
    assert len(BUILT_IN) == 21
    assert [name for name in BUILT_IN if not has_row(text, name)] == []


# -- the site -------------------------------------------------------------------------------------


def test_each_public_module_has_its_reference_page():
    for module, name in PUBLIC.items():
        assert f"::: {module.__name__}\n" in page(name), name


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def anchors(site: Path, name: str) -> set[str]:
    built = (site / name.removesuffix(".md") / "index.html").read_text(encoding="utf-8")
    return {html.unescape(a) for a in re.findall(r'id="([^"]+)"', built)}


def test_the_site_builds_with_warnings_as_errors_and_documents_every_public_name(site: Path):
    missing = []
    for module, name in PUBLIC.items():
        found = anchors(site, name)
        for public in module.__all__:
            path = f"{module.__name__}.{public}"
            # A function named like its module (strategies.trace.trace) is documented there.
            if path not in found and f"{path}.{public}" not in found:
                missing.append(path)
    plugin = "gradtrio.checks.pytest_plugin.engine_cases"
    if plugin not in anchors(site, "reference/api/checks.md"):
        missing.append(plugin)
    assert missing == []


def test_the_front_page_is_the_readme_with_its_links_into_the_site(site: Path):
    front = (site / "index.html").read_text(encoding="utf-8")
    assert "A finding</h2>" in front or 'id="a-finding"' in front
    assert 'href="tutorial/"' in front
    assert 'href="docs/' not in front
