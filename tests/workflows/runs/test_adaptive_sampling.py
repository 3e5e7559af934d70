"""Adaptive 1D scans: better interpolation per point, store and resume, failures."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

import analysis
import workflows
from analysis import chain_transmission
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.runs.store import StoreMismatchError, read_store

LENGTH = 6
HEIGHT = 2.5
CHAIN = SystemRecipe("chain", {"length": LENGTH})
CALLS: list[float] = []


def double_barrier_potential(height):
    def V(x):
        return height if x in (0, LENGTH - 1) else 0.0

    return V


def double_barrier(energy: float, height: float = HEIGHT) -> dict:
    """Transmission of a chain with barriers on its two end sites: sharp resonances."""
    CALLS.append(energy)
    fsyst = finalized_system(CHAIN)
    G = workflows.conductance_matrix(fsyst, energy, params={"V": double_barrier_potential(height)})
    return {"T": analysis.two_terminal_conductance(G)}


POTENTIAL = [HEIGHT] + [0.0] * (LENGTH - 2) + [HEIGHT]


def interpolation_error(energy, transmission, dense):
    exact = chain_transmission(dense, POTENTIAL)
    return np.max(np.abs(np.interp(dense, energy, transmission) - exact))


def test_adaptive_sampling_beats_a_uniform_grid_on_a_resonance_curve():
    bounds = (0.05, 2.0)
    table = workflows.adaptive_scan(
        double_barrier,
        "energy",
        bounds,
        observable="T",
        loss_goal=0.05,
        max_points=300,
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    n = len(table)
    assert table.attrs["loss"] <= 0.05 and n < 300
    assert table["energy"].is_monotonic_increasing
    assert table["energy"].iloc[0] == bounds[0] and table["energy"].iloc[-1] == bounds[1]
    # Kwant against the transfer matrix at the sampled energies
    np.testing.assert_allclose(
        table["T"], chain_transmission(table["energy"], POTENTIAL), atol=1e-10
    )
    dense = np.linspace(*bounds, 100_001)
    uniform = np.linspace(*bounds, n)
    adaptive_error = interpolation_error(table["energy"], table["T"], dense)
    uniform_error = interpolation_error(uniform, chain_transmission(uniform, POTENTIAL), dense)
    assert adaptive_error < 0.5 * uniform_error


def test_resume_feeds_stored_points_to_the_learner(tmp_path):
    store = tmp_path / "adaptive.sqlite"
    serial = RunOptions(executor=SerialExecutor(), progress=False)
    stored = RunOptions(executor=SerialExecutor(), store=store, progress=False)
    run = dict(observable="T", loss_goal=1e-9)
    CALLS.clear()
    partial = workflows.adaptive_scan(
        double_barrier, "energy", (0.1, 1.0), max_points=12, run=stored, **run
    )
    assert len(CALLS) == 12 and len(partial) == 12
    assert (read_store(store)["status"] == "done").sum() == 12
    CALLS.clear()
    resumed = workflows.adaptive_scan(
        double_barrier, "energy", (0.1, 1.0), max_points=30, run=stored, **run
    )
    assert len(CALLS) == 18  # only the new points
    assert set(CALLS).isdisjoint(partial["energy"])
    assert resumed.attrs["provenance"]["n_from_store"] == 12
    uninterrupted = workflows.adaptive_scan(
        double_barrier, "energy", (0.1, 1.0), max_points=30, run=serial, **run
    )
    np.testing.assert_array_equal(resumed["energy"], uninterrupted["energy"])
    np.testing.assert_array_equal(resumed["T"], uninterrupted["T"])
    with pytest.raises(StoreMismatchError, match="its grid is 'adaptive scan of energy in"):
        workflows.adaptive_scan(
            double_barrier, "energy", (0.1, 2.0), max_points=30, run=stored, **run
        )


def flaky_resonance(energy: float) -> dict:
    if 0.4 < energy < 0.6:
        raise FloatingPointError("solver diverged")
    return {"T": 1 / (1 + ((energy - 0.5) / 0.02) ** 2)}


def test_failing_points_are_recorded_and_skipped_by_the_learner(caplog):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        table = workflows.adaptive_scan(
            flaky_resonance,
            "energy",
            (0.0, 1.0),
            observable="T",
            loss_goal=0.01,
            max_points=40,
            run=RunOptions(executor=pool, progress=False),
        )
    failed = table[table["error"].notna()]
    assert len(failed) >= 1 and len(table) <= 40
    assert failed["energy"].between(0.4, 0.6).all()
    assert set(failed["error"]) == {"FloatingPointError: solver diverged"}
    assert table.attrs["failed"] == len(failed)
    assert "points failed" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bounds": (1.0, 0.5)}, ValueError, "low < high"),
        ({"bounds": "ab"}, TypeError, "pair of numbers"),
        ({"loss_goal": 0}, ValueError, "loss_goal must be a finite real number > 0"),
        ({"loss_goal": float("nan")}, ValueError, "loss_goal must be a finite real number > 0"),
        ({"observable": 3}, TypeError, "observable must be"),
        ({"max_points": 1}, ValueError, "max_points must be an integer >= 2"),
        ({"params": {"energy": 1.0}}, ValueError, "cannot also be a fixed parameter"),
        ({"observable": []}, TypeError, "observable must be"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    arguments = {"bounds": (0.1, 1.0), "observable": "T", **kwargs}
    with pytest.raises(error, match=message):
        workflows.adaptive_scan(
            double_barrier,
            "energy",
            **arguments,
            run=RunOptions(executor=SerialExecutor()),
        )


def test_a_misspelt_observable_stops_the_scan_with_a_clear_message(tmp_path):
    CALLS.clear()
    with pytest.raises(ValueError, match=r"observable='G' is not returned .* it returns 'T'"):
        workflows.adaptive_scan(
            double_barrier,
            "energy",
            (0.1, 1.0),
            observable="G",
            max_points=50,
            run=RunOptions(executor=SerialExecutor(), store=tmp_path / "a.sqlite", progress=False),
        )
    assert len(CALLS) == 1  # not max_points evaluations the learner cannot use
    assert read_store(tmp_path / "a.sqlite").attrs["runs"][0]["finished"] is not None


def slow_right_half(x):
    import time

    time.sleep(1.0 if x > 0.75 else 0.0)
    return {"y": x * x}


def test_adaptive_points_past_the_time_limit_fail_and_the_sampling_goes_on():
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        table = workflows.adaptive_scan(
            slow_right_half,
            "x",
            (0.0, 1.0),
            observable="y",
            max_points=8,
            run=RunOptions(executor=pool, timeout=0.4, progress=False),
        )
    slow = table["x"] > 0.75
    assert slow.any() and (~slow).sum() >= 4
    assert table.loc[slow, "error"].str.startswith("TimeoutError").all()
    assert table.loc[~slow, "error"].isna().all()
