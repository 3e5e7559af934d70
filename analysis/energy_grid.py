"""Adaptive energy grids for thermal (Fermi-window) integrals, with error control.

Finite-temperature transport needs ∫ X(E) (E − μ)ⁿ (−∂f/∂E) dE for one or
several windows (μ, k_B T), where each sample X(E) (a transmission, a
conductance matrix) costs a Kwant solve.  :func:`window_grid` samples X on an
energy grid refined where it matters: every interval of the grid is bisected
until the deviation of X at its midpoint from the linear interpolant, weighted
by the largest thermal weight (1 + |E − μ|/k_BT)² (−∂f/∂E) over the windows and
by the interval's width, is below ``tol``.  That product is the classic
estimate of the error the linear interpolant makes in the integral (a
midpoint/trapezoid comparison), so the moments computed on the returned grid
(e.g. :func:`analysis.thermal.thermal_average`) carry an absolute error of
order ``tol`` per interval in the units of X (times (k_BT)ⁿ for the n-th moment);
jumps of X are resolved by bisection down to a width where they no longer
matter.  One grid serves all windows, so a scan over μ or T reuses its samples.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from analysis.thermal import fermi_window, sommerfeld_floor
from systems.validation import integer, real, real_array

__all__ = ["WINDOW_HALF_WIDTH", "WindowRefinement", "check_grid_settings", "window_grid"]

#: Half-width of a thermal window in units of k_B T: the Fermi weight beyond it,
#: 2/(1 + e^25) ≈ 3e-11 (and (25)² times that for the second moment, ≈ 2e-8), is
#: negligible against the default tolerances (and below analysis.thermal.TAIL_TOLERANCE).
WINDOW_HALF_WIDTH = 25.0


#: Smallest error target: a Kwant transmission carries rounding of ~1e-11 (measured in
#: analysis.thermal), so a target far below it can only exhaust max_points.
MIN_TOL = 1e-12


def _check_windows(windows) -> np.ndarray:
    try:
        items = list(windows)
    except TypeError:
        raise TypeError(f"windows must be pairs (mu, temperature), got {windows!r}") from None
    pairs = np.asarray(real_array("windows", items), dtype=float)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(f"windows must be a non-empty list of (mu, temperature), got {windows!r}")
    if not np.all(np.isfinite(pairs)) or np.any(pairs[:, 1] <= 0):
        raise ValueError(
            "windows: every (mu, temperature) needs a finite mu and k_B T > 0, "
            f"got {pairs.tolist()}"
        )
    return pairs


def _weight(energies: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """max over windows of (1 + |E − μ|/k_BT)² (−∂f/∂E)·k_BT … as an absolute weight per energy."""
    mu = windows[:, 0][:, None]
    temperature = windows[:, 1][:, None]
    x = np.abs(energies[None, :] - mu) / temperature
    return np.max((1 + x) ** 2 * fermi_window(energies[None, :], mu, temperature), axis=0)


def check_grid_settings(
    tol: float, initial_points: int = 17, max_points: int = 2000
) -> tuple[float, int, int]:
    """``(tol, initial_points, max_points)`` of :func:`window_grid`, checked.

    Call it before a study's points run, so a bad setting is one error at once
    rather than a failure of every point.
    """
    tol = real("tol", tol, minimum=MIN_TOL, hint="units of X; below it only max_points is spent")
    initial_points = integer("initial_points", initial_points, minimum=3)
    max_points = integer(
        "max_points", max_points, minimum=initial_points, hint="at least initial_points"
    )
    return tol, initial_points, max_points


class WindowRefinement:
    """The energy grid of :func:`window_grid` in ask/tell form: which energies, not how.

    The refinement rule of the module docstring, driven from outside: :meth:`ask`
    names the energies whose X(E) is needed next, :meth:`tell` hands one value
    back, in any order and as many at a time as the caller likes (a parallel
    executor, a results store read back).  The grid it converges to does not
    depend on that order: whether an interval (a, b) is bisected depends only
    on X at a, (a + b)/2 and b, so a serial loop (:func:`window_grid`) and a
    parallel, resumed run sample the same energies.

    Parameters
    ----------
    windows, tol, initial_points, max_points, breakpoints, boxes
        As for :func:`window_grid`.

    Notes
    -----
    The starting grid and the midpoints of its intervals are asked at once;
    a midpoint's two halves are asked when X is known at both ends and the
    midpoint and the interval's error estimate exceeds ``tol``.  An energy
    whose X could not be computed (:meth:`tell_failed`) stops the refinement
    of the intervals next to it; :attr:`failed` names it.

    Raises
    ------
    ValueError
        From :meth:`ask`, when the grid would need more than ``max_points``
        energies (the same condition as :func:`window_grid`).
    """

    def __init__(
        self,
        windows: Iterable[tuple[float, float]],
        *,
        tol: float = 1e-6,
        initial_points: int = 17,
        max_points: int = 2000,
        breakpoints: Iterable[float] = (),
        boxes: Iterable[tuple[float, float]] = (),
    ):
        pairs = _check_windows(windows)
        # A window narrower than the Sommerfeld floor is sampled as one at the floor: its
        # moments take the T → 0 limit from the samples next to μ (analysis.thermoelectric).
        pairs[:, 1] = np.maximum(pairs[:, 1], sommerfeld_floor(pairs[:, 0]))
        tol, initial_points, max_points = check_grid_settings(tol, initial_points, max_points)
        self.windows = pairs
        self.tol, self.initial_points, self.max_points = tol, initial_points, max_points
        self.boxes = [(min(map(float, box)), max(map(float, box))) for box in boxes]
        lows = pairs[:, 0] - WINDOW_HALF_WIDTH * pairs[:, 1]
        highs = pairs[:, 0] + WINDOW_HALF_WIDTH * pairs[:, 1]
        low = float(min([lows.min(), *(a for a, _ in self.boxes)]))
        high = float(max([highs.max(), *(b for _, b in self.boxes)]))
        self.breakpoints = [float(b) for b in breakpoints if low < float(b) < high]
        # Every window gets its own uniform start (spacing 50 k_BT/(initial_points − 1)),
        # so that narrow windows inside wide ones are resolved from the start.
        # Overlapping windows share points: a start point closer than half a spacing to
        # the previous one is dropped.
        starts = [np.linspace(a, b, initial_points) for a, b in zip(lows, highs, strict=True)]
        spacing = 2 * WINDOW_HALF_WIDTH * pairs[:, 1].min() / (initial_points - 1)
        starts += [np.linspace(a, b, initial_points) for a, b in self.boxes if b > a]
        kept: list[float] = []
        for energy in np.sort(np.concatenate(starts)):
            if not kept or energy - kept[-1] > 0.5 * spacing:
                kept.append(float(energy))
        start = [float(e) for e in np.unique(np.concatenate([kept, [low, high], self.breakpoints]))]
        self.values: dict[float, np.ndarray] = {}
        self.failed: set[float] = set()
        self._asked: set[float] = set()
        self._queue: list[float] = list(start)
        self._open: dict[float, tuple[float, float]] = {}  # midpoint -> its interval
        self._waiting: dict[float, list[float]] = {}  # energy -> midpoints of open intervals
        for a, b in itertools.pairwise(start):
            self._bisect(a, b)

    def _bisect(self, a: float, b: float) -> None:
        mid = 0.5 * (a + b)
        self._open[mid] = (a, b)
        for energy in (a, mid, b):
            self._waiting.setdefault(energy, []).append(mid)
        if mid in self._asked:  # a and b adjacent floats: mid is one of them, known
            self._decide(mid)
        else:
            self._queue.append(mid)

    def ask(self, n: int | None = None) -> list[float]:
        """Up to ``n`` (default: all) energies whose X is needed and not yet asked (u)."""
        if len(self._asked) + len(self._queue) > self.max_points:
            raise ValueError(
                f"window_grid needs more than max_points={self.max_points} evaluations for "
                f"tol={self.tol}: raise max_points or tol"
            )
        count = len(self._queue) if n is None else max(0, int(n))
        asked, self._queue = self._queue[:count], self._queue[count:]
        self._asked.update(asked)
        return asked

    def tell(self, energy: float, value: Any) -> None:
        """X at ``energy`` (an energy that :meth:`ask` returned): a number or an array."""
        energy = float(energy)
        self.values[energy] = np.asarray(value, dtype=float)
        self._decide(energy)

    def tell_failed(self, energy: float) -> None:
        """X could not be computed at ``energy``: the intervals next to it stay as they are."""
        energy = float(energy)
        self.failed.add(energy)
        self._decide(energy)

    def _decide(self, energy: float) -> None:
        """Bisect (or close) every open interval at ``energy`` whose three energies are known."""
        known = self.values
        for mid in self._waiting.pop(energy, ()):
            a, b = self._open[mid]
            if not all(e in known or e in self.failed for e in (a, mid, b)):
                continue  # decided when the last of its energies is told
            del self._open[mid]
            if any(e in self.failed for e in (a, mid, b)):
                continue
            deviation = np.max(np.abs(known[mid] - 0.5 * (known[a] + known[b])), initial=0.0)
            weight = np.max(_weight(np.array([a, mid, b]), self.windows))
            if any(lo < b and a < hi for lo, hi in self.boxes):
                weight = max(weight, 1.0)
            if deviation * weight * (b - a) > self.tol:
                self._bisect(a, mid)
                self._bisect(mid, b)

    @property
    def done(self) -> bool:
        """Whether every energy asked has been told and nothing more is needed."""
        told = self.values.keys() | self.failed
        return not self._queue and not self._open and self._asked <= told

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The sorted energies (u) and X at each, shape ``(n, *X.shape)`` (failed ones left out)."""
        grid = np.array(sorted(self.values))
        return grid, np.stack([self.values[e] for e in grid])


