"""What the benchmark scripts share: the line naming the machine, the best of several timings,
and a watch on the runner's verdicts (cases judged, and when the first failure came)."""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradtrio.checks.search.hypothesis_search
import hypothesis
import torch
from gradtrio.checks.judgement.verdict import Verdict

#: The test engines, the mutants and the former reference that the benchmarks measure live with
#: the tests; every benchmark imports this module first.
TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))


def best_of(
    reps: int, fn: Callable[[], object], clock: Callable[[], float] = time.process_time
) -> float:
    """The smallest time of ``reps`` calls of ``fn`` on ``clock``: CPU time of this process by
    default, which leaves out other load on a shared machine; ``time.perf_counter`` where the
    work measured runs in another process too."""
    times = []
    for _ in range(reps):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def machine() -> str:
    """One line naming the machine and the versions measured on."""
    return (
        f"{platform.platform()}; {platform.processor() or platform.machine()}; "
        f"Python {platform.python_version()}; torch {torch.__version__}; "
        f"hypothesis {hypothesis.__version__}"
    )


@dataclass
class Watch:
    """Cases the runner judged, and (count, seconds since the start) at the first failure."""

    judged: int = 0
    first_failure: tuple[int, float] | None = None
    start: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


@contextlib.contextmanager
def watch_verdicts() -> Iterator[Watch]:
    """Wrap the runner's ``judge`` to count cases and note the first failing one."""
    watch = Watch()
    original = gradtrio.checks.search.hypothesis_search.judge

    def judge(*args: Any, **kwargs: Any) -> Verdict:
        verdict = original(*args, **kwargs)
        watch.judged += 1
        if verdict.failed and watch.first_failure is None:
            watch.first_failure = (watch.judged, watch.seconds)
        return verdict

    gradtrio.checks.search.hypothesis_search.judge = judge  # type: ignore[assignment]
    try:
        yield watch
    finally:
        gradtrio.checks.search.hypothesis_search.judge = original  # type: ignore[assignment]
