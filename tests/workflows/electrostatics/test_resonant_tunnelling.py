"""A double-barrier resonant-tunnelling structure: I–V peak, NDR, charge in the well, sweeps.

The device (plain Kwant, GaAs in nm and V through ``systems.Units``): a chain of a = 1 nm
(m* = 0.067 mₑ, t = ħ²/2m*a² ≈ 569 meV), on-site 2t + barrier + V, made of a 5 nm
emitter spacer, a 3 nm barrier of 0.3 eV (an Al₀.₃Ga₀.₇As-like offset), a 5 nm well, a
second 3 nm barrier and a 5 nm collector spacer (21 sites).  Its quasi-bound level lies at
E_r ≈ 85 meV above the leads' band bottom with a width Γ ≈ 4.7 meV (measured below with
``kwant.smatrix``); E_F = 20 meV in the leads, k_BT = 3 meV, so the level is empty at
zero bias.  The on-site parameter ``V`` is a number or a function of position, so the
linear drop of today's ``iv_curve`` and the self-consistent ``SitePotential`` both apply;
the leads' bands follow ``V_source``/``V_drain``.

Electrostatics: a 2D (x, z) layout as in ``test_hartree.py``: the contacts are metal
sheets in the plane of the chain beyond its ends, every face of the box free.  A chain
site carries its electrons as a line charge of 1 e per nm of y, about a hundred times the
areal density in the well of a real diode at resonance (≈ 1e11 cm⁻²); ε_r = 400 (instead
of GaAs's 12.9) scales the charging energy back to that of a real well: K ≈ 27 meV per
electron in the well, so that the ≈ 0.3–0.5 electrons there at resonance raise the level
by a few Γ — what shifts the peak and may make the diode bistable.

Checks (Goldman, Tsui & Cunningham, Phys. Rev. Lett. 58, 1256 (1987): the charge in the
well shifts the peak to larger bias and makes the up- and down-sweeps differ; disputed by
Sollner, Phys. Rev. Lett. 59, 1622 (1987), who ascribes the hysteresis to the circuit —
reported here, never asserted):

* the linear-drop I–V has a peak and negative differential resistance, and its current at
  one bias equals an independent quadrature of ``kwant.smatrix`` transmissions;
* (opt-in, ``MESOFLOW_LONG=1``: every self-consistent bias costs ~10 s of CPU) the
  self-consistent up- and down-sweeps are both reported, each a converged Hartree solution
  at every bias (checked by recomputing the density), both with a peak and NDR, the peak
  at a larger bias than the linear drop's, with charge in the well.
"""

from __future__ import annotations

import logging
import os

import kwant
import numpy as np
import pytest

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import HartreeDevice
from workflows.scattering.nonequilibrium import electron_density
from workflows.studies.current_voltage import iv_curve

#: Self-consistent finite-bias I–V: ~10 s of CPU per bias (Hartree with the lead cache),
#: beyond the suite's budget; run with MESOFLOW_LONG=1.
finite_bias_hartree = pytest.mark.skipif(
    os.environ.get("MESOFLOW_LONG") != "1",
    reason="self-consistent resonant-tunnelling I-V (minutes): set MESOFLOW_LONG=1 to run it",
)

A = 1.0  # nm
UNITS = systems.Units(A, effective_mass=0.067)  # GaAs
VOLT = 1e3 / UNITS.t_meV  # t per eV: a bias of 1 V is VOLT t/e
SPACER, BARRIER, WELL = 5, 3, 5  # sites (nm)
SITES = 2 * SPACER + 2 * BARRIER + WELL
BARRIER_HEIGHT = 0.3 * VOLT  # t
WELL_SITES = slice(SPACER + BARRIER, SPACER + BARRIER + WELL)
E_F = 0.020 * VOLT  # t, above the leads' band bottom
KT = 0.003 * VOLT  # t
EPS_R = 400.0
DEPTH = 5.0  # nm below the free top face
PARAMS = {"V": 0.0, "V_source": 0.0, "V_drain": 0.0}  # the imposed models: leads fixed


def _barrier(x: int) -> float:
    first = SPACER <= x < SPACER + BARRIER
    second = SPACER + BARRIER + WELL <= x < SPACER + 2 * BARRIER + WELL
    return BARRIER_HEIGHT if first or second else 0.0


def _onsite(site, V):
    return 2.0 + _barrier(site.tag[0]) + (V(*site.pos) if callable(V) else V)


def _source_band(site, V_source):
    return 2.0 + V_source


def _drain_band(site, V_drain):
    return 2.0 + V_drain


def double_barrier() -> kwant.system.FiniteSystem:
    """The finalized chain (module docstring): lead 0 the source, lead 1 the drain."""
    lat = kwant.lattice.chain(A, norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(SITES))] = _onsite
    syst[lat.neighbors()] = -1.0
    for band, direction in ((_source_band, -1), (_drain_band, 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction * A,)))
        lead[lat(0)] = band
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    return syst.finalized()


