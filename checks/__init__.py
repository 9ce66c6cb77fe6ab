"""Judge autograd engines three ways: finite differences of the engine's own forward pass,
PyTorch float64, and SymPy derivatives at high precision.

Public: :func:`check` and its failure types, :class:`Engine`, :func:`judge` and
:class:`Verdict`. Run ``python -m checks --help`` for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use: the pytest plugin imports this package in every session, and the oracles
# bring torch and SymPy with them.
_PUBLIC = {
    "CheckFailure": "checks.api",
    "ConventionMismatch": "checks.api",
    "EngineCrashed": "checks.api",
    "ForwardMismatch": "checks.api",
    "GradientMismatch": "checks.api",
    "check": "checks.api",
    "resolve_engine": "checks.api",
    "Engine": "checks.engine",
    "EngineError": "checks.engine",
    "Verdict": "checks.verdict",
    "judge": "checks.verdict",
}

__all__ = [
    "CheckFailure",
    "ConventionMismatch",
    "Engine",
    "EngineCrashed",
    "EngineError",
    "ForwardMismatch",
    "GradientMismatch",
    "Verdict",
    "check",
    "judge",
    "resolve_engine",
]

if TYPE_CHECKING:
    from checks.api import (
        CheckFailure,
        ConventionMismatch,
        EngineCrashed,
        ForwardMismatch,
        GradientMismatch,
        check,
        resolve_engine,
    )
    from checks.engine import Engine, EngineError
    from checks.verdict import Verdict, judge


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'checks' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
