"""Hartree self-consistency and self-consistent transport on a gated chain.

The finite-bias checks (currents, gauge invariance, linear response, the characteristic
potentials and the sum rule of the non-linear conductances) share the module's device, so
its lead self-energy cache serves every Hartree state at the same reservoirs once.

The device: a 12-site chain (a = 10 nm, t = 1 eV, on-site 2t + U) between two leads whose
bands follow their contacts (on-site 2t − eV_l), in a 2D (x, z) layout: the contacts are
metal sheets in the plane of the chain beyond its ends, a top gate covers its middle, and
every other face of the box is free (zero normal field), so that every Dirichlet value is
a voltage of the problem.  ε_r = 100 keeps the charging energy (K ≈ 0.1 eV per electron) a
tenth of the bandwidth, so that the self-consistent potential matters (U ≈ 0.05–0.1 eV)
and Newton–Krylov converges in a few iterations.
"""

from __future__ import annotations

import itertools

import kwant
import numpy as np
import pytest
import scipy.integrate

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import HartreeConvergenceError, HartreeDevice, hartree
from workflows.scattering.nonequilibrium import electron_density, terminal_currents
from workflows.studies.current_voltage import iv_curve

A = 10.0  # nm
DEPTH = 20.0  # nm
SITES = 12
UNITS = systems.Units(A, t_meV=1000.0)  # t = 1 eV: voltages in V are energies in t
E_F = 0.5  # t, above the band bottom 0 of the leads at 0 V
KT = 0.05  # t
VOLTAGES = {"source": 0.0, "drain": 0.0, "gate": -0.1}


def _onsite(site, V):
    return 2.0 + V(*site.pos)  # V of the coordinates, as mesoflow's builders call it


def _source_band(site, V_source):
    return 2.0 + V_source


def _drain_band(site, V_drain):
    return 2.0 + V_drain


def _chain():
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(SITES))] = _onsite
    syst[lat.neighbors()] = -1.0
    for band, direction in ((_source_band, -1), (_drain_band, 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction,)))
        lead[lat(0)] = band
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    return syst.finalized()


@pytest.fixture(scope="module")
def device():
    fsyst = _chain()
    length = (SITES - 1) * A
    layout = Layout(
        gates=[
            Gate("source", (-1e3, -A), height=-DEPTH),
            Gate("drain", (length + A, length + 1e3), height=-DEPTH),
            Gate("gate", (0.3 * length, 0.7 * length), height=0.0),
        ],
        depth=DEPTH,
        eps_r=100.0,
        surface="free",
        far_field="free",
    )
    problem = PoissonProblem(layout, layout_grid(layout, [(-2 * A, length + 2 * A)], A / 2))
    positions = site_positions(fsyst, UNITS, origin=(0.0,), height=-DEPTH)
    return HartreeDevice(
        fsyst,
        SiteElectrostatics(problem, positions),
        UNITS,
        contacts=("source", "drain"),
        lead_potentials=("V_source", "V_drain"),
        voltages=VOLTAGES,
    )


def _shifted(device, shift):
    return HartreeDevice(
        device.fsyst,
        device.electrostatics,
        device.units,
        device.contacts,
        device.lead_potentials,
        voltages={name: value + shift for name, value in device.voltages.items()},
    )


@pytest.fixture(scope="module")
def equilibrium(device):
    return hartree(device, energy=E_F, temperature=KT, tolerance=1e-9)


DELTA = 1e-3  # V (= t/e): the finite-difference step of the sum rules


