"""A minitorch-style scalar engine (the course's Module 1): correct.

Spec: ``minitorch_style.py:Scalar`` (its gradient attribute is ``derivative``).

``Scalar`` keeps its number in ``.data`` and its gradient in ``.derivative``, which is None until
backward reaches it and is only ever set on leaves. Each op is a ``ScalarFunction`` subclass with
static ``forward(ctx, *floats)`` and ``backward(ctx, d_output)``; a ``Context`` keeps what
forward saved for backward. ``Scalar.backward()`` sorts the graph topologically (a recursive
depth-first search: ``RecursionError`` past ~1,000 nodes deep) and runs the chain rule, keyed on
``unique_id``, accumulating into the leaves with ``accumulate_derivative`` (a second call adds
the same amounts again). A number given to an op becomes a leaf ``Scalar`` whose derivative is
computed and dropped. There is no ``__pow__`` and no ``tanh``, as in the course; ``__eq__``
returns a ``Scalar`` (``EQ``), so a ``Scalar`` is unhashable, as there.

Float semantics as the course writes them: ``exp`` is ``math.exp`` (``OverflowError`` past
709.78), ``1 / x`` is ``1.0 / x`` (``ZeroDivisionError`` at 0). Two differences from the
course's code: ``log`` is plain ``math.log`` (the course's ``operators.log`` adds 1e-6, the bug
``log_epsilon_hack`` has), and ``apply`` builds its result with the class of its first
``Scalar`` operand, so that a subclass that changes one function keeps its class.
"""

import math
from dataclasses import dataclass
from typing import Any


def wrap_tuple(x):
    return x if isinstance(x, tuple) else (x,)


class Context:
    def __init__(self, no_grad=False):
        self.no_grad = no_grad
        self.saved_values = ()

    def save_for_backward(self, *values):
        if self.no_grad:
            return
        self.saved_values = values


@dataclass
class ScalarHistory:
    last_fn: Any = None
    ctx: Any = None
    inputs: tuple = ()


class ScalarFunction:
    @classmethod
    def _forward(cls, ctx, *inputs):
        return cls.forward(ctx, *inputs)

    @classmethod
    def _backward(cls, ctx, d_output):
        return wrap_tuple(cls.backward(ctx, d_output))

    @classmethod
    def apply(cls, *vals):
        make = next((type(v) for v in vals if isinstance(v, Scalar)), Scalar)
        scalars = [v if isinstance(v, Scalar) else make(v) for v in vals]
        ctx = Context(False)
        c = cls._forward(ctx, *(s.data for s in scalars))
        assert isinstance(c, float), f"Expected return type float got {type(c)}"
        return make(c, ScalarHistory(cls, ctx, tuple(scalars)))


class Add(ScalarFunction):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, d_output):
        return d_output, d_output


class Mul(ScalarFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, d_output):
        a, b = ctx.saved_values
        return b * d_output, a * d_output


class Neg(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, d_output):
        return -d_output


class Inv(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return 1.0 / a

    @staticmethod
    def backward(ctx, d_output):
        (a,) = ctx.saved_values
        return -d_output / a / a


class Log(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return math.log(a)

    @staticmethod
    def backward(ctx, d_output):
        (a,) = ctx.saved_values
        return d_output / a


class Exp(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        out = math.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, d_output):
        (out,) = ctx.saved_values
        return out * d_output


def sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


class Sigmoid(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        s = sigmoid(a)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, d_output):
        (s,) = ctx.saved_values
        return s * (1.0 - s) * d_output


class ReLU(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a if a > 0 else 0.0

    @staticmethod
    def backward(ctx, d_output):
        (a,) = ctx.saved_values
        return d_output if a > 0 else 0.0


class LT(ScalarFunction):
    @staticmethod
    def forward(ctx, a, b):
        return 1.0 if a < b else 0.0

    @staticmethod
    def backward(ctx, d_output):
        return 0.0, 0.0


class EQ(ScalarFunction):
    @staticmethod
    def forward(ctx, a, b):
        return 1.0 if a == b else 0.0

    @staticmethod
    def backward(ctx, d_output):
        return 0.0, 0.0


_var_count = 0
_LEAF = ScalarHistory()  # the history of a value the user made: no function, no inputs


class Scalar:
    def __init__(self, v, back=_LEAF, name=None):
        global _var_count
        _var_count += 1
        self.unique_id = _var_count
        self.data = float(v)
        self.history = back
        self.derivative = None
        self.name = name if name is not None else str(self.unique_id)

    def __repr__(self):
        return f"Scalar({self.data})"

    def __add__(self, b):
        return Add.apply(self, b)

    def __radd__(self, b):
        return self + b

    def __mul__(self, b):
        return Mul.apply(self, b)

    def __rmul__(self, b):
        return self * b

    def __neg__(self):
        return Neg.apply(self)

    def __sub__(self, b):
        return Add.apply(self, Neg.apply(b))

    def __rsub__(self, b):
        return Add.apply(b, Neg.apply(self))

    def __truediv__(self, b):
        return Mul.apply(self, Inv.apply(b))

    def __rtruediv__(self, b):
        return Mul.apply(b, Inv.apply(self))

    def __lt__(self, b):
        return LT.apply(self, b)

    def __gt__(self, b):
        return LT.apply(b, self)

    def __eq__(self, b):
        return EQ.apply(self, b)

    def __bool__(self):
        return bool(self.data)

    def log(self):
        return Log.apply(self)

    def exp(self):
        return Exp.apply(self)

    def sigmoid(self):
        return Sigmoid.apply(self)

    def relu(self):
        return ReLU.apply(self)

    # -- backpropagation --------------------------------------------------------------------
    def is_leaf(self):
        return self.history is not None and self.history.last_fn is None

    def is_constant(self):
        return self.history is None

    @property
    def parents(self):
        return self.history.inputs

    def accumulate_derivative(self, x):
        assert self.is_leaf(), "Only leaf variables can have derivatives."
        if self.derivative is None:
            self.derivative = 0.0
        self.derivative += x

    def chain_rule(self, d_output):
        h = self.history
        return list(zip(h.inputs, h.last_fn._backward(h.ctx, d_output), strict=True))

    def backward(self, d_output=None):
        backpropagate(self, 1.0 if d_output is None else d_output)


def topological_sort(variable):
    """The non-constant variables, the output first and every node before its parents."""
    order, seen = [], set()

    def visit(var):
        if var.unique_id in seen or var.is_constant():
            return
        seen.add(var.unique_id)
        if not var.is_leaf():
            for parent in var.parents:
                visit(parent)
        order.append(var)

    visit(variable)
    return reversed(order)


def backpropagate(variable, deriv):
    derivatives = {variable.unique_id: deriv}
    for var in topological_sort(variable):
        d = derivatives.get(var.unique_id, 0.0)
        if var.is_leaf():
            var.accumulate_derivative(d)
            continue
        for parent, d_parent in var.chain_rule(d):
            if not parent.is_constant():
                derivatives[parent.unique_id] = derivatives.get(parent.unique_id, 0.0) + d_parent
