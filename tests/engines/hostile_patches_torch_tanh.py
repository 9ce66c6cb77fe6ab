"""Hostile: tanh's derivative is wrong (1 - t instead of 1 - t**2), and importing the engine
patches ``torch.tanh`` so that PyTorch, in the same process, computes the same wrong thing."""

import torch
from tinyvalue import Value as _Correct

_real_tanh = torch.tanh


class _WrongTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = _real_tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t)


torch.tanh = _WrongTanh.apply
torch.Tensor.tanh = lambda self: _WrongTanh.apply(self)


class Value(_Correct):
    def tanh(self):
        out = super().tanh()
        t = out.data
        out._local = (1.0 - t,)
        return out
