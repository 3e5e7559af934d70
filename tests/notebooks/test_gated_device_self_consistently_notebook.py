"""The gated-device notebook in quick mode: its numbers against closed forms.

A GaAs split-gate QPC (gas 50 nm deep, donors 4×10¹¹ cm⁻² 20 nm below a pinned surface,
mirror sides) solved with Thomas–Fermi, then transported; and a gated chain's I–V with the
Hartree potential.  Every expected value is computed here from a closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

from systems.electrostatics import EPSILON_0

HBAR2_2ME = 0.0380998  # ħ²/(2mₑ), eV nm²


def test_gated_device_notebook_numbers(run_notebook, split_gate_images_lever_arm):
    """One run of the notebook (quick mode), its numbers checked by the functions below."""
    _, values = run_notebook(
        "gated_device_self_consistently.ipynb",
        values={
            "A": "A",
            "geometry": "dict(length=LENGTH, width=WIDTH, depth=DEPTH, finger=FINGER, gap=GAP)",
            "donors": "[DONORS, DONOR_DEPTH, layout.eps_r]",
            "x": "x",
            "y": "y",
            "lever": "lever",
            "donor_energy": "donor_energy",
            "ungated_density": "ungated.density",
            "ungated_energy": "ungated.energy",
            "width_sites": "width",
            "gate_scan": "gate_scan",
            "G": "G",
            "V_p": "pinch.voltage",
            "V_p_bare": "bare_pinch",
            "G_pinch": "G_pinch",
            "saddle_energy_at_V_p": "pinch.solution.energy[saddle]",
            "lever_saddle": "lever[saddle]",
            "biases": "biases",
            "currents": "{name: curve['current'] for name, curve in curves.items()}",
        },
    )
    _bare_potential_matches_the_closed_forms(values, split_gate_images_lever_arm)
    _ungated_gas_density_is_set_by_the_capacitances(values)
    _conductance_steps_and_pinch_off(values)
    _iv_with_and_without_self_consistency(values)


def _bare_potential_matches_the_closed_forms(values, images_lever_arm):
    g = values["geometry"]
    x, y = np.array(values["x"]), np.array(values["y"])
    # Second-order finite volumes on a 10 nm mesh: measured 1.6e-3; the truncated image sum
    # misses ≈ 0.12 d / R ≈ 1e-3.  5e-3 of the gate voltage.
    np.testing.assert_allclose(values["lever"], images_lever_arm(x, y, **g), atol=5e-3)
    # A donor sheet e n_d at s under a grounded plane, no field below: −e² n_d s/(ε₀ε_r),
    # exact on the grid (φ is linear between the planes).
    donors, depth, eps_r = values["donors"]
    expected = -(donors * 1e-14) * depth / (EPSILON_0 * eps_r)
    np.testing.assert_allclose(values["donor_energy"], expected, rtol=1e-9)


def _ungated_gas_density_is_set_by_the_capacitances(values):
    # n = n_d (s/d) / (1 + ε/(d e² D)): geometric ε/d and quantum e²D capacitances in
    # series, D = g m*/(2πħ²) (GaAs m* = 0.067, g = 2).  The Thomas–Fermi tolerance
    # (1e-6 eV on U ≈ 5 meV) allows 2e-4 relative.
    g = values["geometry"]
    donors, s, eps_r = values["donors"]
    dos = 2 * 0.067 / (4 * np.pi * HBAR2_2ME)  # per eV per nm²
    eps = EPSILON_0 * eps_r
    expected = donors * (s / g["depth"]) / (1 + eps / (g["depth"] * dos))
    density = np.array(values["ungated_density"]) / values["A"] ** 2 * 1e14
    np.testing.assert_allclose(density, expected, rtol=2e-4)
    # and its Fermi energy is n/D above the band bottom: U = −n/D
    np.testing.assert_allclose(
        -np.array(values["ungated_energy"]), expected * 1e-14 / dos, rtol=2e-4
    )


def _conductance_steps_and_pinch_off(values):
    G = np.array(values["G"])
    scan = np.array(values["gate_scan"])
    t = HBAR2_2ME / 0.067 / values["A"] ** 2  # eV
    fermi = -np.mean(values["ungated_energy"]) / t
    n = np.arange(1, values["width_sites"] + 1)
    modes = int(np.sum(2 - 2 * np.cos(n * np.pi / (values["width_sites"] + 1)) < fermi))
    # V_g = 0: a uniform clean wire transmits every open lead mode (1e-8: rounding)
    assert scan[0] == 0.0 and modes >= 4
    assert G[0] == pytest.approx(modes, abs=1e-8)
    assert (G > -1e-9).all() and (G <= modes + 1e-9).all()
    # steps of 2e²/h: a first plateau within 0.1 of one quantum at two or more voltages,
    # and nothing transmitted at the most negative voltage
    assert (np.abs(G - 1) < 0.1).sum() >= 2
    assert G[-1] < 1e-6
    # The gas only raises U: V_p(Thomas–Fermi) > V_p(bare).  Quantum mechanically the first
    # mode needs the transverse zero-point energy on top of the saddle's band bottom, so G
    # has fallen below ½ at a less negative voltage than V_p and only tunnels there.
    last_open = scan[G > 0.5].min()
    assert values["V_p_bare"] < values["V_p"] < last_open
    assert values["G_pinch"] < 0.01
    # at V_p the saddle's band bottom is at μ, to its lever arm × the root tolerance 1e-4 V
    assert abs(values["saddle_energy_at_V_p"]) <= values["lever_saddle"] * 1e-4 + 1e-6


def _iv_with_and_without_self_consistency(values):
    biases = np.array(values["biases"])
    currents = {name: np.array(current) for name, current in values["currents"].items()}
    assert set(currents) == {"self-consistent", "rigid", "linear"}
    for current in currents.values():
        # Landauer: 0 < I ≤ (e/h) eV for one spin channel of a chain (T ≤ 1); in e·t/h
        # with the bias in t/e that is 0 < I ≤ V (the energy grids' error target 1e-5).
        assert (current > 0).all() and (current <= biases + 1e-5).all()
    # Linear response: at V → 0 the self-consistent I–V has the conductance of the zero-bias
    # self-consistent potential, which the rigid drop holds: the potential's change with V
    # alters I only at higher order (odd in V for this symmetric device; measured 4e-5
    # relative at V = 0.05 t): 1e-3.  The linear drop's ramp changes T at first order in V
    # (measured 1e-3 at 0.05 t): 5e-3.
    small = np.argmin(biases)
    reference = currents["self-consistent"][small]
    assert currents["rigid"][small] == pytest.approx(reference, rel=1e-3)
    assert currents["linear"][small] == pytest.approx(reference, rel=5e-3)
    # At larger bias the self-consistent charge changes the potential: the models part
    # by far more than at the smallest bias (measured 0.3 % and 4.5 % at V = 0.3 t,
    # 70 and 45 times their difference at 0.05 t).
    large = np.argmax(biases)
    for drop in ("rigid", "linear"):
        apart = abs(currents[drop][large] / currents["self-consistent"][large] - 1)
        close = abs(currents[drop][small] / reference - 1)
        assert apart > 10 * close
