"""A supervised process pool: a dead or hung worker costs only the task it was running.

:class:`SupervisedPool` is the default executor of :func:`workflows.scan` (through
:func:`workflows.runs.executors.process_pool`).  Unlike
:class:`concurrent.futures.ProcessPoolExecutor`, whose pool breaks as a whole when one
worker dies (every queued and running task then fails with ``BrokenProcessPool``), it
gives each worker one task at a time over its own pipe and watches the worker process:

* a worker that dies while running a task (a segfault in native code, ``os._exit``, the
  out-of-memory killer) fails that task only, with :class:`WorkerDied` naming the exit
  code or signal; a fresh worker takes its place and the other tasks go on;
* a task given a ``timeout`` (:meth:`SupervisedPool.submit_limited`) that runs past it
  fails with :class:`TimeoutError`; its worker is killed and replaced;
* a worker exits within about a second when the process that owns the pool dies, by any
  signal including SIGKILL: every worker watches a *lifeline* pipe whose only write end
  is held by the owner (portable: Linux, macOS, other Unixes), and on Linux it also asks
  the kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``).  The fork
  server and multiprocessing's resource tracker exit once the owner and the workers are
  gone (on Linux a watchdog kills the fork server at once, also while it is still
  starting: :func:`workflows.runs.executors.worker_context`);
* a worker whose pool shut down while it was starting (a short scan) exits quietly.

Workers start from multiprocessing's fork server where available (else spawn), see
:func:`workflows.runs.executors.worker_context`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cloudpickle

__all__ = ["SupervisedPool", "WorkerDied", "death_cause"]


#: What a worker sends once it has started and run its initializer.
_READY = b"ready"
#: What a worker sends when it has unpickled a task and starts running it.
_STARTED = b"started"
#: Workers that die before they are ready, in a row, before the pool gives up.
_START_ATTEMPTS = 3


class WorkerDied(RuntimeError):
    """The worker process running a task died before returning its result."""


def death_cause(exitcode: int | None) -> str:
    """A human-readable cause of a worker's death from its exit code (negative: a signal)."""
    if exitcode is None:
        return "worker died: exit status unknown"
    if exitcode >= 0:
        return f"worker died: exit code {exitcode}"
    number = -exitcode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = {
        "SIGKILL": " (killed from outside, e.g. by the out-of-memory killer)",
        "SIGSEGV": " (a crash in native code)",
        "SIGBUS": " (a crash in native code)",
        "SIGABRT": " (aborted, e.g. a failed assertion in native code)",
    }.get(name, "")
    return f"worker died: killed by signal {name} ({number}){hint}"


# -- the worker side ---------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _watch_lifeline(lifeline: multiprocessing.connection.Connection) -> None:
    """Block on the lifeline pipe; when its write end closes (the owner died), exit at once."""
    try:
        while True:
            lifeline.recv_bytes()
    except BaseException:
        pass
    os._exit(70)  # kills every thread, also one busy in native code


