"""Scale-out: concurrent writers share one corpus directory safely, and the battery spread over
pytest-xdist workers draws a distinct, reproducible seed per item and shares one corpus."""

import random
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind, Severity, Status
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.search.corpus import CorpusError, entries, replay, save
from gradtrio.strategies import Case, Expression, Node

pytest_plugins = ["pytester"]

WRONG_MUL = f"{Path(__file__).parent / 'engines' / 'wrong_mul.py'}:Value"

WRITERS = 4
CASES = 8
# Long cases (2,000 nodes, about 100 kB of JSON each), so that the writes overlap.
CHAIN = Expression(1, tuple(Node("add", (j, 0)) for j in range(2000)))


def planted(i: int) -> Verdict:
    case = Case.of(CHAIN, (1.0 + i,))
    return Verdict(case, Status.FAIL, Kind.GRADIENT, Severity.BUG, reason="planted")


def test_concurrent_writers_of_the_same_cases_leave_one_whole_file_each(tmp_path):
    corpus = tmp_path / "corpus"
    verdicts = [planted(i) for i in range(CASES)]
    start, done = threading.Barrier(WRITERS + 1), threading.Event()
    unreadable: set[str] = set()

    def write(order: int) -> None:  # the same cases in an order of its own, all at once
        mine = random.Random(order).sample(verdicts, len(verdicts))
        start.wait()
        for verdict in mine:
            save(corpus, verdict, "planted")

    def read() -> None:  # as a replaying worker does: it must never see a half-written file
        start.wait()
        while not done.is_set():
            unreadable.update(str(e) for e in entries(corpus) if isinstance(e, CorpusError))

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    reader = threading.Thread(target=read)
    for thread in [*writers, reader]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert unreadable == set()
    saved = list(entries(corpus))
    assert not any(isinstance(e, CorpusError) for e in saved)
    assert sorted(e.case.point for e in saved) == [(1.0 + i,) for i in range(CASES)]
    assert len(list(corpus.iterdir())) == CASES  # no duplicate, no temporary file left behind


def test_each_family_is_split_into_the_shards_asked_for(pytester):
    result = pytester.runpytest("--gradtrio", "--gradtrio-shards", "3", "--co", "-q")
    result.stdout.fnmatch_lines(["gradtrio::interior[[]1of3[]]", "gradtrio::interior[[]3of3[]]"])
    assert "gradtrio::interior\n" not in result.stdout.str()
    single = pytester.runpytest("--gradtrio", "--co", "-q")  # no xdist: one item a family
    single.stdout.fnmatch_lines(["gradtrio::interior", "gradtrio::backward-twice"])


def battery(pytester, *args):
    """Run the battery on wrong_mul in a fresh process; return the -v output and, per item,
    its junit properties (name -> list of values)."""
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "--gradtrio", "-m", "gradtrio",
        "--gradtrio-engine", WRONG_MUL, "--gradtrio-corpus", "corpus",
        "--junitxml", "out.xml", *args,
    )  # fmt: skip
    properties: dict[str, dict[str, list[str]]] = {}
    for case in ET.parse(pytester.path / "out.xml").iter("testcase"):
        mine = properties.setdefault(case.get("name", ""), {})
        for prop in case.iter("property"):
            mine.setdefault(prop.get("name", ""), []).append(prop.get("value", ""))
    return result, properties


@pytest.mark.slow
def test_the_battery_over_two_workers_splits_the_seeds_and_shares_one_corpus(pytester):
    result, items = battery(pytester, "-n", "2", "-k", "not deep", "--gradtrio-examples", "20")
    verbose = re.findall(r"\[(gw\d)\] \[ *\d+%\] \w+ gradtrio::(\S+)", result.stdout.str())
    ran_on = {item: worker for worker, item in verbose}
    seeds = {name: int(p["gradtrio_seed"][0]) for name, p in items.items() if "gradtrio_seed" in p}
    assert {"interior[1of2]", "interior[2of2]", "mlp[1of2]", "mlp[2of2]"} <= set(seeds)
    assert len(set(seeds.values())) == len(seeds)  # no two items draw the same cases
    by_worker = {w: {seeds[i] for i in seeds if ran_on[i] == w} for w in ("gw0", "gw1")}
    assert by_worker["gw0"] and by_worker["gw1"] and not by_worker["gw0"] & by_worker["gw1"]

    corpus = pytester.path / "corpus"
    saved = {name: p.get("gradtrio_saved", []) for name, p in items.items()}
    savers = {ran_on[name] for name, files in saved.items() if files}
    assert savers == {"gw0", "gw1"}  # both workers wrote to the one directory
    assert sorted(f for files in saved.values() for f in files) == sorted(
        path.name for path in corpus.iterdir()
    )  # every file a worker saved is there, and nothing else (no temporary file, no duplicate)
    held = list(entries(corpus))
    assert held and not any(isinstance(e, CorpusError) for e in held)
    assert len({e.digest for e in held}) == len(held)
    wrong, right = (
        ValueClassEngine.load(WRONG_MUL),
        ValueClassEngine.load("gradtrio.autograd:Value"),
    )
    assert all(v.is_bug for _, v in replay(wrong, corpus))
    assert not any(v.failed for _, v in replay(right, corpus))

    # One shard alone, without xdist, draws with the same seed; the corpus replays first.
    again, rerun = battery(pytester, "--gradtrio-shards", "2", "-k", "corpus or interior")
    assert int(rerun["interior[1of2]"]["gradtrio_seed"][0]) == seeds["interior[1of2]"]
    again.stdout.fnmatch_lines(["*FAILED gradtrio::corpus*"])
