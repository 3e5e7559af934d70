"""ΔH along parameters from the core against plain Kwant's whole Hamiltonian."""

import kwant
import numpy as np
import pytest
import tinyarray

import systems
from workflows.scattering import OpenSystem


def _kwant_delta(fsyst, params, new):
    h0 = fsyst.hamiltonian_submatrix(sparse=True, params=params)
    h1 = fsyst.hamiltonian_submatrix(sparse=True, params=new)
    return (h1 - h0).toarray()


def test_an_onsite_potential_on_given_sites_touches_only_those_orbitals():
    """The key case of self-consistent loops: V updated on a few sites of a 2-orbital wire."""
    s0, sz = tinyarray.array([[1, 0], [0, 1]]), tinyarray.array([[1, 0], [0, -1]])
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, t, U, h):
        return (4 * t + U(*site.pos)) * s0 + h * sz

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(8) for y in range(3))] = onsite
    syst[lat.neighbors()] = lambda s1, s2, t: -t * s0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(3))] = lambda site, t, h: 4 * t * s0 + h * sz
    lead[lat.neighbors()] = lambda s1, s2, t: -t * s0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    fsyst = syst.finalized()
    gate = {(3, 1), (4, 1)}
    params = {"t": 1.0, "h": 0.2, "U": lambda x, y: 0.0}
    new = {**params, "U": lambda x, y: 0.7 if (round(x), round(y)) in gate else 0.0}
    open_system = OpenSystem(fsyst, params=params)
    change = open_system.hamiltonian_change(new, param="U")
    np.testing.assert_allclose(change.matrix().toarray(), _kwant_delta(fsyst, params, new))
    sites = [i for i, s in enumerate(fsyst.sites) if tuple(s.tag) in gate]
    assert change.orbitals.tolist() == open_system.orbitals(sorted(sites)).tolist()
    # Found once per parameter name, reused for the next value.
    again = open_system.hamiltonian_change({**params, "U": lambda x, y: -0.3}, param="U")
    assert change.orbitals.size == 4 and again.orbitals.size == open_system.n_orbitals
    assert len(open_system._changes) == 1


@pytest.mark.parametrize("param, value", [("phi", 0.23), ("B", 0.05), ("t", 1.1)])
def test_changes_equal_kwants_difference_on_mesoflow_systems(param, value):
    fsyst = (
        systems.ab_ring(4, 8, 2).finalized() if param == "phi" else systems.wire(6, 3).finalized()
    )
    open_system = OpenSystem(fsyst, params={"disorder": 0.5, "salt": "dh"})
    new = {**open_system.params, param: value}
    change = open_system.hamiltonian_change(new)  # the varying name found by comparison
    np.testing.assert_allclose(
        change.matrix().toarray(), _kwant_delta(fsyst, open_system.params, new), atol=1e-14
    )


def test_a_non_hermitian_update_is_refused():
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(3))] = lambda site, a: np.array([[0, a], [0, 0]])
    syst[lat.neighbors()] = -np.eye(2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = np.zeros((2, 2))
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    fsyst = syst.finalized()
    open_system = OpenSystem(fsyst, params={"a": 0.0})
    with pytest.raises(ValueError, match="not Hermitian"):
        open_system.hamiltonian_change({"a": 0.5})
