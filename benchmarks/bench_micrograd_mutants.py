"""Mutants of micrograd's ``engine.py`` by mutation tools: gradtrio against micrograd's two tests.

    python benchmarks/bench_micrograd_mutants.py [--tool mutmut|cosmic-ray|both] [--only ID]
        [--limit N] [--seed S] [--examples N] [--budget SECONDS] [--fixed-timeout SECONDS]
        [--fixed-repeats N] [--list]

The mutants come from mutmut (3.x; written against 3.8.1, the version in use is printed) and,
with ``--tool cosmic-ray`` or ``both``, from cosmic-ray (8.x; 8.7.0), each from its own mutation
operators, called as a library on the source of the installed ``micrograd/engine.py`` (micrograd
0.1.0); neither tool's command line, project copy or test runner is used.

* mutmut: its ``MutationVisitor`` with its ``mutation_operators`` and its ``get_ignored_lines``,
  which is what ``mutmut.mutation.file_mutation.create_mutations`` does (each operator is wrapped
  only to record its name). Each mutation (a libcst node and its replacement) is applied to the
  module with mutmut's ``deep_replace``, as mutmut does to the copy of the function it puts
  behind its trampoline. Named as mutmut names them (``xǁValueǁ__add____mutmut_3``: the method
  and the mutant's number within it), with a short id ``m001``... in mutmut's order. mutmut
  reads its configuration from the working directory, so it is read once in a temporary folder
  holding only a ``setup.cfg`` that names an empty ``engine.py`` (mutmut's defaults otherwise:
  no ``do_not_mutate_patterns``).
* cosmic-ray: every operator its plugin registry lists that takes no arguments (as ``cosmic-ray
  init`` does without operator settings), each occurrence, by ``cosmic_ray.mutating.mutate_code``;
  named ``core/NumberReplacer #4`` (operator and occurrence), short id ``c001``...

Not every mutant is kept. Dropped, and counted:

* stillborn: the mutated module does not compile, does not execute, or defines no ``Value``
  (no test could run on it; the tools call these incompetent);
* equivalent: the mutant's syntax tree equals the original's once the parts of micrograd that no
  value or gradient can show are set aside, namely docstrings, ``__repr__``, an ``assert``'s
  message (the assertion fails or not as before), the ``_op`` label (the third argument of
  ``Value(...)``, the ``_op`` parameter's default and what ``self._op`` is set to: only a
  graphviz drawing reads it, never the engine, which this script checks on the source), and
  the constant a ``_backward = lambda: <constant>`` returns (every call of ``_backward`` is a
  statement, its result thrown away: also checked on the source). The rule is syntactic: a
  mutant equivalent only by arithmetic (``self * -1`` -> ``self / -1``) is kept;
* duplicate: the same normalised tree as an earlier kept mutant (mutmut's come first).

With micrograd 0.1.0: mutmut 3.8.1 makes 113 mutants, 18 of them equivalent, 95 kept;
cosmic-ray 8.7.0 adds 264 (209 of them binary-operator swaps), 3 stillborn and 35 duplicates of
earlier ones, so ``both`` keeps 321.

Each kept mutant is compiled and executed in memory as a module of its own (the installed
package is never written to), and its ``Value`` class is checked twice:

* fixed tests: micrograd's ``test/test_engine.py`` (``test_sanity_check`` at x = -4 and
  ``test_more_ops`` at a = -4, b = 2), as ``baselines.fixed_tests``: compared with PyTorch
  float64 at tolerance 1e-6; killed if either fails, raises, or runs past ``--fixed-timeout``.
  micrograd keeps a node's children in a ``set``, visited in the order of their hashes, which
  are their addresses: where a mutant overwrites a gradient instead of adding to it, the same
  test passes or fails from run to run. So the tests run ``--fixed-repeats`` times (objects
  allocated in between move the nodes), killed if any run fails, "flaky k/N" if only some do;
* gradtrio: ``ValueClassEngine.from_class`` and ``run(engine, progress=False)`` with the command
  line's defaults (``--examples`` cases, 2 deep chains, ``--seed``), in this process, with the
  search bounded by ``--budget`` seconds (and the engine's own per-case time limit). Killed
  means the run does not pass (the command line's exit code 1). Also recorded: a run that passes
  with findings (precision or warning only: killed under ``--strict`` only; the unchanged engine
  has such a warning too, so those with a finding the unchanged engine does not get are counted
  apart), an engine that cannot be loaded at all (exit 2) and a run that raises (exit 3).

The unchanged engine, loaded the same way, runs first as a control: neither check may kill it.
Fixed seeds: the figures are the same run to run unless a run reaches its time budget. On the
2-core machine: about 2.5 minutes for mutmut's 95, about 9.5 for ``both``'s 321.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import difflib
import importlib.metadata
import linecache
import os
import signal
import statistics
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _measure import machine
from baselines import fixed_tests
from gradtrio.checks.defaults import DEFAULT_DEEP, DEFAULT_EXAMPLES
from gradtrio.checks.engines.loading import LoadError
from gradtrio.checks.engines.protocol import LimitationKind
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.search.hypothesis_search import finding_key
from gradtrio.checks.search.run import RunResult
from gradtrio.checks.search.run import run as run_harness

SPEC = "micrograd.engine:Value"

# -- the source --------------------------------------------------------------------------------


def micrograd_source() -> tuple[Path, str]:
    import micrograd.engine

    path = Path(micrograd.engine.__file__)
    return path, path.read_text(encoding="utf-8")


# -- the mutants ---------------------------------------------------------------------------------

TOOLS = ("mutmut", "cosmic-ray")


@dataclass
class Candidate:
    """One mutation a tool makes: its names, where, and the whole mutated source."""

    tool: str  # mutmut | cosmic-ray
    number: int  # in the tool's order, from 1
    name: str  # the tool's: xǁValueǁ__add____mutmut_3, core/NumberReplacer #4
    operator: str  # the operator that made it
    line: int
    source: str
    change: str  # the changed line, before -> after, cut to the change and some context

    @property
    def id(self) -> str:
        return f"{self.tool[0]}{self.number:03d}"

    @property
    def mutation(self) -> str:
        operator = self.operator.removeprefix("operator_").removeprefix("core/")
        return f"L{self.line} {operator}: {self.change}"


def _change(original: str, mutated: str, context: int = 10) -> tuple[int, str]:
    """The first changed line of ``original`` (from 1), and before -> after, each cut to the
    changed part with ``context`` characters either side."""
    a_lines, b_lines = original.splitlines(), mutated.splitlines()
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    op = next((op for op in matcher.get_opcodes() if op[0] != "equal"), None)
    if op is None:
        return 0, "(no change in the text)"
    a = " ".join(a_lines[op[1] : op[2]]).strip()
    b = " ".join(b_lines[op[3] : op[4]]).strip()
    a, b = _one_line(a.split("#")[0]), _one_line(b.split("#")[0])
    if len(a) <= 48 and len(b) <= 48:
        return op[1] + 1, f"{a} -> {b}"
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    q = 0
    while q < min(len(a), len(b)) - p and a[-1 - q] == b[-1 - q]:
        q += 1

    def cut(text: str) -> str:
        start, end = max(0, p - context), min(len(text), len(text) - q + context)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")

    return op[1] + 1, f"{_clip(cut(a), 40)} -> {_clip(cut(b), 40)}"


def _one_line(code: str) -> str:
    return " ".join(code.split())


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@contextlib.contextmanager
def _mutmut_config() -> Iterator[None]:
    """mutmut's configuration, read once in a temporary folder whose ``setup.cfg`` names an
    empty ``engine.py`` (mutmut insists on paths to mutate); its defaults otherwise."""
    import mutmut.configuration

    mutmut.configuration.reset_config()
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "engine"
        folder.mkdir()
        (folder / "setup.cfg").write_text("[mutmut]\nsource_paths = engine.py\n")
        (folder / "engine.py").write_text("")
        os.chdir(folder)
        try:
            mutmut.configuration.config()
        finally:
            os.chdir(here)
    yield


def mutmut_mutants(source: str, filename: str) -> list[Candidate]:
    """Every mutant mutmut's operators make of ``source``, in mutmut's order."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider
    from mutmut.mutation.file_mutation import MutationVisitor, deep_replace
    from mutmut.mutation.mutators import mutation_operators
    from mutmut.mutation.pragma_handling import get_ignored_lines
    from mutmut.mutation.trampoline_templates import mangle_function_name

    made_by: dict[int, tuple[str, Any]] = {}

    def tagged(operator: Any) -> Any:
        def run(node: Any) -> Iterator[Any]:
            for new in operator(node):
                made_by[id(new)] = (operator.__name__, new)  # the node kept alive: ids stay unique
                yield new

        return run

    with _mutmut_config():
        wrapper = MetadataWrapper(cst.parse_module(source))
        ignored = get_ignored_lines(filename, source, wrapper)
        visitor = MutationVisitor([(t, tagged(op)) for t, op in mutation_operators], ignored)
        module = wrapper.visit(visitor)
    positions = wrapper.resolve(PositionProvider)

    # mutmut's names: the function, mangled with its class, and the mutant's number within it.
    mangled: dict[Any, str] = {}
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            mangled[statement] = mangle_function_name(name=statement.name.value, class_name=None)
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for method in statement.body.body:
                if isinstance(method, cst.FunctionDef):
                    mangled[method] = mangle_function_name(
                        name=method.name.value, class_name=statement.name.value
                    )
    within: Counter[Any] = Counter()
    out: list[Candidate] = []
    for mutation in visitor.mutations:
        function = mutation.contained_by_top_level_function
        if function is None:  # mutmut mutates only inside functions and methods
            continue
        within[function] += 1
        operator, _ = made_by[id(mutation.mutated_node)]
        mutated = deep_replace(module, mutation.original_node, mutation.mutated_node).code  # type: ignore[union-attr]
        out.append(
            Candidate(
                tool="mutmut",
                number=len(out) + 1,
                name=f"{mangled[function]}__mutmut_{within[function]}",
                operator=operator,
                line=positions[mutation.original_node].start.line,
                source=mutated,
                change=_change(source, mutated)[1],
            )
        )
    return out


