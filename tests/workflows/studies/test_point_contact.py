"""Quantum point contact: quantized steps, the open limit, thermal smearing, resumable runs."""

import inspect

import numpy as np
import pandas as pd
import pytest

from analysis import fermi, fermi_window, mode_count, subband_edges, thermal_average
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe
from workflows.studies.point_contact import qpc_conductance


def _qpc(length: int, width: int) -> SystemRecipe:
    return SystemRecipe("qpc", {"length": length, "width": width})


def test_open_qpc_transmits_every_lead_mode_and_closes_with_gate_voltage():
    frame = qpc_conductance(_qpc(30, 14), 0.3, [0.0, 0.6, 1.0, 2.5])
    assert frame["G"].iloc[0] == pytest.approx(frame["N_leads"].iloc[0], abs=1e-10)
    assert frame["G"].iloc[-1] < 1e-3
    assert np.all(np.diff(frame["G"]) < 1e-6)  # closing the gates never raises G here


def test_thermal_average_of_the_open_contact_is_the_smeared_mode_count():
    """At V_gate = 0 the QPC is a clean strip: ⟨G⟩ = Σ_n [f(E_n) − f(E_n + 4t)] exactly.

    The simulation samples G(E) at discrete energies Δ apart and interpolates
    linearly, so a unit step at E_n becomes a ramp across one interval; its
    thermal average is off by about (Δ/2)·(−∂f/∂E)(E_n) at most.  Hence two
    checks: the same-grid average of the analytic count N(E) to rounding, and
    the exact smeared count within twice the sum of those bounds.
    """
    # length 4: a clean strip transmits every open mode at any length (G = N(E) exactly),
    # so the check does not depend on it; the width sets the subband edges and stays.
    width, mu, temperature, samples = 14, 0.35, 0.01, 201
    frame = qpc_conductance(
        _qpc(4, width), mu, [0.0], temperature=temperature, energy_samples=samples
    )
    grid = mu + temperature * np.linspace(-16, 16, samples)
    same_grid = thermal_average(grid, mode_count(grid, width), mu=mu, temperature=temperature)
    assert frame["G_thermal"].iloc[0] == pytest.approx(same_grid, abs=1e-9)

    edges = subband_edges(width)
    exact = np.sum(fermi(edges, mu, temperature) - fermi(edges + 4, mu, temperature))
    bound = np.sum((grid[1] - grid[0]) / 2 * fermi_window(edges, mu, temperature))
    assert 0 < bound < 0.05
    assert frame["G_thermal"].iloc[0] == pytest.approx(exact, abs=2 * bound)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(gate_voltages=[]), "gate_voltages"),
        (dict(gate_voltages=[0.0], temperature=-1.0), "temperature"),
        (dict(gate_voltages=[0.0], params={"V_gate": 1.0}), "V_gate is the scanned"),
        (dict(gate_voltages=[0.0], params={"Vgate": 1.0}), "Vgate"),
    ],
)
def test_bad_input_is_rejected_before_the_scan(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        qpc_conductance(_qpc(10, 6), energy=0.3, **kwargs)


def test_the_fermi_energy_is_required_and_params_keyword_only():
    signature = inspect.signature(qpc_conductance)
    assert signature.parameters["energy"].default is inspect.Parameter.empty
    assert signature.parameters["params"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError, match="energy"):
        qpc_conductance(_qpc(10, 6), gate_voltages=[0.0])


#: A tiny QPC at finite temperature: every observable of a point is exercised.
TINY = dict(temperature=0.02, energy_samples=3)
TINY_QPC = SystemRecipe("qpc", {"length": 8, "width": 5})
TINY_GATES = [0.0, 0.5, 1.0, 1.5]


def test_qpc_scan_resumes_from_its_store_and_runs_on_two_workers(
    tmp_path, interrupt_after, two_workers
):
    serial = qpc_conductance(TINY_QPC, 0.5, TINY_GATES, **TINY)
    assert serial.attrs["provenance"]["study"]["name"] == "qpc_conductance"
    assert serial.attrs["provenance"]["point"] == "workflows.studies.point_contact.gate_point"
    store = tmp_path / "qpc.sqlite"
    with pytest.raises(KeyboardInterrupt):
        qpc_conductance(
            TINY_QPC,
            0.5,
            TINY_GATES,
            **TINY,
            run=RunOptions(store=store, executor=interrupt_after(2)),
        )
    resumed = qpc_conductance(TINY_QPC, 0.5, TINY_GATES, **TINY, run=RunOptions(store=store))
    assert resumed.attrs["provenance"]["n_from_store"] == 2
    assert resumed.attrs["provenance"]["n_computed"] == 2
    pd.testing.assert_frame_equal(resumed, serial, check_exact=True)
    parallel = qpc_conductance(
        TINY_QPC, 0.5, TINY_GATES, **TINY, run=RunOptions(executor=two_workers)
    )
    assert "SupervisedPool (2 workers)" in parallel.attrs["provenance"]["executor"]
    pd.testing.assert_frame_equal(parallel, serial, check_exact=True)


def test_the_gate_points_share_the_leads_and_equal_plain_kwant(monkeypatch):
    """The gate does not reach the leads: each lead is solved once per energy for the whole
    scan (in this process), and every G is Kwant's transmission (to 1e-10 e²/h: two
    exact solvers, rounding apart), also in a field (B is read by the leads)."""
    import kwant

    import systems
    import workflows.scattering.open_system as open_system

    solved = []
    lead_modes = open_system.lead_modes

    def counted(fsyst, lead, energy, params, **kwargs):
        solved.append((lead, energy))
        return lead_modes(fsyst, lead, energy, params, **kwargs)

    monkeypatch.setattr(open_system, "lead_modes", counted)
    gates = [0.0, 0.4, 0.9, 1.6]
    for field in (0.0, 0.02):
        solved.clear()
        frame = qpc_conductance(_qpc(12, 8), 0.45, gates, params={"B": field})
        assert sorted(solved) == [(0, 0.45), (1, 0.45)]
        fsyst = systems.qpc(12, 8).finalized()
        for gate, g in zip(gates, frame["G"], strict=True):
            params = systems.resolve_params(fsyst, {"B": field, "V_gate": gate})
            expected = kwant.smatrix(fsyst, 0.45, params=params).transmission(1, 0)
            assert g == pytest.approx(expected, abs=1e-10)
