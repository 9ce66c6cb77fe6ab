"""The minitorch-style engine whose ``Sigmoid.backward`` ignores ``d_output``: BUGGY.

Bug: ``return s * (1 - s)`` instead of ``s * (1 - s) * d_output`` (a real course solution's
slip): right only when the derivative arriving at the sigmoid is exactly 1 (``x.sigmoid()``
alone, or under additions only); ``x.sigmoid() * 3`` gets a third of its derivative. Values are
right, and so is every other function. Spec: ``minitorch_sigmoid_ignores_upstream.py:Scalar``.
"""

import minitorch_style


class Sigmoid(minitorch_style.Sigmoid):
    @staticmethod
    def backward(ctx, d_output):
        (s,) = ctx.saved_values
        return s * (1 - s)


class Scalar(minitorch_style.Scalar):
    def sigmoid(self):
        return Sigmoid.apply(self)