def window_grid(
    func: Callable[[float], object],
    windows: Iterable[tuple[float, float]],
    *,
    tol: float = 1e-6,
    initial_points: int = 17,
    max_points: int = 2000,
    breakpoints: Iterable[float] = (),
    boxes: Iterable[tuple[float, float]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``func`` on an energy grid adapted to the thermal windows, with error control.

    Parameters
    ----------
    func
        X(E): a number or an array (same shape at every E), e.g. a
        transmission or a conductance matrix.  Called once per grid point.
    windows
        Pairs (μ, k_B T), energies in any unit u (e.g. t), k_B T > 0.  The
        grid spans μ ± 25 k_BT of every window (k_B T raised to
        :func:`analysis.thermal.sommerfeld_floor` (μ) where it is below).
    tol
        Target absolute error per interval of ∫ X (1 + |E−μ|/k_BT)² (−∂f/∂E) dE
        in the units of X (see the module docstring).
    initial_points
        Points of the starting uniform grid of each window.
    max_points
        Budget of evaluations; exceeding it is an error (raise ``tol`` or the
        budget).
    breakpoints
        Energies always included (known kinks or steps of X, e.g. subband edges).
    boxes
        Energy ranges (a, b) where the integrand's weight is 1 rather than a
        thermal window (e.g. the bias window f_s − f_d ≈ 1 of a finite-bias
        current): sampled with ``initial_points`` and refined with weight 1.

    Returns
    -------
    energies, values
        Sorted energies (u) and X at each, shape ``(n, *X.shape)``.

    Notes
    -----
    A serial use of :class:`WindowRefinement`; for a parallel, stored and resumable
    run of the same grid see :func:`workflows.runs.energy_windows.window_scan`.
    """
    refinement = WindowRefinement(
        windows,
        tol=tol,
        initial_points=initial_points,
        max_points=max_points,
        breakpoints=breakpoints,
        boxes=boxes,
    )
    while energies := refinement.ask():
        for energy in energies:
            refinement.tell(energy, func(energy))
    return refinement.result()
