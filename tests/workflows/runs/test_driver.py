"""The one run driver and its samplers: resume after an interruption, failures, thermal windows.

Each sampler (grid, adaptive learner, thermal energy windows) is run through
the same checks: a run interrupted midway (a Ctrl-C after n tasks) and started
again on its store computes only the points it is missing and ends with the
table of an uninterrupted run; a failing point is recorded with its error and
the other points complete.  The window scan is compared with the serial
:func:`analysis.energy_grid.window_grid` and with a closed form.
"""

from __future__ import annotations

import concurrent.futures
import logging
import math

import numpy as np
import pytest

import workflows
from analysis import thermal_average
from analysis.energy_grid import WindowRefinement, window_grid
from workflows.runs.driver import drive
from workflows.runs.samplers import GridSampler, Sampler
from workflows.runs.store import read_store

CALLS: list[dict] = []
SERIAL = workflows.RunOptions(executor=workflows.SerialExecutor(), progress=False)


def stored(path, executor=None) -> workflows.RunOptions:
    """Serial (or ``executor``) run options on the store ``path``."""
    return workflows.RunOptions(
        executor=executor or workflows.SerialExecutor(), store=path, progress=False
    )


def paraboloid(x: float, y: float = 0.0) -> dict:
    CALLS.append({"x": x, "y": y})
    return {"f": x * x + y}


def lorentzian(x: float) -> dict:
    CALLS.append({"x": x})
    return {"T": 1 / (1 + ((x - 0.3) / 0.05) ** 2)}


def parabola(energy: float) -> dict:
    """X(E) = E², and a second observable carried along: X is a vector (E², E)."""
    CALLS.append({"energy": energy})
    return {"X": energy**2, "XY": np.array([energy**2, energy])}


def broken_near_zero(energy: float) -> dict:
    if abs(energy) < 0.05:
        raise ArithmeticError("no solution near E = 0")
    return {"X": energy**2}


WINDOWS = [(0.2, 0.01), (0.25, 0.03)]


# -- resume after an interruption: only the missing points ------------------------------------


def test_a_grid_scan_resumed_after_an_interruption_computes_only_the_missing_points(
    tmp_path, interrupt_after
):
    grid = {"x": [0.0, 1.0, 2.0], "y": [0.5, 1.5]}
    store = tmp_path / "grid.sqlite"
    CALLS.clear()
    with pytest.raises(KeyboardInterrupt):
        workflows.scan(paraboloid, grid, run=stored(store, interrupt_after(4)))
    first = list(CALLS)
    assert len(first) == 4 and (read_store(store)["status"] == "done").sum() == 4
    CALLS.clear()
    resumed = workflows.scan(paraboloid, grid, run=stored(store))
    assert len(CALLS) == 2 and not any(call in first for call in CALLS)
    assert resumed.attrs["provenance"]["n_from_store"] == 4
    np.testing.assert_array_equal(resumed["f"], resumed["x"] ** 2 + resumed["y"])


def test_an_adaptive_scan_resumed_after_an_interruption_computes_only_the_missing_points(
    tmp_path, interrupt_after
):
    arguments = dict(observable="T", loss_goal=1e-9, max_points=20)
    store = tmp_path / "adaptive.sqlite"
    CALLS.clear()
    with pytest.raises(KeyboardInterrupt):
        workflows.adaptive_scan(
            lorentzian, "x", (0.0, 1.0), **arguments, run=stored(store, interrupt_after(7))
        )
    first = [call["x"] for call in CALLS]
    assert len(first) == 7
    CALLS.clear()
    resumed = workflows.adaptive_scan(lorentzian, "x", (0.0, 1.0), **arguments, run=stored(store))
    assert len(CALLS) == 13 and set(call["x"] for call in CALLS).isdisjoint(first)
    assert resumed.attrs["provenance"]["n_from_store"] == 7
    uninterrupted = workflows.adaptive_scan(lorentzian, "x", (0.0, 1.0), **arguments, run=SERIAL)
    # the learner told the same points in the same order chooses the same next points
    np.testing.assert_array_equal(resumed["x"], uninterrupted["x"])
    np.testing.assert_array_equal(resumed["T"], uninterrupted["T"])


