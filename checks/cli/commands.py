"""The commands: ``run`` (the harness on random cases) and ``replay`` (on every case of a
corpus); ``verify-op`` is :mod:`.verify_op`. The engine is loaded from the arguments, its worker
started while the harness imports torch and SymPy."""

from __future__ import annotations

import argparse
import gc
import sys

from gradtrio.checks.cli.outputs import EXIT_CLEAN, EXIT_USAGE, finish, rerun_command
from gradtrio.checks.cli.parser import UsageError
from gradtrio.checks.engines.protocol import Engine

__all__ = ["engine_of", "replay_main", "run_main"]

#: Set by the console entry point: the collector then leaves alone what the imports made.
FREEZE = False


def engine_of(args: argparse.Namespace) -> Engine:
    """The engine the arguments name, with the op rows of their ``--ops`` registered."""
    from gradtrio.checks.engines.loading import load_op_modules
    from gradtrio.checks.engines.spec import load_engine

    load_op_modules(args.ops)
    return load_engine(
        args.engine,
        isolated=not args.in_process,
        ops_modules=args.ops,
        memory_mb=args.memory_limit,
        value_attr=args.value_attr,
        grad_attr=args.grad_attr,
        backward=args.backward,
        timeout=args.timeout,
    )


def load_engine_while_importing(args: argparse.Namespace) -> Engine:
    """The engine, its worker process started on a thread while this one imports the harness
    (torch, SymPy, Hypothesis): the two start-ups overlap on two cores. An engine in this
    process is loaded here, after the imports (its probes' time limit needs the main thread)."""
    if args.in_process:
        import gradtrio.checks.search.run  # noqa: F401

        return engine_of(args)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(engine_of, args)
        import gradtrio.checks.search.run  # noqa: F401

        return loading.result()


def run_main(args: argparse.Namespace) -> int:
    engine = load_engine_while_importing(args)
    if FREEZE:
        gc.freeze()

    from gradtrio.checks.report.summary import summary
    from gradtrio.checks.search.run import run

    print(f"gradtrio: checking {engine.describe()}", file=sys.stderr)
    result = run(
        engine,
        examples=args.examples,
        run_seed=args.seed,
        max_nodes=args.max_nodes,
        deep=args.deep,
        progress=not args.quiet,
        corpus=None if args.no_corpus else args.corpus,
        strict=args.strict,
        budget=args.budget,
    )
    result.settings = {"seed": args.seed, "examples": args.examples, "max_nodes": args.max_nodes}
    text, reports = summary(result, rerun_command(args))
    return finish(result, args, text, reports)


def replay_main(args: argparse.Namespace) -> int:
    """0 when every saved case passes, 1 when one fails, 2 when the corpus is missing or some
    file could not be read (the others are still judged)."""
    from gradtrio.checks.report.text import format_verdict
    from gradtrio.checks.search.run import RunResult, replay_corpus

    if not args.corpus.is_dir():
        raise UsageError(f"--corpus {str(args.corpus)!r}: no such directory")
    engine = engine_of(args)
    result = RunResult(engine.spec, sorted(engine.ops), adapter=engine, strict=args.strict)
    lines = [f"gradtrio replay: {engine.describe()} on {args.corpus}/"]
    for path, verdict in replay_corpus(result, engine, args.corpus):
        if verdict.failed and verdict.kind is not None:
            severity = verdict.severity.value if verdict.severity else ""
            status = f"{verdict.kind.value.upper()} ({severity})"
        else:
            status = verdict.status.value
        detail = f" ({verdict.reason})" if verdict.skip is not None else ""
        lines.append(f"  {status:<20} {path}{detail}")
    for error in result.corpus_errors:
        print(f"gradtrio: error: {error}", file=sys.stderr)
    bugs = len(result.failing)
    lines.append(
        f"  {result.examples} case(s) replayed: "
        + (f"FAILED {bugs}" if bugs else f"no bugs ({len(result.failures)} finding(s))")
    )
    reports = [format_verdict(v, engine=engine) for v in result.failures]
    lines += [line for report in reports for line in ("", report)]
    code = finish(result, args, "\n".join(lines), reports)
    return code if code else (EXIT_USAGE if result.corpus_errors else EXIT_CLEAN)