def double_barrier_device(fsyst, eps_r: float = EPS_R) -> HartreeDevice:
    """The chain in its 2D (x, z) layout: contact sheets beyond its ends, free faces."""
    length = (SITES - 1) * A
    layout = Layout(
        gates=[
            Gate("source", (-1e3, -A), height=-DEPTH),
            Gate("drain", (length + A, length + 1e3), height=-DEPTH),
        ],
        depth=DEPTH,
        eps_r=eps_r,
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
        voltages={"source": 0.0, "drain": 0.0},
    )


def _peak(table) -> tuple[float, np.ndarray]:
    """The bias of the largest current, and the currents in order of bias."""
    table = table[np.isfinite(table["current"])].sort_values("bias")  # failed biases: NaN
    current = table["current"].to_numpy()
    return float(table["bias"].iat[int(np.argmax(current))]), current


def _linear_iv(fsyst, volts, tol):
    return iv_curve(
        fsyst, E_F, np.asarray(volts) * VOLT, params=PARAMS, temperature=KT, drop="linear", tol=tol
    )


@pytest.fixture(scope="module")
def fsyst():
    return double_barrier()


@pytest.fixture(scope="module")
def linear(fsyst):
    """The linear-drop I–V on a coarse grid around its peak (~3 s of CPU per bias)."""
    return _linear_iv(fsyst, [0.10, 0.15, 0.20], 1e-5)


def test_linear_drop_has_a_peak_and_negative_differential_resistance(linear):
    """The current rises as the level enters the bias window (μ_s = E_F + eV/2 passes
    E_r ≈ 85 meV near V ≈ 0.13 V), peaks, then falls as the emitter side of the device,
    raised by the drop, pushes the level out of reach: NDR.  The currents differ by
    factors of 1.5 or more, far beyond the grid's error (tol 1e-5 per interval)."""
    peak, current = _peak(linear)
    assert peak == pytest.approx(0.15 * VOLT)
    assert current[1] > 1.5 * current[0]
    assert current[1] > 1.5 * current[2]  # dI/dV < 0 beyond the peak


def test_linear_drop_current_equals_kwant_smatrix_quadrature(fsyst, linear):
    """Independent route: at the peak bias the Landauer current of iv_curve equals
    ∫ T(E) [f_s − f_d] dE with T from ``kwant.smatrix`` in the same potential (the linear
    drop V(x) = eV (1/2 − x/L), the leads' bands fixed), by the trapezoid rule on a uniform
    grid of 1 meV over μ_d − 20 k_BT … μ_s + 20 k_BT.  The trapezoid rule on a smooth
    peak of half width γ errs by ~2 exp(−2πγ/h): with γ ≈ 2.3 meV (the resonance) or
    k_BT = 3 meV (the Fermi edges) and h = 1 meV, below 1e-6 relative.  The adaptive grid's target
    (1e-5 e²/h per interval, ~1e-4 summed over the intervals at the resonance) is the larger
    error: asserted 1e-3 relative of a current of ~5e-3 e·t/h."""
    bias = 0.15 * VOLT
    length = (SITES - 1) * A
    mu_s, mu_d = E_F + bias / 2, E_F - bias / 2
    energies = np.arange(mu_d - 20 * KT, mu_s + 20 * KT, 0.001 * VOLT)
    energies = energies[energies > 1e-6]  # above the leads' band bottom 0

    def potential(x):
        return bias * (0.5 - x / length)

    params = dict(PARAMS, V=potential)
    transmission = np.array(
        [kwant.smatrix(fsyst, e, params=params).transmission(1, 0) for e in energies]
    )
    window = 1 / (1 + np.exp((energies - mu_s) / KT)) - 1 / (1 + np.exp((energies - mu_d) / KT))
    expected = np.trapezoid(transmission * window, energies)
    row = linear[np.isclose(linear["bias"], bias)]
    assert expected > 1e-3
    assert row["current"].iat[0] == pytest.approx(expected, rel=1e-3)


def test_sweep_is_checked_before_work(fsyst):
    with pytest.raises(ValueError, match="sweep must be"):
        iv_curve(fsyst, E_F, [0.1], params=PARAMS, temperature=KT, sweep="sideways")
    with pytest.raises(ValueError, match="for drop='self-consistent' only"):
        iv_curve(fsyst, E_F, [0.1], params=PARAMS, temperature=KT, drop="linear", sweep="up")


#: The self-consistent sweeps' biases (V): 20 mV steps across the peaks of both models.
SWEEP_VOLTS = np.round(np.arange(0.10, 0.261, 0.02), 3)
TOLERANCE = 1e-6  # eV: far below the charging energy K n_well ~ 10 meV it resolves
#: The density to 1e-8 electrons per orbital: its error moves U by K × 1e-8 ≈ 3e-10 eV per
#: site, far below TOLERANCE, and the Newton–Krylov finite differences (steps ~1e-8 eV on U)
#: change n by ~D × 1e-8 ≥ 1e-8 electrons on the well's sites (D ~ 1/Γ ≈ 200 per eV there),
#: so the Jacobian is resolved where it matters; 1e-10 would cost more energies for nothing.
DENSITY_TOL = 1e-8


