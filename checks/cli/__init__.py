"""The command line: ``gradtrio [run] ...``, ``gradtrio replay ...``, ``gradtrio verify-op NAME
...``, ``gradtrio merge FILE ...`` (also ``python -m gradtrio``).

Exit codes: 0 clean, 1 an engine bug (or any finding under ``--strict``, or too many undecided
cases), 2 a usage or configuration error, 3 the harness itself failed (one line, and where the
traceback was written). May import every stage below it.
"""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Sequence

from gradtrio.checks.cli.outputs import EXIT_HARNESS, EXIT_USAGE, traceback_log
from gradtrio.checks.cli.parser import UsageError, parse

__all__ = ["console", "main"]


def console() -> int:
    """The command line as a process runs it (``gradtrio``, ``python -m gradtrio``): :func:`main`,
    with signals asking a run to stop and report (:func:`~.commands.stop_on_signals`), and the
    garbage collector told to leave alone what the imports made (a million objects that every
    full collection would scan again, during the run and at exit)."""
    from gradtrio.checks.cli import commands

    commands.FREEZE = True
    commands.stop_on_signals()
    code = main()
    for done in (signal.SIGINT, signal.SIGTERM):  # what is left is exiting with this code
        signal.signal(done, signal.SIG_IGN)
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from gradtrio.checks.engines.loading import LoadError  # light: no torch, no SymPy

    try:
        args = parse(argv)
        if args.command == "verify-op":
            from gradtrio.checks.cli.verify_op import verify_main

            return verify_main(args)
        if args.command == "replay":
            from gradtrio.checks.cli.commands import replay_main

            return replay_main(args)
        if args.command == "merge":
            from gradtrio.checks.cli.merge import merge_main

            return merge_main(args)
        from gradtrio.checks.cli.commands import run_main

        return run_main(args)
    except (UsageError, LoadError) as exc:
        print(f"gradtrio: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradtrio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure of the harness itself: one line, the traceback in a log
        return harness_failure(exc)


def harness_failure(exc: BaseException) -> int:
    print(
        f"gradtrio: internal error: {type(exc).__name__}: {exc} "
        f"(traceback in {traceback_log(exc)})",
        file=sys.stderr,
    )
    return EXIT_HARNESS
