"""systems.wannier90 on a real Wannier90 output: silicon, 8 sp3 Wannier functions.

Data: tests/data/wannier90_silicon (see its SOURCE.md; Apache-2.0, from TBmodels'
samples; Wannier90's silicon tutorial, Mostofi et al., Comput. Phys. Commun. 178,
685 (2008)).  The reference is always TBmodels' own H(k) (``tbmodels.Model.hamilton``,
read independently here), never the Kwant system under test.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import kwant
import numpy as np
import pytest
import tbmodels

from systems.wannier90 import from_wannier90, wannier90_device

# TBmodels 1.4.3 under NumPy 2 (read here independently as the reference)
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

DATA = Path(__file__).parents[1] / "data" / "wannier90_silicon"
FILES = dict(
    win_file=DATA / "silicon.win",
    xyz_file=DATA / "silicon_centres.xyz",
    wsvec_file=DATA / "silicon_wsvec.dat",
)
A = 5.3976  # cubic lattice constant (Å), 2 x 2.6988 of silicon.win
DIRECTION = (-1, 1, -1)  # -a1 + a2 - a3 = (A, 0, 0): the cubic [100] axis


@pytest.fixture(scope="module")
def reader():
    files = {k: str(v) for k, v in FILES.items()}
    return tbmodels.Model.from_wannier_files(hr_file=str(DATA / "silicon_hr.dat"), **files)


@pytest.fixture(scope="module")
def crystal():
    return from_wannier90(DATA / "silicon_hr.dat", **FILES)


def bands(reader, k):
    return np.linalg.eigvalsh(reader.hamilton(np.atleast_2d(k)))


def wrapped_hamiltonian(fsyst, k, names="xyz"):
    params = {f"k_{n}": 2 * np.pi * kk for n, kk in zip(names, k, strict=True)}
    return fsyst.hamiltonian_submatrix(params=params)


def test_sites_are_the_two_atoms_with_four_sp3_orbitals(crystal):
    assert [f.norbs for f in crystal.families] == [4, 4]
    # every sp3 Wannier centre sits ~0.80 Å (a quarter of the 2.34 Å bond) from its atom
    for offsets in crystal.orbital_offsets:
        np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), 0.798, atol=0.01)


def test_wraparound_cell_has_the_readers_bloch_eigenvalues(crystal, reader):
    fsyst = kwant.wraparound.wraparound(crystal.bulk()).finalized()
    rng = np.random.default_rng(24)
    for k in rng.uniform(-0.5, 0.5, size=(8, 3)):
        got = np.linalg.eigvalsh(wrapped_hamiltonian(fsyst, k))
        # 1e-10 eV: both sides sum the same ~100 terms of O(1 eV) in double precision
        np.testing.assert_allclose(got, bands(reader, k)[0], rtol=0, atol=1e-10)


def test_supercell_bands_are_the_readers_folded(crystal, reader):
    periods = np.array([[2, 0, 0], [0, 1, 0], [1, 0, 1]])  # volume 2
    fsyst = kwant.wraparound.wraparound(crystal.bulk(periods)).finalized()
    K = np.array([0.17, -0.29, 0.41])  # reduced in the supercell's reciprocal basis
    got = np.linalg.eigvalsh(wrapped_hamiltonian(fsyst, K))
    # k_primitive = P^-1 (K + m): the supercell zone holds det(P) primitive k points
    inverse = np.linalg.inv(periods)
    folded = np.sort(
        np.concatenate([bands(reader, inverse @ (K + np.array([m, 0, 0])))[0] for m in (0, 1)])
    )
    np.testing.assert_allclose(got, folded, rtol=0, atol=1e-10)


def right_movers(reader, basis, energy, k_transverse, points=1500):
    """Upward crossings of `energy` by the reader's bands along k_parallel in [0, 1)."""
    kappa = np.arange(points) / points
    k_new = np.column_stack(
        [kappa, np.full(points, k_transverse[0]), np.full(points, k_transverse[1])]
    )
    e = bands(reader, k_new @ np.linalg.inv(basis).T) - energy
    return int(np.sum((e < 0) & (np.roll(e, -1, axis=0) > 0)))


def transverse_periodic_device(crystal):
    """A slab of two lead cells along DIRECTION, wrapped across, with wrapped bulk leads."""
    n = crystal.period(DIRECTION)
    cells = 2 * n  # the slab must hold an image of every lead site (Kwant's "interrupt" rule)
    basis = crystal._completed_basis(DIRECTION)
    L = crystal.model.lattice_vectors
    sym = kwant.TranslationalSymmetry(*(basis[1:] @ L))
    for fam in crystal.families:
        sym.add_site_family(fam, other_vectors=basis[:1])
    region = kwant.Builder(sym)
    sites = {sym.to_fd(fam(*(i * basis[0]))) for fam in crystal.families for i in range(cells)}
    crystal.fill(region, sites)
    region = kwant.wraparound.wraparound(region, coordinate_names="bc")
    lead = crystal.bulk(np.vstack([-n * basis[0], basis[1:]]))
    lead = kwant.wraparound.wraparound(lead, keep=0, coordinate_names="abc")
    region.attach_lead(lead)
    region.attach_lead(lead.reversed())
    return region.finalized(), basis


