"""``python -m checks verify-op NAME``: check one op on its own and in company, region by region.

The regions: the op alone across its domain (inputs in [-3, 3], every form it has), near its kinks
and domain edges (inputs within 0.1 of 0, where this registry's edges and kinks lie, and exactly
on each kink), at wide ranges (inputs up to ±1e3) and inside random DAGs with add and mul. Each
region prints how many cases were judged, how many used the op, and pass or fail; failures are
shrunk and reported as in a full run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from gradtrio.checks.cli import (
    UsageError,
    _engine_options,
    _load_engine,
    _output_options,
    _Parser,
    _sampling_options,
    write_outputs,
)
from gradtrio.checks.engine import Engine, EngineError
from gradtrio.checks.report import format_verdict
from gradtrio.checks.runner import RunResult, _harness
from gradtrio.strategies.dags import Case, cases, kink_cases, wide_cases
from gradtrio.strategies.ops import OPS, Form
from hypothesis import strategies as st

__all__ = ["Region", "main", "regions", "verify"]


@dataclass(frozen=True)
class Region:
    name: str
    strategy: st.SearchStrategy[Case]


def _with_op(name: str, strategy: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
    return strategy.filter(lambda case: name in case.expression.ops_used())


def regions(engine: Engine, name: str) -> list[Region]:
    """The regions :func:`verify` checks ``name`` in, given the forms ``engine`` has."""
    only: dict[str, tuple[Form, ...]] = {name: engine.ops[name]}
    company = {op: forms for op, forms in engine.ops.items() if op in (name, "add", "mul")}
    out = [
        Region("alone, across [-3, 3]", cases(ops=only, max_nodes=1)),
        Region(
            "alone, within 0.1 of 0 (edges)",
            cases(ops=only, max_nodes=1, min_value=-0.1, max_value=0.1, margin=1e-6),
        ),
    ]
    if OPS[name].kinks:
        out.append(
            Region("exactly on a kink", _with_op(name, kink_cases(ops=company, max_nodes=3)))
        )
    out += [
        Region("wide, inputs up to ±1e3", wide_cases(ops=only, max_nodes=2)),
        Region(
            f"in random DAGs with {', '.join(sorted(set(company) - {name})) or 'itself'}",
            _with_op(name, cases(ops=company, max_nodes=8)),
        ),
    ]
    return out


def verify(
    engine: Engine, name: str, *, examples: int = 200, run_seed: int = 0
) -> list[tuple[Region, RunResult]]:
    """Judge ``engine``'s op ``name`` in every region, ``examples`` cases each."""
    done = []
    for region in regions(engine, name):
        result = RunResult(engine.spec, sorted(engine.ops), adapter=engine)
        _harness(result, engine, region.strategy, examples, run_seed, lambda: None)
        done.append((region, result))
    return done


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m checks verify-op",
        description="Check one op alone across its domain, near its kinks and domain "
        "edges, at wide ranges and inside random DAGs.",
    )
    p.add_argument("name", help=f"the op's registry name: {', '.join(OPS)}")
    _engine_options(p)
    _sampling_options(p, examples=200, what="cases per region")
    _output_options(p, corpus=False)
    return p


def main(argv: Sequence[str]) -> int:
    """0 when the op passes in every region, 1 when it fails somewhere, 2 for a usage error."""
    try:
        args = _parser().parse_args(argv)
        if args.name not in OPS:
            raise UsageError(
                f"verify-op: unknown op {args.name!r}; known ops: {', '.join(OPS)} "
                "(add a row to strategies/ops.py first)"
            )
        engine = _load_engine(args)
        if args.name not in engine.ops:
            attrs = ", ".join(sorted(set(OPS[args.name].engine_attrs.values())))
            raise UsageError(
                f"verify-op: engine {engine.spec} has no {args.name!r} (looked for "
                f"{attrs} on {engine.cls.__name__})"
            )
    except (UsageError, EngineError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return 2
    op = OPS[args.name]
    kinks = ", ".join(f"at {k.at:g} (convention {k.convention:g})" for k in op.kinks) or "none"
    lines = [
        f"gradtrio verify-op {args.name} on {engine.describe()}",
        f"  arity {op.arity}; forms {', '.join(engine.ops[args.name])}; kinks {kinks}",
    ]
    total = RunResult(engine.spec, sorted(engine.ops), adapter=engine)
    for region, result in verify(engine, args.name, examples=args.examples, run_seed=args.seed):
        status = "pass" if result.passed else f"FAIL ({len(result.failures)})"
        lines.append(
            f"  {region.name:<40} {result.examples:>5} cases, "
            f"{result.op_counts[args.name]:>5} {args.name} nodes, "
            f"{result.skipped:>4} skipped: {status}"
        )
        total.examples += result.examples
        total.failures += result.failures
    if total.passed:
        lines.append(
            f"  PASSED: {args.name} agrees with SymPy, PyTorch and finite differences "
            "in every region"
        )
    else:
        lines.append(f"  FAILED: {len(total.failures)} failure(s), each shrunk:")
        for verdict in total.failures:
            lines += ["", format_verdict(verdict, engine=engine)]
    print("\n".join(lines))
    return write_outputs(total, args) or (0 if total.passed else 1)
