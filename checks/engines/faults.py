"""What the engine's own code may raise, and how text from it is shown.

Anything the engine under test does is caught as the engine's fault (:class:`EngineFaults`), and
whatever it says (an exception's message, a repr, what it printed) is shown with control
characters escaped and its length bounded, even when its ``__str__`` or ``__repr__`` raises.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EngineFaults", "as_number", "repr_text", "safe_text", "text_of"]


class EngineFaults:
    """What the adapters catch from the engine's code as the engine's own failure.

    In the harness's process that is any ``Exception`` (a Ctrl-C must still stop the run); in a
    worker process it is everything, ``SystemExit`` and ``KeyboardInterrupt`` included, since
    there nothing the engine raises may end the process."""

    caught: tuple[type[BaseException], ...] = (Exception,)

    @classmethod
    def catch_everything(cls) -> None:
        cls.caught = (BaseException,)


def safe_text(text: str, limit: int = 300) -> str:
    """Text from the engine, shown on a terminal: control characters escaped, length bounded."""
    escaped = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


def text_of(exc: BaseException) -> str:
    """An exception's message, safe to show: one line, control characters escaped, even when
    its ``__str__`` raises."""
    try:
        text = str(exc)
    except EngineFaults.caught:
        text = f"<{type(exc).__name__} whose str() raised>"
    return safe_text(text)


def repr_text(obj: Any) -> str:
    """A short repr of something the engine returned, safe to show."""
    try:
        text = repr(obj)
    except EngineFaults.caught:
        text = f"<{type(obj).__name__} whose repr() raised>"
    return safe_text(text)[:60]


def as_number(x: Any) -> float | None:
    """``float(x)``, or None for something that is no number (None, a bool, an object whose
    ``__float__`` raises)."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        return float(x)
    except EngineFaults.caught:  # the engine's own __float__ may raise anything
        return None