@pytest.fixture(scope="module")
def state(device):
    """(I_s, U) at contact and gate voltages (V): the self-consistent source current
    (e·t/h) and potential energy (eV), memoized.  Hartree to 1e-10 eV, the current's
    quadrature to 1e-12 e·t/h; equal contact voltages carry no current (equilibrium)."""
    solved = {}

    def at(source=0.0, drain=0.0, gate=VOLTAGES["gate"]):
        key = (source, drain, gate)
        if key not in solved:
            voltages = dict(source=source, drain=drain, gate=gate)
            solution = hartree(
                device, energy=E_F, temperature=KT, voltages=voltages, tolerance=1e-10
            )
            current = 0.0
            if source != drain:
                current = terminal_currents(
                    device.fsyst,
                    mu=solution.mu,
                    temperature=KT,
                    params=solution.params,
                    tol=1e-12,
                    lead_cache=device.lead_cache(),
                )[0]
            solved[key] = (current, solution.energy)
        return solved[key]

    return at


def test_equilibrium_is_self_consistent_and_warm_start_is_free(device, equilibrium):
    """U = U₀ + K n within tolerance; the charge raises U (K > 0); a warm start needs no step."""
    es = device.electrostatics
    assert equilibrium.converged and equilibrium.iterations >= 1
    bare = es.bare_energy(VOLTAGES)
    np.testing.assert_allclose(
        equilibrium.energy, bare + es.interaction(equilibrium.density), atol=1e-9
    )
    assert np.all(equilibrium.energy - bare > 0.01)  # 0.3 electrons per site, K ≈ 0.1 eV
    again = hartree(device, energy=E_F, temperature=KT, tolerance=1e-9, initial=equilibrium)
    assert again.iterations == 0


def test_not_converging_is_one_line_error(device):
    with pytest.raises(HartreeConvergenceError, match="did not converge") as info:
        hartree(device, energy=E_F, temperature=KT, tolerance=1e-13, max_iterations=1)
    assert "\n" not in str(info.value)


def test_density_equals_poisson_charge(device, equilibrium):
    """Charge balance (Gauss): the electrons at the sites, put on the grid and solved by the
    full Poisson problem, induce exactly their charge on the conductors, and the full
    solution gives back U at the sites.

    Every outer face is free, so the finite-volume matrix has zero column sums and the
    charge on the Dirichlet nodes, (A φ) summed over them, is −(free charge) = +e Σ n to
    rounding (1e-9 relative); U agrees to the Hartree tolerance (1e-9 eV).
    """
    problem = device.electrostatics.problem
    interpolation = device.electrostatics.interpolation
    charge = -(interpolation.T @ equilibrium.density).reshape(problem.grid.shape)
    phi = problem.solve(VOLTAGES, charge).ravel()
    fixed = np.ones(phi.size, dtype=bool)
    fixed[problem.free_nodes] = False
    induced = (problem.matrix @ phi)[fixed].sum()
    electrons = equilibrium.density.sum()
    assert electrons > 1.0
    np.testing.assert_allclose(induced, electrons, rtol=1e-9)
    np.testing.assert_allclose(-(interpolation @ phi), equilibrium.energy, atol=1e-8)


