"""softsign, x / (1 + |x|), as a ``torch.autograd.Function`` whose backward is wrong only for
x < 0: ``OPS`` writes the derivative 1 / (1 + |x|)^2 as 1 / (1 + x)^2. ``FIXED`` keeps the
absolute value."""

import sympy
import torch
from gradtrio.strategies import unary_op


def _forward(ctx, x):
    ctx.save_for_backward(x)
    return x / (1 + x.abs())


class SoftsignNegativeWrong(torch.autograd.Function):
    forward = staticmethod(_forward)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x) ** 2  # the bug: (1 + x.abs()) ** 2


class Softsign(torch.autograd.Function):
    forward = staticmethod(_forward)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2


def _row(implementation):
    return unary_op(
        "softsign",
        lambda a: sympy.Piecewise((a / (1 - a), a < 0), (a / (1 + a), True)),
        lambda x: x / (1 + abs(x)),
        roundoff=2.0,
        implementations={"torch": implementation},
    )


OPS = [_row(SoftsignNegativeWrong.apply)]
FIXED = [_row(Softsign.apply)]
