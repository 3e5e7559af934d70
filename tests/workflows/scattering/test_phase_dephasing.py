"""Phase-only dephasing (Golizadeh-Mojarad & Datta, PRB 75, 081301(R) (2007)) vs Büttiker probes."""

from __future__ import annotations

import itertools

import kwant
import numpy as np
import pytest

import systems
from workflows.scattering.dephasing import dephased_conductance
from workflows.scattering.phase_dephasing import (
    phase_dephased_conductance,
    phase_dephased_conductance_matrix,
)


def test_coherent_limit_is_kwant_and_current_is_conserved():
    builder = systems.wire(6, 3)
    fsyst = builder.finalized()
    params = {"disorder": 1.0, "salt": "2", "B": 0.05}
    coherent = phase_dephased_conductance_matrix(fsyst, 1.3, params=params, d=0.0)
    reference = kwant.smatrix(fsyst, 1.3, params=systems.resolve_params(fsyst, params))
    np.testing.assert_allclose(coherent, reference.conductance_matrix(), atol=1e-12)
    # Σ^in_0 = d G^n is the in-scattering partner of Σ_0 = d G, so the model conserves
    # current: the rows (not forced by construction, unlike the columns) sum to zero.
    dephased = phase_dephased_conductance_matrix(fsyst, 1.3, params=params, d=0.05)
    assert np.abs(dephased.sum(axis=1)).max() < 1e-10


def test_uniform_chain_stays_ballistic_while_buttiker_probes_give_ohmic_resistance():
    """Golizadeh-Mojarad & Datta (Fig. 2): phase relaxation alone adds no resistance per length.

    With probes, R = 1 + L/λ grows by η/(2v) per site (workflows.studies.coherence); with D_ij = d
    the resistance stays at its ballistic value 1 (h/e²) apart from a contact mismatch of
    order d (the leads carry no dephasing), which does not grow with L.
    """
    energy, eta, d = 1.0, 0.1, 0.02
    lengths = (20, 60)
    phase_only, buttiker = [], []
    for length in lengths:
        phase_only.append(
            1 / phase_dephased_conductance(systems.chain(length).finalized(), energy, d=d)
        )
        builder = systems.chain(length)
        systems.attach_dephasing_probes(builder)
        buttiker.append(1 / dephased_conductance(builder.finalized(), energy, params={"eta": eta}))
    ohmic_slope = (buttiker[1] - buttiker[0]) / (lengths[1] - lengths[0])
    phase_slope = (phase_only[1] - phase_only[0]) / (lengths[1] - lengths[0])
    assert ohmic_slope == pytest.approx(eta / (2 * np.sqrt(3)), rel=0.01)  # v = √3 at E = t
    assert abs(phase_slope) < 0.01 * ohmic_slope
    assert all(abs(r - 1) < d for r in phase_only)


def _asymmetric_ring(n_upper: int, n_lower: int) -> kwant.system.FiniteSystem:
    """A 1D ring with arms of n_upper and n_lower sites; flux ``phi`` in radians on one bond."""
    lat = kwant.lattice.chain(norbs=1, name="stem")
    upper = kwant.lattice.chain(norbs=1, name="upper")
    lower = kwant.lattice.chain(norbs=1, name="lower")
    builder = kwant.Builder()
    stem = [lat(x) for x in (-1, 0, 1, 2)]  # sites 0 and 1 are the junctions
    arms = [[upper(i) for i in range(n_upper)], [lower(i) for i in range(n_lower)]]
    for site in stem + arms[0] + arms[1]:
        builder[site] = 2.0
    builder[lat(0), lat(-1)] = builder[lat(2), lat(1)] = -1.0
    for arm in arms:
        path = [lat(0), *arm, lat(1)]
        for a, b in itertools.pairwise(path):
            builder[b, a] = -1.0

    def threaded(site1, site2, phi):
        return -np.exp(1j * phi)

    builder[upper(0), lat(0)] = threaded
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1.0
    builder.attach_lead(lead)
    builder.attach_lead(lead.reversed())
    return builder.finalized()


def test_aharonov_bohm_visibility_of_an_asymmetric_ring_decays_with_d():
    """Arms of 6 and 10 sites (in a symmetric ring the h/2e point would stay at T = 0 by
    symmetry): the visibility (G_max − G_min)/(G_max + G_min) of G(φ) is complete for the
    coherent ring and falls monotonically as phase-only dephasing grows (Golizadeh-Mojarad &
    Datta: D_ij = d destroys phase memory); at d = 0, G(φ) is Kwant's transmission."""
    fsyst = _asymmetric_ring(6, 10)
    flux = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    visibilities = []
    for d in (0.0, 0.005, 0.02, 0.05, 0.1):
        g = np.array([phase_dephased_conductance(fsyst, 1.0, params={"phi": p}, d=d) for p in flux])
        if d == 0:
            kwant_g = [
                kwant.smatrix(fsyst, 1.0, params={"phi": p}).transmission(1, 0) for p in flux
            ]
            np.testing.assert_allclose(g, kwant_g, atol=1e-12)
        visibilities.append((g.max() - g.min()) / (g.max() + g.min()))
    assert visibilities[0] == pytest.approx(1.0, abs=1e-6)  # a flux with complete reflection
    assert all(a > b for a, b in itertools.pairwise(visibilities))
    assert visibilities[-1] < 0.5 * visibilities[0]


def test_bad_strength_and_size_are_rejected():
    fsyst = systems.chain(3).finalized()
    with pytest.raises(ValueError, match="d must be"):
        phase_dephased_conductance(fsyst, 1.0, d=-0.1)
    with pytest.raises(ValueError, match="dense self-energy"):
        phase_dephased_conductance_matrix(systems.wire(100, 70).finalized(), 1.0, d=0.01)
