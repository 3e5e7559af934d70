"""Peierls phases: our mixed Landau gauge against Kwant's own magnetic_gauge.

A gauge is a choice; physics is not.  Each multi-terminal builder is rebuilt with
hoppings whose phases come from :func:`kwant.physics.magnetic_gauge` (an
independent construction that handles leads in any direction), and the two
conductance matrices must agree at the same flux per plaquette.
"""

import kwant
import numpy as np
import pytest

import systems
from workflows import conductance_matrix


def _gauge_hopping(site_to, site_from, t, peierls):
    return -t * peierls(site_to, site_from)


def _with_kwant_gauge(builder: kwant.Builder) -> kwant.system.FiniteSystem:
    for hopping in list(builder.hoppings()):
        builder[hopping] = _gauge_hopping
    for i, lead in enumerate(builder.leads):
        for hopping in list(lead.builder.hoppings()):
            lead.builder[hopping] = _gauge_hopping
        lead.builder = lead.builder.substituted(peierls=f"peierls_lead{i}")
    return builder.finalized()


def _plaquette_phase(fsyst, phases) -> float:
    """Phase (in units of 2π) collected counter-clockwise around one plaquette."""
    by_position = {tuple(np.round(site.pos).astype(int)): site for site in fsyst.sites}
    a, b, c, d = (by_position[p] for p in ((1, 1), (2, 1), (2, 2), (1, 2)))
    # phases(i, j) multiplies the hopping from j to i.
    product = phases(b, a) * phases(c, b) * phases(d, c) * phases(a, d)
    return float(np.angle(product) / (2 * np.pi))


@pytest.mark.parametrize(
    "make",
    [lambda: systems.hall_bar(24, 8, 4), lambda: systems.cross(6)],
    ids=["hall_bar", "cross"],
)
def test_mixed_landau_gauge_agrees_with_kwant_magnetic_gauge(make):
    ours = make().finalized()
    reference = _with_kwant_gauge(make())
    gauge = kwant.physics.magnetic_gauge(reference)
    # Calibrate Kwant's field unit and sign on one plaquette, then compare at equal flux.
    per_unit_field = _plaquette_phase(reference, gauge(0.1, *[0.1] * len(reference.leads))[0]) / 0.1

    def potential(x, y):
        return 0.4 * np.sin(1.3 * x + 0.7 * y)  # breaks every spatial symmetry

    for B in (0.03, -0.05, 0.08):
        kwant_field = B / per_unit_field
        phases = gauge(kwant_field, *[kwant_field] * len(reference.leads))
        params = dict(t=1.0, V=potential, disorder=0.0, salt="0", peierls=phases[0])
        params.update({f"peierls_lead{i}": p for i, p in enumerate(phases[1:])})
        assert _plaquette_phase(reference, phases[0]) == pytest.approx(B, abs=1e-12)
        expected = kwant.smatrix(reference, 0.6, params=params).conductance_matrix()
        G = conductance_matrix(ours, 0.6, params={"B": B, "V": potential})
        assert np.abs(G - expected).max() < 1e-10


def test_landau_levels_of_a_lead_follow_the_flux_per_plaquette():
    """Lowest Landau levels of the square lattice: E_n ≈ 4πBt(n + 1/2) for small B.

    At B = 0.02 (in h/e per plaquette) the levels sit near 0.126, 0.377, 0.628,
    0.880 t (lattice corrections are below 1% of the spacing here); between them
    the lead's number of open channels counts the filled levels.
    """
    fsyst = systems.wire(4, 60).finalized()
    params = {**systems.NEUTRAL_PARAMS, "B": 0.02}
    del params["phi"], params["eta"]
    for energy, filled in ((0.25, 1), (0.5, 2), (0.75, 3)):
        propagating, _ = fsyst.leads[0].modes(energy, params=params)
        assert propagating.velocities.size // 2 == filled
