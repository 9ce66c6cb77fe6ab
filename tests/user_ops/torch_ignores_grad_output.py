"""log(cosh(x)) as a ``torch.autograd.Function`` whose backward ignores ``grad_output``:
``OPS`` returns tanh(x) alone, so the op is right on its own (a scalar output, upstream gradient
1, as a finite difference of the op checks it) and wrong wherever anything follows it. ``FIXED``
multiplies by ``grad_output``."""

import math

import torch
from logcosh_row import logcosh_row


def _forward(ctx, x):
    ctx.save_for_backward(x)
    # log1p(2 sinh(x/2)^2) keeps x^2/2 near 0; |x| + log1p(exp(-2|x|)) - log 2 does not overflow.
    a = x.abs()
    small = torch.log1p(2 * torch.sinh(x / 2) ** 2)
    return torch.where(a < 1, small, a + torch.log1p(torch.exp(-2 * a)) - math.log(2))


class LogCoshIgnoresUpstream(torch.autograd.Function):
    forward = staticmethod(_forward)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.tanh(x)  # the bug: grad_output * torch.tanh(x)


class LogCosh(torch.autograd.Function):
    forward = staticmethod(_forward)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.tanh(x)


OPS = [logcosh_row({"torch": LogCoshIgnoresUpstream.apply})]
FIXED = [logcosh_row({"torch": LogCosh.apply})]
