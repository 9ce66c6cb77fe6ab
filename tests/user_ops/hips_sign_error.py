"""log(cosh(x)) as a HIPS autograd ``@primitive`` whose ``defvjp`` has a sign error: ``OPS``
gives -g tanh(x). ``FIXED`` gives g tanh(x)."""

import math

import autograd.numpy as np
from autograd.extend import defvjp, primitive
from logcosh_row import logcosh_row


def _logcosh(x):
    a = np.abs(x)
    small = np.log1p(2 * np.sinh(x / 2) ** 2)
    return np.where(a < 1, small, a + np.log1p(np.exp(-2 * a)) - math.log(2))


@primitive
def logcosh_sign_error(x):
    return _logcosh(x)


defvjp(logcosh_sign_error, lambda ans, x: lambda g: -g * np.tanh(x))  # the bug: g * tanh(x)


@primitive
def logcosh(x):
    return _logcosh(x)


defvjp(logcosh, lambda ans, x: lambda g: g * np.tanh(x))


OPS = [logcosh_row({"autograd": logcosh_sign_error})]
FIXED = [logcosh_row({"autograd": logcosh})]
