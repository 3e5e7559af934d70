"""A lead evaluated once, and Kwant's mode solve on it: the same arrays as ``lead.modes``.

:func:`lead_matrices` and :func:`lead_modes_at` replace ``InfiniteSystem.modes`` in
mesoflow's one call of a lead's modes; for a lead without symmetry they leave out Kwant's
identity projectors.  The reference is Kwant itself: every array of the propagating and
stabilized modes (wave functions, momenta, velocities, the stabilized basis, the hopping's
square root) and the self-energy must be *equal* (``assert_array_equal``: the same values;
only the sign of a zero may differ, Kwant's identity products turning −0.0 into +0.0) to
``lead.modes(energy, params=params)``, on leads in the styles of Kwant's tutorials: a
one-orbital chain, a spin–orbit wire (2 orbitals, complex matrix hoppings, a Zeeman field),
a ``kwant.continuum`` BHZ strip (4 orbitals), a zigzag graphene ribbon (a non-square
inter-cell hopping), a square strip with a flux in radians, a BdG lead with a conservation
law and particle–hole symmetry, leads with particle–hole, chiral or time-reversal symmetry
alone, and a lead whose cells are not connected — at energies with propagating modes, in
gaps (evanescent only) and off the real axis (Fermi poles).  The one deliberate difference,
a broken particle–hole symmetry, is tested against the lead's Bloch equation.
"""

from __future__ import annotations

import warnings

import kwant
import kwant.continuum
import numpy as np
import pytest

from workflows.scattering.band_edges import lead_modes
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.lead_matrices import (
    lead_matrices,
    lead_modes_at,
    replicates_kwant_modes,
)
from workflows.scattering.open_system import OpenSystem

SIGMA_0 = np.eye(2)
SIGMA_X = np.array([[0, 1], [1, 0]])
SIGMA_Y = np.array([[0, -1j], [1j, 0]])
SIGMA_Z = np.diag([1.0, -1.0])


def _chain():
    lat = kwant.lattice.chain(norbs=1)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = lambda site, V_lead: 0.3 + V_lead
    lead[lat.neighbors()] = lambda a, b, t_lead: -t_lead
    return lead.finalized(), dict(V_lead=0.1, t_lead=1.0)


def _spin_orbit_lead():
    """Kwant tutorial 2.3: Rashba spin–orbit and a Zeeman field, 2 orbitals per site."""
    lat = kwant.lattice.square(norbs=2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(3))] = lambda site, B: 4 * SIGMA_0 + B * SIGMA_Z
    lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = -SIGMA_0 + 0.1j * SIGMA_Y
    lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = -SIGMA_0 - 0.1j * SIGMA_X
    return lead.finalized(), dict(B=0.15)


def _bhz_lead():
    """Kwant's discretizer tutorial: the BHZ model, 4 orbitals, as a strip lead."""
    hamiltonian = """
        + C * identity(4) + M * kron(sigma_0, sigma_z)
        - B * (k_x**2 + k_y**2) * kron(sigma_0, sigma_z)
        - D * (k_x**2 + k_y**2) * kron(sigma_0, sigma_0)
        + A * k_x * kron(sigma_z, sigma_x)
        - A * k_y * kron(sigma_0, sigma_y)
    """
    template = kwant.continuum.discretize(hamiltonian, grid=1.0)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead.fill(template, lambda site: 0 <= site.pos[1] < 3, (0, 0))
    return lead.finalized(), dict(A=0.5, B=-1.0, C=0.0, D=-0.2, M=-0.3)


def _zigzag_graphene_lead():
    """A zigzag ribbon: two sublattices, an inter-cell hopping on part of the cell only."""
    graphene = kwant.lattice.honeycomb(norbs=1)
    lead = kwant.Builder(kwant.TranslationalSymmetry(graphene.vec((-1, 0))))
    lead[graphene.shape(lambda pos: 0 <= pos[1] < 3.5, (0, 0))] = lambda site, mu: -mu
    lead[graphene.neighbors()] = -1.0
    fsyst = lead.finalized()
    assert (
        fsyst.inter_cell_hopping(params=dict(mu=0)).shape[0]
        != (fsyst.inter_cell_hopping(params=dict(mu=0)).shape[1])
    )  # the case Kwant pads to a square matrix
    return fsyst, dict(mu=0.05)