def _kwant_landauer_current(fsyst, params, mus, temperature):
    """(e/h) ∫ T(E) (f_s − f_d) dE (e·t/h) with T from ``kwant.smatrix``, by
    :func:`scipy.integrate.quad` to 1e-9 absolute in all.

    The leads' bands are [V_l, 4 + V_l] (on-site 2 + V_l, hopping −1).  Below the higher
    band bottom one lead has no mode, so T = 0 there; above it the window is split at
    μ_s, μ_d, the band edges and μ_l ± 10 k_BT (beyond which the Fermi tails are smooth
    exponentials below e⁻¹⁰).  T grows as √(E − e) from a band edge e (the momentum
    does): a piece that starts (ends) at an edge is integrated in u with E = e + u²
    (E = e − u²), in which T is smooth, so that quad need not bisect towards the edge.
    147 S matrices instead of 441 for one window in E; the two agree to 1e-16."""
    mu_s, mu_d = mus

    def fermi(energy, mu):
        return 0.5 * (1.0 - np.tanh((energy - mu) / (2.0 * temperature)))

    def integrand(energy):
        transmission = kwant.smatrix(fsyst, energy, params=params).transmission(1, 0)
        return transmission * (fermi(energy, mu_s) - fermi(energy, mu_d))

    low, high = min(mus) - 36 * temperature, max(mus) + 36 * temperature
    edges = [params[name] + offset for name in ("V_source", "V_drain") for offset in (0.0, 4.0)]
    tails = [mu + n * temperature for mu in mus for n in (-10, 10)]  # Fermi tails
    start = max(low, max(params["V_source"], params["V_drain"]))
    cuts = sorted({start, high, *(x for x in [*edges, *mus, *tails] if start < x < high)})
    current = 0.0
    for a, b in itertools.pairwise(cuts):
        if a in edges:
            piece = (lambda u, a=a: 2 * u * integrand(a + u * u), 0.0, np.sqrt(b - a))
        elif b in edges:
            piece = (lambda u, b=b: 2 * u * integrand(b - u * u), 0.0, np.sqrt(b - a))
        else:
            piece = (integrand, a, b)
        value, error = scipy.integrate.quad(*piece, epsabs=1e-9 / len(cuts), epsrel=0, limit=200)
        assert error < 1e-9 / len(cuts)
        current += value
    return current


@pytest.mark.slow
def test_terminal_currents_sum_to_zero_and_equal_landauer(device):
    """Σ_l I_l = 0 at finite bias in the self-consistent potential, and the Meir–Wingreen
    current from G^n equals the Landauer integral of Kwant's own transmission (independent
    routes: Kwant's S matrix and SciPy's quadrature; the quadratures' targets, 1e-10 for
    the current and 1e-9 for the reference, bound the difference: asserted 1e-8).  The
    solution's residual, recomputed with an independent density (sparse solver, tol 1e-12:
    other poles and nodes than the solve's), is within the Hartree tolerance plus what the
    densities' tolerances can change in K n."""
    bias = 0.2
    voltages = dict(VOLTAGES, source=-bias / 2, drain=bias / 2)
    solution = hartree(device, energy=E_F, temperature=KT, voltages=voltages, tolerance=1e-8)
    assert solution.mu[0] - solution.mu[1] == pytest.approx(bias)
    currents = terminal_currents(
        device.fsyst,
        mu=solution.mu,
        temperature=KT,
        params=solution.params,
        lead_cache=device.lead_cache(),
    )
    assert abs(currents.sum()) < 1e-9
    landauer = _kwant_landauer_current(device.fsyst, solution.params, solution.mu, KT)
    assert currents[0] > 1e-3
    assert currents[0] == pytest.approx(landauer, abs=1e-8)
    fresh = electron_density(
        device.fsyst,
        mu=solution.mu,
        temperature=KT,
        params=solution.params,
        method="sparse",  # not the recursive Green's function of the solve
        tol=1e-12,  # not its quadrature nodes nor its Fermi poles
        lead_cache=device.lead_cache(),  # the same leads: Kwant's Σ, solved once
    )
    es = device.electrostatics
    electrons = device.units.degeneracy * fresh.density
    residual = solution.energy - es.bare_energy(voltages) - es.interaction(electrons)
    # the solve's density is within 1e-10 per orbital of the exact one in each of its two
    # parts (poles, window), this one within 1e-12: K's largest row sum times their sum
    # bounds the difference in U
    coupling = np.column_stack([es.interaction(unit) for unit in np.eye(SITES)])  # K, eV
    bound = 1e-8 + np.abs(coupling).sum(axis=1).max() * (2e-10 + 2e-12)
    assert np.max(np.abs(residual)) < bound


