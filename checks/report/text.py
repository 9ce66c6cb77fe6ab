"""Readable reports for failing verdicts: what was computed, by whom, how it differs, who is to
blame, and a snippet that reproduces it."""

from __future__ import annotations

from gradtrio.checks.defaults import DEFAULT_ENGINE
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import Verdict
from gradtrio.checks.oracles.finite_differences import FDEstimate
from gradtrio.strategies.expression import Expression

__all__ = [
    "directional_fd",
    "example_line",
    "expression_lines",
    "expression_text",
    "format_verdict",
    "number_text",
    "oracle_table",
    "reproducer",
    "symbolic_gradients",
]

SYMBOLIC_MAX_NODES = 8
SHOWN_NODES = 40
"""Expressions with more op nodes are abbreviated in the report (the reproducer stays whole)."""


def reproducer(verdict: Verdict, *, engine: Engine | None = None) -> str:
    """Standalone Python source replaying the case on ``engine`` (default: this project's
    engine) in the engine's own API, printing its output value and input gradients."""
    if engine is None:
        return verdict.expression.to_python(verdict.point)
    return engine.reproducer(verdict.expression, verdict.point)


def example_line(verdict: Verdict) -> str:
    """A line to paste above a ``@given(cases())`` test so this case is always tried first (the
    test module imports ``example`` from hypothesis and ``Case, Expression, Rules`` from
    ``gradtrio.strategies``); rules other than the defaults are spelled out."""
    case = verdict.case
    changes = case.rules.changes()
    rules = (
        ", Rules(" + ", ".join(f"{k}={v!r}" for k, v in changes.items()) + ")" if changes else ""
    )
    family = f", {case.family!r}" if rules or case.family != "user" else ""
    return (
        f"@example(Case(Expression.from_json({case.expression.to_json()!r}), "
        f"{case.point!r}{family}{rules}))"
    )


def expression_lines(e: Expression) -> list[str]:
    """``n2 = x0 * x1`` for each op node, abbreviated in the middle for very long expressions."""
    parts = [
        f"{e.name(k)} = {e.node_source(k)}"
        for k in range(e.n_inputs, e.size)
        if len(e.nodes) <= SHOWN_NODES or k < e.n_inputs + 6 or k >= e.size - 3
    ]
    if len(e.nodes) > SHOWN_NODES:
        parts.insert(6, f"... {len(e.nodes) - 9:,} more nodes ...")
    return parts


def expression_text(e: Expression) -> str:
    """One line per the IR's ``str``, abbreviated in the middle for very long expressions."""
    return "; ".join(expression_lines(e)) or e.name(e.output)


def symbolic_gradients(expression: Expression) -> list[str]:
    """d(output)/d(input) as SymPy text, for small expressions."""
    import sympy
    from gradtrio.strategies.expression import interpret

    symbols = [sympy.Symbol(expression.name(i), real=True) for i in range(expression.n_inputs)]
    out = interpret(expression, symbols, lambda op, node, operands: op.sympy(*operands))[-1]
    # No simplify(): it can take seconds on a five-node case; the derivative as SymPy writes it
    # is exact and short for the small cases shown.
    return [f"d/d{s} = {sympy.diff(out, s)}" for s in symbols]


def number_text(x: float | None) -> str:
    """A number as the reports print it: every digit it has, ``-`` when unknown."""
    return "-" if x is None else f"{x:.17g}"


def _fd_cell(f: FDEstimate) -> str:
    return f"{f.value:.12g}±{f.error:.2g}" if f.reliable else f"(unreliable: {f.why})"


def oracle_table(verdict: Verdict) -> list[tuple[str, list[str]]]:
    """The rows of the oracle table, each a name and its cells (the value, then each input's
    gradient), for what is known of the case: the engine, SymPy, PyTorch, the finite
    differences per input (one along a direction is :func:`directional_fd`), the tolerance."""
    n = verdict.expression.n_inputs
    ref, torch, run = verdict.reference, verdict.torch, verdict.engine
    rows = []
    if run is not None:
        rows.append(("engine", [number_text(x) for x in (run.value, *run.grads)]))
    if ref is not None:
        rows.append(("sympy", [number_text(float(x)) for x in (ref.value, *ref.grads)]))
    if torch is not None:
        rows.append(("torch", [number_text(x) for x in (torch.value, *torch.grads)]))
    per_input = [f for f in verdict.fd if f.direction is None]
    if per_input:
        rows.append(("fd", ["", *(_fd_cell(f) for f in per_input)]))
    if ref is not None:
        bounds = (ref.value_bounds[-1], *ref.grad_bounds[:n])
        rows.append(("tolerance", [f"{t:.3g}" for t in bounds]))
    return rows


