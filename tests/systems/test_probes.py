"""Dephasing probes as builder leads: site selection, lead order, self-energy, input errors."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import systems
from systems.probes import WideBandSelfEnergy, dephasing_probe_leads, is_dephasing_probe


def test_probes_on_every_site_follow_the_real_leads_in_position_order():
    builder = systems.wire(4, 3)
    leads = systems.attach_dephasing_probes(builder)
    assert leads == list(range(2, 2 + 12))
    fsyst = builder.finalized()
    assert dephasing_probe_leads(fsyst) == leads
    assert not is_dephasing_probe(fsyst.leads[0])
    positions = [tuple(fsyst.sites[fsyst.lead_interfaces[i][0]].pos) for i in leads]
    assert positions == sorted(positions)
    assert len(set(positions)) == 12


def test_region_and_list_selections():
    builder = systems.wire(6, 2)
    first = systems.attach_dephasing_probes(builder, lambda pos: pos[0] >= 4)
    assert len(first) == 4
    lat = next(iter(builder.sites())).family
    second = systems.attach_dephasing_probes(builder, [lat(1, 1), lat(0, 0)], param="eta2")
    assert second == [6, 7]
    fsyst = builder.finalized()
    assert [tuple(fsyst.sites[fsyst.lead_interfaces[i][0]].tag) for i in second] == [
        (1, 1),
        (0, 0),
    ]
    assert {"eta", "eta2"} <= systems.parameter_names(fsyst)


def test_self_energy_is_minus_i_eta_over_two_with_a_coupling_of_position():
    builder = systems.chain(5)
    leads = systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()

    def eta(x):
        return 0.1 * x

    for lead in leads:
        x = fsyst.sites[fsyst.lead_interfaces[lead][0]].pos[0]
        sigma = fsyst.leads[lead].selfenergy(1.0, params={"eta": eta})
        np.testing.assert_allclose(sigma, [[-0.05j * x]], atol=1e-15)
    sigma = fsyst.leads[leads[2]].selfenergy(0.3, params={"eta": 0.4})
    np.testing.assert_allclose(sigma, [[-0.2j]])


def test_several_orbitals_get_eta_on_each():
    lat = kwant.lattice.chain(norbs=2)
    builder = kwant.Builder()
    builder[(lat(x) for x in range(3))] = np.eye(2)
    builder[lat.neighbors()] = -np.eye(2)
    (lead,) = systems.attach_dephasing_probes(builder, [lat(1)])
    sigma = builder.finalized().leads[lead].selfenergy(0.0, params={"eta": 0.3})
    np.testing.assert_allclose(sigma, -0.15j * np.eye(2))


@pytest.mark.parametrize(
    ("value", "error"), [(-0.1, ValueError), (np.nan, ValueError), (0.1j, TypeError)]
)
def test_bad_coupling_values_are_rejected(value, error):
    selfenergy = WideBandSelfEnergy("eta", (0.0,), 1)
    with pytest.raises(error, match="eta"):
        selfenergy(0.0, params={"eta": value})
    with pytest.raises(ValueError, match="'eta'"):
        selfenergy(0.0, params={})


def test_bad_arguments_name_the_argument():
    builder = systems.chain(3)
    lat = next(iter(builder.sites())).family
    with pytest.raises(ValueError, match="'every'"):
        systems.attach_dephasing_probes(builder, "every")
    with pytest.raises(TypeError, match=r"\[Site"):
        systems.attach_dephasing_probes(builder, lat(0))
    with pytest.raises(TypeError, match="iterable"):
        systems.attach_dephasing_probes(builder, 3)
    with pytest.raises(ValueError, match="not in the scattering region"):
        systems.attach_dephasing_probes(builder, [lat(7)])
    with pytest.raises(ValueError, match="more than once"):
        systems.attach_dephasing_probes(builder, [lat(0), lat(0)])
    with pytest.raises(ValueError, match="no site selected"):
        systems.attach_dephasing_probes(builder, lambda pos: False)
    with pytest.raises(ValueError, match="param"):
        systems.attach_dephasing_probes(builder, param="not a name")
    with pytest.raises(ValueError, match="standard name"):
        systems.attach_dephasing_probes(builder, param="t")
    with pytest.raises(TypeError, match="finite system"):
        systems.attach_dephasing_probes(builder.finalized())
    assert len(builder.leads) == 2  # nothing was attached by the failed calls


def test_a_second_probe_on_a_site_is_refused_unless_it_has_its_own_coupling():
    builder = systems.wire(4, 2)
    first = systems.attach_dephasing_probes(builder, "all")
    site = sorted(builder.sites(), key=lambda s: tuple(s.pos))[3]
    with pytest.raises(ValueError, match=r"already has a dephasing probe with coupling 'eta'"):
        systems.attach_dephasing_probes(builder, [site])
    assert len(builder.leads) == 2 + len(first)  # nothing was added
    assert systems.attach_dephasing_probes(builder, [site], param="eta_2") == [2 + len(first)]
