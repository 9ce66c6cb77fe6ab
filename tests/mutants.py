"""Single-bug mutants of ``autograd/engine.py``, each planted in memory, never on disk.

A mutant is one row: a name, the kind of bug (the taxonomy of real autograd bugs), the exact text
``old`` it replaces (which must occur exactly once in the engine source) by ``new``, and the op
names a correct blame may point at (registry names such as ``"mul"``, or ``"traversal"`` and
``"backward"`` for a bug that lives in the backward pass rather than in one op).

    >>> from mutants import MUTANTS, load_mutant
    >>> Value = load_mutant(MUTANTS[0])
    >>> (Value(2.0) + Value(3.0)).data
    5.0

:func:`load_mutant` compiles the mutated source into a fresh module object and returns its
``Value`` class; :func:`load_original` does the same with no change, so that the loader itself can
be checked to be neutral.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ENGINE_PATH",
    "KINDS",
    "MUTANTS",
    "Mutant",
    "MutantError",
    "engine_source",
    "load_mutant",
    "load_original",
    "mutant_source",
]

ENGINE_PATH = Path(__file__).resolve().parent.parent / "autograd" / "engine.py"

Kind = Literal[
    "wrong-derivative",
    "overwrite-accumulate",
    "missing-chain-factor",
    "traversal",
    "swapped-reflected",
    "wrong-forward",
    "overflow",
    "kink-convention",
    "truncated-exponent",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]

# Blame targets that are not one op: the bug is in the backward loop or the visiting order.
_LOOP = frozenset({"traversal", "backward"})


class MutantError(Exception):
    """A mutant does not apply to the engine source (its ``old`` text is missing or repeated)."""


@dataclass(frozen=True)
class Mutant:
    """One planted bug: replace the exact text ``old`` (present once) by ``new``."""

    name: str
    kind: Kind
    old: str
    new: str
    blame_ops: frozenset[str]
    note: str = ""


def _m(name: str, kind: Kind, old: str, new: str, blame: str, note: str = "") -> Mutant:
    ops = _LOOP if blame == "loop" else frozenset(blame.split())
    return Mutant(name, kind, old, new, ops, note)


# The backward loop unpacks one or two parents by hand; several mutants rewrite those lines.
_TWO = "                a.grad += g * da\n                b.grad += g * db\n"
_ONE = "                prev[0].grad += g * node._local[0]\n"
_BOTH = _TWO + "            elif len(prev) == 1:\n" + _ONE


def _indent(text: str) -> str:
    return "".join("    " + line for line in text.splitlines(keepends=True))


def _only_for(op: str, lines: str, original: str) -> str:
    """``original`` (accumulating lines of the loop), replaced by ``lines`` for nodes whose op
    string is ``op``."""
    return (
        f"                if node._op == {op!r}:\n{_indent(lines)}"
        f"                else:\n{_indent(original)}"
    )


MUTANTS: tuple[Mutant, ...] = (
    # -- a wrong local derivative, one per op and per reflected form ---------------------------
    _m(
        "add-drops-right",
        "wrong-derivative",
        '(self, other), (1.0, 1.0), "+")',
        '(self, other), (1.0, 0.0), "+")',
        "add",
        "d(a+b)/db = 0",
    ),
    _m(
        "sub-plus-right",
        "wrong-derivative",
        '(self, other), (1.0, -1.0), "-")',
        '(self, other), (1.0, 1.0), "-")',
        "sub",
        "d(a-b)/db = +1",
    ),
    _m(
        "sub-const-negated",
        "wrong-derivative",
        "self.data - _constant(other), (self,), (1.0,)",
        "self.data - _constant(other), (self,), (-1.0,)",
        "sub",
        "d(x-c)/dx = -1",
    ),
    _m(
        "rsub-positive",
        "wrong-derivative",
        "_constant(other) - self.data, (self,), (-1.0,)",
        "_constant(other) - self.data, (self,), (1.0,)",
        "sub",
        "d(c-x)/dx = +1",
    ),
    _m(
        "mul-swapped-locals",
        "wrong-derivative",
        '(self, other), (b, a), "*")',
        '(self, other), (a, b), "*")',
        "mul",
        "d(ab)/da = a",
    ),
    _m(
        "mul-const-one",
        "wrong-derivative",
        '_node(self.data * c, (self,), (c,), "*")',
        '_node(self.data * c, (self,), (1.0,), "*")',
        "mul",
        "d(x*c)/dx = 1",
    ),
    _m(
        "div-denominator-sign",
        "wrong-derivative",
        '(1.0 / b, -q / b), "/")',
        '(1.0 / b, q / b), "/")',
        "div",
        "d(a/b)/db = +a/b**2",
    ),
    _m(
        "rtruediv-sign",
        "wrong-derivative",
        '(self,), (-q / b,), "/")',
        '(self,), (q / b,), "/")',
        "div",
        "d(c/x)/dx = +c/x**2",
    ),
    _m(
        "pow-const-exponent-kept",
        "wrong-derivative",
        "local = c * _pow(x, c - 1.0) if",
        "local = c * _pow(x, c) if",
        "pow",
        "d(x**c)/dx = c x**c",
    ),
    _m(
        "pow-nodes-drops-y",
        "wrong-derivative",
        "dx = y * _pow(x, y - 1.0) if",
        "dx = _pow(x, y - 1.0) if",
        "pow",
        "d(x**y)/dx = x**(y-1)",
    ),
    _m(
        "rpow-power-rule",
        "wrong-derivative",
        '(self,), (out * math.log(c),), "**")',
        '(self,), (self.data * _pow(c, self.data - 1.0),), "**")',
        "pow",
        "d(c**x)/dx by the power rule, x c**(x-1)",
    ),
    _m(
        "neg-positive",
        "wrong-derivative",
        '(self,), (-1.0,), "neg")',
        '(self,), (1.0,), "neg")',
        "neg",
        "d(-x)/dx = +1",
    ),
    _m(
        "exp-times-x",
        "wrong-derivative",
        '(self,), (out,), "exp")',
        '(self,), (self.data * out,), "exp")',
        "exp",
        "exp' = x exp(x)",
    ),
    _m(
        "log-x",
        "wrong-derivative",
        '(self,), (1.0 / x,), "log")',
        '(self,), (-1.0 / x,), "log")',
        "log",
        "log' = -1/x",
    ),
    _m(
        "tanh-one-minus-t",
        "wrong-derivative",
        '(self,), (1.0 - t * t,), "tanh")',
        '(self,), (1.0 - t,), "tanh")',
        "tanh",
        "tanh' = 1 - t",
    ),
    _m(
        "sigmoid-sign",
        "wrong-derivative",
        '(self,), (s * (1.0 - s),), "sigmoid")',
        '(self,), (s * (s - 1.0),), "sigmoid")',
        "sigmoid",
        "sigmoid' = s (s - 1)",
    ),
    _m(
        "relu-local-is-output",
        "wrong-derivative",
        'return _node(x, (self,), (1.0,), "relu")',
        'return _node(x, (self,), (x,), "relu")',
        "relu",
        "relu' = relu(x) for x > 0",
    ),
    # -- overwrite instead of accumulate -------------------------------------------------------
    _m(
        "overwrite-everywhere",
        "overwrite-accumulate",
        _BOTH,
        _BOTH.replace("+=", "="),
        "loop",
        "`=` for `+=` in the generic loop",
    ),
    _m(
        "overwrite-in-mul",
        "overwrite-accumulate",
        _TWO,
        _only_for("*", _TWO.replace("+=", "="), _TWO),
        "mul",
        "mul's backward overwrites (x*x gets x, not 2x)",
    ),
    _m(
        "overwrite-in-add",
        "overwrite-accumulate",
        _TWO,
        _only_for("+", _TWO.replace("+=", "="), _TWO),
        "add",
        "add's backward overwrites (t+t gets 1, not 2)",
    ),
    # -- the upstream gradient dropped -----------------------------------------------------------
    _m(
        "chain-dropped-everywhere",
        "missing-chain-factor",
        _BOTH,
        _BOTH.replace("g * ", ""),
        "loop",
        "every op ignores the upstream gradient",
    ),
    _m(
        "chain-dropped-in-tanh",
        "missing-chain-factor",
        _ONE,
        _only_for("tanh", _ONE.replace("g * ", ""), _ONE),
        "tanh",
        "tanh's backward ignores the upstream gradient",
    ),
    _m(
        "chain-dropped-in-exp",
        "missing-chain-factor",
        _ONE,
        _only_for("exp", _ONE.replace("g * ", ""), _ONE),
        "exp",
        "exp's backward ignores the upstream gradient",
    ),
    # -- traversal -------------------------------------------------------------------------------
    _m(
        "visit-shared-twice",
        "traversal",
        "in seen:\n            continue\n",
        "in seen:\n            pass\n",
        "loop",
        "the sort expands a node again when it was pushed twice",
    ),
    _m(
        "order-not-reversed",
        "traversal",
        "for node in reversed(order):",
        "for node in order:",
        "loop",
        "gradients flow from the leaves, not the output",
    ),
    # -- reflected operators with swapped operands ---------------------------------------------
    _m(
        "rsub-swapped",
        "swapped-reflected",
        'return _node(_constant(other) - self.data, (self,), (-1.0,), "-")',
        "return self - other",
        "sub",
        "c - x computed as x - c",
    ),
    _m(
        "rtruediv-swapped",
        "swapped-reflected",
        "a, b = _constant(other), self.data\n",
        "b, a = _constant(other), self.data\n",
        "div",
        "c / x computed as x / c",
    ),
    _m(
        "rpow-swapped",
        "swapped-reflected",
        "out = _pow(c, self.data)\n",
        "out = _pow(self.data, c)\n",
        "pow",
        "c ** x computed as x ** c",
    ),
    # -- a wrong forward value -------------------------------------------------------------------
    _m(
        "log-base-10",
        "wrong-forward",
        "_node(math.log(x), (self,)",
        "_node(math.log10(x), (self,)",
        "log",
        "log computed as log10",
    ),
    _m(
        "sigmoid-negative-branch",
        "wrong-forward",
        "            s = e / (1.0 + e)\n",
        "            s = 1.0 / (1.0 + e)\n",
        "sigmoid",
        "sigmoid(x) for x < 0 computed as 1 / (1 + e**x)",
    ),
    # -- naive formulas that overflow ----------------------------------------------------------
    _m(
        "tanh-exp-raises",
        "overflow",
        "t = math.tanh(self.data)",
        "e = math.exp(2.0 * self.data)\n        t = (e - 1.0) / (e + 1.0)",
        "tanh",
        "tanh via math.exp(2x): OverflowError past x ~ 355",
    ),
    _m(
        "tanh-exp-nan",
        "overflow",
        "t = math.tanh(self.data)",
        "e = _exp(2.0 * self.data)\n        t = (e - 1.0) / (e + 1.0)",
        "tanh",
        "tanh via exp(2x) -> inf: nan past x ~ 355",
    ),
    _m(
        "sigmoid-one-branch",
        "overflow",
        "        if x >= 0.0:\n            s = 1.0 / (1.0 + math.exp(-x))\n"
        "        else:\n            e = math.exp(x)\n            s = e / (1.0 + e)\n",
        "        s = 1.0 / (1.0 + math.exp(-x))\n",
        "sigmoid",
        "sigmoid via 1/(1+math.exp(-x)): OverflowError past x ~ -710",
    ),
    _m(
        "exp-raises",
        "overflow",
        "out = _exp(self.data)",
        "out = math.exp(self.data)",
        "exp",
        "math.exp raises OverflowError past x ~ 709 instead of giving inf",
    ),
    # -- the derivative at a kink ----------------------------------------------------------------
    _m(
        "relu-kink-one",
        "kink-convention",
        "        if x <= 0.0:\n            return _node(0.0",
        "        if x < 0.0:\n            return _node(0.0",
        "relu",
        "relu'(0) = 1 (x >= 0 takes the linear branch)",
    ),
    # -- a constant exponent truncated to an int -----------------------------------------------
    _m(
        "pow-int-exponent",
        "truncated-exponent",
        "            c = _constant(other)\n            if x < 0.0 and not c.is_integer():",
        "            c = float(int(other))\n            if x < 0.0 and not c.is_integer():",
        "pow",
        "x ** 2.5 computed as x ** 2",
    ),
    _m(
        "pow-int-exponent-in-derivative",
        "truncated-exponent",
        "local = c * _pow(x, c - 1.0) if",
        "local = c * _pow(x, int(c) - 1.0) if",
        "pow",
        "d(x**c)/dx = c x**(int(c)-1)",
    ),
)


def engine_source() -> str:
    """The engine's source text as it is on disk."""
    return ENGINE_PATH.read_text(encoding="utf-8")