def _worker_main(
    connection: multiprocessing.connection.Connection,
    lifeline: multiprocessing.connection.Connection,
    initializer: Callable[..., Any] | None,
    initargs: tuple,
) -> None:
    """A worker: run one task at a time, received from and answered on ``connection``."""
    _die_with_parent()
    threading.Thread(target=_watch_lifeline, args=(lifeline,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)
    # The owner may close this worker's pipe at any time (its pool shut down while the worker
    # was starting, e.g. a short scan that ended): then the worker exits quietly, without a
    # BrokenPipeError traceback in the user's terminal.
    with contextlib.suppress(OSError):
        connection.send_bytes(_READY)  # time limits count from here, not from the start-up
        _serve(connection)


def _serve(connection: multiprocessing.connection.Connection) -> None:
    """Run tasks until the owner closes the pipe (a send to a closed pipe raises OSError)."""
    while True:
        try:
            data = connection.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args, kwargs = pickle.loads(data)  # may import modules: not timed
        except BaseException as exc:  # sent to the owner, which decides
            reply = (False, exc)
        else:
            connection.send_bytes(_STARTED)
            try:
                reply = (True, fn(*args, **kwargs))
            except BaseException as exc:  # sent to the owner, which decides
                reply = (False, exc)
        try:
            message = cloudpickle.dumps(reply)
        except Exception as exc:  # an unpicklable result or exception
            message = cloudpickle.dumps(
                (
                    False,
                    RuntimeError(
                        f"the task's {'result' if reply[0] else 'error'} cannot be "
                        f"sent back from the worker ({type(exc).__name__}: {exc})"
                    ),
                )
            )
        connection.send_bytes(message)


# -- the owner side ----------------------------------------------------------------------------


def _settle(future: concurrent.futures.Future, ok: bool, value: Any) -> None:
    """Set a future's result or exception, unless it was cancelled meanwhile."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


@dataclass
class _Task:
    future: concurrent.futures.Future
    data: bytes
    timeout: float | None


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    task: _Task | None = None
    deadline: float | None = None
    ready: bool = False


class SupervisedPool(concurrent.futures.Executor):
    """A process pool in which each worker runs one task at a time, under watch.

    Parameters
    ----------
    max_workers
        Number of worker processes (started on demand).
    mp_context
        A :mod:`multiprocessing` context (default: the fork server where available).
    initializer, initargs
        Called in every worker when it starts (also in replacement workers).

    Notes
    -----
    Tasks are pickled with :mod:`cloudpickle`.  A task whose worker dies fails with
    :class:`WorkerDied` (``"worker died: exit code 3"``, ``"worker died: killed by
    signal SIGSEGV (11) ..."``); a task past its time limit fails with
    :class:`TimeoutError`.  Either way the worker is replaced and the other tasks are
    unaffected.  Workers are daemonic processes: a task cannot start processes of its
    own (use threads, or an executor of its own outside the pool).
    """

    def __init__(
        self,
        max_workers: int,
        *,
        mp_context: multiprocessing.context.BaseContext | None = None,
        initializer: Callable[..., Any] | None = None,
        initargs: tuple = (),
    ):
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        if mp_context is None:
            mp_context = multiprocessing.get_context(
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            )
        self._max_workers = int(max_workers)
        self._context = mp_context
        self._initializer = initializer
        self._initargs = initargs
        self._queue: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._shutdown = False
        self._abandon = False
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._lifeline_r, self._lifeline_w = mp_context.Pipe(duplex=False)
        self._thread: threading.Thread | None = None
        self._deaths = 0
        self._failed_starts = 0

    # -- public API ------------------------------------------------------------------------

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` in a worker, without a time limit."""
        return self.submit_limited(None, fn, *args, **kwargs)

    def submit_limited(
        self, timeout: float | None, fn, /, *args, **kwargs
    ) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` in a worker, killed after ``timeout`` seconds (None: never).

        The time counts from the moment a worker has unpickled the task (which
        may import modules) and calls ``fn``, not from submission.
        """
        data = cloudpickle.dumps((fn, args, kwargs))
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a SupervisedPool after shutdown")
            self._queue.append(_Task(future, data, timeout))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._manage, name="SupervisedPool", daemon=True
                )
                self._thread.start()
        self._wake()
        return future

    @property
    def worker_deaths(self) -> int:
        """How many workers died or were killed (timeouts) since the pool started."""
        return self._deaths

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool; running tasks finish first if ``wait`` (else their workers are killed)."""
        with self._lock:
            self._shutdown = True
            if cancel_futures or not wait:
                while self._queue:
                    self._queue.popleft().future.cancel()
            self._abandon = not wait
            thread = self._thread
        self._wake()
        if thread is None:
            self._close()
        elif wait:
            thread.join()

    # -- the manager thread ----------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"")

    def _start_worker(self) -> _Worker:
        """Start a worker (its start-up failures surface as deaths before it is ready)."""
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(theirs, self._lifeline_r, self._initializer, self._initargs),
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self._workers.append(worker)
        return worker

    def _kill(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
        worker.process.join(5)
        with contextlib.suppress(Exception):
            worker.connection.close()
        if worker in self._workers:
            self._workers.remove(worker)

    def _dispatch(self) -> None:
        """Give queued tasks to idle workers, starting workers up to ``max_workers``."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                idle = next((w for w in self._workers if w.ready and w.task is None), None)
                if idle is None:
                    starting = sum(not w.ready for w in self._workers)
                    if starting < len(self._queue) and len(self._workers) < self._max_workers:
                        self._start_worker()
                        continue
                    return
                task = self._queue.popleft()
            if task.future.cancelled():
                continue
            worker = idle
            try:
                worker.connection.send_bytes(task.data)
            except OSError:  # the idle worker died meanwhile: requeue the task, replace it
                with self._lock:
                    self._queue.appendleft(task)
                self._deaths += 1
                self._kill(worker)
                continue
            task.future.set_running_or_notify_cancel()
            worker.task = task
            worker.deadline = None  # set when the worker has unpickled the task

    def _manage(self) -> None:
        try:
            while True:
                self._dispatch()
                with self._lock:
                    if self._shutdown and (
                        self._abandon
                        or (not self._queue and all(w.task is None for w in self._workers))
                    ):
                        break
                deadlines = [w.deadline for w in self._workers if w.deadline is not None]
                wait = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
                handles: list[Any] = [self._wake_r]
                for worker in self._workers:
                    handles += [worker.connection, worker.process.sentinel]
                ready = multiprocessing.connection.wait(handles, timeout=wait)
                if self._wake_r in ready:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                for worker in list(self._workers):
                    self._check(worker, ready)
        except BaseException as exc:  # never leave futures waiting forever
            self._fail_all(RuntimeError(f"the process pool failed: {type(exc).__name__}: {exc}"))
        finally:
            self._close()

    def _fail_all(self, exc: BaseException) -> None:
        """Fail every queued and running task with ``exc``; refuse new ones."""
        with self._lock:
            self._shutdown = self._abandon = True
            queued = list(self._queue)
            self._queue.clear()
        for task in queued:
            _settle(task.future, False, exc)
        for worker in list(self._workers):
            if worker.task is not None:
                _settle(worker.task.future, False, exc)
                worker.task = None
            self._kill(worker)

    def _check(self, worker: _Worker, ready: list) -> None:
        if worker.connection in ready:
            try:
                data = worker.connection.recv_bytes()
            except (EOFError, OSError):
                pass  # the worker died; its sentinel tells how
            else:
                if data == _READY:
                    worker.ready = True
                    self._failed_starts = 0
                    return
                if data == _STARTED:
                    if worker.task is not None and worker.task.timeout is not None:
                        worker.deadline = time.monotonic() + worker.task.timeout
                    return
                try:
                    ok, value = pickle.loads(data)
                except Exception as exc:  # e.g. a result class the driver cannot import
                    ok, value = (
                        False,
                        RuntimeError(
                            f"the result from the worker cannot be unpickled here "
                            f"({type(exc).__name__}: {exc})"
                        ),
                    )
                task, worker.task, worker.deadline = worker.task, None, None
                if task is not None:
                    _settle(task.future, ok, value)
                return
        if worker.process.sentinel in ready or not worker.process.is_alive():
            worker.process.join(5)
            self._deaths += 1
            task = worker.task
            self._kill(worker)
            cause = death_cause(worker.process.exitcode)
            if task is not None:
                _settle(task.future, False, WorkerDied(cause))
            elif not worker.ready:
                self._failed_starts += 1
                if self._failed_starts >= _START_ATTEMPTS:
                    self._fail_all(
                        WorkerDied(
                            f"worker processes die while starting ({cause}, "
                            f"{self._failed_starts} times in a row); see their error output"
                        )
                    )
            return
        if worker.deadline is not None and time.monotonic() >= worker.deadline:
            task = worker.task
            self._deaths += 1
            self._kill(worker)
            if task is not None:
                message = (
                    f"the task ran longer than timeout={task.timeout:g} s; its worker was stopped"
                )
                _settle(task.future, False, TimeoutError(message))

    def _close(self) -> None:
        for worker in list(self._workers):
            if worker.task is not None:  # abandoned (shutdown without waiting): stop it now
                self._kill(worker)
                _settle(worker.task.future, False, concurrent.futures.CancelledError())
        for worker in list(self._workers):
            with contextlib.suppress(Exception):
                worker.connection.close()  # an idle worker sees EOF and exits
        for worker in list(self._workers):
            worker.process.join(2)
            if worker.process.is_alive():
                self._kill(worker)
        self._workers.clear()
        for end in (self._lifeline_w, self._lifeline_r, self._wake_r, self._wake_w):
            with contextlib.suppress(Exception):
                end.close()
