"""Adaptive 1D scans: sample a curve where it varies, with the scan's executors and store.

Resonances, plateaus and their edges make transport curves (G against energy,
gate voltage or flux) very uneven: a uniform grid fine enough for the sharpest
feature wastes most of its points on the flat parts.  :func:`adaptive_scan`
lets :class:`adaptive.Learner1D` choose each next point where the piecewise-
linear interpolation of the data is worst, until its loss falls below a goal.

The points run on the same executors as :func:`workflows.scan` (a local
process pool by default, or any :class:`concurrent.futures.Executor`); each
evaluated point is committed to the results store as it finishes, and a rerun
with the same store feeds the stored points back to the learner
(``learner.tell``) before asking for new ones, so nothing is computed twice.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems.validation import integer, real
from workflows.runs.executors import available_cpus, runs_in_process
from workflows.runs.grids import check_name, grid_value
from workflows.runs.main_guard import check_main_guard
from workflows.runs.point_runner import PointRunner, check_timeout
from workflows.runs.provenance import callable_fingerprint, run_provenance, utc_now
from workflows.runs.scans import (
    assemble_table,
    progress_bar,
    record_outcome,
    report_failures,
    run_session,
    worker_hosts,
)
from workflows.runs.store import PointOutcome, ResultsStore, encode_json

__all__ = ["adaptive_scan"]

logger = logging.getLogger(__name__)


def _not_called(x: float) -> float:  # the learner is driven by ask/tell, never calls this
    raise RuntimeError("adaptive_scan drives the learner through ask/tell")


def _learner_value(outcome: PointOutcome, observables: Sequence[str]) -> float | np.ndarray | None:
    """What the learner is told for one outcome, or None if it cannot use the point.

    Raises
    ------
    ValueError
        If a successful point does not return a steering observable: a misspelt
        ``observable`` would otherwise leave the learner without data and
        spend all ``max_points`` on points it cannot use.
    """
    if outcome.error is not None or outcome.observables is None:
        return None
    values = []
    for name in observables:
        if name not in outcome.observables:
            raise ValueError(
                f"observable={name!r} is not returned by the point function; it returns "
                f"{', '.join(map(repr, outcome.observables)) or 'no observables'}"
            )
        value = outcome.observables[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None
        if not math.isfinite(value):
            return None
        values.append(float(value))
    return values[0] if len(values) == 1 else np.array(values)


def _feed(learner, x: float, outcome: PointOutcome, observables) -> None:
    value = _learner_value(outcome, observables)
    if value is None:
        # a failed (or non-numeric) point stays "pending": the learner will not ask for it again
        learner.tell_pending(x)
    else:
        learner.tell(x, value)


def _check_arguments(axis, bounds, observable, loss_goal, max_points, params):
    axis = check_name(axis, "axis")
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError(f"bounds must be a pair of numbers (low, high), got {bounds!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"bounds must be finite with low < high, got {bounds!r}")
    if isinstance(observable, str):
        observables = [observable]
    elif isinstance(observable, Sequence):
        observables = list(observable)
    else:
        observables = []
    if not observables or not all(isinstance(o, str) and o for o in observables):
        raise TypeError(
            f"observable must be an observable name or a list of names, got {observable!r}"
        )
    loss_goal = real("loss_goal", loss_goal, minimum=0, strict=True)
    max_points = integer("max_points", max_points, minimum=2, hint="the two bounds included")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of fixed keyword arguments, got {params!r}")
    fixed = {check_name(k, "parameter"): grid_value(k, v) for k, v in params.items()}
    if axis in fixed:
        raise ValueError(f"{axis!r} is the scanned axis; it cannot also be a fixed parameter")
    return axis, (low, high), observables, float(loss_goal), int(max_points), fixed


def adaptive_scan(
    point: Callable[..., Mapping[str, Any]],
    axis: str,
    bounds: tuple[float, float],
    *,
    observable: str | Sequence[str],
    params: Mapping[str, Any] | None = None,
    loss_goal: float = 0.05,
    max_points: int = 300,
    loss_per_interval: Callable | None = None,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = True,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Sample ``point`` along one parameter adaptively, until the interpolation is good enough.

    Parameters
    ----------
    point
        A picklable function of keyword parameters returning a dict of
        observables, as for :func:`workflows.scan`.
    axis
        The scanned parameter (e.g. ``"energy"`` in t, or ``"phi"`` in h/e).
    bounds
        ``(low, high)``: the interval sampled, both ends included.
    observable
        The observable (or list of observables) that steers the sampling;
        every observable the point returns is kept in the table.
    params
        Fixed keyword arguments passed to ``point`` at every point.
    loss_goal
        Stop when :meth:`adaptive.Learner1D.loss` is at most this.  With the
        default loss (the largest interval's length in the plane of x and y,
        each rescaled to the data's range) no segment of the sampled curve is
        longer than 5 % of the plot's size for 0.05.  (On the resonance curve of
        ``benchmarks/bench_scan.py`` 0.05 needs 4× fewer points than a uniform
        grid of the same maximum interpolation error.)
    max_points
        Stop after this many points in total (stored points included) even if
        the loss goal is not reached (a warning is logged).
    loss_per_interval
        A loss function for :class:`adaptive.Learner1D` (e.g.
        ``adaptive.learner.learner1D.curvature_loss_function()``); default
        its default loss.
    executor
        Any :class:`concurrent.futures.Executor`; default a local process pool.
        As many points run at once as the executor has workers.
    store
        Path of a results store: every evaluated point is committed as it
        finishes; a rerun feeds them back to the learner and continues (raise
        ``max_points`` or lower ``loss_goal`` to refine further).  A store of
        another point function, axis, bounds or fixed parameters is refused.
    progress
        Show a progress bar (points out of ``max_points``, failed, loss).
    timeout
        Per-point wall-clock limit in seconds, as for :func:`workflows.scan`;
        a point past it is recorded as failed (``TimeoutError``) and left out
        of the interpolation.

    Returns
    -------
    pandas.DataFrame
        One row per evaluated point, sorted along ``axis``: the fixed
        parameters, ``axis``, the observables and ``error``.  ``attrs`` holds
        ``provenance`` (as for :func:`workflows.scan`), ``failed``, ``loss``
        (the learner's final loss) and ``loss_goal``.

    Notes
    -----
    A failing point is recorded (``error``) and left out of the
    interpolation; the learner does not ask for it again.
    """
    if not callable(point):
        raise TypeError(f"point must be a function of keyword parameters, got {point!r}")
    axis, bounds, observables, loss_goal, max_points, fixed = _check_arguments(
        axis, bounds, observable, loss_goal, max_points, params
    )
    timeout = check_timeout(timeout)
    if not runs_in_process(executor):
        check_main_guard("adaptive_scan")
    fingerprint = callable_fingerprint(point)
    scan_text = encode_json({"axis": axis, "bounds": list(bounds), "params": fixed})
    scan_sha256 = hashlib.sha256(scan_text.encode()).hexdigest()
    description = f"adaptive scan of {axis} in [{bounds[0]:g}, {bounds[1]:g}]" + (
        f" at {fixed}" if fixed else ""
    )
    started = utc_now()
    provenance = run_provenance(
        point=fingerprint["name"],
        point_sha256=fingerprint["sha256"],
        scan_sha256=scan_sha256,
        parameters=[*fixed, axis],
        fixed=fixed,
        axis=axis,
        bounds=list(bounds),
        observables=observables,
        loss_goal=loss_goal,
        max_points=max_points,
        executor="none (loss goal met by stored points)",  # replaced when a runner starts
        store=str(Path(store).resolve()) if store is not None else None,
    )
    import adaptive  # imported here: it pulls in scipy.stats, ~1 s, only needed for this

    learner = adaptive.Learner1D(_not_called, bounds, loss_per_interval=loss_per_interval)

    results: ResultsStore | None = None
    outcomes: dict[int, PointOutcome] = {}
    positions: dict[int, float] = {}
    if store is not None:
        results = ResultsStore.open(
            store,
            kind="adaptive",
            point_name=fingerprint["name"],
            point_sha256=fingerprint["sha256"],
            scan_sha256=scan_sha256,
            parameters=[*fixed, axis],
            description=description,
        )
        try:
            stored_params = results.point_parameters()
            for index, outcome in results.finished().items():
                positions[index] = float(stored_params[index][axis])
                outcomes[index] = outcome
                _feed(learner, positions[index], outcome, observables)
        except BaseException:
            results.close()
            raise
    from_store = len(outcomes)
    failed = {i: o.error for i, o in sorted(outcomes.items()) if o.error is not None}

    def work(runner: PointRunner) -> None:
        bar = progress_bar(max_points, from_store, enabled=progress, desc="adaptive scan")
        try:
            _sample(
                runner,
                learner,
                axis,
                fixed,
                observables,
                outcomes,
                positions,
                results,
                bar,
                failed,
                loss_goal,
                max_points,
            )
        finally:
            bar.close()

    done = len(outcomes) >= max_points or learner.loss() <= loss_goal
    runs = run_session(
        results,
        provenance,
        None if done else lambda: PointRunner(point, executor, max_points - len(outcomes), timeout),
        work,
        lambda: {
            "computed": len(outcomes) - from_store,
            "failed": len(failed),
            "loss": float(learner.loss()),
        },
    )

    loss = float(learner.loss())
    if loss > loss_goal:
        logger.warning(
            "adaptive_scan: stopped at max_points=%d with loss %.3g above loss_goal %.3g",
            max_points,
            loss,
            loss_goal,
        )
    order = sorted(outcomes, key=lambda i: (positions[i], i))
    frame = pd.DataFrame([{**fixed, axis: positions[i]} for i in order])
    table = assemble_table(frame, {row: outcomes[i] for row, i in enumerate(order)})
    report_failures("adaptive_scan", failed, len(outcomes))
    provenance.update(
        started=started,
        finished=utc_now(),
        n_points=len(outcomes),
        n_computed=len(outcomes) - from_store,
        n_from_store=from_store,
        n_failed=len(failed),
        loss=loss,
        worker_hosts=worker_hosts(outcomes.values()),
    )
    if results is not None:
        provenance["runs"] = runs
    table.attrs["provenance"] = provenance
    table.attrs["failed"] = len(failed)
    table.attrs["loss"] = loss
    table.attrs["loss_goal"] = loss_goal
    return table