def cosmic_ray_mutants(source: str) -> list[Candidate]:
    """Every mutant cosmic-ray's operators make of ``source``: each operator that takes no
    arguments (as ``cosmic-ray init`` does without operator settings), each occurrence, by
    ``cosmic_ray.mutating.mutate_code``."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    out: list[Candidate] = []
    for name in sorted(cosmic_ray.plugins.operator_names()):
        operator_class = cosmic_ray.plugins.get_operator(name)
        if operator_class.arguments():
            continue
        operator = operator_class()
        occurrence = 0
        while (mutated := mutate_code(source, operator, occurrence)) is not None:
            line, change = _change(source, mutated)
            out.append(
                Candidate(
                    "cosmic-ray", len(out) + 1, f"{name} #{occurrence}", name, line, mutated, change
                )
            )
            occurrence += 1
    return out


# -- what no value or gradient can show ------------------------------------------------------------


def _unread_op_label(tree: ast.Module) -> bool:
    """True when nothing outside ``__repr__`` reads ``._op`` (micrograd: only graphviz does)."""
    reads = [
        node
        for node in ast.walk(_without_repr(tree))
        if isinstance(node, ast.Attribute) and node.attr == "_op" and isinstance(node.ctx, ast.Load)
    ]
    return not reads


def _backward_results_unused(tree: ast.Module) -> bool:
    """True when every call of ``._backward()`` is a statement of its own (its result unused)."""
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_backward"
    ]
    statements = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    }
    return all(id(call) in statements for call in calls)


def _without_repr(tree: ast.Module) -> ast.Module:
    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = [
                s
                for s in node.body
                if not (isinstance(s, ast.FunctionDef) and s.name == "__repr__")
            ]
    return tree


class _Unobservable(ast.NodeTransformer):
    """Sets aside what no value or gradient shows (see the module docstring)."""

    def __init__(self, op_label: bool, backward_result: bool) -> None:
        self.op_label = op_label
        self.backward_result = backward_result

    @staticmethod
    def _drop_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
        first = body[0] if body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            return body[1:] or [ast.Pass()]
        return body

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = self._drop_docstring(node.body)
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = [
            s
            for s in self._drop_docstring(node.body)
            if not (isinstance(s, ast.FunctionDef) and s.name == "__repr__")
        ] or [ast.Pass()]
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.body = self._drop_docstring(node.body)
        if self.op_label and node.name == "__init__":
            args = node.args.args
            defaults = node.args.defaults
            for arg, k in zip(args[len(args) - len(defaults) :], range(len(defaults)), strict=True):
                if arg.arg == "_op":
                    defaults[k] = ast.Constant(None)
        return self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        node.msg = None
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if self.op_label and isinstance(node.func, ast.Name) and node.func.id == "Value":
            node.args = node.args[:2]
            node.keywords = [k for k in node.keywords if k.arg != "_op"]
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Attribute):
            if self.op_label and target.attr == "_op":
                node.value = ast.Constant(None)
            elif (
                self.backward_result
                and target.attr == "_backward"
                and isinstance(node.value, ast.Lambda)
                and isinstance(node.value.body, ast.Constant)
            ):
                node.value.body = ast.Constant(None)
        return self.generic_visit(node)


@dataclass(frozen=True)
class Normaliser:
    """The observable part of a source, as one string; the rules it may apply are decided once,
    on the original source."""

    op_label: bool
    backward_result: bool

    @classmethod
    def of(cls, original: str) -> Normaliser:
        tree = ast.parse(original)
        return cls(_unread_op_label(tree), _backward_results_unused(tree))

    def __call__(self, source: str) -> str:
        tree = _Unobservable(self.op_label, self.backward_result).visit(ast.parse(source))
        return ast.dump(tree, annotate_fields=False)


# -- loading in memory ---------------------------------------------------------------------------


class Stillborn(Exception):
    """The mutated module does not compile, does not execute, or has no class Value."""


def load_value_class(source: str, tag: str) -> type:
    """``Value`` of ``source`` executed as a fresh module (its lines known to tracebacks)."""
    filename = f"<micrograd/engine.py [{tag}]>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        raise Stillborn(f"does not compile: {exc}") from None
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    name = f"_micrograd_engine_{tag}"
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        raise Stillborn(f"raises on import: {type(exc).__name__}: {exc}") from None
    finally:
        del sys.modules[name]
    cls = module.__dict__.get("Value")
    if not isinstance(cls, type):
        raise Stillborn("defines no class Value")
    return cls


# -- the two checks ------------------------------------------------------------------------------


class _FixedTimeout(Exception):
    pass


@dataclass
class Fixed:
    failed: int  # of the repeats: a test failed, raised or timed out
    repeats: int
    seconds: float
    timed_out: bool = False

    @property
    def killed(self) -> bool:
        return self.failed > 0

    @property
    def flaky(self) -> bool:
        return 0 < self.failed < self.repeats

    @property
    def text(self) -> str:
        if self.flaky:
            return f"flaky {self.failed}/{self.repeats}"
        return "killed" if self.killed else "survived"


def run_fixed_tests(value_cls: type, timeout: float, repeats: int) -> Fixed:
    """micrograd's two tests ``repeats`` times, with objects allocated in between so that the
    nodes land at other addresses (micrograd's ``set(_children)`` is visited in the order of
    their hashes, which are their addresses), stopping at a timeout."""
    failed = 0
    start = time.perf_counter()
    padding: list[list[object]] = []
    for k in range(repeats):
        once = _fixed_once(value_cls, timeout)
        failed += once.failed
        if once.timed_out:  # a hang does not get better when repeated
            return Fixed(failed, k + 1, time.perf_counter() - start, True)
        padding.append([object() for _ in range(7 * k + 1)])
    return Fixed(failed, repeats, time.perf_counter() - start)


def _fixed_once(value_cls: type, timeout: float) -> Fixed:
    """micrograd's two tests once, within ``timeout`` seconds (past it: killed, by timeout)."""
    fired = False

    def expire(signum: int, frame: Any) -> None:
        nonlocal fired
        fired = True
        raise _FixedTimeout(f"past {timeout:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        killed = fixed_tests(value_cls)  # a raise inside, the timeout's too, is a kill
    except _FixedTimeout:
        killed = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Fixed(int(killed or fired), 1, time.perf_counter() - start, fired)


@dataclass
class Harness:
    """What a default gradtrio run made of one engine."""

    status: str  # bug | undecided (both exit 1) | warning-only | no | load error | harness error
    seconds: float
    examples: int = 0
    failures: tuple[Verdict, ...] = ()  # every finding, minimised
    failing: tuple[Verdict, ...] = ()  # those that fail the run
    limitations: tuple[str, ...] = ()
    cut_short: bool = False
    error: str = ""
    wraps_constants: bool = False  # x + 2.0 failed when probed: every constant goes in as Value
    ops: tuple[str, ...] = ()  # the op forms the engine was found to have

    @property
    def killed(self) -> bool:
        """The run does not pass: the command line's exit code 1."""
        return self.status in ("bug", "undecided")


def _worst(verdicts: tuple[Verdict, ...]) -> Verdict | None:
    """The most severe finding first (a bug over a warning), then the smallest."""
    if not verdicts:
        return None
    return min(
        verdicts, key=lambda v: (v.severity.rank if v.severity else 3, len(v.expression.nodes))
    )


def run_gradtrio(value_cls: type, tag: str, args: argparse.Namespace) -> Harness:
    start = time.perf_counter()
    try:
        engine = ValueClassEngine.from_class(value_cls, spec=f"{SPEC} [{tag}]")
    except LoadError as exc:
        return Harness("load error", time.perf_counter() - start, error=_first_line(exc))
    except Exception as exc:
        return Harness("harness error", time.perf_counter() - start, error=_first_line(exc))
    try:
        result: RunResult = run_harness(
            engine,
            examples=args.examples,
            run_seed=args.seed,
            deep=DEFAULT_DEEP,
            progress=False,
            budget=args.budget,
        )
    except Exception as exc:  # a harness bug: recorded, the benchmark goes on
        return Harness("harness error", time.perf_counter() - start, error=_first_line(exc))
    seconds = time.perf_counter() - start
    if result.failing:
        status = "bug"
    elif not result.passed:  # too many undecided cases: the run fails without a finding
        status = "undecided"
    else:
        status = "warning-only" if result.failures else "no"
    return Harness(
        status,
        seconds,
        result.examples,
        tuple(result.failures),
        tuple(result.failing),
        tuple(lim.text for lim in result.limitations),
        bool(result.search.cut_short),
        f"{result.undecided} undecided cases of {result.examples}" if status == "undecided" else "",
        engine.wrap_constants,
        tuple(f"{op} ({form})" for op, forms in sorted(engine.ops.items()) for form in forms),
    )


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


# -- the report ----------------------------------------------------------------------------------


@dataclass
class Row:
    candidate: Candidate | None  # None: the unchanged engine
    fixed: Fixed
    harness: Harness
    new_limitations: tuple[str, ...] = ()  # limitations the unchanged engine's run does not have
    new_findings: tuple[Verdict, ...] = ()  # findings unlike any of the unchanged engine's run
    wraps_constants: bool = False  # constants wrapped here, not for the unchanged engine
    lost_ops: tuple[str, ...] = ()  # op forms the unchanged engine has and this one not

    @classmethod
    def compared(cls, candidate: Candidate, fixed: Fixed, h: Harness, control: Harness) -> Row:
        known = {finding_key(v) for v in control.failures}
        loaded = h.status not in ("load error", "harness error")
        return cls(
            candidate,
            fixed,
            h,
            tuple(t for t in h.limitations if t not in control.limitations),
            tuple(v for v in h.failures if finding_key(v) not in known),
            h.wraps_constants and not control.wraps_constants,
            tuple(op for op in control.ops if op not in h.ops) if loaded else (),
        )

    @property
    def shown(self) -> tuple[Verdict | None, bool]:
        """The finding to show, and whether the unchanged engine's run has one like it: one
        that fails the run, else a new one, else one the unchanged engine's run has too."""
        h = self.harness
        first = _worst(h.failing) or _worst(self.new_findings)
        return (first, False) if first else (_worst(h.failures), True)

    @property
    def id(self) -> str:
        return self.candidate.id if self.candidate else "control"


def _blame_label(verdict: Verdict) -> str:
    blame = verdict.blame
    if blame is None:
        return "-"
    return blame.label()


def finding_text(row: Row, width: int = 110) -> str:
    h = row.harness
    if h.status in ("load error", "harness error"):
        return _clip(h.error, width)
    if h.error:
        return _clip(h.error, width)
    v, as_unchanged = row.shown
    notes = []
    if v is not None and not as_unchanged:
        notes.append(_verdict_text(v))
    if row.wraps_constants:
        notes.append("x + 2.0 fails when probed: every constant wrapped in Value")
    if row.lost_ops:
        notes.append(f"not checked: {', '.join(row.lost_ops)}")
    if v is not None and as_unchanged and not notes:
        notes.append(f"as the unchanged engine: {_verdict_text(v)}")
    return _clip("; ".join(notes), width) if notes else "-"


def _verdict_text(v: Verdict) -> str:
    kind = v.kind.value if v.kind else "?"
    severity = v.severity.value if v.severity else "?"
    return f"{kind} ({severity}), blame {_blame_label(v)}: {_one_line(v.reason)}"


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    header = ["id", "mutation (line, the tool's operator)", "fixed", "gradtrio", "s", "finding"]
    cells = [header]
    for r in rows:
        mutation = r.candidate.mutation if r.candidate else "(unchanged engine)"
        status = r.harness.status
        if status == "warning-only" and r.new_findings and r.candidate:
            status += "+"  # a finding of its own, not only the unchanged engine's
        if r.harness.cut_short:
            status += " (cut)"
        cells.append(
            [
                r.id,
                mutation,
                r.fixed.text,
                status,
                f"{r.harness.seconds:.1f}",
                finding_text(r),
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(header) - 1)]
    for j, line in enumerate(cells):
        text = "  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True))
        print(f"{text}  {line[-1]}".rstrip(), file=out)
        if j == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 7, file=out)


