"""Readable reports for failing verdicts: what was computed, by whom, how it differs, who is to
blame, and a snippet that reproduces it."""

from __future__ import annotations

from strategies.expression import Expression
from checks.verdict import Verdict

__all__ = ["example_line", "format_verdict", "reproducer", "symbolic_gradients"]

SYMBOLIC_MAX_NODES = 8


def reproducer(verdict: Verdict, *, engine: str = "Value",
               engine_import: str = "from autograd import Value") -> str:
    """Standalone Python source replaying the case on the engine."""
    return verdict.expression.to_python(verdict.point, engine=engine, engine_import=engine_import)


def example_line(verdict: Verdict) -> str:
    """A line to paste above a ``@given(...)`` test of the ``check`` helper to keep this case."""
    return (f"@example(Expression.from_json({verdict.expression.to_json()!r}), "
            f"{verdict.point!r})")


def symbolic_gradients(expression: Expression) -> list[str]:
    """d(output)/d(input) as SymPy text, for small expressions."""
    import sympy

    from strategies.expression import interpret

    symbols = [sympy.Symbol(expression.name(i), real=True) for i in range(expression.n_inputs)]
    out = interpret(expression, symbols, lambda op, node, operands: op.sympy(*operands))[-1]
    return [f"d/d{s} = {sympy.simplify(sympy.diff(out, s))}" for s in symbols]


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.17g}"


def format_verdict(verdict: Verdict, *, engine_name: str = "engine") -> str:
    """The full human-readable report of one verdict."""
    e = verdict.expression
    lines = [
        f"{verdict.kind or verdict.status} failure in {engine_name}: {verdict.reason}",
        f"  expression ({len(e.nodes)} op nodes): {e}",
        f"  point: {', '.join(f'{e.name(i)}={x!r}' for i, x in enumerate(verdict.point))}",
    ]
    if verdict.limitation:
        lines.append(f"  engine limitation: {verdict.limitation}")
    if verdict.blame is not None:
        b = verdict.blame
        where = f"{e.name(b.node)} ({b.op})" if b.node is not None else b.op
        lines.append(f"  blame: {where}: {b.reason}")
    if verdict.mismatches:
        lines.append("  mismatches (engine vs reference, |error| > tolerance):")
        for m in verdict.mismatches:
            lines.append(f"    {m.what}: engine {_g(m.engine)}, expected {_g(m.expected)}, "
                         f"|error| {m.error:.3g} > tolerance {m.tolerance:.3g}")
    ref, torch, run = verdict.reference, verdict.torch, verdict.engine
    if ref is not None and run is not None and torch is not None:
        lines.append("  oracles:        value                   " +
                     "  ".join(f"d/d{e.name(i)}".ljust(24) for i in range(e.n_inputs)))
        rows = [("engine", run.value, run.grads), ("sympy", float(ref.value),
                 [float(g) for g in ref.grads]), ("torch", torch.value, torch.grads)]
        for name, value, grads in rows:
            lines.append(f"    {name:<12}{_g(value):<24}  " + "  ".join(_g(g).ljust(24)
                                                                      for g in grads))
        if verdict.fd:
            cells = [f"{f.value:.12g}±{f.error:.2g}" if f.reliable else f"(unreliable: {f.why})"
                     for f in verdict.fd]
            lines.append(f"    {'fd':<12}{'':<24}  " + "  ".join(c.ljust(24) for c in cells))
        lines.append("    tolerance   " + f"{ref.value_bounds[-1]:<24.3g}  " +
                     "  ".join(f"{t:<24.3g}" for t in ref.grad_bounds[: e.n_inputs]))
    if verdict.agreement:
        lines.append("  agreement: " + ", ".join(
            f"{pair} {'yes' if ok else 'NO'}" for pair, ok in verdict.agreement.items()))
    if len(e.nodes) <= SYMBOLIC_MAX_NODES and verdict.kind in ("gradient", "convention"):
        lines.append("  expected, symbolically (SymPy): " + "; ".join(symbolic_gradients(e)))
    lines.append("  reproduce:")
    lines += ["    " + line for line in reproducer(verdict).splitlines()]
    return "\n".join(lines)
