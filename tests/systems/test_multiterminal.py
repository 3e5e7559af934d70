"""Hall bar and cross builders: lead count, argument checks, gauge consistency."""

import kwant
import numpy as np
import pytest

import systems
from workflows import conductance_matrix


def test_hall_bar_has_six_leads_and_cross_four():
    assert len(systems.hall_bar(30, 10, 4).leads) == 6
    assert len(systems.cross(6).leads) == 4
    assert len(systems.HALL_BAR_LEADS) == 6
    assert len(systems.CROSS_LEADS) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((30, 10, 12), "wider than the bar"),
        ((30, 0, 4), "width must be an integer number of sites >= 1"),
        ((8, 10, 4), "does not fit twice"),
    ],
)
def test_hall_bar_rejects_bad_geometry(args, message):
    with pytest.raises(ValueError, match=message):
        systems.hall_bar(*args)


def test_cross_rejects_bad_width():
    with pytest.raises(ValueError, match="width"):
        systems.cross(0)


def test_lead_bands_are_gauge_consistent_in_a_field():
    """Every lead of the Hall bar, whatever its direction, sees the same Landau levels.

    In a uniform field the band structure of a lead does not depend on its
    direction; a gauge inconsistent with the scattering region would also break
    current conservation, checked by the sum rules of the conductance matrix.
    """
    fsyst = systems.hall_bar(30, 10, 10 // 2).finalized()
    params = {"B": 0.06}
    energy = 0.6
    full_width = {0, 1}
    counts = [
        kwant.smatrix(fsyst, energy, params={**systems.NEUTRAL_PARAMS, **params}).num_propagating(i)
        for i in range(6)
    ]
    assert counts[0] == counts[1]
    assert len(set(counts[2:])) == 1
    G = conductance_matrix(fsyst, energy, params=params)
    assert np.abs(G.sum(axis=0)).max() < 1e-10
    assert np.abs(G.sum(axis=1)).max() < 1e-10
    assert full_width  # the current leads span the full width


def test_field_enters_the_leads_as_flux_per_plaquette():
    """A clean wire in a field transmits perfectly: no gauge mismatch at the leads."""
    fsyst = systems.wire(10, 8).finalized()
    for B in (0.05, -0.08):
        smatrix = kwant.smatrix(fsyst, 0.9, params={**systems.NEUTRAL_PARAMS, "B": B})
        assert smatrix.transmission(1, 0) == pytest.approx(smatrix.num_propagating(0), abs=1e-9)


@pytest.mark.parametrize(
    ("args", "advice", "fixed"),
    [
        ((2, 1, 1), "use length >= 5", [(5, 1, 1)]),
        ((8, 4, 3), "use lead_width <= 2 or length >= 9", [(8, 4, 2), (9, 4, 3)]),
    ],
)
def test_hall_bar_advice_is_a_geometry_that_builds(args, advice, fixed):
    with pytest.raises(ValueError, match=advice):
        systems.hall_bar(*args)
    for good in fixed:
        assert len(systems.hall_bar(*good).leads) == 6
