"""The one run driver: a sampler chooses the points, the driver runs, stores and resumes them.

Every scan of mesoflow — a grid (:func:`workflows.scan`), an adaptive curve
(:func:`workflows.adaptive_scan`), the energies of thermal windows
(:func:`workflows.runs.energy_windows.window_scan`) — is a *sampler* (which points, see
:mod:`workflows.runs.samplers`) driven by :func:`drive` (how they run).  The
driver, in the calling process:

1. fingerprints the point function and opens the results store for the
   sampler's identity (refusing a store of another scan);
2. hands the points the store already holds back to the sampler
   (:meth:`~workflows.runs.samplers.Sampler.resume`), so a rerun computes only
   what is missing;
3. asks the sampler for tasks while workers are free, submits them through a
   :class:`workflows.runs.point_runner.PointRunner` on the run's executor,
   and tells the sampler each outcome as it arrives — after committing it to
   the store, so an interrupted run loses only the points in flight;
4. records the session (start, executor, summary) in the store and the run's
   provenance in ``attrs["provenance"]`` of the returned table.

A failing point never stops the run: its error is stored and shown in the
``error`` column and the sampler is told (a learner leaves it out).  A group
of points submitted together (a sweep axis) that fails as a whole is run
again point by point, so a fault costs only the point that causes it.
"""

from __future__ import annotations

import collections
import concurrent.futures
import importlib.util
import json
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from workflows.runs.executors import available_cpus, runs_in_process
from workflows.runs.main_guard import check_main_guard
from workflows.runs.options import RunOptions, run_options
from workflows.runs.point_runner import PointRunner, check_timeout
from workflows.runs.provenance import callable_fingerprint, run_provenance, utc_now
from workflows.runs.samplers import Sampler, Task
from workflows.runs.store import PointOutcome, ResultsStore

__all__ = [
    "drive",
    "progress_bar",
    "report_failures",
    "run_session",
    "worker_hosts",
]

logger = logging.getLogger(__name__)


# -- progress --------------------------------------------------------------------------------


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int | None, initial: int, *, enabled: bool, desc: str):
    """A tqdm progress bar (a widget in Jupyter when ipywidgets is installed), or a no-op."""
    if not enabled:
        return _NoProgress()
    if importlib.util.find_spec("ipywidgets") is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TqdmExperimentalWarning about notebook mode
            from tqdm.auto import tqdm
    else:  # without ipywidgets tqdm.auto would warn and fall back to text anyway
        from tqdm.std import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit="pt", smoothing=0.1)


# -- failures ----------------------------------------------------------------------------------


def report_failures(what: str, failed: Mapping[int, str], total: int) -> None:
    """Log a warning summarising failed points (no silent loss)."""
    if not failed:
        return
    first_index, first_error = next(iter(failed.items()))
    logger.warning(
        "%s: %d of %d points failed (first: point %d, %s); see the 'error' column",
        what,
        len(failed),
        total,
        first_index,
        first_error,
    )


def worker_hosts(outcomes: Iterable[PointOutcome]) -> list[str]:
    """The hosts whose workers evaluated ``outcomes``, sorted."""
    return sorted({o.worker.rsplit(":", 1)[0] for o in outcomes if o.worker})


# -- the session -------------------------------------------------------------------------------


