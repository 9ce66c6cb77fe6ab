"""Parsing of the numeric options shared by the command line and the pytest plugin."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["integer_at_least", "megabytes", "seconds"]


def integer_at_least(name: str, minimum: int) -> Callable[[str], int]:
    """An argparse ``type=`` that accepts integers >= ``minimum``, naming ``name`` otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: expected an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name}={value}: expected at least {minimum}")
        return value

    return parse


def megabytes(name: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a memory size in MB: a finite number of at least 64."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: expected a number of MB") from None
        if not (math.isfinite(value) and value >= 64):
            raise argparse.ArgumentTypeError(f"{name}={text}: expected a finite number of MB >= 64")
        return value

    return parse


def seconds(name: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite, positive number of seconds."""

    def parse(text: str) -> float:
        from gradtrio.checks.engines.limits import check_seconds

        try:
            return check_seconds(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse
