"""Shards: one run's work split over CI jobs, disjoint and reproducible.

Shard ``I`` of ``N`` (``--shard I/N``, counted from 1) takes every ``N``-th group of the sweep,
the corpus files whose names hash to it, its share of the cases and of the deep chains (the
run's totals split as evenly as they go), and searches with a seed of its own, ``S * N + I -
1`` for the run's seed ``S``: the shards of one run never draw with the same seed, and shard 1/1
is the whole run. Light to import: the command line parses ``--shard`` with it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = ["WHOLE", "Shard"]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self}: expected I/N with 1 <= I <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"``; a ValueError names the text and the form expected."""
        index, _, count = text.partition("/")  # without a slash, count is "": no number
        try:
            return cls(int(index), int(count))
        except ValueError:
            raise ValueError(
                f"{text!r}: expected I/N with 1 <= I <= N, e.g. 2/4 for the second of four"
            ) from None

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def seed(self, run_seed: int) -> int:
        """The search's seed for this shard of a run with seed ``run_seed``."""
        return run_seed * self.count + self.index - 1

    def share(self, total: int) -> int:
        """This shard's part of ``total`` items, the first ``total % count`` shards one more."""
        return total // self.count + (self.index - 1 < total % self.count)

    def takes(self, k: int) -> bool:
        """Is the ``k``-th item (from 0) of a sequence this shard's?"""
        return k % self.count == self.index - 1

    def takes_name(self, name: str) -> bool:
        """Is the file ``name`` this shard's? By a hash of the name, so that a file keeps its
        shard as the corpus grows."""
        return self.takes(zlib.crc32(name.encode()))


WHOLE = Shard(1, 1)
"""The whole run."""
