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
    "CheckFailure": "gradtrio.checks.api",
    "ConventionMismatch": "gradtrio.checks.api",
    "EngineCrashed": "gradtrio.checks.api",
    "ForwardMismatch": "gradtrio.checks.api",
    "GradientMismatch": "gradtrio.checks.api",
    "check": "gradtrio.checks.api",
    "resolve_engine": "gradtrio.checks.api",
    "Engine": "gradtrio.checks.engine",
    "EngineError": "gradtrio.checks.engine",
    "Verdict": "gradtrio.checks.verdict",
    "judge": "gradtrio.checks.verdict",
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
    from gradtrio.checks.api import (
        CheckFailure,
        ConventionMismatch,
        EngineCrashed,
        ForwardMismatch,
        GradientMismatch,
        check,
        resolve_engine,
    )
    from gradtrio.checks.engine import Engine, EngineError
    from gradtrio.checks.verdict import Verdict, judge


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'checks' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
