"""Comparing an engine's number with an expected one, within a tolerance."""

from __future__ import annotations

import math

__all__ = ["close"]


def close(a: float, b: float, tol: float, *, gradient: bool = False) -> bool:
    """Is ``a`` within ``tol`` of the expected ``b``? Where the exact ``b`` overflows float64, a
    faithful result is ±inf; a gradient may also be nan where overflowing paths meet (inf - inf).
    """
    if math.isinf(b):
        return a == b or gradient and math.isnan(a)
    if math.isinf(a):
        return False
    return abs(a - b) <= tol
