"""Gate scans of a split-gate QPC in its Thomas–Fermi self-consistent potential.

The device: ``systems.wire(24, 16)`` at a = 10 nm in GaAs (t = 5.69 meV), a 2DEG 30 nm
below a pinned surface with a donor sheet (1.2×10¹¹ cm⁻² at 15 nm) and two gate fingers
(60 nm long, 80 nm apart) across its middle; E_F = t.  With these donors U vanishes where
the leads attach (the leads carry no potential), and the gas's own charge makes a smooth
bump in between, so the constriction is adiabatic and G rises in clean steps.
"""

from __future__ import annotations

import kwant
import numpy as np
import pandas as pd
import pytest

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SheetCharge,
    SiteElectrostatics,
    SitePotential,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import ThomasFermiDevice, square_lattice, thomas_fermi_state
from workflows.runs.options import RunOptions
from workflows.scattering.current_maps import current_into, site_inflow
from workflows.studies.gate_scans import self_consistent_gate_scan

A = 10.0  # nm
LENGTH, WIDTH = 24, 16
UNITS = systems.Units.for_material("GaAs", A)
E_F = 1.0  # t
SPLIT = {"top": 1.0, "bottom": 1.0}
VOLTAGES = np.round(np.linspace(-0.2, 0.0, 11), 10)  # V