def miss_cause(row: Row) -> str:
    """The group a mutant that gradtrio does not kill is listed under, from what the run said."""
    h = row.harness
    if h.status == "load error":
        return "the engine does not load: Value(1.5) unusable (exit 2, no finding)"
    if h.status == "harness error":
        return "the harness raised (exit 3)"
    for kind, what in (
        (LimitationKind.RECURSION, "RecursionError"),
        (LimitationKind.HANG, "a hang"),
    ):
        limited = [v for v in row.new_findings if v.limitation and v.limitation.kind is kind]
        if limited:
            return f"{what} on a small graph counted as a limitation (warning), the run passes"
    if row.wraps_constants and not any(op.endswith("(nodes)") for op in row.lost_ops):
        return (
            "only the plain-number operand breaks (x + 2.0 raises): probed, so every constant "
            "goes in wrapped in Value and the broken path is never called"
        )
    if row.lost_ops:
        return "an op (or one operand form of it) raises on every call: listed 'not checked'"
    if row.new_findings:
        v = _worst(row.new_findings)
        assert v is not None and v.severity is not None and v.kind is not None
        return f"a {v.severity.value}-only finding ({v.kind.value}), the run passes"
    if h.failures:
        return "passes with the unchanged engine's warning only: nothing new found"
    return "passes: nothing found"


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f}%)" if total else "0/0"