def _sample(
    runner,
    learner,
    axis,
    fixed,
    observables,
    outcomes,
    positions,
    results,
    bar,
    failed,
    loss_goal,
    max_points,
) -> None:
    """Ask the learner for points while workers are free; tell it each result."""
    width = runner.capacity or available_cpus()  # SerialExecutor: 1
    next_index = max(outcomes, default=-1) + 1
    in_flight: dict[concurrent.futures.Future, int] = {}

    def collect(outcome: PointOutcome, x: float) -> None:
        record_outcome(outcome, results, outcomes, bar, failed, {**fixed, axis: x})
        _feed(learner, x, outcome, observables)

    while True:
        while (
            len(in_flight) < width
            and len(outcomes) + len(in_flight) < max_points
            and learner.loss() > loss_goal
        ):
            (x,), _ = learner.ask(1)
            x = float(x)
            index, next_index = next_index, next_index + 1
            positions[index] = x
            try:
                in_flight[runner.submit(index, {**fixed, axis: x})] = index
            except Exception as exc:  # a broken executor: report the point, stop asking
                collect(runner.failed_submission(index, exc), x)
                max_points = len(outcomes) + len(in_flight)
        if not in_flight:
            return
        done, _ = runner.wait(in_flight)
        for future in done:
            index = in_flight.pop(future)
            (outcome,) = runner.outcomes(future)
            collect(outcome, positions[index])
        postfix = {"loss": f"{learner.loss():.3g}"}
        if failed:
            postfix["failed"] = len(failed)
        bar.set_postfix(postfix, refresh=False)
