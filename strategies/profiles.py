"""Hypothesis settings profiles, registered once: ``dev`` (the default), ``ci`` (derandomized, no
example database, prints the blob that reruns a failure) and ``thorough`` (many examples).

Select one with the ``HYPOTHESIS_PROFILE`` environment variable, pytest's
``--hypothesis-profile NAME``, or :func:`load_profile`.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "load_profile", "register_profiles"]

PROFILES = ("dev", "ci", "thorough")
ENV_VAR = "HYPOTHESIS_PROFILE"

# The oracles' cost grows with the drawn expression, so a per-example deadline would be noise.
_common: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def register_profiles() -> None:
    """Register the profiles with Hypothesis (idempotent)."""
    settings.register_profile("dev", max_examples=100, **_common)
    settings.register_profile(
        "ci", max_examples=100, derandomize=True, database=None, print_blob=True, **_common
    )
    settings.register_profile("thorough", max_examples=2_000, **_common)


def load_profile(name: str | None = None) -> str:
    """Load profile ``name``, else the one named by ``HYPOTHESIS_PROFILE``, else ``ci`` when the
    ``CI`` environment variable is set, else ``dev``.

    Returns the name loaded; ``ValueError`` naming the profile when it is not one of ours.
    """
    register_profiles()
    chosen = name or os.environ.get(ENV_VAR) or ("ci" if os.environ.get("CI") else "dev")
    if chosen not in PROFILES:
        raise ValueError(f"{ENV_VAR}={chosen!r}: expected one of {', '.join(PROFILES)}")
    settings.load_profile(chosen)
    return chosen


register_profiles()
