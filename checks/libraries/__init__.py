"""Adapters for the autograd libraries people use on scalar expressions, chosen by name.

Each name maps to a factory that imports its library only when called; :func:`load_adapter`
turns a missing library into a one-line :class:`~gradtrio.checks.engine.EngineError`. Every
adapter has the surface the harness drives (that of :class:`~gradtrio.checks.engine.Engine`)
plus ``dtype``, ``conventions``/``citations`` (documented conventions that differ from PyTorch's,
measured on the installed version) and ``reproducer(expression, point)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gradtrio.checks.engine import EngineError
from gradtrio.checks.libraries.base import LibraryAdapter

__all__ = ["ADAPTERS", "LibraryAdapter", "load_adapter"]

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
        module = importlib.import_module(f"gradtrio.checks.libraries.{module_name}")
        return getattr(module, cls_name)(name=name, **{**kwargs, **overrides})

    make.__name__ = make.__qualname__ = f"make_{name.replace(':', '_')}"
    return make


ADAPTERS: dict[str, Callable[..., LibraryAdapter]] = {name: _factory(name) for name in _TABLE}
"""Adapter name -> factory (keyword overrides such as ``timeout`` pass through)."""


def _registered() -> dict[str, Any]:
    """Adapters registered by other distributions in the ``gradtrio.adapters`` group."""
    from importlib.metadata import entry_points

    return {point.name: point for point in entry_points(group="gradtrio.adapters")}


def is_adapter_name(spec: str) -> bool:
    return spec in _TABLE or ":" not in spec and spec in _registered()


def load_adapter(name: str, **overrides: Any) -> LibraryAdapter:
    """The adapter called ``name``; :class:`EngineError` with one line when the name is unknown
    or its library is not installed."""
    if name not in _TABLE and name in _registered():
        from gradtrio.checks.loading import LoadError

        try:
            return _registered()[name].load()(**overrides)
        except Exception as exc:
            raise LoadError(f"--engine {name}: its adapter failed to load: {exc}") from None
    if name not in _TABLE:
        raise EngineError(f"--engine {name}: no such library adapter; known: {', '.join(_TABLE)}")
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
