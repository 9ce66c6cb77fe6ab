"""Hostile: the constructor rejects negative numbers (as a value class for, say, probabilities
might), so every input below zero fails before any op runs."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __init__(self, data, _prev=(), _local=()):
        if data < 0:
            raise ValueError(f"negative value {data}")
        super().__init__(data, _prev, _local)
