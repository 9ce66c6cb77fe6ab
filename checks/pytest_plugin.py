"""pytest plugin for gradtrio, registered by the ``pytest11`` entry point ``gradtrio``.

Options (group ``gradtrio``): ``--gradtrio`` adds a ready-made battery of checks to the session
(items ``gradtrio::interior``, ``::kink``, ``::wide``, ``::mlp``, ``::deep``, ``::backward-twice``,
marked ``gradtrio`` so ``-m gradtrio`` runs them alone), ``--gradtrio-engine SPEC`` names the
engine (default ``gradtrio.autograd:Value``, or the ``gradtrio_engine`` ini value),
``--gradtrio-examples N`` sets the cases per case family (default: the Hypothesis profile's
``max_examples``) and ``--gradtrio-seed S`` the run's seed, from which every item derives its
own. Under pytest-xdist each family is split into one item per worker (``--gradtrio-shards K`` to
choose), sharing its cases; ``--gradtrio-corpus DIR`` replays the saved failing cases first (item
``::corpus``) and saves new bugs there, safely shared by the workers. The settings profiles
``dev``, ``ci`` and ``thorough`` are registered when the plugin loads, so ``--hypothesis-profile
ci`` and ``HYPOTHESIS_PROFILE=ci`` work. A Hypothesis test of the user's that judges gradients
(it uses a gradtrio fixture, or its module imports from gradtrio) runs without Hypothesis's
default 200 ms deadline unless its ``@settings`` or a chosen profile set one.

Fixtures: ``gradtrio_engine`` (the :class:`~gradtrio.checks.engines.protocol.Engine`) and
``gradtrio_check`` (judges one case on it, raising a readable failure). A test of your own is a
few lines::

    from hypothesis import given
    from gradtrio.checks.pytest_plugin import engine_cases

    @given(case=engine_cases(max_nodes=6))
    def test_engine_agrees_with_the_oracles(gradtrio_check, case):
        gradtrio_check(case)
"""

from __future__ import annotations

import enum
import functools
import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from gradtrio.checks.cli.options import integer_at_least
from gradtrio.checks.defaults import BATTERY_MAX_NODES, DEFAULT_ENGINE

# Importing the profiles registers dev, ci and thorough and loads the one HYPOTHESIS_PROFILE names,
# before Hypothesis's own plugin loads the profile --hypothesis-profile names.
from gradtrio.strategies.profiles import load_from_environment, without_default_deadline
from hypothesis import settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from gradtrio.checks.engines.protocol import Engine
    from gradtrio.checks.judgement.verdict import Verdict
    from gradtrio.strategies.case import Case

# The oracles (torch, SymPy) are imported when a check runs, not when pytest loads the plugin:
# it loads in every pytest session of an environment where gradtrio is installed.

__all__ = ["engine_cases"]

