"""Quantum point contact: quantized steps, the open limit, thermal smearing."""

import numpy as np
import pytest

from analysis import fermi, fermi_window, mode_count, subband_edges, thermal_average
from workflows.studies.point_contact import qpc_conductance


def test_open_qpc_transmits_every_lead_mode_and_closes_with_gate_voltage():
    frame = qpc_conductance([0.0, 0.6, 1.0, 2.5], energy=0.3, length=30, width=14)
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
    width, mu, temperature, samples = 14, 0.35, 0.01, 201
    frame = qpc_conductance(
        [0.0], energy=mu, temperature=temperature, length=12, width=width, energy_samples=samples
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
        qpc_conductance(length=10, width=6, **kwargs)
