"""Adapters for the autograd libraries people use on scalar expressions, chosen by name.

Each name maps to a factory that imports its library only when called; :func:`load_adapter`
turns a missing library into a one-line :class:`~gradtrio.checks.engines.protocol.EngineError`.
Every adapter is a :class:`~gradtrio.checks.engines.libraries.base.LibraryAdapter`: the engine
protocol, plus ``conventions``/``citations`` (documented conventions that differ from PyTorch's,
measured on the installed version).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gradtrio.checks.engines.libraries.base import LibraryAdapter
from gradtrio.checks.engines.protocol import EngineError

__all__ = ["ADAPTERS", "LibraryAdapter", "is_adapter_name", "load_adapter"]

# name -> (module, class, keyword arguments, distribution to install, human name)
_TABLE: dict[str, tuple[str, str, dict[str, Any], str, str]] = {
    "torch": ("torch_adapter", "TorchAdapter", {"dtype": "float64"}, "torch", "PyTorch"),
    "torch:float32": ("torch_adapter", "TorchAdapter", {"dtype": "float32"}, "torch", "PyTorch"),
    "jax": ("jax_adapter", "JaxAdapter", {"dtype": "float64"}, "jax", "JAX"),
    "jax:jit": ("jax_adapter", "JaxAdapter", {"dtype": "float64", "jit": True}, "jax", "JAX"),
    "jax:float32": ("jax_adapter", "JaxAdapter", {"dtype": "float32"}, "jax", "JAX"),
    "autograd": ("hips_autograd", "HipsAdapter", {}, "autograd", "HIPS autograd"),
    "mygrad": ("mygrad_adapter", "MyGradAdapter", {}, "mygrad", "MyGrad"),
    "tinygrad": (
        "tinygrad_adapter",
        "TinygradAdapter",
        {"dtype": "float64"},
        "tinygrad",
        "tinygrad",
    ),
    "tinygrad:float32": (
        "tinygrad_adapter",
        "TinygradAdapter",
        {"dtype": "float32"},
        "tinygrad",
        "tinygrad",
    ),
}


def _factory(name: str) -> Callable[..., LibraryAdapter]:
    module_name, cls_name, kwargs, _, _ = _TABLE[name]

    def make(**overrides: Any) -> LibraryAdapter:
        module = importlib.import_module(f"gradtrio.checks.engines.libraries.{module_name}")
        return getattr(module, cls_name)(name=name, **{**kwargs, **overrides})

    make.__name__ = make.__qualname__ = f"make_{name.replace(':', '_')}"
    return make


ADAPTERS: dict[str, Callable[..., LibraryAdapter]] = {name: _factory(name) for name in _TABLE}
"""Adapter name -> factory (keyword overrides such as ``timeout`` pass through)."""


def _builtin(base: str) -> Callable[..., LibraryAdapter]:
    """The factory registered for ``base`` in the ``gradtrio.adapters`` entry point group:
    ``factory(variant, **overrides)``, the variant being what follows ``base:`` in the name."""

    def make(variant: str = "", **overrides: Any) -> LibraryAdapter:
        name = f"{base}:{variant}" if variant else base
        if name not in _TABLE:
            known = ", ".join(n for n in _TABLE if n.partition(":")[0] == base)
            raise EngineError(f"--engine {name}: no such variant; {base} has {known}")
        return load_builtin(name, **overrides)

    make.__name__ = make.__qualname__ = base
    return make


torch, jax, autograd, mygrad, tinygrad = (
    _builtin(base) for base in ("torch", "jax", "autograd", "mygrad", "tinygrad")
)


def _registered() -> dict[str, Any]:
    """Adapter factories by base name: every entry point of the ``gradtrio.adapters`` group
    (gradtrio's own adapters are registered there too; they are also known without it, for a
    checkout whose install metadata predates them)."""
    from importlib.metadata import entry_points

    found: dict[str, Any] = {base: factory for base, factory in _BUILTIN.items()}
    for point in entry_points(group="gradtrio.adapters"):
        found.setdefault(point.name, point)
    return found


def is_adapter_name(spec: str) -> bool:
    """Is ``spec`` an adapter name (``torch``, ``jax:jit``) rather than ``module:Class``?"""
    base, _, variant = spec.partition(":")
    return base in _registered() and (not variant or variant.islower())


def load_adapter(name: str, **overrides: Any) -> LibraryAdapter:
    """The adapter called ``name`` (``base`` or ``base:variant``); :class:`EngineError` with one
    line when the name is unknown or its library is not installed."""
    base, _, variant = name.partition(":")
    factory = _registered().get(base)
    if factory is None:
        known = ", ".join(_TABLE)
        raise EngineError(f"--engine {name}: no such library adapter; known: {known}")
    if base in _BUILTIN:
        return factory(variant, **overrides)
    from gradtrio.checks.engines.loading import LoadError

    try:
        return factory.load()(variant, **overrides)
    except EngineError:
        raise
    except Exception as exc:
        raise LoadError(f"--engine {name}: its adapter failed to load: {exc}") from None


def load_builtin(name: str, **overrides: Any) -> LibraryAdapter:
    _, _, _, distribution, human = _TABLE[name]
    try:
        return ADAPTERS[name](**overrides)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top in {distribution, "jaxlib", "numpy"}:
            raise EngineError(
                f"--engine {name}: {human} is not installed; pip install 'gradtrio[{distribution}]'"
            ) from None
        raise


_BUILTIN = {f.__name__: f for f in (torch, jax, autograd, mygrad, tinygrad)}
