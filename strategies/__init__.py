"""Hypothesis strategies for autograd expression DAGs, and the expression IR and op registry that
every part of gradtrio reads.

Public: :func:`cases`, :func:`expressions`, :func:`points`, :func:`kink_cases`,
:func:`wide_cases`, :func:`deep_chains`, :func:`mlp_cases`, :func:`more_points`, the
:class:`Case` they draw (with its judging :class:`Rules`), the :class:`Expression` IR, the op
registry :data:`OPS` with the row builders and :func:`register` for ops of the user's own, and
the settings profiles.
Everything else is internal.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from gradtrio.strategies.case import Case, Rules
from gradtrio.strategies.domain import point_problem
from gradtrio.strategies.expression import Expression, Node, interpret
from gradtrio.strategies.ops import (
    OPS,
    Kink,
    Op,
    binary_op,
    get_op,
    leaky_relu_op,
    method_op,
    op_names,
    register,
    unary_op,
)
from gradtrio.strategies.trace import trace

# What needs Hypothesis is imported on first use (PEP 562), so that a module needing only the IR
# and the registry (the engine adapter, a worker process running an engine) does not pay for it;
# ``from gradtrio.strategies import cases`` works as before.
_LAZY = {
    "cases": "dags",
    "deep_chains": "dags",
    "expressions": "dags",
    "kink_cases": "dags",
    "mlp_cases": "dags",
    "more_points": "dags",
    "points": "dags",
    "wide_cases": "dags",
    "PROFILES": "profiles",
    "load_profile": "profiles",
    "register_profiles": "profiles",
}

if TYPE_CHECKING:
    from gradtrio.strategies.dags import (
        cases,
        deep_chains,
        expressions,
        kink_cases,
        mlp_cases,
        more_points,
        points,
        wide_cases,
    )
    from gradtrio.strategies.profiles import PROFILES, load_profile, register_profiles


if os.environ.get("HYPOTHESIS_PROFILE"):
    # The profile the variable names is loaded as soon as gradtrio's strategies are imported, as
    # a user's conftest would; without the variable, Hypothesis waits for first use.
    importlib.import_module(f"{__name__}.profiles")


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # found once, then an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "OPS",
    "PROFILES",
    "Case",
    "Expression",
    "Kink",
    "Node",
    "Op",
    "Rules",
    "binary_op",
    "leaky_relu_op",
    "method_op",
    "register",
    "unary_op",
    "cases",
    "deep_chains",
    "expressions",
    "get_op",
    "interpret",
    "kink_cases",
    "load_profile",
    "mlp_cases",
    "more_points",
    "op_names",
    "point_problem",
    "points",
    "register_profiles",
    "trace",
    "wide_cases",
]
