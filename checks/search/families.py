"""The case families an engine's ops allow: interior, kink, wide and MLP cases for the search,
and the very deep chains judged after it."""

from __future__ import annotations

from gradtrio.checks.defaults import DEEP_MAX_DEPTH, DEEP_MIN_DEPTH
from gradtrio.checks.engines.protocol import Engine
from gradtrio.strategies.case import Case
from gradtrio.strategies.dags import cases, deep_chains, kink_cases, mlp_cases, wide_cases
from gradtrio.strategies.ops import OPS
from hypothesis import strategies as st

__all__ = ["deep_family", "families", "has_deep_chains"]


def families(engine: Engine, max_nodes: int) -> dict[str, st.SearchStrategy[Case]]:
    """The case families this engine's ops allow."""
    ops = engine.ops
    out: dict[str, st.SearchStrategy[Case]] = {"interior": cases(ops=ops, max_nodes=max_nodes)}
    if any(OPS[name].kinks for name in ops):
        out["kink"] = kink_cases(ops=ops, max_nodes=max(2, min(max_nodes, 8)))
    out["wide"] = wide_cases(ops=ops, max_nodes=max(1, min(max_nodes, 8)))
    if _traceable(ops):
        out["mlp"] = mlp_cases()
    return out


def _traceable(ops: dict[str, tuple[str, ...]]) -> bool:
    """Can the engine run what ``autograd.nn``'s MLP computes (its ops, in the forms used)?"""
    needs = {"add": "left", "sub": "right", "mul": "right", "pow": "right", "tanh": "nodes"}
    return all(form in ops.get(name, ()) for name, form in needs.items()) and "relu" in ops


def has_deep_chains(engine: Engine) -> bool:
    return any(OPS[name].bounded and OPS[name].arity == 1 for name in engine.ops)


def deep_family(engine: Engine) -> st.SearchStrategy[Case]:
    """Chains past Python's recursion limit, over the engine's ops."""
    return deep_chains(ops=engine.ops, min_depth=DEEP_MIN_DEPTH, max_depth=DEEP_MAX_DEPTH)
