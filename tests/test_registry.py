"""The op registry covers the engine, and each row's forms agree with each other."""

import math

import pytest
import torch
from gradtrio.autograd import Value
from gradtrio.strategies.ops import OPS, get_op

# Public behaviour of Value that is not an op on values.
NOT_OPS = {"backward", "zero_grad", "data", "grad", "label"}
OP_DUNDERS = {
    "add",
    "sub",
    "mul",
    "truediv",
    "pow",
    "neg",
    "radd",
    "rsub",
    "rmul",
    "rtruediv",
    "rpow",
    "abs",
    "pos",
    "floordiv",
    "rfloordiv",
    "mod",
    "rmod",
    "matmul",
}


def engine_ops() -> set[str]:
    names = {n for n in dir(Value) if not n.startswith("_") and callable(getattr(Value, n))}
    dunders = {n for n in dir(Value) if n.startswith("__") and n.strip("_") in OP_DUNDERS}
    return (names - NOT_OPS) | dunders


# Operators whose engine method is the same node as a registry method's (abs(x) is x.abs()).
ALIASES = {"__abs__": "abs"}


def test_every_engine_op_has_a_registry_row():
    covered = {attr for op in OPS.values() for attr in op.engine_attrs.values()}
    covered |= {alias for alias, method in ALIASES.items() if method in covered}
    missing = sorted(engine_ops() - covered)
    assert not missing, f"ops without a registry row (add one to strategies/ops.py): {missing}"


def test_an_alias_is_the_same_op_as_its_method():
    x = Value(-1.5)
    for alias, method in ALIASES.items():
        via_alias, via_method = getattr(x, alias)(), getattr(x, method)()
        assert (via_alias.data, via_alias._op) == (via_method.data, via_method._op)


def test_every_registry_row_is_an_engine_op():
    for op in OPS.values():
        for attr in op.engine_attrs.values():
            assert hasattr(Value, attr), f"{op.name}: engine has no {attr}"


def test_unknown_op_is_named():
    with pytest.raises(KeyError, match="unknown op 'cube'"):
        get_op("cube")


@pytest.mark.parametrize("name", list(OPS))
def test_float_form_agrees_with_torch(name):
    op = OPS[name]
    a, b = 0.7, 1.3
    args = (a,) if op.arity == 1 else (a, b)
    expected = float(op.torch(*(torch.tensor(x, dtype=torch.float64) for x in args)))
    assert math.isclose(op.float_fn(*args), expected, rel_tol=1e-15, abs_tol=1e-300)


@pytest.mark.parametrize("name", list(OPS))
def test_sympy_form_agrees_with_torch(name):
    op = OPS[name]
    a, b = 0.7, 1.3
    args = (a,) if op.arity == 1 else (a, b)
    expected = float(op.torch(*(torch.tensor(x, dtype=torch.float64) for x in args)))
    assert math.isclose(float(op.sympy(*args)), expected, rel_tol=1e-15)


def test_relu_convention_is_encoded_in_its_sympy_form():
    import sympy

    x = sympy.Symbol("x", real=True)
    derivative = sympy.diff(OPS["relu"].sympy(x), x)
    assert float(derivative.subs(x, 0)) == OPS["relu"].kinks[0].convention == 0.0