_SPEC = pytest.StashKey[str]()
_ENGINE = pytest.StashKey["Engine"]()
_active: list[pytest.Config] = []
"""Configured sessions, innermost last (pytester runs sessions inside a session)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradtrio", "gradtrio: gradient checks of an autograd engine")
    group.addoption(
        "--gradtrio",
        action="store_true",
        default=False,
        help="add the ready-made gradtrio battery (every case family) to the session",
    )
    group.addoption(
        "--gradtrio-engine",
        metavar="SPEC",
        default=None,
        help=f"engine value class: package.module:Class or path/file.py:Class "
        f"(default: ini gradtrio_engine, else {DEFAULT_ENGINE})",
    )
    group.addoption(
        "--gradtrio-examples",
        metavar="N",
        type=integer_at_least("--gradtrio-examples", 1),
        default=None,
        help="cases per battery item (default: the Hypothesis profile's max_examples)",
    )
    group.addoption(
        "--gradtrio-seed",
        metavar="S",
        type=integer_at_least("--gradtrio-seed", 0),
        default=0,
        help="random seed of the battery; give CI jobs different seeds (default 0)",
    )
    group.addoption(
        "--gradtrio-shards",
        metavar="K",
        type=integer_at_least("--gradtrio-shards", 1),
        default=None,
        help="split each case family into K battery items of their own seeds, the cases shared "
        "out (default: the pytest-xdist worker count, else 1)",
    )
    group.addoption(
        "--gradtrio-corpus",
        metavar="DIR",
        default=None,
        help="replay the battery's saved failing cases from DIR first and save new ones there; "
        "workers may share it (ini gradtrio_corpus; default: none)",
    )
    group.addoption(
        "--gradtrio-strict",
        action="store_true",
        default=None,
        help="fail battery items on precision findings and warnings too (ini gradtrio_strict)",
    )
    group.addoption(
        "--gradtrio-in-process",
        action="store_true",
        default=False,
        help="run the engine inside the pytest process, not in a worker process (for a "
        "debugger; an engine that exits then ends the session)",
    )
    group.addoption(
        "--gradtrio-ops",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module whose OPS list adds op rows (ini gradtrio_ops); repeatable",
    )
    parser.addini(
        "gradtrio_engine",
        f"engine spec for gradtrio (default {DEFAULT_ENGINE})",
        default=DEFAULT_ENGINE,
    )
    parser.addini("gradtrio_strict", "fail on every finding, not only bugs", type="bool")
    parser.addini("gradtrio_ops", "modules whose OPS lists add op rows", type="linelist")
    parser.addini("gradtrio_corpus", "the battery's corpus directory", type="paths")


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin, so that --hypothesis-profile wins
def pytest_configure(config: pytest.Config) -> None:
    load_from_environment()
    config.addinivalue_line("markers", "gradtrio: the ready-made gradtrio battery (--gradtrio)")
    config.stash[_SPEC] = config.getoption("gradtrio_engine") or config.getini("gradtrio_engine")
    if config.getoption("gradtrio"):
        _engine(config)  # a bad spec stops the session with one line
    _active.append(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config in _active:
        _active.remove(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not config.getoption("gradtrio"):
        return None
    engine = _engine(config)
    rerun = _rerun(config)
    return f"gradtrio: {engine.describe()}; rerun with --gradtrio-engine {engine.spec} {rerun}"


def _rerun(config: pytest.Config) -> str:
    """The options that draw the battery's cases again."""
    shards = _shards(config)
    return f"--gradtrio-seed {config.getoption('gradtrio_seed')}" + (
        f" --gradtrio-shards {shards}" if shards > 1 else ""
    )


def _shards(config: pytest.Config) -> int:
    """Items per case family: as asked, else one per pytest-xdist worker, else 1."""
    asked = config.getoption("gradtrio_shards")
    if asked is not None:
        return int(asked)
    workerinput = getattr(config, "workerinput", None)  # set in an xdist worker
    if workerinput is not None:
        return max(1, int(workerinput.get("workercount", 1)))
    if getattr(config.option, "dist", "no") != "no":  # the xdist controller: one spec a worker
        return max(1, len(getattr(config.option, "tx", None) or []))
    return 1


def _corpus(config: pytest.Config) -> Path | None:
    option = config.getoption("gradtrio_corpus")
    if option is not None:
        return config.invocation_params.dir / option
    paths = config.getini("gradtrio_corpus")  # relative to the ini file
    return Path(paths[0]) if paths else None


