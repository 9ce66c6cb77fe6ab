"""Hostile: log raises an exception whose ``str()`` raises, and sigmoid's result has a value
whose ``float()`` and ``repr()`` raise, with a terminal escape sequence in the message."""

from tinyvalue import Value as _Correct


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")


class _Poison:
    def __float__(self):
        raise RuntimeError("\x1b[2J\x1b[31mno float\x07")

    def __repr__(self):
        raise RuntimeError("no repr")


class Value(_Correct):
    def log(self):
        raise _Unprintable()

    def sigmoid(self):
        out = super().sigmoid()
        out.__dict__["data"] = _Poison()
        return out