def _fingers(gap=80.0, finger=60.0):
    far = 1e4
    return [
        Gate("top", [(-finger / 2, gap / 2), (finger / 2, gap / 2), (finger / 2, far),
                     (-finger / 2, far)]),
        Gate("bottom", [(-finger / 2, -far), (finger / 2, -far), (finger / 2, -gap / 2),
                        (-finger / 2, -gap / 2)]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def device():
    fsyst = systems.wire(LENGTH, WIDTH).finalized()
    layout = Layout(gates=_fingers(), depth=30.0, charges=[SheetCharge(-15.0, 1.2e11)])
    length, width = (LENGTH - 1) * A, (WIDTH - 1) * A
    region = [(-length / 2 - A, length / 2 + A), (-width / 2 - A, width / 2 + A)]
    problem = PoissonProblem(layout, layout_grid(layout, region, A, growth=1.5))
    positions = site_positions(fsyst, UNITS, origin=(-length / 2, -width / 2), height=-30.0)
    return ThomasFermiDevice(
        fsyst, SiteElectrostatics(problem, positions), square_lattice(UNITS), UNITS
    )


@pytest.fixture(scope="module")
def scan_table(device):
    return self_consistent_gate_scan(device, E_F, VOLTAGES, gates=SPLIT, maps=True)


def _kwant_params(device, energy_at_sites):
    potential = SitePotential(device.fsyst, energy_at_sites, units=UNITS)
    return {"t": 1.0, "V": potential, "B": 0.0, "disorder": 0.0, "salt": "0"}


def test_conductance_is_plain_kwant_in_the_scans_potential(device, scan_table):
    # Independent route: kwant.smatrix of the same system with the scan's U as the on-site
    # V; the two solvers differ by rounding (1e-10).
    assert scan_table.attrs["failed"] == 0
    for row in scan_table.iloc[[0, 5, 10]].itertuples():
        smatrix = kwant.smatrix(device.fsyst, E_F, params=_kwant_params(device, row.U))
        assert row.G == pytest.approx(smatrix.transmission(1, 0), abs=1e-10)


def _bottleneck_thresholds(U):
    """Subband bottoms (t) of the narrowest column: eigenvalues of the transverse chain.

    At k_x = 0 the square lattice's column x has the thresholds of H_y = tridiag(2t + U(x, y), −t);
    the bottleneck is the column with the fewest thresholds below E_F.
    """
    energy = U.reshape(LENGTH, WIDTH) * 1e3 / UNITS.t_meV
    columns = []
    for column in energy:
        h = np.diag(2.0 + column) - np.eye(WIDTH, k=1) - np.eye(WIDTH, k=-1)
        columns.append(np.linalg.eigvalsh(h))
    return min(columns, key=lambda levels: int(np.sum(levels < E_F)))


def test_conductance_rises_in_steps_of_the_open_subbands(scan_table):
    G = scan_table["G"].to_numpy()
    # Monotone as the gate opens: transmission through a smooth saddle rises with every
    # subband (Büttiker, Phys. Rev. B 41, 7906 (1990)); reflection at the smooth bump may
    # only wiggle it (measured: no decrease at all on this scan), 0.02 allowed.
    assert np.all(np.diff(G) > -0.02)
    assert G[0] < 0.05 and G[-1] > 3.0
    # Adiabatic plateaus (Glazman, Lesovik, Khmelnitskii & Shekhter, JETP Lett. 48, 238
    # (1988)): G is the number N of subbands of the bottleneck open at E_F, in e²/h per spin
    # (2e²/h with spin).  The constriction here is short (60 nm fingers, λ_F ≈ 60 nm), so
    # the transverse thresholds of one column place the steps only roughly: where no
    # threshold lies within 0.05 t of E_F, |G − N| < 0.25 (measured ≤ 0.22: tunnelling
    # below and reflection above a threshold), and G rounds to N at every such point.
    checked = 0
    for row in scan_table.itertuples():
        levels = _bottleneck_thresholds(row.U)
        if np.min(np.abs(levels - E_F)) > 0.05:
            checked += 1
            assert row.G == pytest.approx(np.sum(levels < E_F), abs=0.25)
    # the first plateau: two consecutive points (0.02 V apart) within 0.06 of 1
    assert np.any((np.abs(G[:-1] - 1) < 0.06) & (np.abs(G[1:] - 1) < 0.06))
    assert checked >= 6


def test_maps_are_self_consistent_and_conserve_charge_and_current(device, scan_table):
    es = device.electrostatics
    problem = es.problem
    row = scan_table.iloc[7]
    voltages = {name: row.V_gate for name in SPLIT}
    # the potential map solves U = U₀(V) + K n(U) within the solver tolerance (1e-6 eV)
    np.testing.assert_allclose(row.U, es.bare_energy(voltages) + es.interaction(row.n), atol=1e-6)
    assert row.electrons == pytest.approx(row.n.sum(), rel=1e-12)
    # Gauss: the electrons on the grid induce their charge on the conductors (the matrix
    # has zero column sums, so Σ over the Dirichlet nodes of A φ = −(free charge)); the
    # difference with and without the gas is e Σ n to rounding.
    fixed = np.ones(problem.grid.size, dtype=bool)
    fixed[problem.free_nodes] = False
    gas = -(es.interpolation.T @ row.n).reshape(problem.grid.shape)
    induced = [
        (problem.matrix @ problem.solve(voltages, charge).ravel())[fixed].sum()
        for charge in (gas, None)
    ]
    assert induced[0] - induced[1] == pytest.approx(row.electrons, rel=1e-9)
    # the current map: conserved on every site off the leads' interfaces, and its flux
    # through the middle cross-section is the current G × 1 V of the unit bias
    fsyst = device.fsyst
    inflow = site_inflow(fsyst, row.current)
    interfaces = set(np.concatenate([np.asarray(i) for i in fsyst.lead_interfaces]).tolist())
    inner = [i for i in range(len(fsyst.sites)) if i not in interfaces]
    assert np.max(np.abs(inflow[inner])) < 1e-10
    through = current_into(fsyst, row.current, lambda pos: pos[0] > LENGTH / 2)
    assert through == pytest.approx(row.G, abs=1e-10)


def test_warm_start_changes_iterations_not_the_answer(device, scan_table):
    # Cold: each voltage from U₀.  Both solutions have residual ≤ 1e-6 eV; J = 1 + K diag(ρ)
    # has its spectrum ≥ 1 (K positive definite), so the two differ by ~the tolerance:
    # 1e-5 eV allowed.
    cold_iterations = 0
    for row in scan_table.iloc[1:5].itertuples():
        cold = thomas_fermi_state(device, energy=E_F, voltages={name: row.V_gate for name in SPLIT})
        cold_iterations += cold.iterations
        np.testing.assert_allclose(cold.energy, row.U, atol=1e-5)
    warm_iterations = scan_table["iterations"].iloc[1:5].sum()
    assert warm_iterations < cold_iterations


def test_a_point_that_does_not_converge_is_a_recorded_failure(device):
    table = self_consistent_gate_scan(
        device, E_F, [-0.1, -0.05], gates=SPLIT, tolerance=1e-12, max_iterations=1
    )
    assert table.attrs["failed"] == 2
    assert table["G"].isna().all()
    for failure in table.attrs["errors"]:
        assert failure["error"].startswith("ThomasFermiConvergenceError: Thomas–Fermi did not")
        assert "\n" not in failure["error"]


def test_scan_resumes_and_runs_on_two_workers(device, tmp_path, interrupt_after, two_workers):
    voltages = [-0.12, -0.1, -0.08]
    serial = self_consistent_gate_scan(device, E_F, voltages, gates=SPLIT)
    store = tmp_path / "gates.sqlite"
    with pytest.raises(KeyboardInterrupt):
        self_consistent_gate_scan(
            device,
            E_F,
            voltages,
            gates=SPLIT,
            run=RunOptions(store=store, executor=interrupt_after(2)),
        )
    resumed = self_consistent_gate_scan(
        device, E_F, voltages, gates=SPLIT, run=RunOptions(store=store)
    )
    assert resumed.attrs["provenance"]["n_from_store"] == 2
    assert resumed.attrs["provenance"]["n_computed"] == 1
    # The first two rows come from the store (the same serial run: equal); the third starts
    # cold instead of warm: the same solution within the tolerance, whose effect on G
    # (dG/dU ≈ 1 per 0.1 t on a riser, ΔU ≤ 1e-5 eV = 2e-3 t) is below 1e-3.
    pd.testing.assert_frame_equal(resumed.iloc[:2], serial.iloc[:2], check_exact=True)
    np.testing.assert_allclose(resumed["G"], serial["G"], atol=1e-3)
    parallel = self_consistent_gate_scan(
        device, E_F, voltages, gates=SPLIT, run=RunOptions(executor=two_workers)
    )
    assert "SupervisedPool (2 workers)" in parallel.attrs["provenance"]["executor"]
    np.testing.assert_allclose(parallel["G"], serial["G"], atol=1e-3)
    np.testing.assert_allclose(parallel["electrons"], serial["electrons"], rtol=1e-4)


HALL = dict(length=32, width=16, lead_width=4)
FLUX = 0.03  # h/e per plaquette: l_B = a/√(2πφ) = 2.3a, a seventh of the bar's width


@pytest.fixture(scope="module")
def hall_device():
    """``systems.hall_bar(32, 16, 4)`` under a gate covering everything (same heterostructure)."""
    fsyst = systems.hall_bar(**HALL).finalized()
    everywhere = Gate("top", [(-1e4, -1e4), (1e4, -1e4), (1e4, 1e4), (-1e4, 1e4)])
    layout = Layout(gates=[everywhere], depth=30.0, charges=[SheetCharge(-15.0, 1.2e11)])
    positions = site_positions(fsyst, UNITS, height=-30.0)
    low, high = positions[:, :2].min(axis=0), positions[:, :2].max(axis=0)
    region = [(low[0] - A, high[0] + A), (low[1] - A, high[1] + A)]
    problem = PoissonProblem(layout, layout_grid(layout, region, A, growth=1.5))
    es = SiteElectrostatics(problem, positions)
    return ThomasFermiDevice(fsyst, es, square_lattice(UNITS), UNITS)


def test_hall_plateaus_follow_the_thomas_fermi_density(hall_device):
    # In a strong field the Hall bar shows R_xy = −sign(B)/ν, R_xx = 0 (h/e², per spin;
    # Büttiker, Phys. Rev. B 38, 9375 (1988)) with ν the Landau levels filled in the bar.
    # By Onsager's quantization each level holds φ states per site and spin and sits where
    # the zero-field count reaches (ν + 1/2)φ, so ν = round(n/φ) with n the (B = 0)
    # Thomas–Fermi density per site and spin in the bar's middle: n h/(eB) rounded.  Points
    # whose n/φ lies within 0.2 of an integer are on a plateau; the finite width leaves
    # R_xy within 0.01 of −1/ν and R_xx below 0.01 (measured ≤ 2.4e-3).  The gate changes ν.
    table = self_consistent_gate_scan(
        hall_device,
        E_F,
        [-0.01, 0.0, 0.01],
        gates={"top": 1.0},
        fields=[FLUX],
        geometry="hall_bar",
        maps=True,
    )
    assert table.attrs["failed"] == 0
    positions = np.array([site.pos for site in hall_device.fsyst.sites])
    x, y = positions.T
    middle = (x >= 6) & (x <= HALL["length"] - 7) & (y >= 4) & (y <= HALL["width"] - 5)
    plateaus = set()
    for row in table.itertuples():
        filling = row.n[middle].mean() / UNITS.degeneracy / FLUX
        nu = round(filling)
        if nu >= 1 and abs(filling - nu) < 0.2:
            plateaus.add(nu)
            assert row.R_xy == pytest.approx(-1 / nu, abs=0.01)
            assert abs(row.R_xx) < 0.01
        else:  # between plateaus: dissipative
            assert abs(row.R_xx) > 0.05
    assert plateaus == {1, 2}


def _chain_onsite(site, V):
    return 2.0 + V(site)


def _lead_band(site, V_lead):
    return 2.0 + V_lead


@pytest.mark.slow  # one Hartree point: ~3 s with the lead self-energy cache
def test_hartree_device_scans_through_the_same_study():
    # The Hartree option of the same study: a 10-site chain (t = 1 eV, ε_r = 100 so that
    # U matters) between two contact sheets, under a top gate.  Independent route: G is
    # kwant.smatrix's transmission in the scan's U (leads unshifted: contacts at 0 V).
    from workflows.electrostatics import HartreeDevice

    sites, a, depth = 10, 10.0, 20.0
    units = systems.Units(a, t_meV=1000.0)
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(sites))] = _chain_onsite
    syst[lat.neighbors()] = -1.0
    for direction in (-1, 1):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction,)))
        lead[lat(0)] = _lead_band
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    fsyst = syst.finalized()
    length = (sites - 1) * a
    layout = Layout(
        gates=[
            Gate("source", (-1e3, -a), height=-depth),
            Gate("drain", (length + a, length + 1e3), height=-depth),
            Gate("gate", (0.3 * length, 0.7 * length), height=0.0),
        ],
        depth=depth,
        eps_r=100.0,
        surface="free",
        far_field="free",
    )
    problem = PoissonProblem(layout, layout_grid(layout, [(-2 * a, length + 2 * a)], a / 2))
    es = SiteElectrostatics(problem, site_positions(fsyst, units, origin=(0.0,), height=-depth))
    device = HartreeDevice(fsyst, es, units, ("source", "drain"), ("V_lead", "V_lead"))
    table = self_consistent_gate_scan(
        device, 0.5, [-0.1], gates={"gate": 1.0}, temperature=0.05, maps=True
    )
    assert table.attrs["failed"] == 0 and table["iterations"].iloc[0] >= 1
    row = table.iloc[0]
    params = {"V": SitePotential(fsyst, row.U, units=units), "V_lead": 0.0}
    smatrix = kwant.smatrix(fsyst, 0.5, params=params)
    assert row.G == pytest.approx(smatrix.transmission(1, 0), abs=1e-10)
    assert row.electrons == pytest.approx(row.n.sum(), rel=1e-12) and row.electrons > 1
