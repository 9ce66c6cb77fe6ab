"""A request to stop a run early (Ctrl-C, SIGTERM): the sweep and the searches check it between
cases and end with what they have judged; the run then skips what is left (the deep chains,
minimising) and its result says it was interrupted."""

from __future__ import annotations

__all__ = ["Interrupt"]


class Interrupt:
    """Set once, by the signal that asked (``SIGINT``, ``SIGTERM``); false until then."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def request(self, signal: str) -> None:
        self.signal = self.signal or signal

    def __bool__(self) -> bool:
        return self.signal is not None
