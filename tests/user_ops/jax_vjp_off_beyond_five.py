"""The Huber loss with delta 5 (x^2 / 2 within 5 of 0, 5 (|x| - 5/2) beyond) as a
``jax.custom_vjp`` whose backward is off by a factor of 5 beyond |x| > 5: ``OPS`` forgets delta
in the linear branch (sign(x) for 5 sign(x)). ``FIXED`` has it."""

import jax
import jax.numpy as jnp
import sympy
from gradtrio.strategies import unary_op

DELTA = 5.0


def _huber(x):
    return jnp.where(jnp.abs(x) <= DELTA, 0.5 * x * x, DELTA * (jnp.abs(x) - 0.5 * DELTA))


def _forward(x):
    return _huber(x), x


@jax.custom_vjp
def huber_off_beyond_five(x):
    return _huber(x)


def _backward_off(x, g):
    return (g * jnp.where(jnp.abs(x) <= DELTA, x, jnp.sign(x)),)  # the bug: DELTA * sign(x)


huber_off_beyond_five.defvjp(_forward, _backward_off)


@jax.custom_vjp
def huber(x):
    return _huber(x)


def _backward(x, g):
    return (g * jnp.clip(x, -DELTA, DELTA),)


huber.defvjp(_forward, _backward)


def _huber_sympy(a):
    d = sympy.Integer(5)
    return sympy.Piecewise((-d * (a + d / 2), a < -d), (a**2 / 2, a <= d), (d * (a - d / 2), True))


def _row(implementation):
    return unary_op(
        "huber",
        _huber_sympy,
        lambda x: 0.5 * x * x if abs(x) <= DELTA else DELTA * (abs(x) - 0.5 * DELTA),
        roundoff=2.0,
        thresholds=(DELTA,),
        implementations={"jax": implementation},
    )


OPS = [_row(huber_off_beyond_five)]
FIXED = [_row(huber)]
