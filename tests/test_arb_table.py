"""The built-in ops' compiled parts kept on disk: what SymPy derives, rebuilt when unreadable,
never used for a row the user replaced, and a run that finds them imports no SymPy."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest
from gradtrio.checks.oracles.reference import table as arb_table
from gradtrio.checks.oracles.reference.codegen import op_source
from gradtrio.strategies.ops import BUILT_IN, OPS, register


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache directory of the test's own, and a table read afresh from it."""
    monkeypatch.setenv("GRADTRIO_CACHE_DIR", str(tmp_path / "cache"))
    arb_table._table.cache_clear()
    arb_table._substituted.cache_clear()
    yield tmp_path / "cache"
    arb_table._table.cache_clear()
    arb_table._substituted.cache_clear()


def test_the_saved_table_is_what_sympy_derives(cache):
    arb_table.built_in_parts("tanh", "nodes")  # derives and saves
    arb_table._table.cache_clear()
    assert arb_table.table_path().is_file()
    for name, op in BUILT_IN.items():
        for form in op.forms:
            assert arb_table.built_in_parts(name, form) == op_source(name, form), (name, form)


def test_an_unreadable_table_is_derived_again_and_rewritten(cache):
    path = arb_table.table_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"parts": [{"op": "tanh"')  # cut short
    assert arb_table.built_in_parts("exp", "nodes") == op_source("exp", "nodes")
    saved = json.loads(path.read_text())["parts"]
    assert {(e["op"], e["form"]) for e in saved} == {
        (name, form) for name, op in BUILT_IN.items() for form in op.forms
    }


def test_an_unwritable_cache_directory_still_gives_the_parts(cache):
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the directory should be")
    assert arb_table.built_in_parts("sigmoid", "nodes") == op_source("sigmoid", "nodes")
    assert cache.read_text() == "a file where the directory should be"


def test_a_table_of_changed_code_is_replaced_not_kept(cache):
    cache.mkdir()
    stale = cache / "arb-parts-0123456789abcdef0123.json"
    stale.write_text("{}")
    arb_table.built_in_parts("exp", "nodes")
    assert not stale.exists() and arb_table.table_path().is_file()


def test_a_replaced_row_is_derived_not_read_from_the_table(cache):
    original = OPS["tanh"]
    register(dataclasses.replace(original), replace=True)  # equal, but not the built-in row
    try:
        assert arb_table.built_in_parts("tanh", "nodes") is None
        assert arb_table.built_in_parts("exp", "nodes") is not None
    finally:
        register(original, replace=True)
    assert arb_table.built_in_parts("tanh", "nodes") is not None
    assert arb_table.built_in_parts("pow", "right", 2.0) is None  # a substituted constant


def test_a_substituted_constant_is_kept_once_derived(cache):
    assert arb_table.built_in_parts("pow", "right", 1.0) is None
    source = op_source("pow", "right", 1.0)
    arb_table.keep_substituted("pow", "right", 1.0, source)
    arb_table.keep_substituted("pow", "left", 2.0, op_source("pow", "left", 2.0))
    arb_table._substituted.cache_clear()  # as a later run reads it
    assert arb_table.built_in_parts("pow", "right", 1.0) == source
    assert arb_table.built_in_parts("pow", "left", 2.0) == op_source("pow", "left", 2.0)
    assert arb_table.built_in_parts("pow", "right", 2.0) is None


JUDGE = """
import sys
from gradtrio.checks import judge, resolve_engine
from gradtrio.strategies import Expression, Node
nodes = (Node("mul", (0, 1)), Node("tanh", (2,)), Node("pow", (3,), const=1.5, side="right"))
verdict = judge(resolve_engine(None), Expression(2, nodes), (0.3, 1.2))
# x ** 1.0 at 0: the general form's second partial is 0 * inf, so 1.0 is substituted
verdict = judge(resolve_engine(None), Expression(1, (Node("pow", (0,), 1.0, "right"),)), (0.0,))
print(verdict.status.name, "sympy" in sys.modules)
"""


def test_a_run_that_finds_the_table_imports_no_sympy(cache):
    env = {**os.environ, "GRADTRIO_CACHE_DIR": str(cache)}

    def judged():
        out = subprocess.run(
            [sys.executable, "-c", JUDGE], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.split()

    assert judged() == ["PASS", "True"]  # the first derives the table and the substitution
    assert judged() == ["PASS", "False"]