def _flux_strip():
    """A square strip in a perpendicular field: Peierls phase ``phi`` per plaquette (radians)."""
    lat = kwant.lattice.square(norbs=1)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(4))] = 4.0
    lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = -1.0
    lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = lambda s1, s2, phi: (
        -np.exp(-1j * phi * s1.pos[1])
    )
    return lead.finalized(), dict(phi=0.4)


def _superconducting_lead():
    """Kwant's superconductor tutorial: BdG, conservation law −τ_z, particle–hole τ_y."""
    tau_y, tau_z = SIGMA_Y, SIGMA_Z
    lat = kwant.lattice.square(norbs=2)
    lead = kwant.Builder(
        kwant.TranslationalSymmetry((-1, 0)), conservation_law=-tau_z, particle_hole=tau_y
    )
    lead[(lat(0, y) for y in range(3))] = lambda site, mu: (4 - mu) * tau_z
    lead[lat.neighbors()] = -tau_z
    return lead.finalized(), dict(mu=0.6)


LEADS = {
    "chain": _chain,
    "spin-orbit wire": _spin_orbit_lead,
    "continuum BHZ": _bhz_lead,
    "zigzag graphene": _zigzag_graphene_lead,
    "flux strip": _flux_strip,
    "BdG, conservation law": _superconducting_lead,
}
#: Propagating modes, gaps (evanescent only: the chain's band is [-1.7, 2.3]) and Fermi poles.
ENERGIES = (0.0, 0.37, 1.1, -2.9, 3.3, 9.0, 0.25 + 0.1j, -0.8 + 0.03j)


def _assert_modes_equal(ours, kwants) -> None:
    (prop, stab), (kprop, kstab) = ours, kwants
    pairs = {
        "wave_functions": (prop.wave_functions, kprop.wave_functions),
        "momenta": (prop.momenta, kprop.momenta),
        "velocities": (prop.velocities, kprop.velocities),
        "vecs": (stab.vecs, kstab.vecs),
        "vecslmbdainv": (stab.vecslmbdainv, kstab.vecslmbdainv),
        "sqrt_hop": (stab.sqrt_hop, kstab.sqrt_hop),
        "selfenergy": (stab.selfenergy(), kstab.selfenergy()),
    }
    for name, (a, b) in pairs.items():
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    # Kwant gives no block_nmodes to a lead without modes at all.
    assert getattr(prop, "block_nmodes", None) == getattr(kprop, "block_nmodes", None)
    assert stab.nmodes == kstab.nmodes


@pytest.mark.parametrize("name", list(LEADS))
def test_modes_equal_kwants_bit_for_bit_on_every_kind_of_lead(name):
    lead, params = LEADS[name]()
    assert replicates_kwant_modes(lead)
    matrices = lead_matrices(lead, params)
    solved = 0
    for energy in ENERGIES:
        try:
            expected = lead.modes(energy, params=params)
        except ValueError:  # an energy at a band edge of this lead: not a case to compare
            continue
        _assert_modes_equal(lead_modes_at(matrices, energy), expected)
        solved += 1
    assert solved >= len(ENERGIES) - 1
    # The matrices were not changed by the solves (H₀ − E is formed on a copy).
    np.testing.assert_array_equal(matrices.cell_hamiltonian, lead.cell_hamiltonian(params=params))


def test_the_conservation_law_lead_keeps_kwants_blocks_and_particle_hole_only_at_zero():
    lead, params = _superconducting_lead()
    matrices = lead_matrices(lead, params)
    assert matrices.has_symmetry
    at_zero = lead_modes_at(matrices, 0.0)
    away = lead_modes_at(matrices, 0.1)
    assert len(at_zero[0].block_nmodes) == 2 and len(away[0].block_nmodes) == 2
    # The cached symmetry is not changed by a solve at E ≠ 0 (Kwant drops it on a copy).
    assert matrices.symmetry.particle_hole is not None
    _assert_modes_equal(lead_modes_at(matrices, 0.0), lead.modes(0.0, params=params))


