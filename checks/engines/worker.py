"""The worker processes that hold an isolated engine.

``python -m gradtrio.checks.engines.worker FD`` is a fork server on the socket ``FD``: it imports
gradtrio once and forks a worker each time the harness asks. A worker loads the engine, answers
with a description of it (:class:`EngineInfo`), then runs each request (a method of the engine
protocol) under the time limit the request carries, and sends back the result or the
exception. Whatever the engine raises (``SystemExit`` and
``KeyboardInterrupt`` included) comes back as a crash; only a fault of the harness's own code
comes back as one.
The engine's prints go to this process's stdout, which the harness captures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import resource
import signal
import socket
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from gradtrio.checks.engines.protocol import DEFERRED, EngineInfo, EngineRun

if TYPE_CHECKING:
    from gradtrio.checks.engines.local import LocalEngine

__all__ = ["METHODS", "describe", "main"]

#: The engine protocol's methods a request may call on the engine (the rest is read once).
METHODS = frozenset(
    {"run", "run_many", "node_details", "forward", "fd_estimates", "limitations", "reproducer"}
)


def describe(engine: LocalEngine) -> EngineInfo:
    return EngineInfo(
        engine.spec,
        dict(engine.ops),
        dict(engine.unchecked),
        engine.dtype,
        engine.describe(),
        engine.timeout,
        engine.flushes_subnormals,
        engine.compiles,
        engine.points_per_expression,
    )


def _portable(value: Any) -> Any:
    """``value`` as it can cross to the harness: node details not computed yet stay behind
    (:data:`DEFERRED`: the harness asks for them if the blame reads them), the rest as lists."""
    if isinstance(value, EngineRun):
        return dataclasses.replace(
            value, node_grads=_sent(value.node_grads), node_values=_sent(value.node_values)
        )
    if isinstance(value, (tuple, list)):
        return type(value)(_portable(v) for v in value)
    return value


def _sent(items: Any) -> Any:
    return DEFERRED if getattr(items, "pending", False) else list(items)


def _limit_memory(megabytes: float | None) -> None:
    if megabytes is None:
        return
    limit = int(megabytes * 2**20)
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is already set
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn: Connection, engine: LocalEngine) -> None:
    from gradtrio.checks.engines.faults import safe_text
    from gradtrio.checks.engines.limits import CaseTimeout
    from gradtrio.checks.engines.protocol import EngineCrash

    limit = engine.time_limit
    while True:
        try:
            name, args, seconds, case_limit = conn.recv()
        except EOFError:
            return
        limit.seconds = seconds  # the engine's own limit, set to what the case has left
        started = time.perf_counter()
        try:
            if name not in METHODS:
                raise ValueError(f"no engine method {name!r} may be called in a worker")
            function = getattr(engine, name)
            with limit():
                value = function(*args)
            reply: tuple[str, Any] = ("ok", _portable(value))
        except CaseTimeout:  # named by the case's whole limit, not by what was left of it
            reply = (
                "raise",
                CaseTimeout(f"case exceeded the {case_limit or seconds:g} s time limit"),
            )
        except (EngineCrash, RecursionError) as exc:
            reply = ("raise", exc)
        except (Exception, BaseException) as exc:  # noqa: BLE001 - anything the engine raises
            if _from_engine(exc):
                detail = f"raised {type(exc).__name__}: {_message(exc, safe_text)}"
                reply = ("raise", EngineCrash("engine", detail, error=type(exc).__name__))
            else:
                reply = ("fault", "".join(traceback.format_exception(exc)))
        sys.stdout.flush()
        sys.stderr.flush()
        spent = time.perf_counter() - started
        try:
            conn.send((*reply, spent))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            detail = f"returned something that cannot be sent back ({_message(exc, safe_text)})"
            conn.send(("raise", EngineCrash("engine", detail, error=type(exc).__name__), spent))


def _from_engine(exc: BaseException) -> bool:
    """Did ``exc`` come from the engine rather than from gradtrio's own code? Exceptions that
    are not errors (``SystemExit``, ``KeyboardInterrupt``) and ``MemoryError`` always do; any
    other one does when its innermost frame is outside gradtrio."""
    if not isinstance(exc, Exception) or isinstance(exc, MemoryError):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    return not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_HARNESS)


def _harness_folders() -> tuple[str, ...]:
    import gradtrio.strategies

    checks = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # engines/ is in it
    strategies = os.path.dirname(os.path.abspath(gradtrio.strategies.__file__ or ""))
    return (checks + os.sep, strategies + os.sep)


#: gradtrio's own code (``gradtrio.autograd`` is an engine like any other).
_HARNESS = _harness_folders()


def _message(exc: BaseException, safe_text: Any) -> str:
    try:
        return safe_text(str(exc))
    except Exception:
        return f"<{type(exc).__name__} whose str() raised>"


def _worker(conn: Connection, spec: str, overrides: dict[str, Any], ops_modules: list[str]) -> None:
    """Load the engine and serve requests on ``conn`` until the harness closes it."""
    from gradtrio.checks.engines.faults import EngineFaults
    from gradtrio.checks.engines.loading import LoadError
    from gradtrio.checks.engines.local import LocalEngine
    from gradtrio.checks.engines.spec import load_engine

    EngineFaults.catch_everything()
    try:
        engine = load_engine(spec, ops_modules=ops_modules, **overrides)
        if not isinstance(engine, LocalEngine):  # an adapter of a third party's own making
            raise LoadError(f"engine {spec}: its adapter does not subclass LibraryAdapter")
        description = describe(engine)
    except LoadError as exc:
        conn.send(("load-error", str(exc)))
        return
    except BaseException as exc:  # noqa: BLE001 - the engine's import may raise anything
        conn.send(("load-error", f"engine {spec}: loading it raised {type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", description))
    _serve(conn, engine)


def _fork_worker(control: socket.socket, job: tuple[Any, ...]) -> None:
    """Fork a worker and pass the harness its end of a new connection, and its pid."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker: nothing of the fork server's but the loaded modules
        control.close()
        ours.close()
        code = 0
        try:
            _worker(Connection(theirs.detach()), *job)
        except BaseException:  # noqa: BLE001 - the harness sees the connection close
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    theirs.close()
    socket.send_fds(control, [str(pid).encode()], [ours.fileno()])
    ours.close()


def main(argv: list[str]) -> int:
    """The fork server: import gradtrio once, then fork a fresh worker whenever the harness
    asks (at the start, and after a worker died or was stopped), and report how each ended.
    The engine itself is imported only in the workers, after the fork: a library's threads
    do not survive one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness alone answers Ctrl-C
    control = socket.socket(fileno=int(argv[0]))
    lines = control.makefile("rb")  # requests are lines; replies go out on the socket itself
    spec, overrides, ops_modules, memory = pickle.loads(bytes.fromhex(lines.readline().decode()))
    _limit_memory(memory)
    import gradtrio.checks.engines.local  # noqa: F401 - what every worker needs, imported once
    import gradtrio.checks.engines.value_class  # noqa: F401

    job = (spec, overrides, ops_modules)
    while True:
        request = lines.readline()
        if not request:
            return 0
        command, _, argument = request.decode().strip().partition(" ")
        if command == "fork":
            _fork_worker(control, job)
        elif command == "status":  # how worker ``argument`` ended (it has been killed or exited)
            _, status = os.waitpid(int(argument), 0)
            control.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
