"""Andreev conductances against closed forms (Beenakker, BTK) and current conservation.

Every system is plain Kwant: BdG chains and strips in the style of Kwant's
superconductor tutorial (normal leads with ``conservation_law=-tau_z,
particle_hole=tau_y``, superconducting leads without a conservation law).
"""

from __future__ import annotations

import kwant
import numpy as np
import pytest
import scipy.integrate
import tinyarray

from workflows import andreev_conductance

TAU_X = tinyarray.array([[0, 1], [1, 0]])
TAU_Y = tinyarray.array([[0, -1j], [1j, 0]])
TAU_Z = tinyarray.array([[1, 0], [0, -1]])


def _normal_bdg_lead(lat, symmetry, onsite, hopping, sites):
    lead = kwant.Builder(symmetry, conservation_law=-TAU_Z, particle_hole=TAU_Y)
    lead[sites] = onsite
    lead[lat.neighbors()] = hopping
    return lead


def btk_chain(barrier, delta, mu=2.0, n_normal=4):
    """1D BdG chain (t = 1): normal sites, a one-site barrier U last, then an S lead."""
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(n_normal))] = (2 - mu) * TAU_Z
    syst[lat(n_normal - 1)] = (2 - mu + barrier) * TAU_Z
    syst[lat.neighbors()] = -TAU_Z
    syst.attach_lead(
        _normal_bdg_lead(lat, kwant.TranslationalSymmetry((-1,)), (2 - mu) * TAU_Z, -TAU_Z, lat(0))
    )
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    s_lead[lat(0)] = (2 - mu) * TAU_Z + delta * TAU_X
    s_lead[lat.neighbors()] = -TAU_Z
    syst.attach_lead(s_lead)
    return syst.finalized()


def btk_conductance(energy, delta, z):
    """BTK G = 1 + A − B (e²/h, one channel), Blonder, Tinkham & Klapwijk, PRB 25, 4515
    (1982), Table II."""
    energy = abs(energy)
    if energy < delta:
        a = delta**2 / (energy**2 + (delta**2 - energy**2) * (1 + 2 * z**2) ** 2)
        return 1 + a - (1 - a)
    u2 = 0.5 * (1 + np.sqrt((energy**2 - delta**2) / energy**2))
    v2 = 1 - u2
    gamma2 = (u2 + z**2 * (u2 - v2)) ** 2
    return 1 + u2 * v2 / gamma2 - (u2 - v2) ** 2 * z**2 * (1 + z**2) / gamma2


DELTA = 1e-3


@pytest.mark.parametrize("barrier", [0.0, 1.0, 3.0])
def test_btk_conductance_inside_and_outside_the_gap(barrier):
    """G(V) of a single-channel NS interface against BTK, Z = U/(2t sin k_F) = U/2 at μ = 2t.

    The chain is BTK's model up to the Andreev approximation: corrections are of order
    Δ/μ = 1e-3 (band curvature over eV ≤ 3Δ, phase over the one site between barrier and S),
    so 1 % is a safe bound that still tells BTK's Z-dependence apart (G(0) changes by
    factors of 2 to 50 between the barriers).
    """
    z = barrier / 2.0
    fsyst = btk_chain(barrier, DELTA)
    biases = DELTA * np.array([0.0, 0.3, 0.9, 1.2, 2.0, 3.0])
    result = andreev_conductance(fsyst, biases)
    expected = [btk_conductance(e, DELTA, z) for e in biases]
    np.testing.assert_allclose(result.conductance[:, 0, 0], expected, rtol=1e-2)
    # the current from the superconductor (current operator) balances the normal lead's
    np.testing.assert_allclose(result.superconductor[:, 0], -result.conductance[:, 0, 0], atol=1e-9)


def test_thermal_smearing_against_the_smeared_btk_curve():
    """At k_B T = Δ/2, G(V) = ∫ dE (−f'(E − eV)) G_BTK(E), integrated here by scipy.quad.

    Tolerance 1 %: the BTK kernel itself agrees to ~1e-3 (test above), and the trapezoid
    rule at step k_B T/2 on this transparent (Z = 0) interface adds ~1e-3 (its square-root
    cusp at Δ; measured on the closed form).
    """
    temperature = DELTA / 2
    fsyst = btk_chain(0.0, DELTA)
    biases = DELTA * np.array([0.9])
    result = andreev_conductance(
        fsyst, biases, temperature=temperature, energy_step=temperature / 2
    )

    def smeared(v):
        def integrand(e):
            x = (e - v) / (2 * temperature)
            return btk_conductance(e, DELTA, 0.0) / (4 * temperature * np.cosh(x) ** 2)

        lo, hi = v - 30 * temperature, v + 30 * temperature
        return scipy.integrate.quad(integrand, lo, hi, points=[-DELTA, DELTA], limit=200)[0]

    expected = [smeared(v) for v in biases]
    np.testing.assert_allclose(result.conductance[:, 0, 0], expected, rtol=1e-2)
    # and it differs from T = 0 (G = 2) by far more than the tolerance: the test can fail
    assert abs(expected[0] - 2.0) > 0.1