def run_session(
    results: ResultsStore | None,
    provenance: dict[str, Any],
    start_runner: Callable[[], PointRunner] | None,
    work: Callable[[PointRunner], None],
    summary: Callable[[], Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Run the points of a scan as one session; whatever happens, clean up.

    Starts the runner (``start_runner``; None when no point is left to
    compute) and records its executor in ``provenance``, records the session
    in the store, calls ``work(runner)``, then shuts the runner down
    (cancelling what is queued if ``work`` raised, e.g. on Ctrl-C), records
    ``summary()`` as the end of the session and closes the store, also after
    an error.

    Returns
    -------
    list of dict
        The store's sessions, oldest first (``id``, ``started``, ``finished``,
        ``host``, ``summary``); empty without a store.
    """
    runs: list[dict[str, Any]] = []
    runner: PointRunner | None = None
    try:
        if start_runner is not None:
            runner = start_runner()
            provenance["executor"] = runner.description
        try:
            if results is not None:
                results.begin_run(provenance)
            if runner is not None:
                work(runner)
        except BaseException:
            if runner is not None:
                runner.close(cancel=True)
            raise
        if runner is not None:
            runner.close()
    finally:
        if results is not None:
            try:
                results.end_run(summary())
                runs = [
                    {
                        "id": r["id"],
                        "started": r["started"],
                        "finished": r["finished"],
                        "host": r["provenance"].get("host"),
                        "summary": r["summary"],
                    }
                    for r in results.runs()
                ]
            finally:
                results.close()
    return runs


# -- the driver --------------------------------------------------------------------------------


def _check_provenance(extra: Mapping[str, Any] | None, own: Mapping[str, Any]) -> dict[str, Any]:
    extra = dict(extra or {})
    try:
        json.dumps(extra)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"provenance must be JSON-serialisable (numbers, strings, lists, dicts), got "
            f"{extra!r} ({exc})"
        ) from None
    clash = sorted(set(extra) & set(own))
    if clash:
        raise ValueError(
            f"provenance entries {clash} clash with the scan's own provenance; rename them"
        )
    return extra


class _Run:
    """The state of one driven run: outcomes so far, the store, the progress bar."""

    def __init__(self, sampler: Sampler, results: ResultsStore | None):
        self.sampler = sampler
        self.results = results
        self.outcomes: dict[int, PointOutcome] = {}
        self.params: dict[int, dict[str, Any]] = {}
        self.failed: dict[int, str] = {}
        self.bar: Any = _NoProgress()

    def record(self, outcome: PointOutcome) -> None:
        """Store one finished point (unless the executor failed it), collect it, tell it."""
        params = self.params[outcome.index]
        if self.results is not None and outcome.persist:
            self.results.record(outcome, params)
        self.outcomes[outcome.index] = outcome
        if outcome.error is not None:
            self.failed[outcome.index] = outcome.error
        self.bar.update(1)
        self.sampler.tell(outcome, params)
        postfix = self.sampler.postfix()
        if self.failed:
            postfix["failed"] = len(self.failed)
        if postfix:
            self.bar.set_postfix(postfix, refresh=False)

    def work(self, runner: PointRunner) -> None:
        """Keep the workers busy with the sampler's tasks; record each outcome as it comes.

        A task of several points that fails as a whole (one error shared by all:
        its worker died, it ran out of time, the sweep raised) is not recorded:
        each of its points goes again on its own.
        """
        sampler = self.sampler
        width = (
            runner.window(sampler.size_hint())
            if sampler.fills_queue
            else max(1, runner.capacity or available_cpus())
        )
        alone: collections.deque[Task] = collections.deque()  # points of failed groups
        in_flight: set[concurrent.futures.Future] = set()
        broken = False  # the executor refused a task: fail the rest without trying
        while True:
            free = width - len(in_flight)
            tasks = [alone.popleft() for _ in range(min(free, len(alone)))]
            if free > len(tasks):
                tasks += sampler.ask(free - len(tasks))
            for task in tasks:
                for index, params in zip(task.indices, task.points, strict=True):
                    self.params[index] = params
                try:
                    if broken:
                        raise broken
                    if task.axis is None:
                        in_flight.add(runner.submit(task.indices[0], task.points[0]))
                    else:
                        in_flight.add(
                            runner.submit_sweep(task.axis, list(task.indices), list(task.points))
                        )
                except Exception as exc:  # e.g. a broken process pool: report, never lose it
                    broken = exc
                    for index in task.indices:
                        self.record(runner.failed_submission(index, exc))
            if not in_flight:
                if tasks or alone:
                    continue
                return
            done, in_flight = runner.wait(in_flight)
            for future in done:
                finished = runner.outcomes(future)
                if _failed_as_a_whole(finished):
                    alone.extend(Task((o.index,), (self.params[o.index],)) for o in finished)
                    continue
                for outcome in finished:
                    self.record(outcome)


def _failed_as_a_whole(finished: list[PointOutcome]) -> bool:
    """Whether a group of several points failed with one error shared by all of them."""
    errors = {outcome.error for outcome in finished}
    return len(finished) > 1 and None not in errors and len(errors) == 1


def drive(
    point: Callable[..., Mapping[str, Any]],
    sampler: Sampler,
    *,
    run: RunOptions | None = None,
    provenance: Mapping[str, Any] | None = None,
    what: str = "scan",
) -> pd.DataFrame:
    """Evaluate ``point`` wherever ``sampler`` asks, in parallel, stored and resumable.

    Parameters
    ----------
    point
        A picklable function of keyword parameters returning a dict of
        observables (numbers, booleans, strings or numeric arrays), as for
        :func:`workflows.scan`.
    sampler
        Which points to evaluate (:class:`workflows.runs.samplers.Sampler`:
        a grid, an adaptive learner, thermal windows).
    run
        How the points run (:class:`workflows.runs.options.RunOptions`):
        executor (default a local process pool sized to the machine and to
        the points), results store, progress bar (default on), per-point time
        limit, whether failed stored points are computed again.
    provenance
        Further JSON-serialisable provenance entries (e.g. a study's name and
        settings), recorded next to the run's own (whose names they may not reuse).
    what
        The run's name in messages and on the progress bar.

    Returns
    -------
    pandas.DataFrame
        The sampler's table (:meth:`~workflows.runs.samplers.Sampler.table`):
        parameters, observables and ``error``; ``attrs["provenance"]`` (point
        function and fingerprint, the sampler's entries, versions, solver, git
        revision, host, executor, timestamps, the store's sessions) and
        ``attrs["failed"]`` (number of failed points).
    """
    if not callable(point):
        raise TypeError(f"point must be a function of keyword parameters, got {point!r}")
    if not isinstance(sampler, Sampler):
        raise TypeError(f"sampler must be a workflows.runs.samplers.Sampler, got {sampler!r}")
    run = run_options(run)
    timeout = check_timeout(run.timeout)
    if not runs_in_process(run.executor):
        check_main_guard(what)
    fingerprint = callable_fingerprint(point)
    identity = sampler.identity()
    started = utc_now()
    own = run_provenance(
        point=fingerprint["name"],
        point_sha256=fingerprint["sha256"],
        scan_sha256=identity["scan_sha256"],
        executor="none (every point was in the store)",  # replaced when a runner starts
        store=str(Path(run.store).resolve()) if run.store is not None else None,
        **sampler.provenance(),
    )
    extra = _check_provenance(provenance, own)
    own.update(extra)
    provenance = own

    results: ResultsStore | None = None
    if run.store is not None:
        results = ResultsStore.open(
            run.store,
            kind=sampler.kind,
            point_name=fingerprint["name"],
            point_sha256=fingerprint["sha256"],
            **identity,
        )
    state = _Run(sampler, results)
    try:
        if results is not None:
            stored = results.finished(include_failed=not run.retry_failed)
            parameters = results.point_parameters()
            state.outcomes.update(stored)
            state.params.update({i: parameters[i] for i in stored})
            state.failed.update({i: o.error for i, o in sorted(stored.items()) if o.error})
            sampler.resume(stored, parameters)
        else:
            sampler.resume({}, {})
    except BaseException:
        if results is not None:
            results.close()
        raise
    from_store = len(state.outcomes)

    def work(runner: PointRunner) -> None:
        state.bar = progress_bar(
            sampler.total(),
            from_store,
            enabled=run.show_progress(True),
            desc=what,
        )
        if state.failed:
            state.bar.set_postfix(failed=len(state.failed))
        try:
            state.work(runner)
        finally:
            state.bar.close()

    start_runner = None
    if not sampler.finished():
        start_runner = lambda: PointRunner(  # noqa: E731
            point, run.executor, sampler.size_hint(), timeout
        )
    runs = run_session(
        results,
        provenance,
        start_runner,
        work,
        lambda: {
            "computed": len(state.outcomes) - from_store,
            "failed": len(state.failed),
            **sampler.summary(),
        },
    )
    table = sampler.table(state.outcomes, state.params)
    failed = {i: o.error for i, o in sorted(state.outcomes.items()) if o.error is not None}
    report_failures(what, failed, len(table))
    provenance.update(
        started=started,
        finished=utc_now(),
        n_computed=len(state.outcomes) - from_store,
        n_from_store=from_store,
        n_failed=len(failed),
        worker_hosts=worker_hosts(state.outcomes.values()),
        **sampler.summary(),
    )
    if results is not None:
        provenance["runs"] = runs
    table.attrs["provenance"] = provenance
    table.attrs["failed"] = len(failed)
    return table
