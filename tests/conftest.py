"""Test-wide settings: the Hypothesis profile named by HYPOTHESIS_PROFILE (default dev)."""

from strategies.profiles import load_profile

load_profile()