@pytest.mark.slow
def test_gauge_invariance_self_consistent_but_not_imposed(device, equilibrium):
    """Christen & Büttiker, Europhys. Lett. 35, 523 (1996): shifting every reservoir, contact
    and gate voltage by one constant leaves the currents unchanged.  The self-consistent model
    keeps them to the Hartree tolerance (1e-8 eV × G ≤ 1 e²/h) plus the current's
    quadrature error (1e-10): 1e-7.  The rigid and the linear drop of today's iv_curve,
    with the same (equilibrium self-consistent) potential imposed, change the current by
    far more than 1e-3 when the reservoirs move by 0.3 V and the imposed potential does not
    (their grids' tol 1e-4 on 𝒯 bounds each current's error by ~1e-4 × the 0.2 t window =
    2e-5, fifty times below the 1e-3 asserted).
    """
    shift = 0.3  # V (= 0.3 t: t = 1 eV)
    biases = [0.2]
    common = dict(temperature=KT, tol=1e-10, tolerance=1e-8)
    reference = iv_curve(
        device.fsyst, E_F, biases, drop="self-consistent", electrostatics=device, **common
    )
    moved = iv_curve(
        device.fsyst,
        E_F,
        biases,
        drop="self-consistent",
        electrostatics=_shifted(device, shift),
        **common,
    )
    assert np.all(reference["current"] > 1e-3)
    np.testing.assert_allclose(moved["current"], reference["current"], rtol=0, atol=1e-7)
    imposed = dict(equilibrium.params)  # V: a SitePotential, also callable with (x,)
    for drop in ("rigid", "linear"):
        at_zero = iv_curve(
            device.fsyst, E_F, biases, params=imposed, temperature=KT, drop=drop, tol=1e-4
        )
        shifted = iv_curve(
            device.fsyst,
            E_F - shift,  # every reservoir moved by −e × 0.3 V; the imposed U stays
            biases,
            params=imposed,
            temperature=KT,
            drop=drop,
            tol=1e-4,
        )
        assert np.max(np.abs(shifted["current"] - at_zero["current"])) > 1e-3, drop


@pytest.mark.slow
def test_linear_response_equals_equilibrium_conductance(device, equilibrium, state):
    """dI/dV at V → 0 of the self-consistent I–V equals G = ∫ T(E) (−∂f/∂E) dE in the
    self-consistent equilibrium potential: the potential's change with V alters the current
    only at second order, since f_s − f_d = O(V).  The central difference over ±δ, δ = 1e-3 t,
    is exact to (δ/k_BT)²/6 ≈ 7e-5 relative; the Hartree tolerance 1e-10 eV adds
    ~1e-10 × 0.02 / δ ≈ 2e-9, the current's quadrature 1e-12 / δ = 1e-9, the grid's tol
    1e-5 on 𝒯 about 1e-5.  Asserted: 5e-4 relative.  The drain moves (``split=0``), as in
    the sum-rule checks, whose Hartree states at ±δ these are: iv_curve must give the same
    currents as the Hartree states solved directly.
    """
    sc = iv_curve(
        device.fsyst,
        E_F,
        [-DELTA, DELTA],
        drop="self-consistent",
        electrostatics=device,
        split=0.0,
        temperature=KT,
        tol=1e-12,
        tolerance=1e-10,
    )
    rigid = iv_curve(device.fsyst, E_F, [0.0], params=equilibrium.params, temperature=KT, tol=1e-5)
    conductance = rigid["dIdV"].iloc[0]
    assert conductance > 0.1
    np.testing.assert_allclose(sc["dIdV"], conductance, rtol=5e-4)
    direct = [state(drain=-DELTA)[0], state(drain=DELTA)[0]]
    np.testing.assert_allclose(sc["current"], direct, rtol=1e-6)
    assert list(sc["iterations"]) and sc.attrs["drop"] == "self-consistent"


