"""The core's scattering matrix (Fisher–Lee, unitary form) against plain kwant.smatrix."""

import kwant
import numpy as np
import pytest

import systems
from analysis.noise import noise_from_scattering_matrix as kwant_free_noise
from workflows import conductance_matrix, scattering_matrix


def _spinful_bar_with_conserved_spin(probe=False):
    """Two-orbital square-lattice bar, spin conserved in the leads (conservation_law=-σz),
    a spin-dependent potential and a Peierls flux in radians in the scattering region."""
    sz = np.diag([1.0, -1.0])
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, h, U):
        x, y = site.pos
        return (4 + U * np.sin(0.7 * x - 0.4 * y)) * np.eye(2) + h * sz

    def hop(site1, site2, flux):
        y = 0.5 * (site1.pos[1] + site2.pos[1])
        dx = site1.pos[0] - site2.pos[0]
        return -np.exp(1j * flux * y * dx) * np.eye(2)

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(10) for y in range(4))] = onsite
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-sz)
    lead[(lat(0, y) for y in range(4))] = lambda site, h: 4 * np.eye(2) + h * sz
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    params = {"h": 0.3, "U": 0.9, "flux": 0.35}
    if probe:
        systems.attach_dephasing_probes(syst, [lat(5, 1)])
        params["eta"] = 0.5
    return syst.finalized(), params


def test_block_resolved_matrix_equals_kwants_blocks():
    # Tolerance 1e-10: two factorizations, each exact to ~1e-13 (unitarity checked to 1e-10).
    fsyst, params = _spinful_bar_with_conserved_spin()
    energy = 1.1
    ours = scattering_matrix(fsyst, energy, params=params, blocks=True)
    reference = kwant.smatrix(fsyst, energy, params=params)
    assert ours.terminals == ((0, 0), (0, 1), (1, 0), (1, 1))
    np.testing.assert_allclose(ours.data.conj().T @ ours.data, np.eye(len(ours.data)), atol=1e-10)
    labels = []
    for lead, info in enumerate(reference.lead_info):
        for block, size in enumerate(info.block_nmodes):
            labels += [2 * lead + block] * int(size)
    np.testing.assert_array_equal(ours.channel_terminals, labels)
    for to in range(4):
        for source in range(4):
            sub = reference.submatrix(divmod(to, 2), divmod(source, 2))
            expected = np.linalg.svd(sub, compute_uv=False) ** 2 if sub.size else np.zeros(0)
            np.testing.assert_allclose(
                ours.transmission_eigenvalues(to, source), expected, atol=1e-10
            )
    potentials = [0.1, 0.1, -0.05, 0.0]
    np.testing.assert_allclose(
        kwant_free_noise(ours.data, ours.channel_terminals, potentials, 0.03),
        kwant_free_noise(reference.data, np.asarray(labels), potentials, 0.03),
        atol=1e-10,
    )


def test_with_probes_the_matrix_is_unitary_and_gives_the_conductance_matrix():
    builder = systems.wire(10, 3)
    systems.attach_dephasing_probes(builder, [site for site in builder.sites()][4:10])
    fsyst = builder.finalized()
    params = {"eta": 0.4, "disorder": 0.8, "salt": "s"}
    s = scattering_matrix(fsyst, 0.9, params=params)
    np.testing.assert_allclose(s.data.conj().T @ s.data, np.eye(len(s.data)), atol=1e-10)
    n = len(fsyst.leads)
    transmissions = np.array(
        [[np.sum(np.abs(s.submatrix(i, j)) ** 2) for j in range(n)] for i in range(n)]
    )
    g = conductance_matrix(fsyst, 0.9, params=params)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(-transmissions[off], g[off], atol=1e-10)


def test_blocks_with_a_probe_leave_the_probe_one_terminal():
    """New with the core's S: blocks=True next to a self-energy lead, against the core's
    block-resolved conductance matrix (itself checked against Kwant in test_conductance)."""
    fsyst, params = _spinful_bar_with_conserved_spin(probe=True)
    s = scattering_matrix(fsyst, 1.1, params=params, blocks=True)
    assert s.terminals == ((0, 0), (0, 1), (1, 0), (1, 1), (2, 0))
    np.testing.assert_allclose(s.data.conj().T @ s.data, np.eye(len(s.data)), atol=1e-10)
    n = len(s.terminals)
    transmissions = np.array(
        [[np.sum(np.abs(s.submatrix(i, j)) ** 2) for j in range(n)] for i in range(n)]
    )
    g = conductance_matrix(fsyst, 1.1, params=params, blocks=True)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(-transmissions[off], g[off], atol=1e-10)
    with pytest.raises(TypeError, match="blocks"):
        scattering_matrix(fsyst, 1.1, params=params, blocks=1)
