"""The commands: ``run`` (the harness on random cases) and ``replay`` (on every case of a
corpus); ``verify-op`` is :mod:`.verify_op`. The engine is loaded from the arguments, its worker
started while the harness imports torch and SymPy."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import time

from gradtrio.checks.cli.outputs import EXIT_CLEAN, EXIT_SIGNAL, EXIT_USAGE, finish, rerun_command
from gradtrio.checks.cli.parser import UsageError
from gradtrio.checks.engines.protocol import Engine
from gradtrio.checks.search.interrupt import Interrupt

__all__ = ["engine_of", "replay_main", "run_main"]

#: Set by the console entry point: the collector then leaves alone what the imports made.
FREEZE = False
#: What a signal asks of the run (see :func:`stop_on_signals`).
INTERRUPT = Interrupt()


def engine_of(args: argparse.Namespace) -> Engine:
    """The engine the arguments name, with the op rows of their ``--ops`` registered."""
    from gradtrio.checks.engines.spec import load_engine

    return load_engine(
        args.engine,
        isolated=not args.in_process,
        ops_modules=args.ops,
        memory_mb=args.memory_limit,
        value_attr=args.value_attr,
        grad_attr=args.grad_attr,
        backward=args.backward,
        **({} if args.timeout is None else {"timeout": args.timeout}),
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


def stop_on_signals() -> None:
    """For the rest of the process (the command line as a process runs it): the first SIGINT
    or SIGTERM asks a run to stop at the next case and report what it has judged (the summary,
    the JSON, the corpus); a second one stops at once."""

    def ask(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if INTERRUPT:  # the second: at once, whatever is running (a KeyboardInterrupt can be
            # swallowed by library code); the worker processes end with their sockets
            print(f"gradtrio: {name} again: stopped", file=sys.stderr, flush=True)
            os._exit(EXIT_SIGNAL.get(name, 130))
        INTERRUPT.request(name)
        print(
            f"gradtrio: {name}: stopping after the current case and reporting what was judged "
            "(again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, ask)


def run_main(args: argparse.Namespace) -> int:
    engine = load_engine_while_importing(args)
    if FREEZE:
        gc.freeze()

    from gradtrio.checks.report.summary import summary
    from gradtrio.checks.search.run import run
    from gradtrio.checks.search.shard import WHOLE

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
        interrupt=INTERRUPT,
        shard=args.shard or WHOLE,
    )
    result.settings = {
        "seed": args.seed,
        "examples": args.examples,
        "max_nodes": args.max_nodes,
        "shard": None if args.shard is None else str(args.shard),
    }
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
    start = time.monotonic()
    judged = replay_corpus(result, engine, args.corpus)
    result.elapsed_s = time.monotonic() - start
    for path, verdict in judged:
        if verdict.failed and verdict.kind is not None:
            severity = verdict.severity.value if verdict.severity else ""
            status = f"{verdict.kind.value.upper()} ({severity})"
        else:
            status = verdict.status.value
        detail = f" ({verdict.reason})" if verdict.skip is not None else ""
        lines.append(f"  {status:<20} {path}{detail}")
    lines += [f"  {'UNREADABLE':<20} {error}" for error in result.corpus_errors]
    bugs = len(result.failing)
    unread = len(result.corpus_errors)
    if bugs:
        outcome = f"FAILED {bugs}"
    elif not result.examples:
        outcome = f"NOTHING JUDGED ({unread} file(s) unreadable)" if unread else "nothing judged"
    else:
        outcome = f"no bugs ({len(result.failures)} finding(s))"
        outcome += f"; {unread} file(s) unreadable, not judged" if unread else ""
    lines.append(f"  {result.examples} case(s) replayed: {outcome}")
    reports = [format_verdict(v, engine=engine) for v in result.failures]
    lines += [line for report in reports for line in ("", report)]
    # The unreadable files are in the listing: not printed again as warnings.
    code = finish(result, args, "\n".join(lines), reports, corpus_errors_shown=True)
    return code if code else (EXIT_USAGE if result.corpus_errors else EXIT_CLEAN)
