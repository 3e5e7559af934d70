"""The Aharonov–Bohm ring builder: geometry checks and where the flux lives."""

import kwant
import numpy as np
import pytest

import systems


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((8, 6, 2), {}, "r_out must be larger than r_in"),
        ((0, 6, 2), {}, "r_in must be a finite real number > 0"),
        ((4, 6, 0), {}, "lead_width must be an integer number of sites >= 1"),
        ((4, 6, 14), {}, "wider than the ring"),
        ((2, 9, 6), {"four_leads": True}, "narrower than the hole"),
    ],
)
def test_ab_ring_rejects_bad_geometry(args, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        systems.ab_ring(*args, **kwargs)


def test_ab_ring_has_two_or_four_leads():
    assert len(systems.ab_ring(5, 9, 3).leads) == 2
    assert len(systems.ab_ring(5, 9, 3, four_leads=True).leads) == 4


def test_only_the_bonds_across_the_cut_know_the_flux():
    """A whole flux quantum is a gauge transformation: G(φ = 1) = G(0) exactly,
    and the leads (plain hoppings) see no vector potential at all."""
    fsyst = systems.ab_ring(5, 9, 3).finalized()
    assert "phi" in fsyst.parameters
    assert all("phi" not in lead.parameters for lead in fsyst.leads)
    params = {"t": 1.0, "V": 0.0, "disorder": 0.0, "salt": "0"}
    g0 = kwant.smatrix(fsyst, 1.0, params={**params, "phi": 0.0}).conductance_matrix()
    g1 = kwant.smatrix(fsyst, 1.0, params={**params, "phi": 1.0}).conductance_matrix()
    g_half = kwant.smatrix(fsyst, 1.0, params={**params, "phi": 0.5}).conductance_matrix()
    assert np.abs(g1 - g0).max() < 1e-12
    assert np.abs(g_half - g0).max() > 1e-3  # and half a quantum does change G


def test_a_ring_too_thin_to_be_connected_is_refused():
    # 25 <= x² + y² <= 27.04 holds only on isolated lattice points: no current could flow
    with pytest.raises(ValueError, match=r"do not form one connected region.*make the ring wider"):
        systems.ab_ring(5, 5.2, 2)
    systems.ab_ring(5, 6.5, 2)  # a ring one and a half lattice constants wide is fine


@pytest.mark.parametrize("r_out", [np.inf, np.nan])
def test_ab_ring_refuses_an_infinite_radius(r_out):
    with pytest.raises(ValueError, match="r_out must be"):
        systems.ab_ring(5, r_out, 4)
