"""Energies exactly at a band edge of a lead: a clear error, the same convention as mode_count."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import systems
import workflows
from analysis import mode_count, subband_edges
from workflows.scattering import OpenSystem
from workflows.scattering.band_edges import (
    BandEdgeError,
    lead_modes,
    mean_across_band_edge,
    resolve_energy,
)
from workflows.studies.thermoelectric import transmission_function


@pytest.mark.parametrize("energy", [0.0, 4.0])
def test_the_chain_at_its_band_edges_names_the_lead(energy):
    # the chain's band is 0 < E < 4t (on-site 2t): Kwant fails deep in SciPy there
    fsyst = systems.chain(3).finalized()
    with pytest.raises(
        BandEdgeError, match=rf"energy={energy} is exactly at a band edge of lead 0"
    ):
        workflows.conductance_matrix(fsyst, energy)
    # an energy next to the edge (40 refusal windows δE = 2.5e-9 t away) is fine: the clean
    # chain transmits perfectly
    inside = energy + 1e-7 if energy == 0 else energy - 1e-7
    np.testing.assert_allclose(workflows.conductance_matrix(fsyst, inside)[1, 0], -1, atol=1e-6)


@pytest.mark.parametrize("width", [1, 2, 3, 5])
def test_the_simulation_never_counts_a_mode_that_mode_count_does_not(width):
    """At and around every subband edge: an error, or exactly the analytic mode count."""
    fsyst = systems.wire(2, width).finalized()
    edges = subband_edges(width)
    energies = {*edges, *(edges + 4), *np.arange(0.0, 8.5, 0.5)}
    for energy in sorted(energies):
        try:
            G = workflows.conductance_matrix(fsyst, float(energy))
        except BandEdgeError:
            continue
        assert round(-G[1, 0]) == mode_count(energy, width), energy
        np.testing.assert_allclose(-G[1, 0], mode_count(energy, width), atol=1e-9)


def test_mode_count_is_closed_exactly_at_an_edge_whatever_the_rounding():
    # E_2 = 2t(1 − cos(π/2)) = 2t exactly, but evaluates to 1.9999999999999998
    assert subband_edges(3)[1] != 2.0
    assert mode_count(2.0, 3) == 1
    assert mode_count(2.0 + 1e-9, 3) == 2
    assert mode_count(np.array([0.0, 2.0, 6.0]), 1).tolist() == [0, 0, 0]  # 1 site: 2 < E < 6


def two_orbital_chain() -> kwant.system.FiniteSystem:
    """A chain with two orbitals per site (on-site diag(0, 1) t, hopping −1): not mesoflow's."""
    lat = kwant.lattice.chain(norbs=2)
    onsite, hop = np.diag([0.0, 1.0]), -np.eye(2)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(4))] = onsite
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = onsite
    lead[lat.neighbors()] = hop
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_a_matrix_valued_system_at_a_band_edge():
    # bands −2cos k ∈ [−2, 2] and 1 − 2cos k ∈ [−1, 3]: E = 2 is the top of the first
    fsyst = two_orbital_chain()
    with pytest.raises(BandEdgeError, match="band edge of lead 0"):
        workflows.conductance_matrix(fsyst, 2.0)
    below = workflows.conductance_matrix(fsyst, 2.0 - 1e-7)
    reference = kwant.smatrix(fsyst, 2.0 - 1e-7).transmission(1, 0)  # independent plain Kwant
    np.testing.assert_allclose(-below[1, 0], reference, atol=1e-9)
    np.testing.assert_allclose(reference, 2, atol=1e-6)  # both bands open, ballistic


def test_a_sweep_at_a_band_edge_and_with_nan_values():
    fsyst = systems.chain(5).finalized()
    with pytest.raises(BandEdgeError, match="lead 0"):
        workflows.sweep(fsyst, 0.0, "V", [0.1, 0.2], method="reduced")
    with pytest.raises(ValueError, match=r"values\[1\] of 'V' is nan: sweep values must be finite"):
        workflows.sweep(fsyst, 1.0, "V", [0.1, np.nan])


# --- the guard at every entry point (issues 19 and 20) -------------------------------------

EDGE_CASES = [(2, 1.0), (3, 2.0), (7, float(subband_edges(7)[0]))]  # (width, exact band bottom)


