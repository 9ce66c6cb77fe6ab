"""Every default the interfaces and the stages share, in one place, importable before anything
heavy (``--help`` and usage errors answer without torch or SymPy)."""

from pathlib import Path

__all__ = [
    "BATTERY_MAX_NODES",
    "DEEP_MAX_DEPTH",
    "DEEP_MIN_DEPTH",
    "DEFAULT_CORPUS",
    "DEFAULT_DEEP",
    "DEFAULT_ENGINE",
    "DEFAULT_EXAMPLES",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_REPORT_DIR",
    "DEFAULT_TIMEOUT",
    "POST_SEARCH_BUDGET",
    "UNDECIDED_THRESHOLD",
    "VERIFY_EXAMPLES",
    "too_undecided",
]

DEFAULT_ENGINE = "gradtrio.autograd:Value"
DEFAULT_CORPUS = Path(".gradtrio/corpus")
DEFAULT_REPORT_DIR = Path("gradtrio-report")
#: Seconds of the engine's own time one case may take before it counts as a hang.
DEFAULT_TIMEOUT = 10.0
#: The address space of an engine's worker process; torch, JAX and tinygrad load in under 2 GiB.
DEFAULT_MEMORY_MB = 4096.0

#: A run: cases drawn, most op nodes in one, and very deep chains judged after them.
DEFAULT_EXAMPLES = 500
DEFAULT_MAX_NODES = 12
DEFAULT_DEEP = 2
#: Op nodes of a deep chain: past Python's recursion limit, where recursive sorts fail.
DEEP_MIN_DEPTH = 10_000
DEEP_MAX_DEPTH = 10_500
#: Seconds for shrinking, minimising and refining all failures of a run.
POST_SEARCH_BUDGET = 40.0
#: A run whose share of undecided cases is above this does not pass silently.
UNDECIDED_THRESHOLD = 0.02


def too_undecided(undecided: int, judged: int) -> bool:
    """Does a run with ``undecided`` of its ``judged`` cases undecided fail for it?"""
    return judged > 0 and undecided / judged > UNDECIDED_THRESHOLD


#: Cases per region of ``verify-op``, and the largest expression of the pytest battery.
VERIFY_EXAMPLES = 200
BATTERY_MAX_NODES = 8
