"""Parsing of the integer options shared by the command line and the pytest plugin."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["integer_at_least"]


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
