"""The scattering core against plain Kwant: conductance matrices and interface Green's functions."""

import kwant
import numpy as np
import pytest
import tinyarray

import systems
from analysis import chain_barrier_transmission
from workflows.scattering import OpenSystem, band_edges
from workflows.scattering.band_edges import BandEdgeError

SOLVERS = ["mumps", "scipy"]

try:
    from kwant.linalg import mumps  # noqa: F401
except ImportError:  # Kwant built without MUMPS: only SciPy's LU path exists
    SOLVERS = ["scipy"]


def _spin_orbit_wire(length=12, width=4):
    """A 2-orbital wire with Rashba coupling and a Zeeman field (Kwant tutorial 2.3 style)."""
    sigma_0 = tinyarray.array([[1, 0], [0, 1]])
    sigma_x = tinyarray.array([[0, 1], [1, 0]])
    sigma_y = tinyarray.array([[0, -1j], [1j, 0]])
    sigma_z = tinyarray.array([[1, 0], [0, -1]])
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, t, B_z):
        return 4 * t * sigma_0 + B_z * sigma_z

    def hop_x(site1, site2, t, alpha):
        return -t * sigma_0 + 1j * alpha * sigma_y

    def hop_y(site1, site2, t, alpha):
        return -t * sigma_0 - 1j * alpha * sigma_x

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    syst[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = onsite
    lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized(), {"t": 1.0, "alpha": 0.3, "B_z": 0.2}


CASES = {
    "disordered wire in a field": (
        lambda: systems.wire(25, 7).finalized(),
        {"disorder": 1.5, "salt": "core", "B": 0.03},
    ),
    "six-terminal Hall bar": (lambda: systems.hall_bar(24, 10, 4).finalized(), {"B": 0.04}),
    "AB ring with flux": (lambda: systems.ab_ring(6, 10, 3).finalized(), {"phi": 0.37}),
    "spin-orbit wire (2 orbitals)": (lambda: _spin_orbit_wire()[0], _spin_orbit_wire()[1]),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_conductance_matrix_equals_kwant_smatrix(case, solver):
    make, params = CASES[case]
    fsyst = make()
    open_system = OpenSystem(fsyst, params=params, solver=solver)
    for energy in (0.4, 0.9, 1.3):
        expected = kwant.smatrix(fsyst, energy, params=open_system.params).conductance_matrix()
        # Both are exact up to rounding of two different factorizations: 1e-11 e²/h.
        np.testing.assert_allclose(open_system.conductance_matrix(energy), expected, atol=1e-11)


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_interior_eigenvalue_does_not_spoil_the_result(solver):
    """E = 2t is an eigenvalue of the three inner sites of this chain (vector (1, 0, −1)).

    The Schur complement of E − H on the two interface sites then diverges; the
    core must notice and still return the exact barrier transmission.
    """
    fsyst = systems.chain(5).finalized()
    open_system = OpenSystem(fsyst, params={"V": lambda x: 0.7 if x == 2 else 0.0}, solver=solver)
    for energy in (2.0, 2.0 + 1e-9, 2.0 - 1e-12):
        expected = chain_barrier_transmission(energy, 0.7)
        assert -open_system.conductance_matrix(energy)[1, 0] == pytest.approx(expected, abs=1e-12)


def test_interface_greens_function_equals_kwant_with_probes():
    builder = systems.wire(8, 3)
    systems.attach_dephasing_probes(builder, [site for site in builder.sites()][::2])
    fsyst = builder.finalized()
    open_system = OpenSystem(fsyst, params={"eta": 0.2})
    energy = 0.8
    ours = open_system.interface_greens_function(energy).data
    reference = kwant.greens_function(fsyst, energy, params=open_system.params).data
    np.testing.assert_allclose(ours, reference, atol=1e-12)


def test_many_energies_agree_between_the_two_factorization_paths():
    """Across a dense energy grid (where some E sit near interior eigenvalues) both paths agree."""
    if SOLVERS == ["scipy"]:
        pytest.skip("Kwant was built without MUMPS")
    fsyst = systems.wire(12, 3).finalized()
    params = {"disorder": 2.0, "salt": "grid"}
    schur, lu = OpenSystem(fsyst, params=params), OpenSystem(fsyst, params=params, solver="scipy")
    for energy in np.linspace(0.05, 3.0, 40):
        np.testing.assert_allclose(
            schur.conductance_matrix(energy), lu.conductance_matrix(energy), atol=1e-10
        )


@pytest.mark.parametrize("solver", SOLVERS)
def test_greens_function_block_equals_the_dense_inverse(solver):
    """G on interfaces plus other orbitals (what sweeps use) against inv(E − H − Σ), dense."""
    builder = systems.wire(10, 4)
    systems.attach_dephasing_probes(builder, [site for site in builder.sites()][3:9])
    fsyst = builder.finalized()
    open_system = OpenSystem(fsyst, params={"eta": 0.3, "disorder": 1.0}, solver=solver)
    energy = 0.7
    n = open_system.n_orbitals
    dense = energy * np.eye(n) - open_system.hamiltonian.toarray()
    for coords, sigma in zip(open_system.interfaces, open_system.selfenergies(energy), strict=True):
        dense[np.ix_(coords, coords)] -= sigma
    rng = np.random.default_rng(2)
    wanted = np.union1d(np.concatenate(open_system.interfaces), rng.choice(n, 7, replace=False))
    expected = np.linalg.inv(dense)[np.ix_(wanted, wanted)]
    np.testing.assert_allclose(open_system.greens_function(energy, wanted), expected, atol=1e-12)


def test_band_edges_are_checked_on_the_leads_asked_for():
    """Self-energies of a subset of leads: the band-edge check names the right lead."""
    builder = systems.wire(6, 3)
    probes = systems.attach_dephasing_probes(builder, [next(iter(builder.sites()))])
    fsyst = builder.finalized()
    open_system = OpenSystem(fsyst, params={"eta": 0.1})
    edge = 2.0  # second subband edge of a 3-site strip, 2t(1 − cos(2π/4)), exact in floats
    with pytest.raises(ValueError, match="band edge of lead 1"):
        open_system.selfenergies(edge, leads=[1, probes[0]])
    assert len(open_system.selfenergies(edge + 1e-3, leads=[probes[0], 1])) == 2


def test_a_resolved_energy_is_checked_once_per_lead_and_solved_as_kwant_does(monkeypatch):
    """resolve_energy(..., "above") checks every lead; the mode solves then do not check again.

    A grid of energies used to run the band-edge eigensolve twice per lead and energy (once
    to resolve the energy, once inside the mode solve).  Conductances against Kwant: 1e-11
    e²/h, as above (two factorizations, each exact up to rounding).
    """
    fsyst, params = _spin_orbit_wire()
    checks = []
    check_lead = band_edges.check_lead

    def counted(lead, energy, params, *, index=None, matrices=None):
        checks.append((index, energy))
        return check_lead(lead, energy, params, index=index, matrices=matrices)

    monkeypatch.setattr(band_edges, "check_lead", counted)
    open_system = OpenSystem(fsyst, params=params)
    energies = (0.4, 0.9, 1.3)
    for energy in energies:
        resolved = open_system.resolve_energy(energy, "above")
        assert resolved == energy  # no band edge here
        expected = kwant.smatrix(fsyst, energy, params=open_system.params).conductance_matrix()
        np.testing.assert_allclose(open_system.conductance_matrix(resolved), expected, atol=1e-11)
    assert sorted(checks) == sorted((lead, e) for e in energies for lead in (0, 1))
    checks.clear()
    open_system.conductance_matrix(1.5)  # not resolved one-sided: the mode solve checks
    assert sorted(checks) == [(0, 1.5), (1, 1.5)]


def test_an_edge_resolved_to_its_one_sided_limit_is_still_refused_when_asked_for_directly():
    fsyst = systems.wire(6, 3).finalized()
    open_system = OpenSystem(fsyst)
    edge = 2.0  # second subband edge of a 3-site strip, 2t(1 − cos(2π/4)), exact in floats
    above = open_system.resolve_energy(edge, "above")
    assert edge < above < edge + 1e-6
    expected = kwant.smatrix(fsyst, above, params=open_system.params).conductance_matrix()
    np.testing.assert_allclose(open_system.conductance_matrix(above), expected, atol=1e-11)
    assert open_system.resolve_energy(edge) == edge  # refuse: returned unchecked
    with pytest.raises(BandEdgeError, match="band edge of lead 0"):
        open_system.conductance_matrix(edge)
