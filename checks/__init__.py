"""Judge autograd engines three ways: finite differences of the engine's own forward pass,
PyTorch float64, and SymPy derivatives enclosed in Arb balls.

The pipeline's stages are the subpackages, each importing only those below it:
``cli``, ``api``, ``pytest_plugin`` (the interfaces) > ``report`` > ``search`` > ``judgement`` >
``engines`` > ``oracles``, all above :mod:`gradtrio.strategies` and :mod:`gradtrio.autograd`.

Public: :func:`check` and its failure types, :func:`check_op` (one op in every region, as
``gradtrio verify-op``) and :class:`OpCheckFailure`, :func:`judge` and :class:`Verdict`,
:func:`run`, the engine protocol :class:`Engine`, :func:`load_engine` and
:func:`resolve_engine`, the library adapters' base classes, and the outcome vocabulary. Run
``gradtrio --help`` for the command line.
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
    "OpCheckFailure": "gradtrio.checks.api",
    "check": "gradtrio.checks.api",
    "check_op": "gradtrio.checks.api",
    "resolve_engine": "gradtrio.checks.api",
    "Engine": "gradtrio.checks.engines.protocol",
    "EngineError": "gradtrio.checks.engines.protocol",
    "Limitation": "gradtrio.checks.engines.protocol",
    "LimitationKind": "gradtrio.checks.engines.protocol",
    "load_engine": "gradtrio.checks.engines.spec",
    "ValueClassEngine": "gradtrio.checks.engines.value_class",
    "FunctionalAdapter": "gradtrio.checks.engines.libraries.base",
    "LibraryAdapter": "gradtrio.checks.engines.libraries.base",
    "ObjectGraphAdapter": "gradtrio.checks.engines.libraries.base",
    "Culprit": "gradtrio.checks.judgement.outcome",
    "Kind": "gradtrio.checks.judgement.outcome",
    "Severity": "gradtrio.checks.judgement.outcome",
    "Skip": "gradtrio.checks.judgement.outcome",
    "Status": "gradtrio.checks.judgement.outcome",
    "Verdict": "gradtrio.checks.judgement.verdict",
    "judge": "gradtrio.checks.judgement.verdict",
    "RunResult": "gradtrio.checks.search.run",
    "run": "gradtrio.checks.search.run",
}

__all__ = [
    "CheckFailure",
    "ConventionMismatch",
    "Culprit",
    "Engine",
    "EngineCrashed",
    "EngineError",
    "ForwardMismatch",
    "FunctionalAdapter",
    "GradientMismatch",
    "Kind",
    "LibraryAdapter",
    "Limitation",
    "LimitationKind",
    "ObjectGraphAdapter",
    "OpCheckFailure",
    "RunResult",
    "Severity",
    "Skip",
    "Status",
    "ValueClassEngine",
    "Verdict",
    "check",
    "check_op",
    "judge",
    "load_engine",
    "resolve_engine",
    "run",
]

if TYPE_CHECKING:
    from gradtrio.checks.api import (
        CheckFailure,
        ConventionMismatch,
        EngineCrashed,
        ForwardMismatch,
        GradientMismatch,
        OpCheckFailure,
        check,
        check_op,
        resolve_engine,
    )
    from gradtrio.checks.engines.libraries.base import (
        FunctionalAdapter,
        LibraryAdapter,
        ObjectGraphAdapter,
    )
    from gradtrio.checks.engines.protocol import Engine, EngineError, Limitation, LimitationKind
    from gradtrio.checks.engines.spec import load_engine
    from gradtrio.checks.engines.value_class import ValueClassEngine
    from gradtrio.checks.judgement.outcome import Culprit, Kind, Severity, Skip, Status
    from gradtrio.checks.judgement.verdict import Verdict, judge
    from gradtrio.checks.search.run import RunResult, run


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'gradtrio.checks' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