def test_a_lead_that_breaks_its_declared_law_is_solved_without_it_and_warned_once():
    lat = kwant.lattice.square(norbs=2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=SIGMA_Z)
    lead[(lat(0, y) for y in range(2))] = 4 * SIGMA_0 + 0.2 * SIGMA_X  # mixes the two spins
    lead[lat.neighbors()] = -SIGMA_0
    lead = lead.finalized()
    with pytest.warns(UserWarning, match="breaks Conservation law"):
        matrices = lead_matrices(lead, {})
    assert not matrices.has_symmetry
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning at each energy
        ours = lead_modes_at(matrices, 0.5)
    with pytest.warns(UserWarning, match="breaks Conservation law"):
        expected = lead.modes(0.5)
    _assert_modes_equal(ours, expected)


def test_a_lead_whose_cells_are_not_connected_has_no_modes_as_in_kwant():
    lead, params = _chain()
    params = dict(params, t_lead=0.0)
    _assert_modes_equal(
        lead_modes_at(lead_matrices(lead, params), 0.2), lead.modes(0.2, params=params)
    )
    assert lead_modes_at(lead_matrices(lead, params), 0.2)[1].nmodes == 0


def test_the_fingerprint_follows_the_lead_and_only_the_lead():
    lead, params = _chain()
    first = lead_matrices(lead, params).fingerprint
    assert lead_matrices(lead, dict(params)).fingerprint == first
    assert lead_matrices(lead, dict(params, V_lead=0.2)).fingerprint != first
    assert lead_matrices(lead, dict(params, t_lead=0.9)).fingerprint != first


def _wire_with_counted_lead():
    """A square wire whose lead's on-site function counts its calls."""
    calls = []
    lat = kwant.lattice.square(norbs=1)

    def lead_onsite(site, V_lead):
        calls.append(site)
        return 4.0 + V_lead

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(4) for y in range(3))] = lambda site, V: 4.0 + V
    syst[lat.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(3))] = lead_onsite
    lead[lat.neighbors()] = -1.0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized(), dict(V=0.05, V_lead=0.0), calls


def test_an_open_system_evaluates_each_lead_once_whatever_the_number_of_energies():
    """Kwant's ``modes`` evaluates the lead at every call; the open system does it once.

    Conductances against ``kwant.smatrix``: 1e-11 e²/h (two factorizations, each exact up
    to rounding, as in test_open_system.py).
    """
    fsyst, params, calls = _wire_with_counted_lead()
    open_system = OpenSystem(fsyst, params=params)
    open_system.conductance_matrix(0.5)
    after_one = len(calls)
    assert after_one > 0
    for energy in (0.7, 1.2, 1.9, 2.6, 3.3):
        expected = kwant.smatrix(fsyst, energy, params=params).conductance_matrix()
        calls_before = len(calls)
        got = open_system.conductance_matrix(energy)
        assert len(calls) == calls_before  # no evaluation of the leads at a new energy
        np.testing.assert_allclose(got, expected, atol=1e-11)


def _log_modes_of(fsyst, index: int) -> list:
    """Make lead ``index`` of ``fsyst`` a subclass whose own ``modes`` logs its energies."""
    asked = []

    class Logged(type(fsyst.leads[index])):
        def modes(self, energy=0, args=(), *, params=None):
            asked.append(energy)
            return super().modes(energy, args, params=params)

    fsyst.leads[index].__class__ = Logged
    return asked


def test_a_lead_class_with_its_own_modes_is_asked_for_them():
    """A user's lead subclass that overrides ``modes`` is not bypassed."""
    fsyst, params, _ = _wire_with_counted_lead()
    asked = _log_modes_of(fsyst, 0)
    assert not replicates_kwant_modes(fsyst.leads[0])
    propagating, _ = lead_modes(fsyst, 0, 0.9, params)
    assert asked == [0.9]
    assert len(propagating.velocities) == 2 * 1  # one open channel at 0.9 t in a 3-site strip