def directional_fd(verdict: Verdict) -> str | None:
    """The finite difference along a random direction u (cases of many inputs), beside the
    engine's and SymPy's gradients projected on u; None when the estimates are per input."""
    f = next((f for f in verdict.fd if f.direction is not None), None)
    if f is None or f.direction is None:
        return None
    parts = [f"fd along a random direction u: {_fd_cell(f)}"]
    for name, grads in (
        ("engine", None if verdict.engine is None else verdict.engine.grads),
        ("sympy", None if verdict.reference is None else verdict.reference.grads),
    ):
        if grads is not None:
            along = sum(d * float(g) for d, g in zip(f.direction, grads))
            parts.append(f"{name}'s gradient · u {number_text(along)}")
    return "; ".join(parts)


OUTPUT_LINES = 12


def _engine_output(output: str) -> list[str]:
    """What the engine printed during the case: its first and last lines, each bounded."""
    lines = output.splitlines()
    if len(lines) > OUTPUT_LINES:
        half = OUTPUT_LINES // 2
        lines = [*lines[:half], f"[... {len(lines) - 2 * half:,} lines ...]", *lines[-half:]]
    shown = [
        line if len(line) <= 200 else f"{line[:200]}... ({len(line):,} chars)" for line in lines
    ]
    return ["  the engine printed, during the case:", *("    | " + line for line in shown)]


def format_verdict(verdict: Verdict, *, engine: Engine | None = None) -> str:
    """The full human-readable report of one verdict, for ``engine`` (default: this project's
    engine): the reproducer imports and drives that engine's class."""
    e = verdict.expression
    engine_name = engine.spec if engine is not None else DEFAULT_ENGINE
    kind = verdict.kind.value if verdict.kind else verdict.status.value
    severity = f"{verdict.severity.value}: " if verdict.severity else ""
    lines = [
        f"{severity}{kind} failure in {engine_name}: {verdict.reason}",
        f"  expression ({len(e.nodes):,} op nodes): {expression_text(e)}",
        f"  point: {', '.join(f'{e.name(i)}={x!r}' for i, x in enumerate(verdict.point))}"
        f" ({verdict.case.family} case)",
    ]
    if verdict.limitation is not None:
        lines.append(f"  engine limitation: {verdict.limitation.text}")
    if verdict.blame is not None:
        b = verdict.blame
        where = b.label(e.name(b.node) if b.node is not None else None)
        lines.append(f"  blame: {where}: {b.reason}")
    if verdict.mismatches:
        lines.append("  mismatches (engine vs reference, |error| > tolerance):")
        for m in verdict.mismatches:
            lines.append(
                f"    {m.what}: engine {number_text(m.engine)}, "
                f"expected {number_text(m.expected)}, "
                f"|error| {m.error:.3g} > tolerance {m.tolerance:.3g}"
            )
    ref, torch, run = verdict.reference, verdict.torch, verdict.engine
    if ref is not None and run is not None and torch is not None:
        lines.append(
            "  oracles:        value                   "
            + "  ".join(f"d/d{e.name(i)}".ljust(24) for i in range(e.n_inputs))
        )
        for name, (value, *grads) in oracle_table(verdict):
            lines.append(f"    {name:<12}{value:<24}  " + "  ".join(g.ljust(24) for g in grads))
        along = directional_fd(verdict)
        if along is not None:
            lines.append(f"    {along}")
    if verdict.agreement is not None:
        pairs = verdict.agreement.pairs()
        lines.append(
            "  agreement: " + ", ".join(f"{p} {'yes' if ok else 'NO'}" for p, ok in pairs.items())
        )
    if verdict.output:
        lines += _engine_output(verdict.output)
    if len(e.nodes) <= SYMBOLIC_MAX_NODES and verdict.kind in (Kind.GRADIENT, Kind.CONVENTION):
        lines.append("  expected, symbolically (SymPy): " + "; ".join(symbolic_gradients(e)))
    if len(e.nodes) <= SHOWN_NODES:
        lines.append("  keep this case (paste above a @given(cases()) test):")
        lines.append("    " + example_line(verdict))
        lines.append("  reproduce:")
        lines += ["    " + line for line in reproducer(verdict, engine=engine).splitlines()]
    else:
        lines.append(f"  reproduce: {len(e.nodes):,} lines; written in full by --report-dir")
    return "\n".join(lines)
