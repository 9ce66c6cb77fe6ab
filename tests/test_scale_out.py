"""Scale-out: concurrent writers share one corpus directory safely, and the battery spread over
pytest-xdist workers draws a distinct, reproducible seed per item and shares one corpus."""

import random
import threading

from gradtrio.checks.corpus import CorpusError, entries, save
from gradtrio.checks.outcome import Kind, Severity, Status
from gradtrio.checks.verdict import Verdict
from gradtrio.strategies import Case, Expression, Node

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
