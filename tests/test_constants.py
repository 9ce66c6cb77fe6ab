"""Constants as people write them: Python ints where the value is integral, floats, NumPy float64
scalars, each its own case, kept in the expression format, the reports and the reproducers as
typed, and reaching the engine as typed."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gradtrio.checks import Status, judge
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.strategies import Expression, Node, cases
from gradtrio.strategies.expression import FORMAT, KINDS, const_kind
from hypothesis import find, settings

ENGINES = Path(__file__).parent / "engines"
CONSTANTS = [2, 2.0, np.float64(2.0), -1, 0]


@pytest.mark.parametrize("const", CONSTANTS, ids=lambda c: f"{type(c).__name__}({c})")
def test_every_kind_of_constant_survives_the_expression_format(const):
    e = Expression(1, (Node("pow", (0,), const, "right"), Node("mul", (1,), const, "left")))
    back = Expression.from_json(e.to_json())
    assert back == e
    assert [const_kind(n.const) for n in back.nodes] == [const_kind(const)] * 2
    assert json.loads(e.to_json())["format"] == FORMAT


def test_an_int_constant_and_a_float_one_are_different_cases():
    assert Node("pow", (0,), 2, "right") != Node("pow", (0,), 2.0, "right")
    assert hash(Node("pow", (0,), 2, "right")) != hash(Node("pow", (0,), 2.0, "right"))


def test_files_of_the_first_format_still_load_with_float_constants():
    old = {
        "format": "gradtrio.expression/1",
        "inputs": 1,
        "nodes": [{"op": "pow", "args": [0], "const": 2.0, "side": "right"}],
    }
    (node,) = Expression.from_dict(old).nodes
    assert type(node.const) is float and node.const == 2.0


def test_the_source_shows_each_constant_as_typed():
    e = Expression(
        1,
        (
            Node("pow", (0,), 2, "right"),
            Node("sub", (1,), 1, "left"),
            Node("mul", (2,), np.float64(0.5), "right"),
        ),
    )
    assert str(e) == "n1 = x0 ** 2; n2 = 1 - n1; n3 = n2 * np.float64(0.5)"
    snippet = e.to_python((1.5,))
    assert snippet.startswith("import numpy as np\n")
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["value: -0.625", "grads: [-1.5]"]


class Recording:
    """A Value class that records the type of every number operand it is given."""

    seen: list[type] = []

    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0
        self._back = lambda: None
        self._prev = ()

    def __pow__(self, c):
        Recording.seen.append(type(c))
        out = Recording(self.data**c)
        out._prev = (self,)

        def back():
            self.grad += c * self.data ** (c - 1) * out.grad

        out._back = back
        return out

    def backward(self):
        self.grad = 1.0
        self._back()


def test_an_integer_exponent_reaches_the_engine_as_an_int():
    engine = ValueClassEngine.from_class(Recording)
    Recording.seen.clear()
    verdict = judge(engine, Expression(1, (Node("pow", (0,), 3, "right"),)), (1.5,))
    assert verdict.status is Status.PASS, verdict.reason
    assert Recording.seen and set(Recording.seen) == {int}


def test_an_engine_wrong_only_for_int_exponents_fails_and_is_right_for_floats():
    engine = ValueClassEngine.load(f"{ENGINES / 'int_pow_fast_path.py'}:Value")
    as_float = judge(engine, Expression(1, (Node("pow", (0,), 2.0, "right"),)), (1.5,))
    as_int = judge(engine, Expression(1, (Node("pow", (0,), 2, "right"),)), (1.5,))
    assert as_float.status is Status.PASS
    assert as_int.failed and as_int.blame.op == "pow"
    assert "x0 ** 2 " in as_int.blame.reason


@pytest.mark.parametrize("kind", KINDS)
def test_the_strategies_draw_every_kind_of_constant(kind):
    strategy = cases(ops={"mul": ("right",), "pow": ("right",), "sub": ("left",)}, max_nodes=3)
    found = find(
        strategy,
        lambda case: any(n.kind == kind for n in case.expression.nodes),
        settings=settings(max_examples=500, database=None),
    )
    assert any(const_kind(n.const) == kind for n in found.expression.nodes)
