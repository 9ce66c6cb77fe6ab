"""Test-wide settings: the Hypothesis profile named by HYPOTHESIS_PROFILE (ci when CI is set,
else dev)."""

import gradtrio.checks.api  # noqa: F401 - see below
from gradtrio.strategies.profiles import load_profile

# pytester's in-process runs restore sys.modules afterwards, dropping what they imported; torch
# cannot be imported a second time in one process, so the oracles are imported once, up front.

load_profile()