def _bdg_strip(*, particle_hole, chiral=None, time_reversal=None, onsite, hopping, width=2):
    lat = kwant.lattice.square(norbs=2)
    lead = kwant.Builder(
        kwant.TranslationalSymmetry((-1, 0)),
        particle_hole=particle_hole,
        chiral=chiral,
        time_reversal=time_reversal,
    )
    lead[(lat(0, y) for y in range(width))] = onsite
    lead[lat.neighbors()] = hopping
    return lead.finalized()


@pytest.mark.parametrize("energy", [0.0, 0.3])
def test_particle_hole_chiral_or_time_reversal_alone_give_kwants_modes(energy):
    """One symmetry without conservation law: Kwant's blocks at E = 0, the one-block path
    (Kwant drops particle–hole and chiral symmetry) at E ≠ 0 — Kwant's values either way."""
    tau_x, tau_y, tau_z = SIGMA_X, SIGMA_Y, SIGMA_Z
    leads = {
        # A BdG strip with s-wave pairing Δτ_x: particle–hole τ_y K (τ_y τ_z* τ_y = −τ_z,
        # τ_y τ_x* τ_y = −τ_x).
        "particle-hole": _bdg_strip(
            particle_hole=tau_y, onsite=3.4 * tau_z + 0.3 * tau_x, hopping=-tau_z + 0.2 * tau_x
        ),
        # A bipartite (sublattice) chiral strip: H anticommutes with τ_z.
        "chiral": _bdg_strip(
            particle_hole=None, chiral=tau_z, onsite=0.4 * tau_x, hopping=-tau_x + 0.3 * tau_y
        ),
        # Real Hamiltonian, spinless time reversal (K).
        "time reversal": _bdg_strip(
            particle_hole=None,
            time_reversal=SIGMA_0,
            onsite=4 * SIGMA_0 + 0.3 * tau_z,
            hopping=-SIGMA_0 + 0.1 * tau_x,
        ),
    }
    for name, lead in leads.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # each symmetry holds: no warning
            matrices = lead_matrices(lead, {})
            assert matrices.has_symmetry, name
            _assert_modes_equal(lead_modes_at(matrices, energy), lead.modes(energy))


def test_a_broken_particle_hole_symmetry_is_dropped_as_kwants_warning_says():
    """Kwant 1.5 warns that it ignores a broken particle–hole symmetry but keeps it (the
    attribute it clears is misspelt "particle-hole"): at E = 0 one of its modes does not
    solve the lead.  mesoflow drops it; Σ, momenta and velocities are Kwant's (1e-13:
    rounding of two different bases of the same modes), and every wave function solves
    (H₀ + V₁ λ⁻¹ + V₁† λ) ψ = E ψ with λ = e^{ik} to rounding (1e-10 of ‖H‖)."""
    lead = _bdg_strip(
        particle_hole=SIGMA_Y, onsite=(4 - 3) * SIGMA_Z + 0.05 * SIGMA_0, hopping=-SIGMA_Z
    )
    with pytest.warns(UserWarning, match="breaks Particle-hole"):
        matrices = lead_matrices(lead, {})
    assert not matrices.has_symmetry
    ours = lead_modes_at(matrices, 0.0)
    with pytest.warns(UserWarning, match="breaks Particle-hole"):
        kwants = lead.modes(0.0)
    np.testing.assert_allclose(ours[1].selfenergy(), kwants[1].selfenergy(), atol=1e-13)
    np.testing.assert_allclose(ours[0].momenta, kwants[0].momenta, atol=1e-13)
    np.testing.assert_allclose(ours[0].velocities, kwants[0].velocities, atol=1e-13)
    h0, v1 = matrices.cell_hamiltonian, matrices.inter_cell_hopping
    assert ours[0].wave_functions.shape[1] > 0
    for psi, k in zip(ours[0].wave_functions.T, ours[0].momenta, strict=True):
        bloch = h0 + v1 * np.exp(-1j * k) + v1.conj().T * np.exp(1j * k)
        assert np.linalg.norm(bloch @ psi) < 1e-10 * np.linalg.norm(bloch)