def _item_seed(run_seed: int, name: str) -> int:
    """The seed of battery item ``name`` in a run of ``--gradtrio-seed run_seed``: the same on
    every run and every worker, and different for every item, so that the shards of a family
    (one per worker) and the families draw different cases."""
    digest = hashlib.sha256(f"gradtrio-battery:{run_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


@functools.lru_cache(maxsize=8)
def _load(spec: str, ops: tuple[str, ...] = (), in_process: bool = False) -> Engine:
    """The engine, in a worker process unless ``in_process``: an engine that exits, dies or
    hangs is then a finding of its case, never the end of the pytest session."""
    from gradtrio.checks.engines.loading import LoadError
    from gradtrio.checks.engines.spec import load_engine

    try:
        return load_engine(spec, isolated=not in_process, ops_modules=ops)
    except LoadError as exc:
        raise pytest.UsageError(f"gradtrio: {exc}") from None


def _strict(config: pytest.Config) -> bool:
    option = config.getoption("gradtrio_strict")
    return bool(config.getini("gradtrio_strict") if option is None else option)


def _engine(config: pytest.Config | None = None) -> Engine:
    """The engine of ``config`` (default: the innermost configured session), loaded once."""
    config = config or (_active[-1] if _active else None)
    if config is None:
        return _load(DEFAULT_ENGINE)
    if _ENGINE not in config.stash:
        ops = (*config.getini("gradtrio_ops"), *config.getoption("gradtrio_ops"))
        spec = config.stash.get(_SPEC, DEFAULT_ENGINE)
        config.stash[_ENGINE] = _load(spec, ops, config.getoption("gradtrio_in_process"))
    return config.stash[_ENGINE]


# -- the settings of the user's Hypothesis tests ------------------------------------------------

_FIXTURES = frozenset({"gradtrio_check", "gradtrio_engine"})


def _from_gradtrio(obj: object) -> bool:
    try:
        name = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
    except Exception:  # an object with a strange __getattr__ is not ours
        return False
    return isinstance(name, str) and (name == "gradtrio" or name.startswith("gradtrio."))


def _judges_gradients(item: pytest.Function) -> bool:
    """A test that uses a gradtrio fixture, or lives in a module that imports from gradtrio (its
    strategies, ``check``, ``judge``): what its body costs cannot be seen before it runs."""
    if _FIXTURES.intersection(item.fixturenames):
        return True
    module = getattr(item, "module", None)
    return module is not None and any(_from_gradtrio(v) for v in vars(module).values())


@pytest.hookimpl(trylast=True)
def pytest_itemcollected(item: pytest.Item) -> None:
    if not isinstance(item, pytest.Function):
        return
    test = getattr(item.obj, "__func__", item.obj)  # a method's function holds the settings
    if not getattr(test, "is_hypothesis_test", False) or not _judges_gradients(item):
        return
    # @given reads this attribute when the test is called; @settings set it at import time.
    relaxed = without_default_deadline(test._hypothesis_internal_use_settings)
    if relaxed is not None:
        test._hypothesis_internal_use_settings = relaxed


# -- fixtures and strategies --------------------------------------------------------------------


@pytest.fixture(scope="session")
def gradtrio_engine(pytestconfig: pytest.Config) -> Engine:
    """The engine named by ``--gradtrio-engine`` (default ``gradtrio.autograd:Value``)."""
    return _engine(pytestconfig)


@pytest.fixture(scope="session")
def gradtrio_check(pytestconfig: pytest.Config, gradtrio_engine: Engine) -> Callable[..., Verdict]:
    """``gradtrio_check(case)`` or ``gradtrio_check(expression, point, **rules)``: judge the
    configured engine; returns the verdict, raises a :class:`~gradtrio.checks.api.CheckFailure`
    (an AssertionError whose message is the full report) when the engine is wrong."""

    # Imported here, at fixture set-up, so that loading torch and SymPy is not timed against the
    # first example's Hypothesis deadline.
    from gradtrio.checks.api import check

    def bound(case: Any, point: Sequence[float] | None = None, **rules: Any) -> Verdict:
        strict = _strict(pytestconfig)
        if point is None and not rules:
            return check(case, engine=gradtrio_engine, strict=strict)
        return check(case, point, engine=gradtrio_engine, strict=strict, **rules)

    return bound


def engine_cases(**kwargs: Any) -> st.SearchStrategy[Case]:
    """:func:`gradtrio.strategies.cases` over the ops the configured engine has (it is loaded at
    the first draw, after pytest has read ``--gradtrio-engine``); keyword arguments as for
    ``cases``."""
    from gradtrio.strategies.dags import cases

    return st.deferred(lambda: cases(ops=_engine().ops, **kwargs))


# -- the battery --------------------------------------------------------------------------------


class BatteryFailure(Exception):
    """A battery item found failures; the message is their reports."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("gradtrio"):
        items.extend(Battery.from_parent(session, name="gradtrio", nodeid="gradtrio").collect())


class BatteryPart(enum.Enum):
    """What a battery item checks: the saved cases, a case family, the deep chains, or the
    engine's probed limitations."""

    CORPUS = "corpus"
    FAMILY = "family"
    DEEP = "deep"
    PROBES = "backward-twice"


class Battery(pytest.Collector):
    """The corpus replay (with ``--gradtrio-corpus``), one item per case family the engine
    allows and shard, then the deep chains and the probes. The items are the same in every
    xdist worker, whatever the corpus holds, as xdist requires."""

    def collect(self) -> Iterator[pytest.Item]:  # type: ignore[override]
        from gradtrio.checks.search.families import families, has_deep_chains

        engine = _engine(self.config)
        if _corpus(self.config) is not None:
            yield BatteryItem.from_parent(self, name="corpus", part=BatteryPart.CORPUS)
        shards = _shards(self.config)
        for family in families(engine, max_nodes=BATTERY_MAX_NODES):
            for shard in range(1, shards + 1):
                name = family if shards == 1 else f"{family}[{shard}of{shards}]"
                yield BatteryItem.from_parent(
                    self, name=name, part=BatteryPart.FAMILY, family=family, shards=shards
                )
        if has_deep_chains(engine):
            yield BatteryItem.from_parent(self, name="deep", part=BatteryPart.DEEP)
        yield BatteryItem.from_parent(self, name="backward-twice", part=BatteryPart.PROBES)


class BatteryItem(pytest.Item):
    def __init__(
        self,
        *args: Any,
        part: BatteryPart,
        family: str | None = None,
        shards: int = 1,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.part = part
        self.family = family
        self.shards = shards
        self.add_marker("gradtrio")  # select the battery alone with -m gradtrio

    def runtest(self) -> None:
        from gradtrio.checks.search.families import deep_family, families
        from gradtrio.checks.search.hypothesis_search import search

        engine = _engine(self.config)
        if self.part is BatteryPart.PROBES:
            for note in engine.limitations():
                pytest.xfail(f"engine limitation: {note.text}")
            return
        if self.part is BatteryPart.CORPUS:
            self._judge(self._replay(engine), [])
            return
        seed = _item_seed(self.config.getoption("gradtrio_seed"), self.name)
        self.user_properties.append(("gradtrio_seed", seed))
        asked = self.config.getoption("gradtrio_examples")
        again = _rerun(self.config) + (f" --gradtrio-examples {asked}" if asked else "")
        intro = f"gradtrio::{self.name}: seed {seed}, from {again}"
        if self.part is BatteryPart.DEEP:
            found = search(engine, deep_family(engine), examples=1, seed_value=seed, shrink=False)
        else:
            default = settings.default.max_examples if settings.default is not None else 100
            examples = int(asked or default)
            assert self.family is not None  # set for every family item
            strategy = families(engine, max_nodes=BATTERY_MAX_NODES)[self.family]
            share = math.ceil(examples / self.shards)  # the family's cases, shared out
            found = search(
                engine,
                strategy,
                examples=share,
                seed_value=seed,
                points=engine.points_per_expression,
            )
        from gradtrio.checks.judgement.verdict import explain

        failures = [explain(engine, v) for v in found.failures]
        self._judge(failures, [intro, *self._save(engine, failures)])

    def _judge(self, failures: list[Verdict], notes: list[str]) -> None:
        """Fail on bugs (every finding, when strict) with their reports; other findings make
        the item an expected failure naming them."""
        from gradtrio.checks.report.text import format_verdict

        failing = [v for v in failures if v.fails(_strict(self.config))]
        if failing:
            engine = _engine(self.config)
            reports = [format_verdict(v, engine=engine) for v in failing]
            raise BatteryFailure("\n\n".join([*reports, "\n".join(notes)]).strip())
        if failures:
            summary = "; ".join(
                f"{v.severity.value if v.severity else ''}: "
                + (v.limitation.text if v.limitation else v.reason.splitlines()[0])
                for v in failures
            )
            pytest.xfail(f"findings that are not bugs: {summary}")

    def _replay(self, engine: Engine) -> list[Verdict]:
        """The failing verdicts of the saved cases; an unreadable file fails the item."""
        from gradtrio.checks.search.corpus import CorpusError, replay

        directory = _corpus(self.config)
        assert directory is not None  # the item exists only with a corpus
        failures: list[Verdict] = []
        for item in replay(engine, directory):
            if isinstance(item, CorpusError):
                raise BatteryFailure(f"gradtrio::corpus: {item}")
            entry, verdict = item
            if verdict.failed:
                failures.append(replace(verdict, reason=f"{verdict.reason} (from {entry.path})"))
        return failures

    def _save(self, engine: Engine, failures: list[Verdict]) -> list[str]:
        """Save the new failing cases to the corpus, if there is one; lines saying where."""
        from gradtrio.checks.search.corpus import save_new

        directory = _corpus(self.config)
        if directory is None:
            return []
        saved = save_new(directory, failures, engine.spec)
        if saved.error is not None:
            self.warn(pytest.PytestWarning(f"gradtrio: {saved.error}"))
        self.user_properties += [("gradtrio_saved", path.name) for path in saved.written]
        return [f"already in the corpus: {path}" for path in saved.held] + [
            f"saved to the corpus: {path}" for path in saved.written
        ]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, BatteryFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        spec = _engine(self.config).spec
        return self.path, None, f"gradtrio battery: {self.name} cases on {spec}"
