"""The batched recursion (a block of energies at once) against the per-energy one and plain Kwant.

Tolerances: 1e-12 relative to the largest entry.  Every route solves the same
linear algebra in double precision on systems of ≤ 100 orbitals (condition
numbers ≲ 1e3 away from band edges), so agreement is at rounding, ~1e-14.
"""

from __future__ import annotations

import kwant
import numpy as np
import pytest
import threadpoolctl

import workflows.scattering.recursive_batches as batches
from workflows.scattering import OpenSystem
from workflows.scattering.band_edges import BandEdgeError
from workflows.scattering.diagonal_greens import diagonal_solver

SIGMA_X = np.array([[0, 1], [1, 0]])
SIGMA_Y = np.array([[0, -1j], [1j, 0]])
SIGMA_Z = np.array([[1, 0], [0, -1]])


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def _attach_at_both_ends(syst, lead):
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())


def _rashba_strip(side_lead: bool):
    """Kwant-tutorial style strip: 2 orbitals, Rashba hoppings (matrix-valued, functions of
    parameters), Zeeman term and a smooth potential; leads left and right, and optionally
    a one-site-wide lead on top of the middle column (its interface inside one slice)."""
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, U, Bz):
        x, y = site.pos
        return (4 + U * np.sin(0.7 * x) * np.cos(y)) * np.eye(2) + Bz * SIGMA_Z

    def hopping(a, b, alpha):
        dx, dy = a.pos - b.pos
        return -np.eye(2) + 0.5j * alpha * (dx * SIGMA_Y - dy * SIGMA_X)

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(7) for y in range(4))] = onsite
    syst[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(4))] = lambda site, Bz: 4 * np.eye(2) + Bz * SIGMA_Z
    lead[lat.neighbors()] = hopping
    _attach_at_both_ends(syst, lead)
    if side_lead:
        top = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
        top[lat(3, 0)] = 4 * np.eye(2)
        top[lat.neighbors()] = -np.eye(2)
        syst.attach_lead(top)
    return syst.finalized(), dict(U=0.3, alpha=0.4, Bz=0.2)


def _chain_with_four_orbitals():
    """A chain with 4 orbitals per site (two spinful bands, coupled by a matrix hopping)."""
    lat = kwant.lattice.chain(norbs=4)
    onsite = np.kron(np.diag([0.0, 1.0]), np.eye(2)) + 0.1 * np.kron(SIGMA_X, SIGMA_Z)
    hop = -np.kron(np.eye(2), np.eye(2)) + 0.2j * np.kron(SIGMA_X, SIGMA_Y)
    syst = kwant.Builder()
    for i in range(12):
        syst[lat(i)] = onsite + 0.3 * np.cos(i) * np.eye(4)
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = onsite
    lead[lat.neighbors()] = hop
    _attach_at_both_ends(syst, lead)
    return syst.finalized(), {}


def _wire_in_a_field():
    """A scalar wire 16 sites wide (one column per slice: the coupling between slices is
    diagonal, applied as a vector) in a perpendicular field, Peierls phase φ in radians per
    plaquette, with a function-valued disorder-like potential."""
    lat = kwant.lattice.square(norbs=1)

    def hopping(a, b, phi):
        return -np.exp(-1j * phi * 0.5 * (a.pos[1] + b.pos[1]) * (a.pos[0] - b.pos[0]))

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(6) for y in range(16))] = lambda site, V: (
        4 + V * np.cos(3.1 * site.pos[0] + 1.7 * site.pos[1])
    )
    syst[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(16))] = 4
    lead[lat.neighbors()] = hopping
    _attach_at_both_ends(syst, lead)
    return syst.finalized(), dict(V=0.5, phi=0.05)


SYSTEMS = {
    "wire in a field": _wire_in_a_field,
    "rashba strip": lambda: _rashba_strip(False),
    "rashba strip with a side lead": lambda: _rashba_strip(True),
    "4-orbital chain": _chain_with_four_orbitals,
}
REAL_ENERGIES = np.array([0.7, 1.35, 2.2, 3.1])
COMPLEX_ENERGIES = np.array([0.5 + 0.03j, 1.9 + 0.4j, 3.3 + 2.0j, -1.0 + 1e-3j])


def _solver(name):
    fsyst, params = SYSTEMS[name]()
    solver = diagonal_solver(OpenSystem(fsyst, params=params), "recursive")
    return fsyst, params, solver


@pytest.mark.parametrize("name", SYSTEMS)
def test_batched_recursion_equals_the_per_energy_recursion(name):
    _, _, solver = _solver(name)
    injected = solver.injectivity_batch(REAL_ENERGIES)
    single = np.array([solver.injectivities(e) for e in REAL_ENERGIES])
    np.testing.assert_allclose(injected, single, rtol=0, atol=1e-12 * np.abs(single).max())
    diagonal = solver.greens_diagonals(COMPLEX_ENERGIES)
    single = np.array([solver.greens_diagonal(z) for z in COMPLEX_ENERGIES])
    np.testing.assert_allclose(diagonal, single, rtol=0, atol=1e-12 * np.abs(single).max())