def print_summary(
    rows: list[Row], counts: dict[str, int], dropped: dict[str, list[str]], out: Any = sys.stdout
) -> None:
    n = len(rows)
    fixed = [r for r in rows if r.fixed.killed]
    bug = [r for r in rows if r.harness.killed]
    warn = [r for r in rows if r.harness.status == "warning-only"]
    warn_new = [r for r in warn if r.new_findings]
    errors = [r for r in rows if r.harness.status in ("load error", "harness error")]
    nonzero = [r for r in rows if r.harness.killed or r.harness.status != "no"]
    own = [r for r in rows if r.harness.killed or r.new_findings or r in errors]
    print("\nmutants", file=out)
    made = " + ".join(f"{tool} {counts[tool]}" for tool in TOOLS if counts[tool])
    print(
        f"  generated {counts['generated']} ({made}); dropped: stillborn {counts['stillborn']}, "
        f"equivalent {counts['equivalent']}, duplicate {counts['duplicate']}; "
        f"observable {counts['observable']}; checked here {n}",
        file=out,
    )
    for why, ids in dropped.items():
        if ids:
            print(f"  {why}: {', '.join(ids)}", file=out)
    print("\nkills", file=out)
    flaky = [r.id for r in rows if r.fixed.flaky]
    print(
        f"  fixed tests                         {_rate(len(fixed), n)}"
        + (f" (failing in some runs only: {', '.join(flaky)})" if flaky else ""),
        file=out,
    )
    print(f"  gradtrio, the run fails (exit 1)    {_rate(len(bug), n)}", file=out)
    print(
        f"  gradtrio, passes with findings      {len(warn)} (killed under --strict only; "
        f"{len(warn_new)} with a finding the unchanged engine's run does not have)",
        file=out,
    )
    print(f"  gradtrio, engine not loaded/raised  {len(errors)} (exit 2 or 3)", file=out)
    print(
        f"  gradtrio, any exit but 0 under --strict {_rate(len(nonzero), n)}, but the unchanged "
        f"engine's warning fails it there too; exit but 0 with a finding of its own (or not "
        f"loaded) {_rate(len(own), n)}",
        file=out,
    )
    both = [r for r in rows if r.fixed.killed and r.harness.killed]
    only_fixed = [r for r in rows if r.fixed.killed and not r.harness.killed]
    only_gradtrio = [r for r in rows if r.harness.killed and not r.fixed.killed]
    neither = [r for r in rows if not r.fixed.killed and not r.harness.killed]
    print(
        f"  both {len(both)}, fixed tests only {len(only_fixed)}, gradtrio only "
        f"{len(only_gradtrio)}, neither {len(neither)}",
        file=out,
    )

    print(
        f"\nkilled by the fixed tests, not by gradtrio ({len(only_fixed)}), grouped by what the "
        f"run said",
        file=out,
    )
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in only_fixed:
        groups[miss_cause(r)].append(r)
    for cause, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"  {cause}: {len(group)}", file=out)
        for r in group:
            assert r.candidate is not None
            print(f"    {r.id} {r.candidate.mutation}", file=out)
            print(f"         {finding_text(r, 150)}", file=out)
    if only_gradtrio:
        print(f"\nkilled by gradtrio, not by the fixed tests ({len(only_gradtrio)})", file=out)
        for r in only_gradtrio:
            assert r.candidate is not None
            print(f"  {r.id} {r.candidate.mutation}", file=out)
            print(f"       {finding_text(r, 150)}", file=out)
    if neither:
        print(f"\nkilled by neither ({len(neither)})", file=out)
        for r in neither:
            assert r.candidate is not None
            print(f"  {r.id} {r.candidate.mutation}: gradtrio {r.harness.status}", file=out)
            print(f"       {miss_cause(r)}", file=out)

    times = [r.harness.seconds for r in rows]
    if times:
        cut = sum(r.harness.cut_short for r in rows)
        print(
            f"\ngradtrio time per mutant: median {statistics.median(times):.1f} s, "
            f"max {max(times):.1f} s, total {sum(times):.0f} s; "
            f"{cut} run(s) reached the time budget; "
            f"fixed tests total {sum(r.fixed.seconds for r in rows):.1f} s "
            f"({sum(r.fixed.timed_out for r in rows)} timed out)",
            file=out,
        )