def test_a_window_scan_resumed_after_an_interruption_computes_only_the_missing_energies(
    tmp_path, interrupt_after
):
    store = tmp_path / "windows.sqlite"
    settings = dict(observable="X", tol=1e-7)
    CALLS.clear()
    with pytest.raises(KeyboardInterrupt):
        workflows.runs.window_scan(
            parabola, WINDOWS, **settings, run=stored(store, interrupt_after(20))
        )
    first = [call["energy"] for call in CALLS]
    assert len(first) == 20 and (read_store(store)["status"] == "done").sum() == 20
    CALLS.clear()
    resumed = workflows.runs.window_scan(parabola, WINDOWS, **settings, run=stored(store))
    again = [call["energy"] for call in CALLS]
    assert again and set(again).isdisjoint(first)
    assert resumed.attrs["provenance"]["n_from_store"] == 20
    assert len(resumed) == 20 + len(again)
    energies, values = window_grid(lambda e: e**2, WINDOWS, tol=1e-7)
    # the same refinement rule on the same values: the same energies, whatever the order
    np.testing.assert_array_equal(resumed["energy"], energies)
    np.testing.assert_array_equal(workflows.runs.window_values(resumed, "X")[1], values)
    CALLS.clear()
    workflows.runs.window_scan(parabola, WINDOWS, **settings, run=stored(store))
    assert CALLS == []  # everything is in the store: nothing runs


# -- failures: recorded with their error, the others complete ---------------------------------


def test_a_failing_grid_point_is_recorded_and_the_others_complete(tmp_path, caplog):
    store = tmp_path / "grid.sqlite"
    with caplog.at_level(logging.WARNING, logger="workflows.runs.driver"):
        table = workflows.scan(broken_near_zero, {"energy": [-0.5, 0.0, 0.5]}, run=stored(store))
    assert table["error"].tolist() == [None, "ArithmeticError: no solution near E = 0", None]
    assert table["X"].iloc[[0, 2]].tolist() == [0.25, 0.25]
    assert table.attrs["failed"] == 1 and "1 of 3 points failed" in caplog.text
    rows = read_store(store)
    assert rows["status"].tolist() == ["done", "failed", "done"]
    assert rows["error"].iloc[1] == "ArithmeticError: no solution near E = 0"


def test_a_failing_adaptive_point_is_recorded_and_the_others_complete():
    table = workflows.adaptive_scan(
        broken_near_zero, "energy", (-1.0, 1.0), observable="X", max_points=15, run=SERIAL
    )
    failed = table[table["error"].notna()]
    assert len(failed) >= 1 and (failed["energy"].abs() < 0.05).all()
    assert set(failed["error"]) == {"ArithmeticError: no solution near E = 0"}
    assert len(table) == 15 and table.loc[table["error"].isna(), "X"].notna().all()


def test_a_failing_window_energy_is_recorded_and_the_others_complete(tmp_path):
    store = tmp_path / "windows.sqlite"
    table = workflows.runs.window_scan(
        broken_near_zero, [(0.0, 0.01)], observable="X", tol=1e-6, run=stored(store)
    )
    failed = table[table["error"].notna()]
    assert len(failed) >= 1 and (failed["energy"].abs() < 0.05).all()
    assert set(failed["error"]) == {"ArithmeticError: no solution near E = 0"}
    assert table.loc[table["error"].isna(), "X"].notna().all()
    assert (table["energy"].abs() >= 0.05).sum() > 0
    assert (read_store(store)["status"] == "failed").sum() == len(failed)
    with pytest.raises(ValueError, match=r"energies failed, the grid is incomplete: .*Arithmetic"):
        workflows.runs.window_values(table, "X")


# -- the window scan against window_grid and a closed form ------------------------------------


