"""Hypothesis settings profiles, registered once: ``dev`` (the default), ``ci`` (derandomized, no
example database, prints the blob that reruns a failure) and ``thorough`` (many examples).

Select one with the ``HYPOTHESIS_PROFILE`` environment variable, pytest's
``--hypothesis-profile NAME``, or :func:`load_profile`. Hypothesis itself does not read the
variable: importing this module (the pytest plugin does, before Hypothesis reads its option)
loads the gradtrio profile it names.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings

__all__ = [
    "PROFILES",
    "load_from_environment",
    "load_profile",
    "register_profiles",
    "without_default_deadline",
]

PROFILES = ("dev", "ci", "thorough")
ENV_VAR = "HYPOTHESIS_PROFILE"
HYPOTHESIS_DEADLINE = timedelta(milliseconds=200)
"""The deadline of Hypothesis's ``default`` profile: a test carrying it chose no deadline."""
_BUILTIN = ("default", "ci")
"""The profiles Hypothesis loads by itself (``ci`` when it detects a CI service)."""

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


def load_from_environment() -> str | None:
    """Load the gradtrio profile ``HYPOTHESIS_PROFILE`` names, unless a profile other than
    Hypothesis's own defaults is loaded already; returns the name loaded, or None.

    Another name is left alone: the project that registers it loads it.
    """
    chosen = os.environ.get(ENV_VAR)
    if chosen not in PROFILES or settings.get_current_profile_name() not in _BUILTIN:
        return None
    settings.load_profile(chosen)
    return chosen


def without_default_deadline(test_settings: settings) -> settings | None:
    """``test_settings`` without Hypothesis's default 200 ms deadline, for a test that judges
    gradients: its first example imports torch and derives with SymPy, and the oracles' cost grows
    with the drawn expression, so that deadline only produces spurious DeadlineExceeded and
    Flaky failures. The too-slow health check is suppressed for the same reason.

    None when nothing is to change: a profile was chosen (its deadline stands), or the test's
    ``@settings`` set a deadline (any but exactly Hypothesis's default, which is taken as unset).
    """
    if settings.get_current_profile_name() != "default":
        return None
    if test_settings.deadline != HYPOTHESIS_DEADLINE:
        return None
    suppressed = [*test_settings.suppress_health_check]
    if HealthCheck.too_slow not in suppressed:
        suppressed.append(HealthCheck.too_slow)
    return settings(test_settings, deadline=None, suppress_health_check=suppressed)


register_profiles()
load_from_environment()
