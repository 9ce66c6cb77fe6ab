"""The engine a spec names: a library adapter by name (``torch``, ``jax:jit``, ..., or one
registered in the ``gradtrio.adapters`` entry point group), or a value class as
``package.module:Class`` or ``path/to/file.py:Class``, here or in a worker process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradtrio.checks.defaults import DEFAULT_ENGINE, DEFAULT_MEMORY_MB
from gradtrio.checks.engines.protocol import Engine

__all__ = ["load_engine"]


def load_engine(
    spec: str = DEFAULT_ENGINE,
    *,
    isolated: bool = False,
    ops_modules: Sequence[str] = (),
    memory_mb: float | None = None,
    **overrides: Any,
) -> Engine:
    """The engine named by ``spec`` (``overrides`` as for
    :meth:`~gradtrio.checks.engines.value_class.ValueClassEngine.load`; a library adapter takes
    ``timeout`` only).

    ``isolated`` runs it in a worker process (:mod:`gradtrio.checks.engines.isolation`), which
    also registers the op rows of ``ops_modules`` and limits its memory to ``memory_mb``."""
    if isolated:
        from gradtrio.checks.engines.isolation import IsolatedEngine

        memory = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
        return IsolatedEngine(spec, memory_mb=memory, ops_modules=tuple(ops_modules), **overrides)
    from gradtrio.checks.engines.libraries import is_adapter_name, load_adapter

    if is_adapter_name(spec):
        return load_adapter(
            spec, **({"timeout": overrides["timeout"]} if "timeout" in overrides else {})
        )
    from gradtrio.checks.engines.value_class import ValueClassEngine

    return ValueClassEngine.load(spec, **overrides)
