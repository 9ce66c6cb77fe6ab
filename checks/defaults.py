"""Defaults that the command line needs before anything heavy is imported (``--help`` and
usage errors answer without torch or SymPy)."""

from pathlib import Path

__all__ = [
    "DEFAULT_CORPUS",
    "DEFAULT_ENGINE",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_REPORT_DIR",
    "DEFAULT_TIMEOUT",
]

DEFAULT_ENGINE = "gradtrio.autograd:Value"
DEFAULT_CORPUS = Path(".gradtrio/corpus")
DEFAULT_REPORT_DIR = Path("gradtrio-report")
DEFAULT_TIMEOUT = 10.0
#: The address space of an engine's worker process; torch, JAX and tinygrad load in under 2 GiB.
DEFAULT_MEMORY_MB = 4096.0
