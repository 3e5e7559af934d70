"""Thermoelectric coefficients of Kwant systems: Mott, Wiedemann–Franz, sharp steps (Středa)."""

from __future__ import annotations

import inspect

import kwant
import numpy as np
import pandas as pd
import pytest
import scipy.optimize

import systems
from analysis import chain_barrier_transmission, subband_edges
from analysis.energy_grid import window_grid
from analysis.thermoelectric import landauer_moments, thermoelectric_coefficients
from workflows import thermoelectric, thermoelectric_table
from workflows.runs.options import RunOptions
from workflows.studies.thermoelectric import transmission_function

PI2_3 = np.pi**2 / 3


def _user_chain():
    """A user's chain (plain Kwant, on-site 0, band −2 < E < 2) with a 2-site barrier V."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(4))] = 0.0
    syst[lat(1)] = syst[lat(2)] = lambda site, V: V
    syst[lat.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 0.0
    lead[lat.neighbors()] = -1.0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_chain_barrier_mott_and_wiedemann_franz():
    # mesoflow's chain with a one-site barrier: 𝒯(E) in closed form.  At
    # k_BT = 0.005 t the Sommerfeld corrections to Mott and to π²/3 are
    # O((k_BT)² 𝒯''/𝒯) ≈ 1e-4 relative; the grid error at tol = 1e-5 is ≈ 2e-5.
    fsyst = systems.chain(1).finalized()
    mu, theta, V = 1.0, 0.005, 1.0
    c = thermoelectric(fsyst, mu, theta, params=dict(V=V))
    h = 1e-5
    dlog = (
        np.log(chain_barrier_transmission(mu + h, V))
        - np.log(chain_barrier_transmission(mu - h, V))
    ) / (2 * h)
    assert c.G == pytest.approx(chain_barrier_transmission(mu, V), rel=1e-4)
    assert c.S == pytest.approx(-PI2_3 * theta * dlog, rel=2e-3)
    assert c.lorenz == pytest.approx(PI2_3, rel=1e-3)
    assert c.Pi == pytest.approx(theta * c.S)
    assert c.ZT == pytest.approx(c.S**2 * c.G * theta / c.kappa)
    with_phonons = thermoelectric(fsyst, mu, theta, params=dict(V=V), phonon_kappa=c.kappa)
    assert with_phonons.ZT == pytest.approx(c.ZT / 2, rel=1e-6)


def test_user_chain_hole_like_side_has_positive_thermopower():
    # A barrier transmits better at higher energy on the lower half of the band
    # (S < 0, electron-like) — and the sign follows 𝒯'(E) through Mott.
    fsyst = _user_chain()
    func = transmission_function(fsyst, params=dict(V=0.5))
    for mu in (-1.0, 0.8):  # below and above the band centre
        c = thermoelectric(fsyst, mu, 0.004, params=dict(V=0.5))
        slope = (func(mu + 1e-4) - func(mu - 1e-4)) / 2e-4
        assert np.sign(c.S) == -np.sign(slope)
        assert c.S == pytest.approx(-PI2_3 * 0.004 * slope / func(mu), rel=5e-3)


def test_ideal_wire_step_gives_ln2_over_n_plus_half():
    # Ideal wire: 𝒯(E) = N(E) is an exact staircase with steps at the subband
    # edges.  At μ on the step from N to N + 1 modes, with k_BT ≪ the subband
    # spacing, S = −(k_B/e) ln 2/(N + 1/2) (Středa 1989; the sharp-step limit of
    # a QPC).  Neighbouring steps contribute ≈ e^{−Δ/k_BT} with Δ ≥ 0.7 t,
    # k_BT = 0.01 t: negligible; tolerance 1e-5 for the grid.
    n = 2  # the step from 2 to 3 modes (other N: tests/analysis/test_thermoelectric.py)
    fsyst = systems.wire(3, 5).finalized()
    edge = subband_edges(5)[n]
    c = thermoelectric(fsyst, edge, 0.01)
    assert c.G == pytest.approx(n + 0.5, abs=1e-5)
    assert c.S == pytest.approx(-np.log(2) / (n + 0.5), rel=1e-5)


@pytest.mark.slow
def test_qpc_thermopower_mott_at_low_temperature():
    # systems.qpc between the first and second plateau: the step has a width
    # ≈ 0.03 t ≫ k_BT = 0.002 t, so the Sommerfeld (Mott) expansion holds with
    # relative corrections O((k_BT/width)²·π²) ≈ 1 % (2.4 % measured at
    # k_BT = 0.004, scaling as T²); tolerance 1.5 %.
    fsyst = systems.qpc(20, 10, depth=4.0).finalized()
    params = dict(V_gate=1.0)
    func = transmission_function(fsyst, params=params)
    mu, theta = 0.57, 0.002
    c = thermoelectric(fsyst, mu, theta, params=params, tol=1e-4)
    assert 1 < c.G < 2
    h = 1e-4
    mott = -PI2_3 * theta * (np.log(func(mu + h)) - np.log(func(mu - h))) / (2 * h)
    assert c.S == pytest.approx(mott, rel=0.015)


@pytest.mark.slow
def test_adiabatic_qpc_sharp_step_thermopower_is_ln2_over_n_plus_half():
    # Středa, J. Phys.: Condens. Matter 1, 1025 (1989); observed by Molenkamp
    # et al., PRL 65, 1052 (1990).  For a step 𝒯 = N + θ(E − E_N) and μ = E_N:
    # L_0 = N + 1/2, L_1 = k_BT ∫₀^∞ x (−∂f/∂x) dx = k_BT ln 2, so
    # S = −L_1/(T L_0) = −(k_B/e) ln 2/(N + 1/2) (electrons, charge −e).
    # A long, narrow split gate (50 × gap 4, depth 2.5) makes systems.qpc
    # adiabatic: the step 1 → 2 at E ≈ 1.106 t rises over ≈ 0.012 t (10–90 %,
    # a Fermi-shaped step of width w ≈ 0.003 t, w = ħω_x/2π), the neighbouring
    # steps are ≥ 0.41 t away and the plateaus are flat to ±0.005.  At
    # k_BT = 0.04 t (w ≪ k_BT ≪ spacing) the corrections are: step width
    # −(π²/24)(w/k_BT)²/ln 2 ≈ −0.3 %; neighbouring steps
    # (1 + Δ/k_BT) e^{−Δ/k_BT}/ln 2 ≤ 0.1 %; plateau ripple ±0.005: ≤ 0.3 % in
    # L_0 and ≤ 0.005·2 ln 2/(1.5 ln 2) ≈ 0.7 % in L_1 (worst case, it
    # oscillates); grid (tol = 1e-3) ≈ 2e-4.  Tolerance 2 %.  The Mott formula
    # (Sommerfeld, needs k_BT ≪ w) fails here by an order of magnitude.
    fsyst = systems.qpc(60, 8, gate_length=50, gap=4, depth=2.5).finalized()
    params = dict(V_gate=1.0)
    func = transmission_function(fsyst, params=params)
    n, theta = 1, 0.04
    centre = scipy.optimize.brentq(lambda e: func(e) - (n + 0.5), 1.08, 1.13, xtol=1e-5)
    # The regime (plain kwant.smatrix transmissions): step complete within
    # ±k_BT/2, plateaus flat 0.2 t away.
    assert func(centre - theta / 2) < n + 0.03 and func(centre + theta / 2) > n + 0.97
    assert abs(func(centre - 0.2) - n) < 0.01 and abs(func(centre + 0.2) - n - 1) < 0.01
    c = thermoelectric(fsyst, centre, theta, params=params, tol=1e-3)
    assert c.G == pytest.approx(n + 0.5, abs=0.01)
    assert c.S == pytest.approx(-np.log(2) / (n + 0.5), rel=0.02)
    h = 1e-4
    mott = -PI2_3 * theta * (np.log(func(centre + h)) - np.log(func(centre - h))) / (2 * h)
    assert abs(mott) > 5 * abs(c.S)


def test_table_rows_obey_mott():
    # Two energies, each on its own grid; each row obeys Mott (as in the single-point test).
    fsyst = systems.chain(1).finalized()
    table = thermoelectric_table(fsyst, [0.9, 1.0], [0.005], params=dict(V=1.0))
    assert list(table.columns[:2]) == ["energy", "temperature"] and len(table) == 2
    assert table.attrs["units"]["S"] == "k_B/e"
    h = 1e-5
    for row in table.itertuples():
        dlog = (
            np.log(chain_barrier_transmission(row.energy + h, 1.0))
            - np.log(chain_barrier_transmission(row.energy - h, 1.0))
        ) / (2 * h)
        assert row.S == pytest.approx(-PI2_3 * 0.005 * dlog, rel=2e-3)


def test_dephasing_probes_float_at_every_energy():
    # With dephasing probes the other leads float at each energy: 𝒯(E) is the
    # dephased two-terminal conductance, and a pure Ohmic chain (no barrier)
    # still obeys Wiedemann–Franz to Sommerfeld accuracy.
    builder = systems.chain(4)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    c = thermoelectric(fsyst, 1.0, 0.005, params=dict(eta=0.2))
    assert 0 < c.G < 1
    assert c.lorenz == pytest.approx(PI2_3, rel=1e-3)


def test_bad_input_is_rejected_before_work():
    fsyst = systems.chain(1).finalized()
    with pytest.raises(ValueError, match="temperature"):
        thermoelectric(fsyst, 1.0, 0.0)
    with pytest.raises(ValueError, match="sink"):
        thermoelectric(fsyst, 1.0, 0.01, sink=2)
    with pytest.raises(TypeError, match="energy"):
        thermoelectric(fsyst, "1.0", 0.01)


def test_temperatures_at_one_energy_share_one_grid():
    # The table's temperatures at one energy come from one 𝒯(E) grid over all
    # their windows: bit for bit the coefficients computed on that grid.
    fsyst = systems.chain(1).finalized()
    temperatures = [0.005, 0.02]
    table = thermoelectric_table(fsyst, 1.0, temperatures, params=dict(V=1.0), tol=1e-4)
    func = transmission_function(fsyst, params=dict(V=1.0))
    windows = [(1.0, t) for t in temperatures]
    energies, values = window_grid(func, windows, tol=1e-4, max_points=4000)
    for row, (mu, t) in zip(table.itertuples(), windows, strict=True):
        c = thermoelectric_coefficients(landauer_moments(energies, values, mu, t), mu, t)
        assert (row.G, row.S, row.kappa, row.ZT) == (c.G, c.S, c.kappa, c.ZT)


def test_table_resumes_from_its_store_and_runs_on_two_workers(
    tmp_path, interrupt_after, two_workers
):
    # A user's chain, 2 energies × 2 temperatures: 2 tasks (one grid per energy).
    fsyst = _user_chain()
    kwargs = dict(params=dict(V=0.5), tol=1e-3)
    energies, temperatures = [-0.5, 0.8], [0.01, 0.03]
    serial = thermoelectric_table(fsyst, energies, temperatures, **kwargs)
    assert serial.attrs["provenance"]["study"]["name"] == "thermoelectric_table"
    assert serial.attrs["failed"] == 0 and np.isfinite(serial["S"]).all()
    store = tmp_path / "thermo.sqlite"
    with pytest.raises(KeyboardInterrupt):
        thermoelectric_table(
            fsyst,
            energies,
            temperatures,
            **kwargs,
            run=RunOptions(store=store, executor=interrupt_after(1)),
        )
    resumed = thermoelectric_table(
        fsyst, energies, temperatures, **kwargs, run=RunOptions(store=store)
    )
    assert resumed.attrs["provenance"]["n_from_store"] == 2  # the first energy's two rows
    assert resumed.attrs["provenance"]["n_computed"] == 2
    pd.testing.assert_frame_equal(resumed, serial, check_exact=True)
    parallel = thermoelectric_table(
        fsyst, energies, temperatures, **kwargs, run=RunOptions(executor=two_workers)
    )
    pd.testing.assert_frame_equal(parallel, serial, check_exact=True)


def test_point_functions_take_energy_and_keyword_only_params():
    for function in (thermoelectric, thermoelectric_table):
        parameters = inspect.signature(function).parameters
        assert list(parameters)[:2] == [
            "fsyst",
            "energy" if function is thermoelectric else "energies",
        ]
        assert parameters["params"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"tol": -1.0}, "tol must be a finite real number >= 1e-12"),
        ({"max_points": 5}, "max_points must be an integer >= 17"),
        ({"phonon_kappa": -1.0}, "phonon_kappa must be a finite real number >= 0"),
    ],
)
def test_table_refuses_bad_grid_settings_before_any_point(settings, message):
    # Before the one-style round these raised at once; a scan would instead record
    # every point as failed (and a store would keep those failures).
    fsyst = systems.chain(4).finalized()
    with pytest.raises(ValueError, match=message):
        thermoelectric_table(fsyst, [1.0], [0.01, 0.02], **settings)