# -- main ----------------------------------------------------------------------------------------


def select(
    candidates: list[Candidate], normalise: Normaliser, original: str
) -> tuple[list[tuple[Candidate, type]], dict[str, int], dict[str, list[str]]]:
    """The observable mutants, loaded; the counts and the ids of those dropped."""
    base = normalise(original)
    seen: set[str] = set()
    kept: list[tuple[Candidate, type]] = []
    dropped: dict[str, list[str]] = {"stillborn": [], "equivalent": [], "duplicate": []}
    for c in candidates:
        try:
            cls = load_value_class(c.source, c.id)
        except Stillborn:
            dropped["stillborn"].append(c.id)
            continue
        key = normalise(c.source)
        if key == base:
            dropped["equivalent"].append(c.id)
            continue
        if key in seen:
            dropped["duplicate"].append(c.id)
            continue
        seen.add(key)
        kept.append((c, cls))
    counts = {"generated": len(candidates), "observable": len(kept)}
    counts |= {why: len(ids) for why, ids in dropped.items()}
    for tool in TOOLS:
        counts[tool] = sum(c.tool == tool for c in candidates)
    return kept, counts, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tool",
        choices=(*TOOLS, "both"),
        default="mutmut",
        help="whose mutation operators (default mutmut; cosmic-ray must be "
        "installed for the others)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ID",
        help="only this mutant: m042, c017 or the tool's name (repeatable)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="only the first N observable mutants"
    )
    parser.add_argument("--seed", type=int, default=0, help="gradtrio's run seed (default 0)")
    parser.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"cases per gradtrio run (default {DEFAULT_EXAMPLES})",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds a gradtrio run may search, and shrink after (default 60)",
    )
    parser.add_argument(
        "--fixed-timeout",
        type=float,
        default=30.0,
        help="seconds the fixed tests may take on one mutant (default 30)",
    )
    parser.add_argument(
        "--fixed-repeats",
        type=int,
        default=10,
        help="runs of the fixed tests per mutant, killed if any fails (default 10)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the mutants and what was dropped, run nothing"
    )
    args = parser.parse_args(argv)

    wall = time.perf_counter()
    path, original = micrograd_source()
    candidates: list[Candidate] = []
    if args.tool in ("mutmut", "both"):
        candidates += mutmut_mutants(original, path.name)
    if args.tool in ("cosmic-ray", "both"):
        try:
            candidates += cosmic_ray_mutants(original)
        except ImportError as exc:
            parser.error(f"--tool {args.tool}: cosmic-ray is not installed ({exc})")
    normalise = Normaliser.of(original)
    kept, counts, dropped = select(candidates, normalise, original)
    generation = time.perf_counter() - wall

    if args.only:
        known = {c.id for c, _ in kept} | {c.name for c, _ in kept}
        everything = {c.id for c in candidates} | {c.name for c in candidates}
        for wanted in args.only:
            if wanted not in known:
                why = "dropped (not observable)" if wanted in everything else "no such mutant"
                parser.error(f"--only {wanted!r}: {why}")
        kept = [(c, cls) for c, cls in kept if c.id in args.only or c.name in args.only]
    if args.limit is not None:
        kept = kept[: args.limit]

    print(f"machine: {machine()}")
    made = ", ".join(
        f"{tool} {importlib.metadata.version(tool)}: {counts[tool]}"
        for tool in TOOLS
        if counts[tool]
    )
    print(
        f"mutants of {path} (micrograd {importlib.metadata.version('micrograd')}) by {made}; "
        f"made and sorted in {generation:.1f} s"
    )
    print(
        f"rules set aside: docstrings, __repr__, assert messages"
        f"{', the _op label' if normalise.op_label else ''}"
        f"{', _backward lambdas constant results' if normalise.backward_result else ''}"
    )
    print(
        f"gradtrio: run(examples={args.examples}, run_seed={args.seed}, deep={DEFAULT_DEEP}, "
        f"budget={args.budget:g} s), in process; fixed tests: micrograd's two, tol 1e-6, "
        f"{args.fixed_repeats} runs, timeout {args.fixed_timeout:g} s\n"
    )
    if args.list:
        for c in candidates:
            state = next((why for why, ids in dropped.items() if c.id in ids), "kept")
            print(f"{c.id}  {c.name:<40} {state:<10} {c.mutation}")
        return 0

    control_cls = load_value_class(original, "original")
    control_harness = run_gradtrio(control_cls, "original", args)
    control = Row(
        None,
        run_fixed_tests(control_cls, args.fixed_timeout, args.fixed_repeats),
        control_harness,
        new_findings=control_harness.failures,  # shown as its own
    )
    print(
        f"  control: gradtrio {control.harness.status} in {control.harness.seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )

    rows: list[Row] = []
    for k, (c, cls) in enumerate(kept, start=1):
        fixed = run_fixed_tests(cls, args.fixed_timeout, args.fixed_repeats)
        harness = run_gradtrio(cls, c.id, args)
        rows.append(Row.compared(c, fixed, harness, control.harness))
        print(
            f"  [{k}/{len(kept)}] {c.id}: fixed {fixed.text}, "
            f"gradtrio {harness.status} in {harness.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )

    print_table([control, *rows])
    print_summary(rows, counts, dropped)
    print(f"\nthe unchanged engine's op forms: {', '.join(control.harness.ops)}")
    for text in control.harness.limitations:
        print(f"the unchanged engine's limitation: {text}")
    if control.fixed.killed or control.harness.status != "no":
        print(
            f"\nthe unchanged engine: fixed tests {'KILLED' if control.fixed.killed else 'pass'}, "
            f"gradtrio {control.harness.status}: {finding_text(control, 200)}"
        )
    print(f"\ntotal {time.perf_counter() - wall:.0f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
