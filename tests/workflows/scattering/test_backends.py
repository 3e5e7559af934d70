"""Factorization backends of the core: each against the others and against plain Kwant."""

import kwant
import kwant.continuum
import numpy as np
import pytest

import systems
from workflows.scattering import OpenSystem, backends
from workflows.scattering.backends import FactorizationBackend, SuperLUBackend

HAS_MUMPS = backends.default_backend_name() == "mumps"
NAMES = ["mumps", "scipy", "rgf"] if HAS_MUMPS else ["scipy", "rgf"]


def _two_orbital_wire(length=40, width=3):
    """A user's 2-orbital Rashba wire from ``kwant.continuum`` with a Zeeman field and a
    smooth potential in the scattering region only (Kwant's continuum tutorial style)."""
    kinetic = (
        "(k_x**2 + k_y**2) * sigma_0 + alpha * (k_x * sigma_y - k_y * sigma_x) + B_z * sigma_z"
    )
    templates = {
        "region": kwant.continuum.discretize(kinetic + " + U(x, y) * sigma_0", grid=1),
        "lead": kwant.continuum.discretize(kinetic, grid=1),
    }

    def strip(site, ends=(0, length)):
        x, y = site.pos
        return 0 <= y < width and (ends is None or ends[0] <= x < ends[1])

    syst = kwant.Builder()
    syst.fill(templates["region"], strip, (0, 0))
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead.fill(templates["lead"], lambda site: strip(site, ends=None), (0, 0))
    for attached in (lead, lead.reversed()):
        syst.attach_lead(attached)
    params = {"alpha": 0.25, "B_z": 0.15, "U": lambda x, y: 0.8 * np.cos(0.9 * x + y)}
    return syst.finalized(), params


CASES = {
    "disordered wire in a field": (
        lambda: systems.wire(40, 5).finalized(),
        {"disorder": 1.5, "salt": "backends", "B": 0.03},
    ),
    "two-orbital kwant.continuum wire": _two_orbital_wire,
    "chain with a barrier": (
        lambda: systems.chain(200).finalized(),
        {"V": lambda x: 0.6 if x in (7, 150) else 0.0},
    ),
}


def _case(name):
    case = CASES[name]
    if callable(case):
        return case()
    make, params = case
    return make(), params


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_backend_gives_kwants_conductance_matrix(case, name):
    fsyst, params = _case(case)
    open_system = OpenSystem(fsyst, params=params, solver=name)
    assert open_system.backend.name == name
    for energy in (0.35, 1.1):
        expected = kwant.smatrix(fsyst, energy, params=open_system.params).conductance_matrix()
        # Exact up to the rounding of two different factorizations: 1e-10 e²/h.
        np.testing.assert_allclose(open_system.conductance_matrix(energy), expected, atol=1e-10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_recursive_columns_equal_superlu_columns(case):
    """Whole columns G[:, interfaces] (current maps, densities) from RGF and from SuperLU."""
    fsyst, params = _case(case)
    rgf = OpenSystem(fsyst, params=params, solver="rgf")
    lu = OpenSystem(fsyst, params=params, solver="scipy")
    assert rgf.backend.n_slices >= 3  # a real recursion, not one dense block
    wanted = np.unique(np.concatenate(rgf.interfaces))
    assert rgf.backend.serves(wanted)
    np.testing.assert_allclose(
        rgf.greens_columns(0.8, wanted), lu.greens_columns(0.8, wanted), atol=1e-10
    )


def test_recursive_backend_passes_other_orbitals_to_the_fallback():
    fsyst, params = _case("disordered wire in a field")
    rgf = OpenSystem(fsyst, params=params, solver="rgf")
    lu = OpenSystem(fsyst, params=params, solver="scipy")
    wanted = np.union1d(np.concatenate(rgf.interfaces), [60, 61, 100])  # interior orbitals too
    assert not rgf.backend.serves(wanted)
    np.testing.assert_allclose(
        rgf.greens_function(0.8, wanted), lu.greens_function(0.8, wanted), atol=1e-10
    )


def test_a_hall_bar_with_rgf_is_still_right():
    """Side leads are not in the end slices: the RGF backend hands them to its fallback."""
    fsyst = systems.hall_bar(16, 6, 2).finalized()
    open_system = OpenSystem(fsyst, params={"B": 0.05}, solver="rgf")
    expected = kwant.smatrix(fsyst, 0.7, params=open_system.params).conductance_matrix()
    np.testing.assert_allclose(open_system.conductance_matrix(0.7), expected, atol=1e-10)


def test_the_rule_and_its_report(monkeypatch):
    wire = systems.wire(40, 4).finalized()
    hall = systems.hall_bar(16, 6, 2).finalized()
    expected = "mumps" if HAS_MUMPS else "scipy"
    assert OpenSystem(wire).backend.name == OpenSystem(hall).backend.name == expected
    assert OpenSystem(wire, solver="rgf").backend.name == "rgf"  # RGF only on request
    # Without MUMPS: SuperLU.
    monkeypatch.setattr(backends, "_mumps_module", lambda: None)
    assert OpenSystem(wire).backend.name == "scipy"
    assert backends.default_backend_name() == "scipy"
    with pytest.raises(ImportError, match="MUMPS"):
        OpenSystem(wire, solver="mumps")


def test_bad_solver_is_rejected_and_a_backend_of_ones_own_plugs_in():
    fsyst = systems.wire(10, 3).finalized()
    with pytest.raises(ValueError, match="solver"):
        OpenSystem(fsyst, solver="lapack")
    with pytest.raises(TypeError):
        FactorizationBackend(OpenSystem(fsyst))  # abstract

    class DenseBackend(FactorizationBackend):
        name = "dense"

        def greens_columns(self, energy, orbitals, selfenergies):
            matrix = self.open_system.matrix(energy, selfenergies=selfenergies).toarray()
            return np.linalg.inv(matrix)[:, orbitals]

    dense = OpenSystem(fsyst, params={"disorder": 1.0}, solver=DenseBackend)
    lu = OpenSystem(fsyst, params={"disorder": 1.0}, solver=SuperLUBackend)
    assert dense.backend.name == "dense"
    np.testing.assert_allclose(
        dense.conductance_matrix(0.6), lu.conductance_matrix(0.6), atol=1e-12
    )


def test_rgf_refuses_a_system_without_a_slice_ordering():
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(4))] = 2.0
    syst[lat.neighbors()] = -1.0
    syst[lat(10)] = 0.5  # an isolated site: unreachable from lead 0's interface
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1.0
    syst.attach_lead(lead)
    fsyst = syst.finalized()
    with pytest.raises(ValueError, match="slice ordering"):
        OpenSystem(fsyst, solver="rgf")
    assert OpenSystem(fsyst).conductance_matrix(1.0).shape == (1, 1)  # auto still solves it
