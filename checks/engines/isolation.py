"""The engine under test in a worker process of its own.

:class:`IsolatedEngine` stands in for an engine (a value class or a library adapter) that runs in
a worker (:mod:`.worker`): its ops, backward, value and gradient reads and the finite
differences' forward passes all run there, one round trip each; the oracles and the verdict stay
here. Whatever the worker does (exit with any code, die of a signal,
run out of its memory limit, ignore its time limit, print without end) becomes a crash or a hang
of the case at hand; the worker is then started again for the next case. The time limit counts
the engine's time only and is enforced from outside: a worker that does not give back control
in time is killed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from types import EllipsisType
from typing import Any

from gradtrio.checks.defaults import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from gradtrio.checks.engines.faults import safe_text
from gradtrio.checks.engines.limits import CaseTimeout, size_scale
from gradtrio.checks.engines.protocol import (
    DEFERRED,
    CaseShare,
    EngineCrash,
    EngineError,
    EngineInfo,
    EngineRun,
    Limitation,
    Outcome,
    rounded_to,
)
from gradtrio.checks.oracles.finite_differences import FDEstimate
from gradtrio.strategies.expression import Expression
from gradtrio.strategies.ops import Form

__all__ = ["HarnessFault", "IsolatedEngine", "Output"]

#: Seconds a worker has, beyond the case's limit, to give back control after its own alarm.
GRACE = 1.0


class HarnessFault(Exception):
    """gradtrio's own code failed inside the worker (the traceback is in the message)."""


class Output:
    """What the engine printed during one case, bounded: the first and the last few thousand
    characters, and how much there was in between."""

    HEAD = 2000
    TAIL = 4000

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.HEAD - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        del self.tail[: -self.TAIL]

    def text(self) -> str:
        if not self.total:
            return ""
        middle = self.total - len(self.head) - len(self.tail)
        parts = [self.head.decode(errors="replace")]
        if middle > 0:
            parts.append(f"\n[... {middle:,} bytes not shown ...]\n")
        parts.append(self.tail.decode(errors="replace"))
        text = "".join(parts)
        return "\n".join(safe_text(line, limit=500) for line in text.splitlines())


