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

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from systems.validation import integer, real
from workflows.runs.driver import drive
from workflows.runs.grids import check_name, fixed_parameters
from workflows.runs.options import RunOptions
from workflows.runs.samplers import AdaptiveSampler

__all__ = ["adaptive_scan"]

logger = logging.getLogger(__name__)


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
    fixed = fixed_parameters(params, axis)
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
    run: RunOptions | None = None,
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
    run
        How the points run (:class:`workflows.runs.options.RunOptions`), as
        for :func:`workflows.scan`: as many points run at once as the executor
        has workers.  With a ``store`` every evaluated point is committed as it
        finishes; a rerun feeds them back to the learner and continues (raise
        ``max_points`` or lower ``loss_goal`` to refine further); a store of
        another point function, axis, bounds or fixed parameters is refused.
        A point past ``timeout`` is recorded as failed (``TimeoutError``) and
        left out of the interpolation.

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
    sampler = AdaptiveSampler(
        axis,
        bounds,
        observables,
        loss_goal=loss_goal,
        max_points=max_points,
        fixed=fixed,
        loss_per_interval=loss_per_interval,
    )
    table = drive(point, sampler, run=run, what="adaptive_scan")
    loss = sampler.loss()
    if loss > loss_goal:
        logger.warning(
            "adaptive_scan: stopped at max_points=%d with loss %.3g above loss_goal %.3g",
            max_points,
            loss,
            loss_goal,
        )
    table.attrs["provenance"]["n_points"] = len(table)
    table.attrs["loss"] = loss
    table.attrs["loss_goal"] = loss_goal
    return table
