"""Blame on real micrograd: one bug planted in each primitive of micrograd 0.1.0's engine.

    python benchmarks/bench_blame_micrograd.py [--examples 300] [--seed 0] [--only NAME]

The installed ``micrograd.engine`` is read with ``inspect.getsource``; each mutant replaces one
exact text (present once) in memory and is executed into a fresh module, so the installed file is
never touched. The unchanged source, loaded the same way, runs first as a control.

micrograd builds ``-x``, ``x - y`` and ``x / y`` from ``__mul__``, ``__add__`` and ``__pow__``, so a
bug in ``__mul__`` shows through neg, sub and div nodes too: a blame is counted right only when it
names the planted primitive (or the traversal, for the loop's bug). ``__pow__`` only takes a number
exponent (it asserts so), which is micrograd's documented contract: the adapter's probe finds
that and checks pow in its ``x ** c`` form only.

Two tables: micrograd as published, where its ``**`` raises Python's float errors (d/dx x ** 0
at 0 is ``ZeroDivisionError``, an overflowing power ``OverflowError``) and that one crash can be
every engine's smallest failure; and the same with ``**`` first made to give IEEE/PyTorch results
there (control and mutants alike), which shows what the blame says about each planted bug.

For each engine: whether ``gradtrio.checks.search.run.run`` (``deep=0``) caught it, the kind of the
smallest shrunk failure, the op its blame names, whether that is the planted one, and seconds.
Exit status 1 when the patched control is flagged (the comparison would then mean nothing).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import time
import types
from dataclasses import dataclass

import micrograd.engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Culprit
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.search.run import run as run_harness


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` (present exactly once in micrograd's source) by ``new``."""

    name: str
    old: str
    new: str
    blame_ok: frozenset[str]  # blamed ops counted right: the primitive and the ops built on it
    note: str


def _m(name: str, old: str, new: str, blame_ok: str, note: str) -> Mutant:
    return Mutant(name, old, new, frozenset(blame_ok.split()), note)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "add-drops-out-grad",
        "            self.grad += out.grad\n",
        "            self.grad += 1\n",
        "add",
        "__add__: self.grad += 1, the chain-rule factor out.grad dropped",
    ),
    _m(
        "mul-wrong-partial",
        "            other.grad += self.data * out.grad\n",
        "            other.grad += other.data * out.grad\n",
        "mul",
        "__mul__: d(a*b)/db taken as b instead of a",
    ),
    _m(
        "mul-drops-out-grad",
        "            self.grad += other.data * out.grad\n",
        "            self.grad += other.data\n",
        "mul",
        "__mul__: self.grad += other.data, the chain-rule factor out.grad dropped",
    ),
    _m(
        "mul-squares-partial",
        "            self.grad += other.data * out.grad\n",
        "            self.grad += other.data * other.data * out.grad\n",
        "mul",
        "__mul__: d(a*b)/da taken as b*b instead of b",
    ),
    _m(
        "pow-drops-exponent",
        "self.grad += (other * ",
        "self.grad += (",
        "pow",
        "__pow__: d(x**c)/dx taken as x**(c-1), the factor c dropped",
    ),
    _m(
        "relu-ignores-mask",
        "self.grad += (out.data > 0) * out.grad",
        "self.grad += out.grad",
        "relu",
        "relu: passes the gradient through for negative inputs too",
    ),
    _m(
        "relu-kink-convention",
        "(out.data > 0)",
        "(self.data >= 0)",  # not out.data >= 0: out.data is 0 for every x <= 0
        "relu",
        "relu: relu'(0) = 1 instead of PyTorch's 0 (a convention, only at x = 0)",
    ),
    _m(
        "backward-wrong-order",
        "        for v in reversed(topo):\n",
        "        for v in topo:\n",
        "traversal backward",
        "backward: nodes visited inputs-first instead of output-first",
    ),
)


# micrograd's `**` keeps Python's float errors: d/dx x ** 0 at x = 0 is 0 * 0.0 ** -1, which
# raises ZeroDivisionError (PyTorch: 0), and (360 * 360) ** 64 raises OverflowError (PyTorch:
# inf). In a table of micrograd "as published" such a crash hides every planted bug, so a second
# table first makes `**` follow IEEE/PyTorch there, in the control and every mutant alike.
IEEE_POW = (
    ("out = Value(self.data**other,", "out = Value(_ieee_pow(self.data, other),"),
    (
        "            self.grad += (other * self.data**(other-1)) * out.grad\n",
        "            if other == 0:\n                return\n"
        "            self.grad += (other * _ieee_pow(self.data, other-1)) * out.grad\n",
    ),
)
IEEE_POW_HELPER = """
def _ieee_pow(x, c):
    try:
        return x ** c
    except ZeroDivisionError:
        return float("inf")
    except OverflowError:
        odd = float(c).is_integer() and c % 2 == 1
        return float("-inf") if odd and x < 0 else float("inf")
"""