class IsolatedEngine:
    """An engine (a value class or a library adapter) that runs in a worker process, with the
    engine protocol's surface: what describes the engine is read once when the worker starts,
    every call is a round trip. ``case_output`` holds what the engine printed during the last
    case; ``restarts`` counts the workers started after the first."""

    def __init__(
        self,
        spec: str,
        *,
        timeout: float | None | EllipsisType = ...,
        memory_mb: float | None = DEFAULT_MEMORY_MB,
        ops_modules: tuple[str, ...] = (),
        load_timeout: float = 120.0,
        **overrides: Any,
    ) -> None:
        # ``...``: the engine's own default (a compiling library's adapter allows more).
        if not isinstance(timeout, EllipsisType):
            overrides = {**overrides, "timeout": timeout}
        self._worker_args = (spec, overrides, list(ops_modules), memory_mb)
        self._load_timeout = load_timeout
        self._server: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._conn: Connection | None = None
        self._pid: int | None = None
        self.timeout: float | None = DEFAULT_TIMEOUT  # the engine's, once it has loaded
        self.case_output = ""
        self.restarts = 0
        self._output = Output()
        self._depth = 0  # nesting of time_limit(): > 0 while a case runs
        self._used = 0.0  # engine seconds the case has spent
        self._pending: tuple[str, float | None, float] | None = None  # a request sent
        self._info: EngineInfo = self._start()
        self.timeout = self._info.timeout
        self._limit = self.timeout  # the case's limit

    # -- what describes the engine, read when the worker started -----------------------------
    @property
    def spec(self) -> str:
        return self._info.spec

    @property
    def ops(self) -> dict[str, tuple[Form, ...]]:
        return self._info.ops

    @property
    def unchecked(self) -> dict[str, str]:
        return self._info.unchecked

    @property
    def dtype(self) -> str:
        return self._info.dtype

    @property
    def compiles(self) -> bool:
        return self._info.compiles

    @property
    def points_per_expression(self) -> int:
        return self._info.points_per_expression

    def describe(self) -> str:
        return f"{self._info.text}, in a worker process"

    @property
    def flushes_subnormals(self) -> bool:
        return self._info.flushes_subnormals

    def rounded(self, x: float) -> float:
        return rounded_to(self.dtype, x, self.flushes_subnormals)

    # -- round trips -------------------------------------------------------------------------
    def run(self, expression: Expression, point: Sequence[float]) -> EngineRun:
        run: EngineRun = self._call("run", (expression, point))
        return self.fetching(run, expression, point)

    def run_many(self, expression: Expression, points: Sequence[Sequence[float]]) -> list[Outcome]:
        """One round trip for all the points, within the limit of one case: a batch is the
        sweep's one- and two-node cases, which a working engine runs in milliseconds, or one
        library call of an engine whose cost is per expression; an engine that hangs would
        wait out a limit per point. A batch past it is judged point by point."""
        sent = [tuple(p) for p in points]
        outcomes = self._call("run_many", (expression, sent))
        return [
            self.fetching(o, expression, p) if isinstance(o, EngineRun) else o
            for o, p in zip(outcomes, sent, strict=True)
        ]

    def node_details(
        self, expression: Expression, point: Sequence[float]
    ) -> tuple[list[float], list[float | None]]:
        values, grads = self._call("node_details", (expression, tuple(point)))
        return list(values), list(grads)

    def fetching(self, run: EngineRun, expression: Expression, point: Sequence[float]) -> EngineRun:
        """``run`` with the node details the worker left behind (:data:`DEFERRED`) fetched from
        it when first read."""
        if run.node_values is not DEFERRED and run.node_grads is not DEFERRED:
            return run
        fetched = _Fetched(lambda: self.node_details(expression, point))
        values = fetched.view(0, expression.size) if run.node_values is DEFERRED else None
        grads = fetched.view(1, expression.size) if run.node_grads is DEFERRED else None
        return dataclasses.replace(
            run,
            node_values=run.node_values if values is None else values,  # type: ignore[arg-type]
            node_grads=run.node_grads if grads is None else grads,
        )

    def forward(self, expression: Expression, point: Sequence[float]) -> float:
        return float(self._call("forward", (expression, point)))

    def limitations(self) -> list[Limitation]:
        return list(self._call("limitations", ()))

    def reproducer(self, expression: Expression, point: Sequence[float]) -> str:
        return str(self._call("reproducer", (expression, point)))

    def fd_estimates(
        self, expression: Expression, point: tuple[float, ...], noise: float
    ) -> tuple[FDEstimate, ...]:
        return tuple(self._call("fd_estimates", (expression, point, noise)))

    def share(self, expression: Expression, point: tuple[float, ...], scale: float) -> CaseShare:
        """The case's run, sent to the worker now: meanwhile this process is free (for the
        oracles); the finite differences follow once their noise is told."""
        return _RemoteShare(self, expression, point, scale)

    @contextlib.contextmanager
    def time_limit(self, scale: float = 1.0) -> Iterator[None]:
        """One case, its limit ``scale`` times the timeout: every round trip inside spends from
        the same limit, and what the engine prints is kept for the case's report."""
        if self._depth == 0:
            self._used = 0.0
            self._limit = None if self.timeout is None else self.timeout * scale
            self._output = Output()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.case_output = self._output.text()

    def _remaining(self) -> float | None:
        if self.timeout is None:
            return None
        limit = self.timeout if self._limit is None else self._limit
        return max(limit - self._used, 1e-3) if self._depth else self.timeout

    # -- the worker --------------------------------------------------------------------------
    def _start_server(self) -> None:
        """Start the fork server (:mod:`gradtrio.checks.engines.worker`) that forks the workers."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        # The server imports gradtrio and the engine from where this process does.
        env["PYTHONPATH"] = os.pathsep.join(p for p in [_root(), *sys.path] if p)
        self._server = subprocess.Popen(
            [sys.executable, "-u", "-m", "gradtrio.checks.engines.worker", str(theirs.fileno())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # the workers' prints come here too
            pass_fds=(theirs.fileno(),),
            env=env,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the harness only
        )
        theirs.close()
        self._control = ours
        assert self._server.stdout is not None
        os.set_blocking(self._server.stdout.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server.stdout.fileno(), selectors.EVENT_READ, "output")
        ours.sendall(pickle.dumps(self._worker_args).hex().encode() + b"\n")

    def _fork(self) -> None:
        """A fresh worker from the fork server (started again if it has gone)."""
        for _attempt in (1, 2):
            if self._server is None or self._server.poll() is not None:
                self._stop_server()
                self._start_server()
            assert self._control is not None
            try:
                self._control.sendall(b"fork\n")
                message, fds, _, _ = socket.recv_fds(self._control, 64, 1)
            except OSError:
                message, fds = b"", []
            if fds:
                self._pid = int(message)
                self._conn = Connection(fds[0])
                assert self._selector is not None  # made with the server
                self._selector.register(self._conn.fileno(), selectors.EVENT_READ, "reply")
                return
            self._stop_server()
        raise EngineError(f"engine {self._worker_args[0]}: its worker process could not start")

    def _start(self) -> EngineInfo:
        spec = self._worker_args[0]
        self._output = Output()
        self._fork()
        try:
            status, payload = self._receive(self._load_timeout, "loading")
        except (CaseTimeout, EngineCrash) as exc:
            output = self._output.text()
            self.close()
            shown = f"; it printed: {output.splitlines()[-1]}" if output else ""
            raise EngineError(f"engine {spec}: {exc}{shown}") from None
        if status == "load-error":
            self.close()
            raise EngineError(payload)
        info: EngineInfo = payload
        return info

    def close(self) -> None:
        """Stop the worker (the next call forks another)."""
        self._end_worker()

    def _end_worker(self) -> int | None:
        """Kill the worker if it still runs; how it ended (None if that is unknown)."""
        code = None
        if self._conn is not None:
            if self._selector is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(self._conn.fileno())
            self._conn.close()
            self._conn = None
        if self._pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)  # no effect on one that already exited
            code = self._exit_code(self._pid)
            self._pid = None
        return code

    def _exit_code(self, pid: int) -> int | None:
        if self._control is None:
            return None
        try:
            self._control.sendall(f"status {pid}\n".encode())
            self._control.settimeout(5.0)
            return int(self._control.recv(64).decode().strip())
        except (OSError, ValueError):
            return None
        finally:
            if self._control is not None:
                self._control.settimeout(None)

    def _stop_server(self) -> None:
        self._end_worker()
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.kill()
            self._server.wait()
            if self._server.stdout is not None:
                self._server.stdout.close()
            self._server = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def shutdown(self) -> None:
        """Stop the worker and the fork server."""
        self._stop_server()

    def __del__(self) -> None:
        try:  # noqa: SIM105 - contextlib may be gone at interpreter exit
            self._stop_server()
        except Exception:  # the processes end with their sockets anyway
            pass

    def _ensure_started(self) -> None:
        if self._conn is None:
            self.restarts += 1
            self._start()

    def _call(self, name: str, args: tuple[Any, ...], scale: float | None = None) -> Any:
        """Call ``name`` on the engine in the worker and wait for it, within the case's limit
        (``scale`` times the timeout; by default as for a case of the first argument's size)."""
        if scale is None:
            sized = args[0] if args and isinstance(args[0], Expression) else None
            scale = 1.0 if sized is None else size_scale(len(sized.nodes))
        with self.time_limit(scale):
            self._send(name, args)
            return self._finish()

    def begin(self, name: str, *args: Any, scale: float = 1.0) -> Callable[[], Any]:
        """Send the call now, with a limit ``scale`` times the timeout, and return the call that
        waits for its result, to be made inside ``time_limit(scale)``: meanwhile this process is
        free (for the reference). The worker measures its own time: what this process spends
        meanwhile is not the engine's."""
        self._limit = None if self.timeout is None else self.timeout * scale
        self._used = 0.0
        try:
            self._send(name, args)
        except EngineCrash as exc:  # the case's finding, given where its result would be
            crash = exc

            def crashed() -> Any:
                raise crash

            return crashed
        return self._finish

    def _send(self, name: str, args: tuple[Any, ...]) -> None:
        self._ensure_started()
        assert self._conn is not None and self._pending is None
        seconds = self._remaining() if self._depth else self._limit
        try:
            self._conn.send((name, args, seconds, self._limit))
        except OSError:  # the worker ended after its last reply
            raise self._died(name) from None
        self._pending = (name, seconds, time.monotonic())

    def _finish(self) -> Any:
        assert self._pending is not None
        name, seconds, sent = self._pending
        self._pending = None
        try:
            status, payload, spent = self._receive(seconds, name, sent)
        except (CaseTimeout, EngineCrash):
            self._used += time.monotonic() - sent
            raise
        self._used += spent  # the engine's own time, as the worker measured it
        if status == "ok":
            return payload
        if status == "raise":
            raise payload
        raise HarnessFault(payload)

    def _receive(
        self, seconds: float | None, doing: str, sent: float | None = None
    ) -> tuple[Any, ...]:
        """The worker's reply, draining the output meanwhile. A worker that dies is an
        :class:`EngineCrash`; one that has not answered ``GRACE`` seconds after its own alarm
        is stopped, a :class:`CaseTimeout`."""
        assert self._conn is not None and self._selector is not None
        wait = None if seconds is None else seconds * 1.1 + GRACE
        deadline = None if wait is None else (sent or time.monotonic()) + wait
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            events = self._selector.select(timeout)
            if not events and deadline is not None and time.monotonic() >= deadline:
                self._drain()
                self._end_worker()
                limit = seconds if doing == "loading" or self._limit is None else self._limit
                raise CaseTimeout(
                    f"{_doing(doing)} exceeded the {limit:g} s time limit; the engine did "
                    "not give back control, so its process was stopped"
                )
            for key, _ in events:
                if key.data == "output":
                    if not self._drain():  # the fork server has gone; its workers with it
                        self._selector.unregister(key.fd)
                    continue
                try:
                    reply = self._conn.recv()
                except (EOFError, OSError):
                    raise self._died(doing) from None
                except Exception as exc:  # a reply that cannot be read back here
                    detail = f"sent back something unreadable ({safe_text(str(exc))})"
                    raise EngineCrash("engine", detail, error=type(exc).__name__) from None
                self._drain()
                return reply

    def _drain(self) -> bool:
        """Read what the workers printed so far; False once the output is closed."""
        if self._server is None or self._server.stdout is None:
            return False
        fd = self._server.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self._output.add(chunk)

    def _died(self, doing: str) -> EngineCrash:
        code = self._end_worker()
        self._drain()
        if code is None:
            how, error = "closed its connection", "WorkerExit"
        elif code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            how, error = f"was killed by {name}", name
        else:
            how, error = f"exited with code {code}", "WorkerExit"
        return EngineCrash("engine process", f"{how} during {_doing(doing)}", error=error)


def _doing(name: str) -> str:
    return {
        "run": "the case",
        "run_many": "the cases",
        "fd_estimates": "the finite differences",
        "loading": "loading the engine",
    }.get(name, f"{name}()")


def _root() -> str:
    """The folder from which ``import gradtrio`` finds this copy of gradtrio."""
    import gradtrio

    return os.path.dirname(os.path.dirname(os.path.abspath(gradtrio.__file__)))


class _RemoteShare(CaseShare):
    """A case's run on an isolated engine: sent at once, its result read when asked."""

    def __init__(
        self, engine: IsolatedEngine, expression: Expression, point: tuple[float, ...], scale: float
    ) -> None:
        self._done = False
        self._engine, self._expression, self._point = engine, expression, point
        self._finish = engine.begin("run", expression, point, scale=scale)

    def result(self) -> EngineRun:
        self._done = True
        run: EngineRun = self._finish()
        return self._engine.fetching(run, self._expression, self._point)

    def close(self) -> None:
        """The worker's answer to a share whose result was not taken is read and dropped."""
        if self._done:
            return
        with contextlib.suppress(Exception):  # a dead or stopped worker is started anew
            self._finish()
        self._done = True


class _Fetched:
    """Node values and gradients asked of the worker once, on first read of either."""

    def __init__(self, fetch: Callable[[], tuple[list[float], list[float | None]]]) -> None:
        self._fetch = fetch
        self._details: tuple[list[float], list[float | None]] | None = None

    def part(self, index: int) -> list[Any]:
        if self._details is None:
            self._details = self._fetch()
        return self._details[index]

    def view(self, index: int, size: int) -> _FetchedView:
        return _FetchedView(self, index, size)


class _FetchedView(Sequence[Any]):
    """One of the two lists of a :class:`_Fetched`, as a sequence."""

    def __init__(self, fetched: _Fetched, index: int, size: int) -> None:
        self._fetched, self._index, self._size = fetched, index, size

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        return self._fetched.part(self._index)[index]

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return repr(self._fetched.part(self._index))