@pytest.mark.parametrize("energy", [-3.0, 2.5, 7.5, 9.0])
def test_pristine_conductance_counts_the_readers_right_movers(crystal, reader, energy):
    fsyst, basis = transverse_periodic_device(crystal)
    k_t = (0.13, 0.31)
    params = {"k_b": 2 * np.pi * k_t[0], "k_c": 2 * np.pi * k_t[1]}
    conductance = kwant.smatrix(fsyst, energy, params=params).transmission(1, 0)
    expected = right_movers(reader, basis, energy, k_t)
    # at this k_perp the reader gives 1, 2, 0 (a gap) and 2 right movers at -3, 2.5, 7.5, 9 eV
    # 1e-6: a pristine device transmits each open channel to rounding of the mode solver
    assert conductance == pytest.approx(expected, abs=1e-6)


def wire(crystal, **kwargs):
    cross = lambda p: abs(p[1]) <= A / 2 + 0.1 and abs(p[2]) <= A / 2 + 0.1  # noqa: E731
    shape = lambda p: cross(p) and abs(p[0]) <= 1.5 * A  # noqa: E731
    return wannier90_device(
        crystal, shape, (0, 0, 0), lead_direction=DIRECTION, lead_shape=cross, **kwargs
    )


def test_vectorized_fill_gives_the_same_system_as_hopping_kinds(crystal):
    fast, plain = (wire(crystal, vectorized=v).finalized() for v in (True, False))
    order = lambda f: np.argsort([repr(s) for s in f.sites])  # noqa: E731
    h_fast = fast.hamiltonian_submatrix(sparse=True).toarray()
    h_plain = plain.hamiltonian_submatrix(sparse=True).toarray()
    assert sorted(map(repr, fast.sites)) == sorted(map(repr, plain.sites))

    # same sites; permute both Hamiltonians to one site order (blocks of 4 orbitals)
    def permuted(f, h):
        idx = np.concatenate([np.arange(4 * i, 4 * i + 4) for i in order(f)])
        return h[np.ix_(idx, idx)]

    np.testing.assert_array_equal(permuted(fast, h_fast), permuted(plain, h_plain))


def test_peierls_phases_are_gauge_consistent_with_the_leads(crystal):
    """In a field the pristine wire stays on a plateau: G = the lead's open modes at that field.

    A gauge that differed between the region and the leads would scatter at the
    interfaces and lower G below the mode count.  2000 T through the 5.4 x 5.4 Å^2
    wire is a flux of ~0.014 h/e per cross-section, enough to move the phases by 0.1 rad.
    """
    fsyst = wire(crystal, field_direction=(0.3, 0.2, 1.0)).finalized()
    params = {"B_tesla": 2000.0}
    energy = 8.0
    smatrix = kwant.smatrix(fsyst, energy, params=params)
    modes = smatrix.num_propagating(0)
    assert modes > 0
    assert smatrix.transmission(1, 0) == pytest.approx(modes, abs=1e-8)
    # the phases are really there: the hopping values differ from the zero-field ones
    h_b = fsyst.hamiltonian_submatrix(params=params, sparse=True)
    h_0 = fsyst.hamiltonian_submatrix(params={"B_tesla": 0.0}, sparse=True)
    assert abs(h_b - h_0).max() > 1e-3


def test_cutoff_converges_bands_and_conductance(reader):
    full = from_wannier90(DATA / "silicon_hr.dat", **FILES)
    rng = np.random.default_rng(1)
    ks = rng.uniform(-0.5, 0.5, size=(20, 3))
    exact = bands(reader, ks)
    errors = []
    for cutoff in (0.3, 0.1, 0.03, 0.01, 0.001):
        cut = from_wannier90(DATA / "silicon_hr.dat", energy_cutoff=cutoff, **FILES)
        report = cut.model.cutoff
        got = np.linalg.eigvalsh(cut.model.bloch_hamiltonian(ks))
        error = np.max(np.abs(got - exact))
        assert error <= report.band_error_bound + 1e-12  # Weyl's inequality
        assert report.dropped > 0 and len(cut.blocks) <= len(full.blocks)
        errors.append(error)
    # the band error falls as the cutoff is lowered (each step drops a subset of the last)
    assert all(later <= earlier + 1e-12 for earlier, later in itertools.pairwise(errors))
    assert errors[-1] < 0.05 * errors[0]
    # the wire's conductance at a plateau is the full model's at a 1 meV cutoff
    g_full = kwant.smatrix(wire(full).finalized(), 8.0).transmission(1, 0)
    g_cut = kwant.smatrix(wire(cut).finalized(), 8.0).transmission(1, 0)
    assert g_cut == pytest.approx(g_full, abs=1e-6)


def test_mesoflow_conductance_matrix_accepts_the_device(crystal):
    from workflows.scattering.conductance import conductance_matrix

    fsyst = wire(crystal).finalized()
    G = conductance_matrix(fsyst, 8.0)
    np.testing.assert_allclose(G.sum(axis=0), 0, atol=1e-10)
    assert -G[0, 1] == pytest.approx(kwant.smatrix(fsyst, 8.0).transmission(0, 1), abs=1e-10)
