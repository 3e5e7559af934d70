"""A split-gate QPC: the Hartree (quantum) and Thomas–Fermi pinch-off voltages agree.

The device: a GaAs electron gas (m* = 0.067, spin-degenerate: ``Units.degeneracy`` = 2)
50 nm below a pinned surface at 0 V, on a square lattice of a = 10 nm (t = 5.69 meV) of
LENGTH × WIDTH sites between two leads, under two gate fingers (60 nm along the channel,
80 nm apart) that overlap the channel's sides.  The gas is induced by the band offset
E_c − μ = −0.15 eV at zero potential (the surface acts as a gate at the Fermi level at
d = 50 nm: about 2×10¹¹ cm⁻² in the open channel, E_F − E_c ≈ 1.2 t, λ_F ≈ 55 nm ≈ 5.5 a).
Both models see the same electrostatics (the same sites, the same affine map U = U₀ + K n)
and differ only in the density: Thomas–Fermi's n(μ − E_c − U) at zero temperature from
the lattice's 2D band, Hartree's the quantum density of the open system at k_B T = 2 K
(0.172 meV = 0.030 t: about 35 Fermi pole pairs for the density to 1e-8 per orbital;
k_B T/E_F ≈ 0.03 leaves the densities within a few 1e-4 of zero temperature's).

The leads are the gas beyond the device, their band bottom fixed at the Thomas–Fermi
potential of the open device's end columns (they carry no charge in the electrostatics,
as the gas beyond the Thomas–Fermi patch; their contacts, surface gates at 0 V over the
leads, never change: ``lead_potentials`` None).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import kwant
import numpy as np
import pytest

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    SitePotential,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import (
    HartreeDevice,
    ThomasFermiConvergenceError,
    hartree,
    hartree_pinch_off_voltage,
    pinch_off_voltage,
    square_lattice,
    thomas_fermi,
)
from workflows.electrostatics.pinch_off import _root_search

#: The full root search to 1 mV (10 Hartree solutions, 13 s at load 2.5) runs with
#: MESOFLOW_LONG=1; the suite checks the 10 % criterion itself by bracketing.
LONG = os.environ.get("MESOFLOW_LONG") == "1"

A = 10.0  # nm
LENGTH, WIDTH = 16, 12  # sites: 192
DEPTH = 50.0  # nm
GAP, FINGER = 80.0, 60.0  # nm
BAND_EDGE = -0.15  # eV, E_c − μ at zero potential
UNITS = systems.Units.for_material("GaAs", A)
SCALE = 1e3 / UNITS.t_meV  # t per eV
E_F = -BAND_EDGE * SCALE  # t, from the band bottom at zero potential
KT = float(UNITS.energy_in_t(2.0 * 8.617333262e-2))  # 2 K in t
SPLIT_GATE = {"top": 1.0, "bottom": 1.0}


def _onsite(site, V):
    return 4.0 + V(site)


def _lead_onsite(site, V_lead):
    return 4.0 + V_lead


def _qpc():
    lat = kwant.lattice.square(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i, j) for i in range(LENGTH) for j in range(WIDTH))] = _onsite
    syst[lat.neighbors()] = -1.0
    for direction in (-1, 1):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction, 0)))
        lead[(lat(0, j) for j in range(WIDTH))] = _lead_onsite
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    return syst.finalized()


def _rectangle(name, x, y):
    return Gate(name, [(x[0], y[0]), (x[1], y[0]), (x[1], y[1]), (x[0], y[1])])


@pytest.fixture(scope="module")
def qpc():
    fsyst = _qpc()
    half_length, half_width = (LENGTH - 1) * A / 2, (WIDTH - 1) * A / 2
    far = 1e4
    gates = [
        _rectangle("top", (-FINGER / 2, FINGER / 2), (GAP / 2, far)),
        _rectangle("bottom", (-FINGER / 2, FINGER / 2), (-far, -GAP / 2)),
        # the leads' contacts: surface gates at 0 V (the pinned surface's voltage) over
        # the gas beyond the device; they never change the electrostatics
        _rectangle("source", (-half_length - 3 * A, -half_length - 2 * A), (-20, 20)),
        _rectangle("drain", (half_length + 2 * A, half_length + 3 * A), (-20, 20)),
    ]
    layout = Layout(gates=gates, depth=DEPTH)
    reach = half_length + 3 * A + 5  # the contacts inside the uniform region
    region = [(-reach, reach), (-half_width - 5, half_width + 5)]
    problem = PoissonProblem(layout, layout_grid(layout, region, A, growth=1.5))
    positions = site_positions(fsyst, UNITS, origin=(-half_length, -half_width), height=-DEPTH)
    es = SiteElectrostatics(problem, positions)
    band = square_lattice(UNITS)
    open_tf = thomas_fermi(es, {}, band, band_edge=BAND_EDGE)
    ends = np.isclose(np.abs(positions[:, 0]), half_length)
    device = HartreeDevice(
        fsyst, es, UNITS, contacts=("source", "drain"), lead_potentials=(None, None)
    )
    params = {"V_lead": float(open_tf.energy[ends].mean() * SCALE)}
    saddle = int(np.argmin(np.hypot(positions[:, 0], positions[:, 1])))
    return device, band, params, saddle, open_tf


@pytest.fixture(scope="module")
def tf_pinch_off(qpc):
    device, band, _, saddle, _ = qpc
    return pinch_off_voltage(
        device.electrostatics, SPLIT_GATE, band, saddle, (0.0, -1.2), band_edge=BAND_EDGE,
        tolerance=1e-4,
    )  # fmt: skip


def _conductance(device, solution, params):
    """G(E_F) per spin (e²/h) in a self-consistent potential."""
    potential = SitePotential(device.fsyst, solution.energy, units=UNITS)
    smatrix = kwant.smatrix(device.fsyst, E_F, params=dict(params, V=potential))
    return smatrix.transmission(1, 0)


@pytest.mark.parametrize("reach", [0.3, 0.01])
def test_root_search_halves_a_step_that_does_not_converge(reach):
    """The shared root search continues in V: a solve that fails from a solution farther
    than ``reach`` away is retried after the midpoint (up to MAX_HALVINGS = 3 times, so
    steps of 2 V / 8 = 0.25 V get through and 0.01 V steps do not)."""

    @dataclass
    class State:
        voltage: float

    def solve(voltages, previous):
        voltage = voltages["gate"]
        if previous is not None and abs(voltage - previous.voltage) > reach:
            raise ThomasFermiConvergenceError("step too long")
        return State(voltage)

    def opening(state):
        return 1.0 + state.voltage  # open (> 0) at 0 V, the root at −1 V

    if reach < 0.25:
        with pytest.raises(ThomasFermiConvergenceError):
            _root_search(solve, opening, {"gate": 1.0}, (0.0, -2.0), 1e-6, None)
        return
    result = _root_search(solve, opening, {"gate": 1.0}, (0.0, -2.0), 1e-6, None)
    assert result.voltage == pytest.approx(-1.0, abs=1e-6)
    assert result.solution.voltage == result.voltage
    assert result.evaluations > 3  # the continuation's intermediate solutions


def test_hartree_pinch_off_within_ten_percent_of_thomas_fermi(qpc, tf_pinch_off):
    """Issue 23: |V_p(Hartree) − V_p(TF)| ≤ 10 % of V_p(TF), with one definition for both
    (the band bottom at the saddle at E_F, :mod:`workflows.electrostatics.pinch_off`).

    The Hartree search is bracketed by V_p(TF) × (0.9, 1.1): it raises unless the Hartree
    indicator changes sign inside, i.e. unless the two agree within 10 %.  At either V_p
    the conductance is below half the first plateau, as the saddle-point model (Büttiker,
    Phys. Rev. B 41, 7906 (1990)) says of a barrier top at E_F: T₀ = 1/(1 + e^{πω_y/ω_x}).
    """
    device, band, params, saddle, _ = qpc
    v_tf = tf_pinch_off.voltage
    assert v_tf < 0
    result = hartree_pinch_off_voltage(
        device, SPLIT_GATE, saddle, (0.9 * v_tf, 1.1 * v_tf), energy=E_F, temperature=KT,
        params=params, band=band, tolerance=0.05 * abs(v_tf), solver_tolerance=1e-4,
        initial=tf_pinch_off.solution,
    )  # fmt: skip
    # Measured with the full search (MESOFLOW_LONG=1, 1 mV): V_p(Hartree) = −0.953 V,
    # V_p(TF) = −0.943 V, 1.0 % apart; the quantum density holds fewer electrons near
    # the saddle (zero-point energy), so its saddle is lower and the gates need more.
    assert abs(result.voltage - v_tf) <= 0.1 * abs(v_tf)
    assert result.solution.converged
    assert 0.0 < _conductance(device, result.solution, params) < 0.5
    assert 0.0 < _conductance(device, tf_pinch_off.solution, params) < 0.5


def test_open_qpc_densities_agree_away_from_the_constriction(qpc):
    """Thomas–Fermi is the semiclassical limit of the quantum density: away from the
    constriction, in the open channel (gates at 0 V), the electrons in each half of the
    device beyond the fingers agree to 1 % (measured: 0.14 %).  Why 1 %: locally the
    densities differ by Friedel oscillations (period λ_F/2 ≈ 28 nm, averaged out over
    50 nm × 120 nm) and by the transverse quantization of the 120 nm channel (about five
    subbands: its density of states differs from the 2D one by up to ~20 %), but the charge
    of a region is set by electrostatics: the gas's quantum capacitance e²D exceeds the
    geometric one ε₀ε_r/d ~20-fold, so a change δD/D of the density of states moves the
    charge by only ~δD/D × C_geometric/C_quantum ≈ 20 % / 20 = 1 %.
    """
    device, _, params, _, open_tf = qpc
    solution = hartree(
        device, energy=E_F, temperature=KT, params=params, initial=open_tf, tolerance=1e-5
    )
    x = device.electrostatics.positions[:, 0]
    for side in (x < -FINGER / 2 - A, x > FINGER / 2 + A):
        quantum, semiclassical = solution.density[side].sum(), open_tf.density[side].sum()
        assert semiclassical > 10  # electrons: a well-filled region
        np.testing.assert_allclose(quantum, semiclassical, rtol=0.01)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="the full Hartree search (~15 s): set MESOFLOW_LONG=1")
def test_full_hartree_pinch_off_search(qpc, tf_pinch_off):
    """The Hartree pinch-off to 1 mV from a bracket ±30 % around V_p(TF) (the measured
    difference; the ends must be near V_p so that the warm starts converge)."""
    device, band, params, saddle, _ = qpc
    v_tf = tf_pinch_off.voltage
    result = hartree_pinch_off_voltage(
        device, SPLIT_GATE, saddle, (0.7 * v_tf, 1.3 * v_tf), energy=E_F, temperature=KT,
        params=params, band=band, tolerance=1e-3, solver_tolerance=1e-6,
        initial=tf_pinch_off.solution,
    )  # fmt: skip
    assert abs(result.voltage - v_tf) <= 0.1 * abs(v_tf)
    assert result.voltage < v_tf  # the quantum channel is more open at a given voltage


def test_bad_input_is_one_line_before_work(qpc):
    device, band, params, saddle, _ = qpc
    common = dict(energy=E_F, temperature=KT, params=params)
    with pytest.raises(TypeError, match="device must be a HartreeDevice"):
        hartree_pinch_off_voltage(device.electrostatics, SPLIT_GATE, saddle, (0, -1), **common)
    with pytest.raises(TypeError, match="band must be a BandDensity"):
        hartree_pinch_off_voltage(device, SPLIT_GATE, saddle, (0, -1), band="GaAs", **common)
    with pytest.raises(ValueError, match="saddle"):
        hartree_pinch_off_voltage(device, SPLIT_GATE, 10**6, (0, -1), **common)
    with pytest.raises(ValueError, match="temperature"):
        hartree_pinch_off_voltage(
            device, SPLIT_GATE, saddle, (0, -1), energy=E_F, temperature=0.0, band=band
        )
    with pytest.raises(ValueError, match="gates must map"):
        hartree_pinch_off_voltage(device, {}, saddle, (0, -1), **common)
