"""``gradtrio verify-op NAME``: check one op on its own and in company, region by region
(:mod:`gradtrio.checks.search.op_check`), and print its report
(:mod:`gradtrio.checks.report.op_report`)."""

from __future__ import annotations

import argparse

from gradtrio.checks.cli.commands import engine_of
from gradtrio.checks.cli.outputs import finish, rerun_command
from gradtrio.checks.cli.parser import UsageError
from gradtrio.checks.report.op_report import op_report
from gradtrio.checks.search.op_check import cannot_check, check_one_op

__all__ = ["verify_main"]


def verify_main(args: argparse.Namespace) -> int:
    """0 when the op passes in every region, 1 when it fails somewhere, 2 for a usage error."""
    engine = engine_of(args)
    problem = cannot_check(engine, args.name)
    if problem is not None:
        raise UsageError(f"verify-op: {problem}")
    done = check_one_op(
        engine, args.name, examples=args.examples, run_seed=args.seed, strict=args.strict
    )
    text, reports = op_report(done, engine, rerun_command(args))
    return finish(done.result, args, text, reports)