@pytest.mark.parametrize("name", SYSTEMS)
def test_injectivities_equal_plain_kwant_wave_functions_and_greens_function(name):
    # Kwant's scattering states carry unit current per mode, so Σ_modes |ψ_l(a)|² is
    # (G Γ_l G†)_aa; and on lead j's interface it is also (G_ji Γ_i G_ji†)_aa with G_ji
    # from kwant.greens_function and Γ_i from the lead's own self-energy.
    fsyst, params, solver = _solver(name)
    injected = solver.injectivity_batch(REAL_ENERGIES)
    offsets = np.concatenate([[0], np.cumsum([site.family.norbs for site in fsyst.sites])])
    scale = np.abs(injected).max()
    for energy, by_lead in zip(REAL_ENERGIES, injected, strict=True):
        wf = kwant.wave_function(fsyst, energy, params=params)
        gf = kwant.greens_function(fsyst, energy, params=params)
        for lead in range(len(fsyst.leads)):
            density = np.sum(np.abs(wf(lead)) ** 2, axis=0)
            np.testing.assert_allclose(by_lead[lead], density, rtol=0, atol=1e-12 * scale)
            sigma = fsyst.leads[lead].selfenergy(energy, params=params)
            gamma = 1j * (sigma - sigma.conj().T)
            for out in range(len(fsyst.leads)):
                g = gf.submatrix(out, lead)
                orbitals = np.concatenate(
                    [np.arange(offsets[s], offsets[s + 1]) for s in fsyst.lead_interfaces[out]]
                )
                expected = np.einsum("ai,ij,aj->a", g, gamma, g.conj()).real
                np.testing.assert_allclose(
                    by_lead[lead, orbitals], expected, rtol=0, atol=1e-12 * scale
                )


@pytest.mark.parametrize("name", SYSTEMS)
def test_greens_diagonal_at_complex_energies_equals_a_dense_inverse(name):
    # G(z) = (z − H − Σ_l Σ_l(z))⁻¹ from Kwant's Hamiltonian and lead self-energies at
    # complex z (Kwant's modes accept them), inverted densely.
    fsyst, params, solver = _solver(name)
    diagonal = solver.greens_diagonals(COMPLEX_ENERGIES)
    ham = fsyst.hamiltonian_submatrix(params=params, sparse=False)
    offsets = np.concatenate([[0], np.cumsum([site.family.norbs for site in fsyst.sites])])
    for z, computed in zip(COMPLEX_ENERGIES, diagonal, strict=True):
        matrix = z * np.eye(ham.shape[0]) - ham
        for lead, sites in zip(fsyst.leads, fsyst.lead_interfaces, strict=True):
            orbitals = np.concatenate([np.arange(offsets[s], offsets[s + 1]) for s in sites])
            matrix[np.ix_(orbitals, orbitals)] -= lead.selfenergy(z, params=params)
        expected = np.diagonal(np.linalg.inv(matrix))
        np.testing.assert_allclose(computed, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_blocks_of_energies_split_by_the_memory_budget_give_the_same_result(monkeypatch):
    # One energy per block (the smallest budget) against all energies in one block.
    _, _, solver = _solver("rashba strip with a side lead")
    energies = np.linspace(0.4, 3.4, 7)
    together = solver.injectivity_batch(energies)
    monkeypatch.setattr(batches, "MEMORY_BUDGET", 1)
    assert len(solver._energy_blocks(energies, with_factors=True)) == energies.size
    np.testing.assert_allclose(
        solver.injectivity_batch(energies), together, rtol=0, atol=1e-13 * np.abs(together).max()
    )


def test_broadening_factor_reproduces_gamma_and_drops_closed_channels():
    # Γ = i(Σ − Σ†) = V V† with V of the rank of Γ: below the band bottom of a chain
    # (E < −2) no channel is open, Γ = 0, and V has no column.
    rng = np.random.default_rng(3)
    modes = rng.normal(size=(5, 5, 2)) + 1j * rng.normal(size=(5, 5, 2))
    hermitian = rng.normal(size=(5, 5, 5)) + 1j * rng.normal(size=(5, 5, 5))
    hermitian = hermitian + np.conj(np.swapaxes(hermitian, 1, 2))
    # Σ = Re part (Hermitian) − (i/2) Γ with Γ = modes modes† of rank 2.
    gamma = modes @ np.conj(np.swapaxes(modes, 1, 2))
    factor = batches.broadening_factor(hermitian - 0.5j * gamma)
    assert factor.shape == (5, 5, 2)
    np.testing.assert_allclose(factor @ np.conj(np.swapaxes(factor, 1, 2)), gamma, atol=1e-12)
    closed = batches.broadening_factor(np.full((2, 1, 1), -0.3 + 0j))
    assert closed.shape == (2, 1, 0)


def test_an_energy_at_a_band_edge_in_a_block_takes_the_mean_of_both_sides():
    # A chain (band [−2, 2]): E = 2 is a band edge of both leads, where Kwant's modes
    # are singular; the block falls back to the per-energy solve there (the mean of the
    # values at the nearest energies the band-edge guard passes: ±1e-9 lies inside its
    # refusal window δE = 2.5e-9 here), and the other energies keep the batched values.
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(6))] = lambda site, V: V * np.sin(site.pos[0])
    syst[lat.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 0.0
    lead[lat.neighbors()] = -1.0
    _attach_at_both_ends(syst, lead)
    solver = diagonal_solver(OpenSystem(syst.finalized(), params=dict(V=0.3)), "recursive")
    energies = np.array([0.4, 2.0, -1.1])
    alone = []
    per_energy = solver.injectivities
    solver.injectivities = lambda energy: alone.append(energy) or per_energy(energy)
    batched = solver.injectivity_batch(energies)
    assert alone == [2.0]  # only the energy at the edge left the batch
    single = np.array([per_energy(e) for e in energies])
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-12 * np.abs(single).max())
    with pytest.raises(BandEdgeError) as refusal:
        solver.open_system.selfenergies(2.0)
    below, above = (per_energy(e) for e in (refusal.value.below, refusal.value.above))
    assert refusal.value.below < 2.0 < refusal.value.above
    np.testing.assert_allclose(batched[1], 0.5 * (below + above), rtol=1e-12)