def _disordered_wire(width):
    return systems.wire(6, width).finalized(), {"disorder": 1.5, "salt": "edge"}


@pytest.mark.parametrize(("width", "edge"), EDGE_CASES)
def test_noise_and_the_s_matrix_at_an_exact_edge_refuse_or_give_the_one_sided_limit(width, edge):
    """Before the guard these returned F = nan, S = [] and a zero noise matrix at the edge."""
    fsyst, params = _disordered_wire(width)
    for function in (workflows.fano_factor, workflows.scattering_matrix, workflows.noise_matrix):
        with pytest.raises(BandEdgeError, match="band edge of lead 0"):
            function(fsyst, edge, params=params)
    resolved = systems.resolve_params(fsyst, params)
    for side in ("above", "below"):
        energy = resolve_energy(fsyst, edge, resolved, side)
        assert 0 < (energy - edge) * (1 if side == "above" else -1) < 1e-6
        reference = kwant.smatrix(fsyst, energy, params=resolved)  # independent plain Kwant
        ours = workflows.scattering_matrix(fsyst, edge, params=params, at_band_edge=side)
        # The core's S is in its own channel basis within each lead (a unitary rotation of
        # Kwant's mode basis): compare what a rotation leaves alone — channel counts,
        # unitarity, and the transmission eigenvalues of every lead-to-lead block.
        assert ours.data.shape == reference.data.shape
        np.testing.assert_allclose(
            ours.data.conj().T @ ours.data, np.eye(len(ours.data)), atol=1e-10
        )
        for to in (0, 1):
            for source in (0, 1):
                kwant_block = reference.submatrix(to, source)
                kwant_values = np.sort(np.linalg.svd(kwant_block, compute_uv=False) ** 2)[::-1]
                np.testing.assert_allclose(
                    ours.transmission_eigenvalues(to, source), kwant_values, atol=1e-8
                )
        # Fano factor from plain Kwant's transmission eigenvalues (Blanter & Büttiker 2000)
        t = reference.submatrix(1, 0)
        eigenvalues = np.linalg.eigvalsh(t.conj().T @ t) if t.size else np.zeros(0)
        fano = workflows.fano_factor(fsyst, edge, params=params, at_band_edge=side)
        if eigenvalues.sum() > 0:
            expected = np.sum(eigenvalues * (1 - eigenvalues)) / eigenvalues.sum()
            assert fano == pytest.approx(expected, abs=1e-8)
        noise = workflows.noise_matrix(
            fsyst, edge, params=params, potentials=[0.01, 0.0], at_band_edge=side
        )
        assert np.all(np.isfinite(noise))


@pytest.mark.parametrize(("width", "edge"), EDGE_CASES)
def test_mode_counts_at_an_exact_edge_agree_with_mode_count(width, edge):
    """The lead's mode count (the source of workflows' open_modes) never counts a closed mode.

    Kwant alone counted the zero-velocity mode open at 9 exact edges of 5- to 7-site strips
    (``analysis.open_modes`` on the stored code), where :func:`analysis.mode_count` closes it.
    """
    fsyst = systems.wire(2, width).finalized()
    params = systems.resolve_params(fsyst, None)
    with pytest.raises(BandEdgeError, match="band edge of lead 0"):
        lead_modes(fsyst, 0, edge, params)
    assert mode_count(edge, width) == mode_count(edge - 1e-6, width)  # the edge counts closed
    for side, offset in (("above", 1e-6), ("below", -1e-6)):
        propagating, _ = lead_modes(fsyst, 0, edge, params, at_band_edge=side)
        assert propagating.velocities.size // 2 == mode_count(edge + offset, width)


