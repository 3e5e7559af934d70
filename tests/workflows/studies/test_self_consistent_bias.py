"""The up- and down-sweeps of the self-consistent I–V: order, warm starts, resume, failures.

The Hartree solve is replaced by a recorder (the physics is checked in
tests/workflows/electrostatics/test_resonant_tunnelling.py): each "solution" remembers
its bias and the bias it was warm-started from, so the tests see the order of the solves.
"""

from __future__ import annotations

import numpy as np

import workflows
from workflows.electrostatics.hartree import HartreeConvergenceError, HartreeSolution
from workflows.runs.options import RunOptions
from workflows.runs.scans import SerialExecutor
from workflows.studies.self_consistent_bias import SelfConsistentIVPoint

BIASES = (0.1, 0.2, 0.3, 0.4)


def _solution(bias, start):
    return HartreeSolution(
        energy=np.array([bias, np.nan if start is None else start.energy[0]]),
        density=np.zeros(2),
        voltages={},
        mu=np.zeros(2),
        params={},
        iterations=1,
        residuals=(0.0,),
        converged=True,
        tolerance=1e-6,
    )


class _Recorder(SelfConsistentIVPoint):
    """Records (bias, warm-start bias) of every solve; fails at the biases in ``bad``."""

    def __init__(self, bad=()):
        super().__init__(None, 0.0, {}, 0.1, 0, 1, 0.5, 1e-6, biases=BIASES)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "bad", bad)

    def _hartree(self, bias, initial):
        self.calls.append((bias, None if initial is None else float(initial.energy[0])))
        if bias in self.bad:
            raise HartreeConvergenceError("Hartree did not converge")
        return _solution(bias, initial)

    def observables(self, solution):
        return {"current": float(solution.energy[0]), "start": float(solution.energy[1])}


def test_each_direction_is_solved_in_order_from_its_previous_bias():
    point = _Recorder()
    rows = point.sweep_points("bias", list(BIASES), direction="down")
    assert point.calls == [(0.4, None), (0.3, 0.4), (0.2, 0.3), (0.1, 0.2)]
    assert [row["current"] for row in rows] == list(BIASES)  # in the order asked
    point.sweep_points("bias", list(BIASES), direction="up")  # independent of the down-sweep
    assert point.calls[4:] == [(0.1, None), (0.2, 0.1), (0.3, 0.2), (0.4, 0.3)]


def test_a_resumed_sweep_re_solves_the_earlier_biases_in_order():
    point = _Recorder()  # a fresh worker that is handed the last two biases only
    rows = point.sweep_points("bias", [0.4, 0.3], direction="up")
    assert point.calls == [(0.1, None), (0.2, 0.1), (0.3, 0.2), (0.4, 0.3)]
    assert [row["start"] for row in rows] == [0.3, 0.2]


def test_a_bias_that_fails_fails_alone_and_the_sweep_goes_on():
    point = _Recorder(bad=(0.2,))
    rows = point.sweep_points("bias", list(BIASES), direction="up")
    assert isinstance(rows[1], HartreeConvergenceError) and "up-sweep" in str(rows[1])
    assert point.calls[2] == (0.3, 0.1)  # from the last converged bias


def test_scan_runs_one_task_per_direction_and_records_the_failed_point():
    table = workflows.scan(
        _Recorder(bad=(0.3,)),
        {"direction": ["up", "down"], "bias": list(BIASES)},
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    assert table.attrs["provenance"]["sweep_axis"] == "bias"
    failed = table[table["error"].notna()]
    assert sorted(failed["direction"]) == ["down", "up"]
    assert (failed["bias"] == 0.3).all()
    assert failed["error"].str.startswith("HartreeConvergenceError").all()
    down = table[(table["direction"] == "down") & table["error"].isna()].set_index("bias")
    assert down.at[0.2, "start"] == 0.4  # past the failed 0.3, from the last converged
