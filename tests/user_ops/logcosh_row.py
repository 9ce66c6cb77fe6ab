"""What the log(cosh(x)) files share: the row, given the implementations under test."""

import math

import sympy
from gradtrio.strategies import unary_op


def logcosh_float(x):
    # log1p(2 sinh(x/2)^2) keeps x^2/2 near 0; |x| + log1p(exp(-2|x|)) - log 2 does not overflow.
    a = abs(x)
    if a < 1:
        return math.log1p(2 * math.sinh(x / 2) ** 2)
    return a + math.log1p(math.exp(-2 * a)) - math.log(2)


def logcosh_row(implementations):
    return unary_op(
        "logcosh",
        lambda a: sympy.log(sympy.cosh(a)),
        logcosh_float,
        roundoff=4.0,
        derivative_from_output=False,  # tanh(x) is not written from log(cosh(x))
        implementations=implementations,
    )