@pytest.fixture(scope="module")
def sweeps(fsyst):
    device = double_barrier_device(fsyst)
    return iv_curve(
        fsyst,
        E_F,
        SWEEP_VOLTS * VOLT,
        drop="self-consistent",
        electrostatics=device,
        temperature=KT,
        tol=1e-7,
        tolerance=TOLERANCE,
        density_tol=DENSITY_TOL,
        sweep="both",
    )


@pytest.mark.slow
@finite_bias_hartree
def test_self_consistent_sweeps_are_reported_and_converged(fsyst, sweeps, caplog):
    """Both sweeps, every bias, reported; each reported point a converged Hartree solution:
    the residual reported, and, independently, the density recomputed from the reported
    potential by ``electron_density`` gives U = U₀ + K n to the tolerance plus K ×
    density_tol.  The up-sweep converges at every bias.  A down-sweep bias may fail
    (measured: at 0.18 V, coming from the off-resonant state at 0.20 V, Newton–Krylov
    does not converge in 30 iterations — next to the turning point of the charged
    branch); it must then be reported as that point's HartreeConvergenceError, logged."""
    assert sorted(set(sweeps["direction"])) == ["down", "up"]
    for direction in ("up", "down"):
        rows = sweeps[sweeps["direction"] == direction]
        np.testing.assert_allclose(np.sort(rows["bias"]), SWEEP_VOLTS * VOLT)
    errors = sweeps.attrs["errors"]
    assert all(e["direction"] == "down" for e in errors), errors
    assert all(e["error"].startswith("HartreeConvergenceError") for e in errors), errors
    logging.getLogger(__name__).info("failed biases: %s", errors)
    converged = sweeps[np.isfinite(sweeps["current"])]
    assert np.all(converged["residual"] <= TOLERANCE)
    device = double_barrier_device(fsyst)
    es = device.electrostatics
    for _, row in converged.iloc[[0, len(converged) // 2 + 2]].iterrows():
        volts = row["bias"] / VOLT
        voltages = {"source": -volts / 2, "drain": volts / 2}
        mu = device.reservoirs(E_F, voltages)
        params = device.params(row["potential"], voltages)
        density = electron_density(fsyst, mu=mu, temperature=KT, params=params, tol=1e-10).density
        np.testing.assert_allclose(
            row["potential"], es.bare_energy(voltages) + es.interaction(density), atol=2e-6
        )
    hysteresis = sweeps.attrs["hysteresis"]  # reported, not asserted (Sollner 1987)
    assert len(hysteresis["bias"]) == len(SWEEP_VOLTS)
    logging.getLogger(__name__).info("hysteresis: %s", hysteresis)


@pytest.mark.slow
@finite_bias_hartree
def test_self_consistent_peak_is_at_larger_bias_than_linear_drop(fsyst, sweeps):
    """Both sweeps have a peak and NDR (among their converged biases); the up-sweep's peak
    lies at least one bias step (20 mV) beyond the linear drop's, with charge in the well.

    Why: in the linear model the well's level does not move with its own occupation; in the
    self-consistent one the electrons that flow into the well once the level is in the
    window (measured: 0.36 in the well, 0.7 in the device at the up-sweep's peak, 0.18 V)
    raise the well's potential from ≈ 9 meV at 0.10 V to ≈ 24 meV (a few Γ), and the bias
    must rise by about twice that (the well sits halfway, lever arm ½) before the level
    leaves the emitter's supply (Goldman, Tsui & Cunningham 1987).  The two models also
    differ in the leads (the linear drop keeps their bands, the self-consistent one moves
    them with the contacts) and in the bare profile (the contact sheets' Laplace potential
    is not linear), so the shift is not the charge's alone."""
    linear = _linear_iv(fsyst, SWEEP_VOLTS, 1e-5)
    linear_peak, _ = _peak(linear)
    step = 0.02 * VOLT
    for direction in ("up", "down"):
        rows = sweeps[sweeps["direction"] == direction]
        _, current = _peak(rows)
        k = int(np.argmax(current))
        assert 0 < k < len(current) - 1, direction  # a peak inside the grid
        assert current[k + 1] < current[k], direction  # NDR after it
    up = sweeps[sweeps["direction"] == "up"]
    up_peak, _ = _peak(up)
    assert up_peak >= linear_peak + step * (1 - 1e-9)
    at_peak = up[np.isclose(up["bias"], up_peak)].iloc[0]
    assert np.sum(at_peak["density"][WELL_SITES]) > 0.1  # electrons in the well
