"""Parsing of the numeric options (counts, seconds, megabytes, shards) shared by the command line
and the pytest plugin."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

from gradtrio.checks.search.shard import Shard

T = TypeVar("T")

__all__ = ["integer_at_least", "megabytes", "seconds", "shard"]


def _checked(
    name: str, cast: Callable[[str], T], kind: str, ok: Callable[[T], bool], expected: str
) -> Callable[[str], T]:
    """An argparse ``type=``: ``cast(text)`` when it works and is ``ok``, else an error naming
    ``name`` and the value, and saying what was ``expected``."""

    def parse(text: str) -> T:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: expected {kind}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{name}={text}: expected {expected}")
        return value

    return parse


def integer_at_least(name: str, minimum: int) -> Callable[[str], int]:
    """Integers >= ``minimum``."""
    return _checked(name, int, "an integer", lambda v: v >= minimum, f"at least {minimum}")


def megabytes(name: str) -> Callable[[str], float]:
    """A memory size in MB: a finite number of at least 64."""

    def ok(value: float) -> bool:
        return math.isfinite(value) and value >= 64

    return _checked(name, float, "a number of MB", ok, "a finite number of MB >= 64")


def seconds(name: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite, positive number of seconds."""

    def parse(text: str) -> float:
        from gradtrio.checks.engines.limits import check_seconds

        try:
            return check_seconds(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def shard(name: str) -> Callable[[str], Shard]:
    """An argparse ``type=`` for ``I/N``: the I-th of N shards of a run."""

    def parse(text: str) -> Shard:
        try:
            return Shard.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{name}={exc}") from None

    return parse