def test_every_edge_of_a_wide_strip_refused_and_nothing_else():
    """A dense scan through 7 subbands: refusals only within δE of an analytic edge.

    Square strip, W = 7: E_n = 2t(1 − cos(nπ/8)) and E_n + 4t; near each, E ≈ E_n + t k²
    (α = t), so v = 2√(t|δE|) and the guard refuses |δE| < v_tol²/(4t) = 2.5e-9 t.
    """
    width = 7
    fsyst = systems.wire(2, width).finalized()
    edges = np.concatenate([subband_edges(width), subband_edges(width) + 4])
    open_system = OpenSystem(fsyst)
    scan = np.linspace(0.003, 7.997, 41)
    near = np.concatenate([edges - 1e-7, edges + 1e-7])  # 40 δE: must pass
    for energy in np.concatenate([scan, near]):
        g = open_system.conductance_matrix(float(energy))
        assert -g[1, 0] == pytest.approx(mode_count(energy, width), abs=1e-8), energy
    reference = kwant.smatrix(fsyst, float(near[0]), params=open_system.params)
    assert reference.transmission(1, 0) == pytest.approx(mode_count(near[0], width), abs=1e-8)
    for energy in np.concatenate([edges, edges + 1e-10]):  # 0.04 δE: refused
        with pytest.raises(BandEdgeError):
            open_system.conductance_matrix(float(energy))


def magnetic_texture(L=8):
    """Kwant's spin-texture tutorial (tutorial 2.7, ``magnetic_texture.py``), a smaller square.

    Leads: on-site J σ_z, hopping −σ₀, conservation law −σ_z: bands −2cos k − 2cos q_n ± J
    with q_n = nπ/(L) for the L − 1 = 7 sites across; at E = −1, J = 1 the spin-up band
    of q_4 = π/2 has its bottom exactly (−2 − 0 + 1 = −1): a band edge.
    """
    sigma = np.array([SIGMA_X, SIGMA_Y, SIGMA_Z])
    lat = kwant.lattice.square(norbs=2)

    def field_direction(pos, r0, delta):
        x, y = pos
        r = np.linalg.norm(pos)
        theta = (np.tanh((r - r0) / delta) - 1) * (np.pi / 2)
        if r == 0:
            return np.array([0, 0, 1.0])
        return np.array([(x / r) * np.sin(theta), (y / r) * np.sin(theta), np.cos(theta)])

    def scattering_onsite(site, r0, delta, J):
        return J * np.tensordot(field_direction(site.pos, r0, delta), sigma, axes=1)

    def lead_onsite(site, J):
        return J * SIGMA_Z

    def square(pos):
        return all(-L / 2 < p < L / 2 for p in pos)

    syst = kwant.Builder()
    syst[lat.shape(square, (0, 0))] = scattering_onsite
    syst[lat.neighbors()] = -np.eye(2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-SIGMA_Z)
    lead[lat.shape(square, (0, 0))] = lead_onsite
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


SIGMA_X = np.array([[0, 1], [1, 0]], dtype=complex)
SIGMA_Y = np.array([[0, -1j], [1j, 0]])
SIGMA_Z = np.diag([1.0, -1.0])


def test_kwants_magnetic_texture_tutorial_at_its_edge_has_both_one_sided_limits():
    fsyst = magnetic_texture()
    params = {"r0": 2.0, "delta": 1.0, "J": 1.0}
    with pytest.raises(BandEdgeError, match="band edge of lead"):
        workflows.conductance_matrix(fsyst, -1.0, params=params)
    limits = {}
    for side in ("above", "below"):
        energy = resolve_energy(fsyst, -1.0, params, side)
        reference = kwant.smatrix(fsyst, energy, params=params)  # independent plain Kwant
        g = workflows.conductance_matrix(fsyst, -1.0, params=params, at_band_edge=side)
        assert -g[1, 0] == pytest.approx(reference.transmission(1, 0), abs=1e-8)
        blocks = workflows.conductance_matrix(
            fsyst, -1.0, params=params, blocks=True, at_band_edge=side
        )
        for a in range(2):  # spin-resolved: terminals (lead, block), lead-major
            for b in range(2):
                expected = reference.transmission((1, a), (0, b))
                assert -blocks[2 + a, b] == pytest.approx(expected, abs=1e-8)
        limits[side] = (-g[1, 0], reference.num_propagating(0))
    # a channel opens at the edge (N jumps by one), entering with T ∝ √(E − E0): the
    # transmission is continuous, to O(√(10 δE)) ≈ 1e-3 between the two limits
    assert limits["above"][1] == limits["below"][1] + 1
    assert limits["above"][0] == pytest.approx(limits["below"][0], abs=1e-2)