def test_bad_input_is_one_line_before_work(device):
    fsyst = device.fsyst
    with pytest.raises(TypeError, match="electrostatics=HartreeDevice"):
        iv_curve(fsyst, E_F, [0.1], temperature=KT, drop="self-consistent")
    with pytest.raises(ValueError, match="drop='self-consistent' only"):
        iv_curve(fsyst, E_F, [0.1], temperature=KT, drop="rigid", electrostatics=device)
    with pytest.raises(ValueError, match="not gates of the layout"):
        HartreeDevice(
            fsyst, device.electrostatics, UNITS, ("source", "nowhere"), ("V_source", "V_drain")
        )
    with pytest.raises(ValueError, match="one entry per lead"):
        HartreeDevice(fsyst, device.electrostatics, UNITS, ("source",), ("V_source",))


def test_characteristic_potentials_sum_to_one(state):
    """Büttiker, J. Phys.: Condens. Matter 5, 9361 (1993); Christen & Büttiker, Europhys.
    Lett. 35, 523 (1996): the characteristic potentials u_k = ∂U/∂(eV_k) of every contact
    and gate sum to one at every site, Σ_k u_k = 1, since moving all voltages together
    moves U rigidly.  (U = −eφ in eV and V_k in V: Σ_k ∂U/∂V_k = −1.)  Central differences
    over ±δ: truncation (δ/k_BT)² ≈ 4e-4 of the curvature terms, which cancel in the sum
    only to that order, and the Hartree tolerance 1e-10 eV / δ = 1e-7; asserted: 1e-4.
    Each u_k alone is far from −1 (the sum is not one term)."""
    gate = VOLTAGES["gate"]
    u = {
        "source": (state(source=DELTA)[1] - state(source=-DELTA)[1]) / (2 * DELTA),
        "drain": (state(drain=DELTA)[1] - state(drain=-DELTA)[1]) / (2 * DELTA),
        "gate": (state(gate=gate + DELTA)[1] - state(gate=gate - DELTA)[1]) / (2 * DELTA),
    }
    total = sum(u.values())
    np.testing.assert_allclose(total, -1.0, atol=1e-4)
    for values in u.values():
        assert np.max(np.abs(values + 1.0)) > 0.05
    assert np.all(u["source"][:3] < u["drain"][:3])  # the source end follows the source


def test_sum_rule_of_the_nonlinear_conductances(state):
    """Christen & Büttiker, Europhys. Lett. 35, 523 (1996): gauge invariance makes the
    voltage derivatives of every conductance sum to zero over all contacts and gates,
    Σ_k ∂G_ij/∂V_k = 0, here for G_sd = ∂I_s/∂V_d at zero bias, each ∂G_sd/∂V_k being the
    mixed second difference of I_s over ±δ (equal contact voltages: I_s = 0 exactly).
    The drain and gate terms (≈ ∓0.016 e²/h per V) cancel; the source term vanishes by
    the device's mirror symmetry (I_s(δ, −δ) = −I_s(−δ, δ)).  Errors: central
    differences are exact to (δ/k_BT)² ≈ 4e-4 of each term; the current is O(δ), so the
    Hartree tolerance (1e-10 eV) moves it by ~1e-10 × δ × 0.02 and the sum by ~1e-9; the
    current's quadrature (1e-12) adds 1e-12/δ² = 1e-6 (6e-5 of the largest).  The sum
    must vanish to 1e-3 of the largest term."""
    d = DELTA
    gate = VOLTAGES["gate"]

    def current(**voltages):
        return state(**voltages)[0]

    by_drain = (current(drain=d) + current(drain=-d)) / d**2
    by_source = -(current(source=d, drain=-d) + current(source=-d, drain=d)) / (4 * d**2)
    by_gate = (
        current(drain=d, gate=gate + d)
        - current(drain=-d, gate=gate + d)
        - current(drain=d, gate=gate - d)
        + current(drain=-d, gate=gate - d)
    ) / (4 * d**2)
    terms = np.array([by_drain, by_source, by_gate])
    largest = np.max(np.abs(terms))
    assert largest > 5e-3 and np.sum(np.abs(terms) > 0.5 * largest) >= 2
    assert abs(terms.sum()) < 1e-3 * largest, terms  # measured 2.3e-5 of the largest
