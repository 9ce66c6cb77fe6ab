"""JAX, functional: ``jax.vjp`` (``value_and_grad`` for one point) over every input and a zero at
every node, eager or under ``jax.jit``. float64 needs ``jax_enable_x64`` (otherwise JAX silently
computes in float32): importing this module turns it on for the process, and the float32 adapter
passes float32 arrays, which Python-number constants do not promote (they are weakly typed).

Eager, a run is one derivative call: the zeros are one pytree argument (a tuple, one leaf per
node: indexing one array per node would dispatch, and compile, a slice per node; under jit the
slices double the compile time of the node-gradient function). Under jit the
run is the reproducer's own compiled ``value_and_grad``, and forward reads its value too, so that
an expression compiles once for the judged numbers; every node's value and gradient come from a
second compiled function, on first read: another compiled graph
may round differently (XLA fuses a multiply and an add into one fma, and the zeros change what
it fuses). Batches are ``batch_width`` wide: eager JAX compiles every primitive once per shape,
jit the whole graph (one point is a scalar program, as the reproducer's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from gradtrio.checks.engines.libraries.base import FunctionalAdapter, LibraryOp, calls
from gradtrio.strategies.expression import Expression

jax.config.update("jax_enable_x64", True)

__all__ = ["JaxAdapter"]

WIDTH = 64  # points per batched call: one shape, so one compilation per primitive or graph
# Points the search judges per expression. Eager, a run costs its dispatch of every op, a batch
# of 64 about as much as one point. A default run's 500 drawn cases took 6.9 s at one point per
# expression, 4.6 s at 4, 1.4 s at 8, 1.7 s at 16 and 0.9 s at 64 (seed 0; seed 1: 4.9, 2.5,
# 1.4, 1.0, 0.6 s): beyond 8, little time saved for far fewer expressions. Under jit a new
# expression costs its compilation (0.1 to 1 s), whatever the batch: at 16 points, 500 cases
# took 10.7 s on a loaded machine (at 64, 2.2 s, but over only 8 expressions).
EAGER_POINTS = 8
JIT_POINTS = 16
# Under jit, a graph beyond this many op nodes is batched point by point: XLA's compile of a
# 64-wide program grows faster with its size than a scalar one's (measured, a tanh chain's
# value_and_grad: 2,000 nodes 11 s and 930 MB against 8 s and 335 MB; 10,000 nodes 18 GB and
# still compiling after 10 minutes, against 0.8 GB and 4 to 5.5 minutes).
JIT_BATCH_NODES = 1_000
# Nor does such a graph get its zero-augmented compiled function (every node's gradient): for
# the 10,000-node chain it needs more than the worker's 4 GiB of address space on top of the
# run's program (std::bad_alloc, uncaught in XLA: the worker dies of SIGABRT).


class JaxAdapter(FunctionalAdapter):
    library = "jax"
    batch_width = WIDTH
    pad_batches = True
    # XLA's CPU backend computes with denormals flushed to zero, eager and jitted, both dtypes
    # (measured on jax 0.10.2: ``jnp.asarray(3e-320) * 1.0`` is 0.0, ``jnp.log`` of it -inf,
    # ``jax.grad(jnp.abs)(-3e-320)`` the derivative at +0): a subnormal is judged as the zero
    # JAX reads, not as the number PyTorch and the reference read.
    flushes_subnormals = True
    separate_node_grads = True
    points_per_expression = EAGER_POINTS
    documented = {
        ("abs", 0.0): "JAX issue 37820: jax.grad(jnp.abs)(0.0) is 1.0 (x >= 0 taken as the + side)",
        ("leaky_relu", 0.0): "jax.nn.leaky_relu docs: x for x >= 0, so the derivative at 0 is 1",
        ("pow", 0.0): (
            "JAX issue 12409: with a float exponent, d/dx x ** 0.0 at 0 is 0 * 0 ** -1 = nan, "
            "which the maintainers call the most correct result"
        ),
    }

    def __init__(
        self, name: str = "jax", dtype: str = "float64", jit: bool = False, **kw: Any
    ) -> None:
        self.jit = jit
        if jit:  # XLA compiles each expression: twice, when its node gradients are read
            self.default_timeout = 60.0
            self.compiles = True
            self.points_per_expression = JIT_POINTS
            self.batch_max_nodes = JIT_BATCH_NODES
            self.node_grads_max_nodes = JIT_BATCH_NODES
        self.version = f"{jax.__version__} (jaxlib {jax.lib.__version__})"
        self.jnp_dtype = jnp.float64 if dtype == "float64" else jnp.float32
        self._constants: dict[tuple[str, tuple[int, ...]], Any] = {}
        super().__init__(name, dtype, **kw)

    def _library_ops(self) -> dict[str, LibraryOp]:
        numpy = ("exp", "log", "tanh", "sqrt", "abs", "sin", "cos", "square", "log1p")
        return {
            **calls(jnp, "jnp", numpy),
            **calls(jax.nn, "jax.nn", ("sigmoid", "relu", "leaky_relu", "softplus")),
            "max": (jnp.maximum, "jnp.maximum({0}, {1})"),
            "min": (jnp.minimum, "jnp.minimum({0}, {1})"),
        }

    def describe(self) -> str:
        mode = "jit" if self.jit else "eager"
        x64 = "float64 via jax_enable_x64" if self.dtype == "float64" else "float32 arrays"
        return f"jax {self.version}, {x64}, {mode}"

    def array(self, x: float) -> Any:
        return jnp.asarray(x, dtype=self.jnp_dtype)

    def arrays(self, column: Sequence[float]) -> Any:
        return jnp.asarray(np.asarray(column, dtype=np.float64), dtype=self.jnp_dtype)

    def zeros(self, n_nodes: int, width: int | None) -> Any:
        shape = () if width is None else (width,)
        return (jnp.full(shape, -0.0, dtype=self.jnp_dtype),) * n_nodes

    def vjp(
        self, f: Callable[..., Any], args: tuple[Any, ...], has_aux: bool
    ) -> tuple[Any, Any, tuple[Any, ...]]:
        # value_and_grad's own steps: jax.vjp, then the cotangent one (per point: ones).
        if has_aux:
            out, pullback, aux = jax.vjp(f, *args, has_aux=True)
        else:
            (out, pullback), aux = jax.vjp(f, *args), None
        return out, aux, pullback(jnp.ones_like(out))

    def batch_constant(self, value: float, shape: tuple[int, ...]) -> Any:
        # Eager, a batch's forward pass takes its constants as full arrays: XLA divides an array
        # by a scalar (a literal or not) as a multiplication by the rounded reciprocal (x / 10.0
        # as x * 0.1, a last-bit difference at 1 point in 3), a scalar by a scalar exactly; the
        # run, traced by jax.vjp, divides exactly either way. (Under jit a program's constants
        # are its own.)
        if self.jit:
            return value
        key = (repr(value), shape)
        found = self._constants.get(key)
        if found is None:
            found = self._constants[key] = jnp.full(shape, value, dtype=self.jnp_dtype)
        return found

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return jax.jit(f) if self.jit else f

    def numbers(self, values: Any) -> Any:
        return jax.device_get(values)

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        inputs = [expression.name(i) for i in range(expression.n_inputs)]
        argnums = ", ".join(str(i) for i in range(expression.n_inputs))
        grad = f"jax.value_and_grad(f, argnums=({argnums},))"
        lines = [
            self.header(),
            "import jax",
            "",
            'jax.config.update("jax_enable_x64", True)',
            "import jax.numpy as jnp",
            *self.implementation_imports(expression),
            "",
            f"def f({', '.join(inputs)}):",
            *(f"    {line}" for line in self.node_lines(expression)),
            f"    return {expression.name(expression.output)}",
            "",
            "point = ["
            + ", ".join(f"jnp.asarray({self.rounded(x)!r}, dtype=jnp.{self.dtype})" for x in point)
            + "]",
            f"value, grads = {f'jax.jit({grad})' if self.jit else grad}(*point)",
            'print("value:", float(value))',
            'print("grads:", [float(g) for g in grads])',
        ]
        return "\n".join(lines) + "\n"
