"""Submitting the points of one point function to an executor and collecting their outcomes.

:class:`PointRunner` is shared by :func:`workflows.scan` and
:func:`workflows.adaptive_scan`: it sends the point function to the workers
(:mod:`workflows.runs.payloads`), keeps the time limit of every point, and
turns every way a point can end — a result, an error, a dead worker, a
timeout, a failure of the executor itself — into a
:class:`workflows.runs.store.PointOutcome`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from systems.validation import real
from workflows.runs.evaluation import evaluate_point, evaluate_sweep
from workflows.runs.executors import (
    SerialExecutor,
    available_cpus,
    describe_executor,
    executor_capacity,
    runs_in_process,
    worker_context,
)
from workflows.runs.payloads import (
    PointNotCached,
    PointPayload,
    install_point,
    pickled_point,
    run_point,
    run_sweep,
)
from workflows.runs.store import PointOutcome
from workflows.runs.workers import SupervisedPool, WorkerDied

__all__ = ["PointRunner", "check_timeout"]


class PointRunner:
    """Submits points of one point function to an executor and collects their outcomes.

    Shared by :func:`workflows.scan` and :func:`workflows.adaptive_scan`.  With
    ``executor=None`` it owns a :func:`workflows.process_pool` of up to ``max_workers``
    workers (the point function is installed in each worker when it starts) and
    shuts it down on :meth:`close`.  On any other out-of-process executor the
    pickled point function goes with the first tasks only and later tasks name it
    by its hash; a worker that has not seen it refuses the task before running it
    and the task is sent again with the pickle (:mod:`workflows.runs.payloads`).

    Parameters
    ----------
    point
        The point function.
    executor
        Any executor, or None for an own local process pool.
    max_workers
        Upper bound on the own pool's size (e.g. the number of pending points).
    timeout
        Per-point wall-clock limit in seconds, or None.  On a
        :func:`workflows.process_pool` (the default) it counts from the moment a worker
        starts the point, and the worker is killed and replaced when it
        expires.  On any other executor it counts from submission (at most as
        many points as the executor has workers are submitted at once); the
        point is recorded as failed and its future cancelled, but a task that
        is already running goes on in its worker (that executor owns its
        workers).  In-process executors (:class:`workflows.SerialExecutor`, a thread
        pool) cannot interrupt a point: one that took longer than the limit
        is recorded as failed when it returns, so the table is the same on
        every executor.
    """

    def __init__(
        self,
        point: Callable[..., Any],
        executor: concurrent.futures.Executor | None,
        max_workers: int,
        timeout: float | None = None,
    ):
        self.point = point
        self.owned = executor is None
        self.timeout = timeout
        self._data: bytes | None = None  # the pickled point, for workers that may lack it
        self._key: str | None = None  # its hash: all that a task carries otherwise
        if executor is None:
            data = pickled_point(point)
            executor = SupervisedPool(
                max(1, min(available_cpus(), max_workers)),
                mp_context=worker_context(),
                initializer=install_point,
                initargs=(1, data),
            )
            self._key = hashlib.sha256(data).hexdigest()  # installed in every worker
        elif not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(
                f"executor must be a concurrent.futures.Executor (e.g. a process pool or "
                f"dask's Client.get_executor()), got {type(executor).__name__}"
            )
        elif not runs_in_process(executor):  # in-process executors need no pickling
            self._data = pickled_point(point)
            self._key = hashlib.sha256(self._data).hexdigest()
        self.executor = executor
        self.supervised = isinstance(executor, SupervisedPool)
        self.capacity = executor_capacity(executor)
        self.description = describe_executor(executor, self.capacity)
        # future -> its point index (submit) or the tuple of its group's indices (submit_sweep)
        self._submitted: dict[concurrent.futures.Future, int | tuple[int, ...]] = {}
        self._deadlines: dict[concurrent.futures.Future, float] = {}
        self._expired: set[concurrent.futures.Future] = set()
        # On an executor whose workers do not have the point installed, the futures handed
        # out stand for the executor's: a task that a worker refuses for want of the point
        # function (PointNotCached) is sent again with it, unseen by the caller.  The
        # pickle goes with the first tasks (enough for every worker to get one), with
        # every such resend and the few tasks after it; the other tasks carry its hash.
        self._with_data = 2 * self.capacity if self.capacity else 1
        self._inner: dict[concurrent.futures.Future, concurrent.futures.Future] = {}
        self._task: dict[concurrent.futures.Future, tuple] = {}

    def window(self, pending: int) -> int:
        """How many points to keep submitted at once: enough to keep every worker busy."""
        if isinstance(self.executor, SerialExecutor):
            return 1
        if self.capacity is None:
            return max(1, pending)
        if self.timeout is not None and not self.supervised:
            return max(1, self.capacity)  # the clock starts at submission
        return max(1, 2 * self.capacity)

    def submit(self, index: int, params: dict[str, Any]) -> concurrent.futures.Future:
        """Submit one point; returns a future of its :class:`PointOutcome`."""
        return self._submit(index, self.timeout, evaluate_point, run_point, index, params)

    def submit_sweep(
        self, axis: str, indices: list[int], points: list[dict[str, Any]]
    ) -> concurrent.futures.Future:
        """Submit a group of points equal but for ``axis`` as one task (:func:`evaluate_sweep`).

        Returns a future of a list of :class:`PointOutcome`; the time limit of
        the task is ``timeout`` times the number of points.
        """
        limit = None if self.timeout is None else self.timeout * len(indices)
        return self._submit(tuple(indices), limit, evaluate_sweep, run_sweep, axis, indices, points)

    def _submit(self, key, limit, evaluate, run, *args) -> concurrent.futures.Future:
        """Submit ``evaluate(point, *args)``: in process, or ``run(payload, *args)`` in workers."""
        if self._data is None:  # in process, or the point is installed in the workers
            future = self._send(self._key, limit, evaluate, run, args)
        else:
            payload = self._key
            if self._with_data > 0:
                self._with_data -= 1
                payload = self._data
            future = concurrent.futures.Future()
            self._inner[future] = self._send(payload, limit, evaluate, run, args)
            self._task[future] = (limit, evaluate, run, args)
        if limit is not None and not self.supervised:
            self._deadlines[future] = time.monotonic() + limit
        self._submitted[future] = key
        return future

    def _send(self, payload, limit, evaluate, run, args) -> concurrent.futures.Future:
        """One task on the executor: the point function itself, its pickle or its hash."""
        if self.supervised:
            point = PointPayload(payload)  # loaded before the clock starts
            return self.executor.submit_limited(limit, evaluate, point, *args)
        if payload is None:
            return self.executor.submit(evaluate, self.point, *args)
        return self.executor.submit(run, payload, *args)

    def _settle(self, future, inner) -> bool:
        """Pass the finished ``inner`` on to ``future``, or send the task again (False)."""
        failure = None if inner.cancelled() else inner.exception()
        if isinstance(failure, PointNotCached):
            # some worker lacks the pickle: it goes again with this task and the next few,
            # so that the worker soon takes one (a task is never refused twice)
            self._with_data = max(self._with_data, self.capacity or 1)
            limit, evaluate, run, args = self._task[future]
            try:
                self._inner[future] = self._send(self._data, limit, evaluate, run, args)
                if future in self._deadlines:  # the refused task never ran: a fresh clock
                    self._deadlines[future] = time.monotonic() + limit
                return False
            except Exception as exc:  # e.g. a broken pool: the point's failure, reported
                failure = exc
        del self._inner[future], self._task[future]
        if inner.cancelled() and failure is None:
            future.cancel()
        elif failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(inner.result())
        return True

    def _cancel(self, future: concurrent.futures.Future) -> None:
        """Cancel a submitted future and, behind it, the executor's task."""
        inner = self._inner.pop(future, None)
        self._task.pop(future, None)
        if inner is not None:
            inner.cancel()
        future.cancel()

    def wait(
        self, in_flight: Iterable[concurrent.futures.Future]
    ) -> tuple[set[concurrent.futures.Future], set[concurrent.futures.Future]]:
        """Wait until a point finishes (or passes its time limit); returns ``(done, not_done)``."""
        in_flight = set(in_flight)
        while True:
            deadlines = [self._deadlines[f] for f in in_flight if f in self._deadlines]
            wait = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
            watched = {self._inner.get(f, f): f for f in in_flight}
            finished, _ = concurrent.futures.wait(
                watched, timeout=wait, return_when=concurrent.futures.FIRST_COMPLETED
            )
            done = set()
            resent = False
            for inner in finished:
                future = watched[inner]
                if future is inner or self._settle(future, inner):
                    done.add(future)
                else:
                    resent = True
            now = time.monotonic()
            for future in in_flight - done:
                if self._deadlines.get(future, np.inf) <= now:
                    self._cancel(future)
                    self._expired.add(future)
                    done.add(future)
            if done or not resent:
                return done, in_flight - done

    def outcomes(self, future: concurrent.futures.Future) -> list[PointOutcome]:
        """The outcomes of a finished future of :meth:`submit` (one) or :meth:`submit_sweep`.

        A worker that died with the point (:class:`workflows.runs.workers.WorkerDied`)
        or a point past its time limit is recorded as failed, like an error
        raised by the point.  Other failures of the executor (e.g. a broken
        ``ProcessPoolExecutor``, a cancelled task) are marked ``persist=False``:
        reported, but not stored, so that a rerun retries the point.
        """
        key = self._submitted.pop(future)
        self._deadlines.pop(future, None)
        group = isinstance(key, tuple)
        indices = key if group else (key,)
        what = f"the group of {len(indices)} points" if group else "the point"
        if future in self._expired:
            self._expired.discard(future)
            exc = TimeoutError(
                f"{what} ran longer than timeout={self.timeout:g} s "
                + (
                    "per point (counted from submission); its results are ignored"
                    if group
                    else "(counted from submission); its result is ignored"
                )
            )
            return [self.failed_point(index, exc) for index in indices]
        try:
            result = future.result()
        except BaseException as exc:
            if not isinstance(exc, Exception | concurrent.futures.CancelledError):
                raise
            if isinstance(exc, WorkerDied | TimeoutError) and self.supervised:
                return [self.failed_point(index, exc) for index in indices]
            return [self.failed_submission(index, exc) for index in indices]
        outcomes = list(result) if group else [result]
        duration = sum(outcome.duration for outcome in outcomes)
        if self.timeout is not None and duration > self.timeout * len(indices):
            # an executor that could not stop it (e.g. in-process): the same table anyway
            exc = TimeoutError(
                f"{what} ran longer than timeout={self.timeout:g} s per point; "
                "its results are discarded"
                if group
                else f"the point ran {duration:.3g} s, longer than timeout={self.timeout:g} s; "
                "its result is discarded"
            )
            return [self.failed_point(index, exc) for index in indices]
        return outcomes

    def failed_point(self, index: int, exc: BaseException) -> PointOutcome:
        """The outcome of a point that killed its worker or passed its time limit (stored)."""
        return PointOutcome(
            index=index,
            observables=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=None,
            started=time.time(),
            duration=0.0 if self.timeout is None else float(self.timeout),
            worker="",
        )

    @staticmethod
    def failed_submission(index: int, exc: BaseException) -> PointOutcome:
        """The outcome of a point that the executor failed to run (not stored: retried later)."""
        return PointOutcome(
            index=index,
            observables=None,
            error=f"{type(exc).__name__}: {exc} (executor failure; not stored, retried "
            "when the scan runs again)",
            traceback="".join(traceback.format_exception(exc)),
            started=time.time(),
            duration=0.0,
            worker="",
            persist=False,
        )

    def close(self, *, cancel: bool = False) -> None:
        """Cancel what is still queued (if ``cancel``) and shut down an owned pool."""
        if cancel:
            for future in list(self._submitted):
                self._cancel(future)
        if self.owned:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


def check_timeout(timeout: Any) -> float | None:
    """``timeout`` as a positive finite float of seconds, or None."""
    if timeout is None:
        return None
    return real("timeout", timeout, minimum=0, strict=True, hint="seconds, or None")
