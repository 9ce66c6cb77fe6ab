"""The mutant table and loader, and a fast subset of the mutation battery: one mutant per kind of
bug must be caught, shrunk to a small case and blamed on the right op."""

import hashlib
import sys

import mutants
import pytest
from baselines import (
    GRADCHECKED,
    blamed_op,
    fixed_tests,
    gradcheck_cases,
    gradcheck_kills,
)
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Status
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.run import run
from gradtrio.strategies.expression import Expression, Node

EXAMPLES = 600
SEED = 0
MAX_SHRUNK_NODES = 3

BY_NAME = {m.name: m for m in mutants.MUTANTS}

# One per kind of bug; together they cover every blame path of the verdict.
REPRESENTATIVE = [
    "overwrite-in-mul",
    "visit-shared-twice",
    "rsub-swapped",
    "tanh-one-minus-t",
    "chain-dropped-in-tanh",
    "sigmoid-one-branch",
    "relu-kink-one",
    "log-base-10",
    "overwrite-everywhere",
    "mul-const-one",
]


def engine_digest() -> str:
    return hashlib.sha256(mutants.ENGINE_PATH.read_bytes()).hexdigest()


def test_loading_every_mutant_leaves_the_engine_file_unchanged():
    before = engine_digest()
    mutants.load_original()
    for mutant in mutants.MUTANTS:
        mutants.load_mutant(mutant)
    assert engine_digest() == before


def test_the_loader_gives_a_fresh_class_each_time():
    first, second = mutants.load_original(), mutants.load_original()
    assert first is not second
    assert first.__module__ not in sys.modules


def test_the_original_loaded_like_a_mutant_passes_the_checks():
    engine = ValueClassEngine.from_class(mutants.load_original())
    shared = Expression(
        2,
        (
            Node("mul", (0, 0)),
            Node("tanh", (2,)),
            Node("add", (3, 1)),
            Node("sub", (4,), 2.0, "left"),
            Node("mul", (5, 3)),
        ),
    )
    for point in [(0.3, -1.2), (-2.0, 0.5), (1.5, 1.5)]:
        verdict = judge(engine, shared, point)
        assert verdict.status == Status.PASS, verdict.reason
    result = run(engine, examples=60, run_seed=SEED, deep=0, progress=False)
    assert result.passed, [v.reason for v in result.failures]


def test_there_are_at_least_25_mutants_covering_every_kind():
    assert len(mutants.MUTANTS) >= 25
    assert {m.kind for m in mutants.MUTANTS} == set(mutants.KINDS)


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_mutant_replaces_text_found_exactly_once(mutant):
    assert mutants.engine_source().count(mutant.old) == 1
    assert mutants.mutant_source(mutant) != mutants.engine_source()


def test_a_mutant_whose_text_is_missing_is_refused_by_name():
    bad = mutants.Mutant("no-such-text", "wrong-forward", "not in the engine", "", frozenset())
    with pytest.raises(mutants.MutantError, match="no-such-text.*occurs 0 times"):
        mutants.load_mutant(bad)


def test_a_mutant_whose_text_is_repeated_is_refused():
    bad = mutants.Mutant("repeated", "wrong-forward", "return", "", frozenset())
    with pytest.raises(mutants.MutantError, match="expected exactly once"):
        mutants.mutant_source(bad)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_the_harness_catches_shrinks_and_blames(name):
    mutant = BY_NAME[name]
    engine = ValueClassEngine.from_class(mutants.load_mutant(mutant))
    # The ops the mutants are planted among: a larger registry would thin out each op's cases.
    engine.ops = {name: forms for name, forms in engine.ops.items() if name in GRADCHECKED}
    # No time budget: what is measured here must not depend on the machine's load.
    result = run(engine, examples=EXAMPLES, run_seed=SEED, deep=0, progress=False, post_budget=None)
    assert result.failures, f"{name} not caught in {result.examples} cases"
    smallest = min(result.failures, key=lambda v: len(v.expression.nodes))
    assert len(smallest.expression.nodes) <= MAX_SHRUNK_NODES, str(smallest.expression)
    assert blamed_op(smallest) in mutant.blame_ops, (smallest.kind, smallest.blame)


def test_the_baselines_pass_the_unchanged_engine():
    original = mutants.load_original()
    assert not fixed_tests(original)
    assert gradcheck_kills(original, gradcheck_cases(points=2, seed=SEED)) == ""


@pytest.mark.parametrize(
    "name, fixed, gradcheck",
    [
        ("overwrite-everywhere", True, False),
        ("exp-times-x", False, True),
        ("relu-kink-one", False, False),
    ],
)
def test_the_baselines_kill_what_they_can_see(name, fixed, gradcheck):
    cls = mutants.load_mutant(BY_NAME[name])
    assert fixed_tests(cls) is fixed
    assert bool(gradcheck_kills(cls, gradcheck_cases(points=2, seed=SEED))) is gradcheck
