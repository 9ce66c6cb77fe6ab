"""HIPS autograd (PyPI ``autograd``), functional: ``autograd.make_vjp`` (``value_and_grad`` for
one point) over a tuple of ``argnum``, ops from ``autograd.numpy`` and ``autograd.scipy.special``.
A run is one derivative call with the inputs and one NumPy vector of zeros, one per node (a
separate argument per node would cost HIPS time quadratic in the nodes: it rebuilds the tuple of
arguments for each one's gradient); a batch is NumPy arrays of the points' values.

Its import name, ``autograd``, is also the name of this checkout's top-level engine folder: with
the checkout's root on ``sys.path`` (its own cwd, or ``PYTHONPATH``) a plain ``import autograd``
finds that folder. :func:`import_hips_autograd` therefore looks the name up with
``importlib.machinery.PathFinder`` entry by entry, skips the entry whose ``autograd`` is
gradtrio's own engine, and loads the first other one under the name ``autograd`` (its submodules
import ``autograd.*`` absolutely, so that is the name it must have in ``sys.modules``).

HIPS has no relu, leaky_relu or softplus: relu is written as users write it, ``np.maximum(x,
0.0)``, whose derivative at the tie is 0.5 (declared); softplus as ``np.logaddexp(0.0, x)``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy
from gradtrio.checks.engines.libraries.base import FunctionalAdapter, LibraryOp, calls
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.strategies.expression import Expression

__all__ = ["HipsAdapter", "claim_autograd_name", "import_hips_autograd"]

MISSING = "--engine autograd: HIPS autograd is not installed; pip install 'gradtrio[autograd]'"


def _ours() -> Path | None:
    """The folder of gradtrio's own engine package in a source checkout (None when installed:
    it then lives under ``gradtrio/`` and owns no top-level name)."""
    spec = importlib.util.find_spec("gradtrio.autograd")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def _is_hips(module: ModuleType, ours: Path | None) -> bool:
    origin = getattr(module, "__file__", None)
    return origin is not None and Path(origin).resolve().parent != ours


def import_hips_autograd() -> ModuleType:
    """HIPS autograd, never this checkout's ``autograd/`` folder; :class:`EngineError` when it is
    not installed, or when the name ``autograd`` is already taken in this process by the folder."""
    ours = _ours()
    loaded = sys.modules.get("autograd")
    if loaded is not None:
        if _is_hips(loaded, ours):
            return loaded
        raise EngineError(
            "--engine autograd: 'autograd' is already imported from this checkout's autograd/ "
            "folder, which shadows HIPS autograd; import the engine as gradtrio.autograd"
        )
    for entry in sys.path:
        spec = importlib.machinery.PathFinder.find_spec("autograd", [entry or os.getcwd()])
        if spec is None or spec.origin is None or spec.loader is None:
            continue
        if Path(spec.origin).resolve().parent == ours:
            continue  # gradtrio's engine folder, on sys.path as the checkout's root
        module = importlib.util.module_from_spec(spec)
        sys.modules["autograd"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["autograd"]
            raise
        return module
    raise EngineError(MISSING)


def claim_autograd_name() -> None:
    """Before the user's op modules are imported: where this checkout's ``autograd/`` folder
    would answer their ``import autograd``, HIPS autograd (when installed) takes the name."""
    if "autograd" in sys.modules:
        return
    spec = importlib.util.find_spec("autograd")
    if spec is None or spec.origin is None or Path(spec.origin).resolve().parent != _ours():
        return
    with contextlib.suppress(EngineError):  # not installed: the user's import says so
        import_hips_autograd()


class HipsAdapter(FunctionalAdapter):
    library = "autograd"
    # NumPy raises a float64 scalar to a power with the C library's pow, an array with its SIMD
    # one (SVML, on AVX-512 machines): a last-bit difference at about 1 point in 20, in pow and
    # in sqrt's gradient (HIPS writes it g * 0.5 * x ** -0.5). An expression with either runs
    # point by point, so that a batch gives what one point gives.
    unbatched_ops = frozenset({"pow", "sqrt"})
    documented = {
        ("relu", 0.0): (
            "HIPS autograd issues 141 and 212: np.maximum splits a tie 0.5 / 0.5, so relu "
            "written as np.maximum(x, 0.0) has derivative 0.5 at 0"
        ),
    }

    def __init__(self, name: str = "autograd", dtype: str = "float64", **kw: Any) -> None:
        if dtype != "float64":
            raise EngineError(f"--engine {name}: HIPS autograd computes in NumPy float64 only")
        self.autograd = import_hips_autograd()
        self.np = importlib.import_module("autograd.numpy")
        self.special = importlib.import_module("autograd.scipy.special")
        self._getval = importlib.import_module("autograd.tracer").getval
        self._vspace = importlib.import_module("autograd.extend").vspace
        self.version = importlib.metadata.version("autograd")
        super().__init__(name, dtype, **kw)

    def _library_ops(self) -> dict[str, LibraryOp]:
        np = self.np
        numpy_names = ("exp", "log", "tanh", "sqrt", "abs", "sin", "cos", "square", "log1p")
        return {
            **calls(np, "np", numpy_names),
            "sigmoid": (self.special.expit, "expit({0})"),
            "relu": (lambda a: np.maximum(a, 0.0), "np.maximum({0}, 0.0)"),
            "softplus": (lambda a: np.logaddexp(0.0, a), "np.logaddexp(0.0, {0})"),
            "max": (np.maximum, "np.maximum({0}, {1})"),
            "min": (np.minimum, "np.minimum({0}, {1})"),
        }

    def describe(self) -> str:
        return f"HIPS autograd {self.version}, float64 (NumPy), autograd.value_and_grad"

    def array(self, x: float) -> Any:
        # A NumPy scalar, not a Python float: 0.0 ** -0.5 on a Python float raises (HIPS #570).
        return numpy.float64(x)

    def arrays(self, column: Sequence[float]) -> Any:
        return numpy.asarray(column, dtype=numpy.float64)

    def zeros(self, n_nodes: int, width: int | None) -> Any:
        return numpy.full((n_nodes,) if width is None else (n_nodes, width), -0.0)

    def vjp(
        self, f: Callable[..., Any], args: tuple[Any, ...], has_aux: bool
    ) -> tuple[Any, Any, tuple[Any, ...]]:
        # value_and_grad's own steps: the vjp, then the cotangent vspace(out).ones(). HIPS has
        # no aux output: the node values are read off the boxes as f computes them.
        aux: list[Any] = []

        def out_only(*a: Any) -> Any:
            if not has_aux:
                return f(*a)
            out, values = f(*a)
            aux.extend(self._getval(v) for v in values)
            return out

        pullback, out = self.autograd.make_vjp(out_only, tuple(range(len(args))))(*args)
        return out, aux if has_aux else None, pullback(self._vspace(out).ones())

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        inputs = [expression.name(i) for i in range(expression.n_inputs)]
        argnum = ", ".join(str(i) for i in range(expression.n_inputs))
        lines = [
            self.header(),
            "# (run it outside a gradtrio checkout: its autograd/ folder shadows HIPS autograd)",
            "import numpy",
            "import autograd.numpy as np",
            "from autograd import value_and_grad",
            "from autograd.scipy.special import expit",
            *self.implementation_imports(expression),
            "",
            f"def f({', '.join(inputs)}):",
            *(f"    {line}" for line in self.node_lines(expression)),
            f"    return {expression.name(expression.output)}",
            "",
            "point = [" + ", ".join(f"numpy.float64({x!r})" for x in point) + "]",
            f"value, grads = value_and_grad(f, ({argnum},))(*point)",
            'print("value:", float(value))',
            'print("grads:", [float(g) for g in grads])',
        ]
        return "\n".join(lines) + "\n"
