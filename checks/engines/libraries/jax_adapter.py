"""JAX, functional: ``jax.value_and_grad`` over every input and a zero at every node, eager or
under ``jax.jit``. float64 needs ``jax_enable_x64`` (otherwise JAX silently computes in float32):
importing this module turns it on for the process, and the float32 adapter passes float32 arrays,
which Python-number constants do not promote (they are weakly typed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from gradtrio.checks.engines.libraries.base import FunctionalAdapter, LibraryOp, Program, calls
from gradtrio.strategies.expression import Expression

jax.config.update("jax_enable_x64", True)

__all__ = ["JaxAdapter"]

CACHE_SIZE = 256  # compiled functions kept, one per expression (finite differences reuse them)


class JaxAdapter(FunctionalAdapter):
    library = "jax"
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
        if jit:  # each expression is compiled by XLA three times (values, grads, node grads)
            self.default_timeout = 60.0
        self.version = f"{jax.__version__} (jaxlib {jax.lib.__version__})"
        self.jnp_dtype = jnp.float64 if dtype == "float64" else jnp.float32
        self._cache: dict[Program, tuple[Callable[..., Any], ...]] = {}
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

    def gradient_function(self, f: Callable[..., Any], n_args: int) -> Callable[..., Any]:
        fn = jax.value_and_grad(f, argnums=tuple(range(n_args)))
        return jax.jit(fn) if self.jit else fn

    def values_function(self, f: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        return jax.jit(f) if self.jit else f

    def compiled(self, program: Program) -> tuple[Callable[..., Any], ...]:
        key = (program[0], tuple(program[1]))
        if key not in self._cache:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = super().compiled(program)
        return self._cache[key]

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
