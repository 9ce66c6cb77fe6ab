"""SiLU, x sigmoid(x), as a ``jax.custom_jvp`` whose primal is right and whose tangent rule is
wrong: ``OPS`` forgets the product rule (sigmoid(x) t for sigmoid(x) (1 + x sigmoid(-x)) t).
``jax.grad`` transposes the tangent rule, so reverse mode is wrong too. ``FIXED`` is right."""

import math

import jax
import sympy
from gradtrio.strategies import unary_op


@jax.custom_jvp
def silu_wrong_tangent(x):
    return x * jax.nn.sigmoid(x)


@silu_wrong_tangent.defjvp
def _wrong_tangent(primals, tangents):
    (x,), (t,) = primals, tangents
    s = jax.nn.sigmoid(x)
    return x * s, s * t  # the bug: s * (1 + x * sigmoid(-x)) * t


@jax.custom_jvp
def silu(x):
    return x * jax.nn.sigmoid(x)


@silu.defjvp
def _tangent(primals, tangents):
    (x,), (t,) = primals, tangents
    s = jax.nn.sigmoid(x)
    # 1 - s as sigmoid(-x): 1 - s rounds to 0 long before x * (1 - s) is negligible.
    return x * s, s * (1 + x * jax.nn.sigmoid(-x)) * t


def _float(x):
    return x / (1 + math.exp(-x)) if x > -700 else x * math.exp(x)


def _row(implementation):
    return unary_op(
        "silu",
        lambda a: a / (1 + sympy.exp(-a)),
        _float,
        roundoff=8.0,
        implementations={"jax": implementation},
    )


OPS = [_row(silu_wrong_tangent)]
FIXED = [_row(silu)]
