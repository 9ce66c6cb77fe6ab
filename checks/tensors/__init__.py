"""Tensor engines judged exactly through the scalar expansion of tensor expressions.

A tensor case (:mod:`gradtrio.strategies.tensor_expression`) expands into a scalar expression of
its elements, which the scalar reference and PyTorch oracle judge unchanged; a tensor engine's
gradient of each input element is compared with the expansion's gradient of the scalar input
standing for it. The package is a slice of the pipeline with its own layers:
:mod:`.check` (the entry point, :func:`check_tensor_engine`) > :mod:`.search` > :mod:`.blame` >
:mod:`.verdict` > :mod:`.engines`.

May import: :mod:`gradtrio.checks.judgement`, :mod:`gradtrio.checks.engines`,
:mod:`gradtrio.checks.oracles`, :mod:`gradtrio.strategies`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use, as gradtrio.checks is: the oracles bring SymPy and torch with them.
_PUBLIC = {
    "TensorCheckResult": "gradtrio.checks.tensors.check",
    "check_tensor_engine": "gradtrio.checks.tensors.check",
    "TensorClassEngine": "gradtrio.checks.tensors.engines",
    "TensorEngine": "gradtrio.checks.tensors.engines",
    "TorchTensors": "gradtrio.checks.tensors.engines",
    "TensorVerdict": "gradtrio.checks.tensors.verdict",
    "judge_tensor": "gradtrio.checks.tensors.verdict",
}

__all__ = [
    "TensorCheckResult",
    "TensorClassEngine",
    "TensorEngine",
    "TensorVerdict",
    "TorchTensors",
    "check_tensor_engine",
    "judge_tensor",
]

if TYPE_CHECKING:
    from gradtrio.checks.tensors.check import TensorCheckResult, check_tensor_engine
    from gradtrio.checks.tensors.engines import TensorClassEngine, TensorEngine, TorchTensors
    from gradtrio.checks.tensors.verdict import TensorVerdict, judge_tensor


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'gradtrio.checks.tensors' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