def mutant_source(mutant: Mutant, source: str | None = None) -> str:
    """The engine source with ``mutant`` applied.

    Raises :class:`MutantError` unless ``old`` occurs exactly once."""
    source = engine_source() if source is None else source
    count = source.count(mutant.old)
    if count != 1:
        raise MutantError(
            f"mutant {mutant.name!r}: old text occurs {count} times in {ENGINE_PATH.name}, "
            f"expected exactly once: {mutant.old!r}"
        )
    return source.replace(mutant.old, mutant.new)


def _exec_module(source: str, tag: str) -> type:
    name = "_gradtrio_mutant_" + re.sub(r"\W", "_", tag)
    code = compile(source, f"{ENGINE_PATH} [{tag}]", "exec")
    module = types.ModuleType(name)
    module.__file__ = str(ENGINE_PATH)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    finally:
        del sys.modules[name]
    cls = module.__dict__.get("Value")
    if not isinstance(cls, type):
        raise MutantError(f"{tag}: the engine source defines no class Value")
    return cls


def load_mutant(mutant: Mutant) -> type:
    """The ``Value`` class of the engine with ``mutant`` applied, in a fresh module object."""
    return _exec_module(mutant_source(mutant), mutant.name)


def load_original() -> type:
    """The unchanged engine's ``Value`` class, loaded the same way as a mutant."""
    return _exec_module(engine_source(), "original")


def _check_table() -> None:
    names = [m.name for m in MUTANTS]
    if len(set(names)) != len(names):
        raise MutantError("mutant names must be unique")
    for m in MUTANTS:
        if m.kind not in KINDS:
            raise MutantError(f"mutant {m.name!r}: kind={m.kind!r} is not one of {KINDS}")


_check_table()