def test_energy_axes_sweeps_and_thermal_grids_at_an_exact_edge():
    width, edge = 3, 2.0
    fsyst = systems.wire(4, width).finalized()
    params = {"V": 0.3}
    resolved = systems.resolve_params(fsyst, params)
    above = resolve_energy(fsyst, edge, resolved, "above")
    with pytest.raises(BandEdgeError):
        workflows.conductance_vs_energy(fsyst, [1.0, edge], params=params)
    table = workflows.conductance_vs_energy(fsyst, [1.0, edge], params=params, at_band_edge="above")
    assert table["energy"].tolist() == [1.0, edge]  # the energies asked for
    reference = kwant.smatrix(fsyst, above, params=resolved).transmission(1, 0)
    assert table["G"].iloc[1] == pytest.approx(reference, abs=1e-8)
    with pytest.raises(BandEdgeError):
        workflows.sweep(fsyst, edge, "V", [0.1, 0.3])
    swept = workflows.sweep(fsyst, edge, "V", [0.1, 0.3], at_band_edge="above")
    assert -swept[1, 1, 0] == pytest.approx(reference, abs=1e-8)
    with pytest.raises(BandEdgeError):
        transmission_function(fsyst, params=params)(edge)
    below = transmission_function(fsyst, params=params, at_band_edge="below")(edge)
    minus = resolve_energy(fsyst, edge, resolved, "below")
    assert below == pytest.approx(kwant.smatrix(fsyst, minus, params=resolved).transmission(1, 0))


def test_a_thermal_window_centred_on_an_edge():
    """k_B T = 0.05 t at μ = E_2 of a clean 3-site strip: G = Σ_n [f(E_n − μ) − f(E_n + 4t − μ)].

    The closed form integrates the step 𝒯(E) = N(E) against −∂f/∂E; a grid node exactly on
    the edge takes the limit from above (a set of measure zero), never a refusal.
    """
    width, mu, temperature = 3, 2.0, 0.05
    fsyst = systems.wire(2, width).finalized()
    coefficients = workflows.thermoelectric(fsyst, mu, temperature, tol=1e-6)
    edges = subband_edges(width)
    expected = np.sum(1 / (1 + np.exp((edges - mu) / temperature)))
    expected -= np.sum(1 / (1 + np.exp((edges + 4 - mu) / temperature)))
    assert coefficients.G == pytest.approx(expected, abs=1e-5)


# -- a quadrature node on a band edge: the mean of both sides -------------------------------


def _refusing(edge: float, width: float, safe: tuple[float, float]):
    """√(E − edge) (a band onset: integrable, kinked at the edge), refused within ``width``."""

    def evaluate(energy):
        if abs(energy - edge) < width:
            below, above = safe
            raise BandEdgeError("at a band edge", energy=energy, lead=0, below=below, above=above)
        return np.array([np.sqrt(max(energy - edge, 0.0))])

    return evaluate


def test_off_the_edge_the_value_itself():
    evaluate = _refusing(1.0, 1e-12, (0.9, 1.1))
    np.testing.assert_array_equal(mean_across_band_edge(evaluate, 1.25), [0.5])


def test_on_the_edge_the_mean_of_both_sides():
    """Refused at the edge only: the mean of √ at 1e-9 below (0) and above (√1e-9)."""
    value = mean_across_band_edge(_refusing(1.0, 1e-12, (0.9, 1.1)), 1.0)
    np.testing.assert_allclose(value, [0.5 * np.sqrt(1e-9)], rtol=1e-6)


def test_a_wide_refusal_takes_the_guards_safe_energies():
    """Refused 1e-9 either side too: the mean at the guard's ``below`` and ``above``."""
    value = mean_across_band_edge(_refusing(1.0, 1e-6, (0.99, 1.01)), 1.0)
    assert value == pytest.approx([0.5 * np.sqrt(0.01)], rel=1e-6)


def test_no_safe_energy_on_a_side_is_the_refusal_itself():
    """Where the guard found no safe energy (``below``/``above`` NaN), the refusal is raised
    as it is, not an evaluation at NaN."""
    with pytest.raises(BandEdgeError, match="at a band edge"):
        mean_across_band_edge(_refusing(1.0, 1e-6, (np.nan, np.nan)), 1.0)