@pytest.mark.parametrize("executor", ["serial", "threads"])
def test_the_window_scan_matches_window_grid_and_the_sommerfeld_closed_form(executor):
    """⟨E²⟩ over −∂f/∂E is μ² + (π²/3)(k_B T)² exactly.

    (The Sommerfeld expansion ends at second order for a quadratic X; Ashcroft
    and Mermin, *Solid State Physics* (Saunders, 1976), Eq. (2.70).)
    """
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        run = workflows.RunOptions(
            executor=workflows.SerialExecutor() if executor == "serial" else pool, progress=False
        )
        table = workflows.runs.window_scan(parabola, WINDOWS, observable="XY", tol=1e-8, run=run)
    energies, values = workflows.runs.window_values(table, "XY")
    serial_energies, serial_values = window_grid(
        lambda e: [e**2, e], WINDOWS, tol=1e-8
    )  # the same rule, serially: the same energies and values (bit for bit)
    np.testing.assert_array_equal(energies, serial_energies)
    np.testing.assert_array_equal(values, serial_values)
    for mu, temperature in WINDOWS:
        exact = mu**2 + math.pi**2 / 3 * temperature**2
        average = thermal_average(energies, values[:, 0], mu=mu, temperature=temperature)
        # the linear interpolant of E² overshoots by h²/4 at the middle of an interval of
        # width h; the refinement stops when that, times the largest thermal weight and h, is
        # below tol = 1e-8, so the ~600 intervals near μ each err by well below 1e-8 in
        # ⟨E²⟩ ≈ 0.04-0.06; measured: relative errors 4.3e-7 and 3.7e-7.  A window not
        # covered, or a refinement that stopped early, errs by 1e-4 or more.
        assert average == pytest.approx(exact, rel=1e-6, abs=0)
        assert thermal_average(energies, values[:, 1], mu=mu, temperature=temperature) == (
            pytest.approx(mu, abs=1e-12)  # ⟨E⟩ = μ: the interpolant of E is exact
        )


def test_the_window_refinement_asks_the_same_energies_in_any_order():
    """Told in reverse order, batch by batch, the refinement ends on the same grid."""
    forward = WindowRefinement(WINDOWS, tol=1e-8)
    backward = WindowRefinement(WINDOWS, tol=1e-8)
    for refinement, order in ((forward, 1), (backward, -1)):
        while energies := refinement.ask(7):
            for energy in energies[::order]:
                refinement.tell(energy, energy**2)
        assert refinement.done
    np.testing.assert_array_equal(forward.result()[0], backward.result()[0])


def test_a_window_scan_over_budget_raises_like_window_grid():
    with pytest.raises(ValueError, match="needs more than max_points=40"):
        window_grid(lambda e: float(e > 0.01), [(0.0, 0.01)], tol=1e-12, max_points=40)
    with pytest.raises(ValueError, match="needs more than max_points=40"):
        workflows.runs.window_scan(
            step_at_one_hundredth,
            [(0.0, 0.01)],
            observable="X",
            tol=1e-12,
            max_points=40,
            run=SERIAL,
        )


def step_at_one_hundredth(energy: float) -> dict:
    return {"X": float(energy > 0.01)}


# -- the driver itself ------------------------------------------------------------------------


def test_the_driver_refuses_what_is_not_a_sampler_or_a_point_function():
    with pytest.raises(TypeError, match=r"sampler must be a workflows\.runs\.samplers\.Sampler"):
        drive(paraboloid, {"x": [1.0]}, run=SERIAL)
    with pytest.raises(TypeError, match="point must be a function"):
        drive(3, GridSampler(paraboloid, {"x": [1.0]}), run=SERIAL)
    with pytest.raises(TypeError, match=r"run=.* is not a RunOptions"):
        workflows.scan(paraboloid, {"x": [1.0]}, run={"progress": False})


class EveryOther(Sampler):
    """A user's sampler in a few lines: x = 0, 1, 2, … until a value exceeds a limit."""

    def __init__(self, limit: float):
        self.limit, self.next, self.stop, self.waiting = limit, 0, False, False

    def identity(self):
        return {"scan_sha256": "every-other", "parameters": ["x"], "description": "x = 0, 1, …"}

    def resume(self, stored, parameters):
        self.next = max(parameters, default=-1) + 1

    def ask(self, n):
        from workflows.runs.samplers import Task

        if self.stop or self.waiting:
            return []
        self.waiting = True
        index, self.next = self.next, self.next + 1
        return [Task((index,), ({"x": float(index)},))]

    def tell(self, outcome, params):
        self.waiting = False
        self.stop = outcome.observables["f"] > self.limit

    def finished(self):
        return self.stop

    def table(self, outcomes, params):
        import pandas as pd

        from workflows.runs.samplers import assemble_table

        order = sorted(outcomes)
        return assemble_table(pd.DataFrame([params[i] for i in order]), outcomes)


def test_a_new_sampler_gets_store_provenance_and_failures_from_the_driver(tmp_path):
    table = drive(paraboloid, EveryOther(10.0), run=stored(tmp_path / "own.sqlite"))
    assert table["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # 4² = 16 > 10 stops it
    assert table.attrs["provenance"]["n_computed"] == 5
    assert len(read_store(tmp_path / "own.sqlite")) == 5