def test_an_open_system_asks_a_lead_class_with_its_own_modes_and_matches_kwant():
    """A lead subclass overriding ``modes`` inside an OpenSystem, with a lead cache:
    conductances against ``kwant.smatrix`` to 1e-11 e²/h (as above); its modes are asked
    for at every solve, never taken from the cache."""
    fsyst, params, _ = _wire_with_counted_lead()
    asked = _log_modes_of(fsyst, 1)
    open_system = OpenSystem(fsyst, params=params, lead_cache=LeadSelfEnergyCache())
    for energy in (0.9, 1.7, 0.9):
        expected = kwant.smatrix(fsyst, energy, params=params).conductance_matrix()
        np.testing.assert_allclose(open_system.conductance_matrix(energy), expected, atol=1e-11)
    assert asked.count(0.9) >= 2 + 2  # twice by kwant.smatrix, twice by the open system
    assert open_system.lead_fingerprint(1) is None and open_system.lead_fingerprint(0)


def test_a_shared_cache_never_gives_a_lead_class_with_its_own_modes_a_plain_leads_sigma():
    """Same H₀ and V₁, different ``modes``: a Σ cached for the plain lead must not be used."""
    plain, params, _ = _wire_with_counted_lead()
    custom, _, _ = _wire_with_counted_lead()

    class Shifted(type(custom.leads[0])):
        def modes(self, energy=0, args=(), *, params=None):
            return super().modes(energy - 0.8, args, params=params)

    custom.leads[0].__class__ = Shifted
    cache = LeadSelfEnergyCache()
    OpenSystem(plain, params=params, lead_cache=cache).conductance_matrix(1.3)
    got = OpenSystem(custom, params=params, lead_cache=cache).conductance_matrix(1.3)
    expected = kwant.smatrix(custom, 1.3, params=params).conductance_matrix()
    np.testing.assert_allclose(got, expected, atol=1e-11)


def test_the_fingerprint_sees_the_conservation_law_and_the_symmetries():
    lat = kwant.lattice.square(norbs=2)

    def lead(**symmetries):
        builder = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), **symmetries)
        builder[(lat(0, y) for y in range(2))] = 4 * SIGMA_0 + 0.2 * SIGMA_Z
        builder[lat.neighbors()] = -SIGMA_0
        return builder.finalized()

    prints = [
        lead_matrices(lead(**law), {}).fingerprint
        for law in ({}, {"conservation_law": SIGMA_Z}, {"time_reversal": SIGMA_0})
    ]
    assert len(set(prints)) == 3


def test_a_lead_without_symmetry_skips_kwants_projector_machinery(monkeypatch):
    """The shortcut is taken: ``kwant.physics.modes`` is not called (its values were
    compared above)."""
    lead, params = _spin_orbit_lead()
    matrices = lead_matrices(lead, params)

    def refuse(*args, **kwargs):
        raise AssertionError("kwant.physics.modes called for a lead without symmetry")

    monkeypatch.setattr(kwant.physics, "modes", refuse)
    assert lead_modes_at(matrices, 0.7)[1].nmodes > 0


def test_a_precalculated_lead_without_modes_gives_kwants_own_error():
    """``precalculate(what="selfenergy")`` has no modes: Kwant's ValueError, not a crash of
    the band-edge report (such a lead has no bands to examine)."""
    fsyst, params, _ = _wire_with_counted_lead()
    precalculated = fsyst.precalculate(1.3, params=params, what="selfenergy")
    region = {"V": params["V"]}  # the leads' parameters are precalculated
    with pytest.raises(ValueError, match="No precalculated modes"):
        OpenSystem(precalculated, params=region).conductance_matrix(1.3)
