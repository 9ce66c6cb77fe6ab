"""Judge autograd engines three ways: finite differences of the engine's own forward pass,
PyTorch float64, and SymPy derivatives at high precision.

Public: :func:`check` and its failure types, :class:`Engine`, :func:`judge` and
:class:`Verdict`. Run ``python -m checks --help`` for the command line.
"""

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