def source(ieee_pow: bool = False) -> str:
    text = inspect.getsource(micrograd.engine)
    if not ieee_pow:
        return text
    for old, new in IEEE_POW:
        if text.count(old) != 1:
            raise SystemExit(f"micrograd's source has changed: {old.strip()!r} not found once")
        text = text.replace(old, new)
    return text + IEEE_POW_HELPER


def load(text: str, name: str) -> type:
    """Execute ``text`` into a fresh module (never ``micrograd.engine`` itself); its ``Value``."""
    module = types.ModuleType("micrograd_mutant_" + re.sub(r"\W", "_", name))
    exec(compile(text, f"<micrograd:{name}>", "exec"), module.__dict__)
    return module.Value


def mutate(mutant: Mutant, text: str) -> str:
    count = text.count(mutant.old)
    if count != 1:
        raise SystemExit(f"mutant {mutant.name}: its text occurs {count} times in micrograd")
    return text.replace(mutant.old, mutant.new)


def blamed_op(verdict: Verdict) -> str:
    """The op a verdict's blame names, or its culprit (backward, traversal) for a loop bug."""
    blame = verdict.blame
    if blame is None:
        return "(none)"
    return blame.op if blame.culprit is Culprit.OP and blame.op else blame.culprit.value


@dataclass
class Row:
    name: str
    caught: bool
    kind: str
    blamed: str
    blame_right: str  # "yes", "no" or "-" (nothing to blame)
    nodes: int | None
    seconds: float
    reason: str


def judge(value_cls: type, name: str, allowed: frozenset[str], examples: int, seed: int) -> Row:
    engine = ValueClassEngine.from_class(value_cls, spec=f"micrograd:{name}")
    start = time.perf_counter()
    result = run_harness(engine, examples=examples, run_seed=seed, deep=0, progress=False)
    seconds = time.perf_counter() - start
    if not result.failures:
        return Row(name, False, "", "", "-", None, seconds, "")
    # The most severe finding first (a bug over a warning), then the smallest.
    smallest = min(
        result.failures,
        key=lambda v: (v.severity.rank if v.severity else 3, len(v.expression.nodes)),
    )
    blamed = blamed_op(smallest)
    reason = smallest.blame.reason if smallest.blame else smallest.reason
    right = "yes" if blamed in allowed else "no" if allowed else "-"
    return Row(
        name,
        True,
        f"{smallest.kind.value} ({smallest.severity.value})" if smallest.kind else "",
        blamed,
        right,
        len(smallest.expression.nodes),
        seconds,
        reason.splitlines()[0][:70],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="run the control and this mutant only")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.only in (None, m.name)]
    if not mutants:
        parser.error(f"no mutant {args.only!r}; known: {', '.join(m.name for m in MUTANTS)}")
    print(f"examples={args.examples}, seed={args.seed}, deep=0; Python {sys.version.split()[0]}")
    control_clean = True
    for ieee, title in (
        (False, "as published"),
        (True, "with IEEE results in ** patched in first"),
    ):
        text = source(ieee)
        rows = [judge(load(text, "original"), "original", frozenset(), args.examples, args.seed)]
        for mutant in mutants:
            cls = load(mutate(mutant, text), mutant.name)
            rows.append(judge(cls, mutant.name, mutant.blame_ok, args.examples, args.seed))
        print(f"\nmicrograd 0.1.0 {title}")
        table(rows)
        control_clean = control_clean and (not ieee or not rows[0].caught)
    notes = {m.name: m.note for m in MUTANTS}
    for mutant in mutants:
        print(f"  {mutant.name}: {notes[mutant.name]}")
    return 0 if control_clean else 1


def table(rows: list[Row]) -> None:
    header = f"{'mutant':<22} {'caught':<6} {'kind':<10} {'blamed':<10} {'right':<5} "
    print(header + f"{'nodes':>5} {'s':>6}  blame reason")
    for r in rows:
        nodes = "" if r.nodes is None else str(r.nodes)
        print(
            f"{r.name:<22} {'yes' if r.caught else 'no':<6} {r.kind:<10} {r.blamed:<10} "
            f"{r.blame_right:<5} {nodes:>5} {r.seconds:>6.1f}  {r.reason}"
        )


if __name__ == "__main__":
    sys.exit(main())
