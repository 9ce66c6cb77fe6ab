"""The engine a spec names: a library adapter by name (``torch``, ``jax:jit``, ..., or one
registered in the ``gradtrio.adapters`` entry point group), or a value class as
``package.module:Class`` or ``path/to/file.py:Class``, here or in a worker process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradtrio.checks.defaults import DEFAULT_ENGINE, DEFAULT_MEMORY_MB
from gradtrio.checks.engines.protocol import Engine

__all__ = ["load_engine", "load_ops"]


def load_ops(modules: Sequence[str]) -> list[str]:
    """Register the op rows of the ``--ops`` modules and of the ``gradtrio.ops`` entry points
    (:func:`~gradtrio.checks.engines.loading.load_op_modules`); in a source checkout, HIPS
    autograd takes the name ``autograd`` first, for the modules that import it."""
    from gradtrio.checks.engines.libraries.hips_autograd import claim_autograd_name
    from gradtrio.checks.engines.loading import load_op_modules

    claim_autograd_name()
    return load_op_modules(modules)


def load_engine(
    spec: str = DEFAULT_ENGINE,
    *,
    isolated: bool = False,
    ops_modules: Sequence[str] | None = None,
    memory_mb: float | None = None,
    **overrides: Any,
) -> Engine:
    """The engine named by ``spec`` (``overrides`` as for
    :meth:`~gradtrio.checks.engines.value_class.ValueClassEngine.load`; a library adapter takes
    ``timeout`` only).

    With ``ops_modules`` (a list, even empty), the op rows of those modules and of the entry
    points are registered first (:func:`load_ops`), here and, ``isolated``, in the worker
    process (:mod:`gradtrio.checks.engines.isolation`) that runs the engine, its memory limited
    to ``memory_mb``. A library adapter checks every registered row with an implementation for
    its library."""
    if ops_modules is not None:
        load_ops(ops_modules)
    if isolated:
        from gradtrio.checks.engines.isolation import IsolatedEngine

        memory = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
        modules = tuple(ops_modules or ())
        return IsolatedEngine(spec, memory_mb=memory, ops_modules=modules, **overrides)
    from gradtrio.checks.engines.libraries import is_adapter_name, load_adapter

    if is_adapter_name(spec):
        return load_adapter(
            spec, **({"timeout": overrides["timeout"]} if "timeout" in overrides else {})
        )
    from gradtrio.checks.engines.value_class import ValueClassEngine

    return ValueClassEngine.load(spec, **overrides)
