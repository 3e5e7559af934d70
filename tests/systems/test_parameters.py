"""systems.parameters: Kwant's rules for the user's parameters, neutral values only for mesoflow's.

Every check here is against Kwant itself (what plain Kwant raises or
computes), or against the rule (docs/architecture.md) that no parameter of a user's value
function ever gets a value the user did not pass.
"""

import kwant
import numpy as np
import pytest

import systems
from systems import SharedParams, parameter_owners, resolve_params

SIGMA_0 = np.eye(2)
SIGMA_Y = np.array([[0, -1j], [1j, 0]])
SIGMA_Z = np.diag([1.0, -1.0])


def spin_orbit_wire(length=6, width=3):
    """Kwant tutorial style (spin-orbit wire): the Zeeman term is the user's own ``B``."""
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, t, B):
        return 4 * t * SIGMA_0 + B * SIGMA_Z

    def hopping_x(a, b, t, alpha):
        return -t * SIGMA_0 + 1j * alpha * SIGMA_Y

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat, lat)] = hopping_x
    syst[kwant.builder.HoppingKind((0, 1), lat, lat)] = lambda a, b, t: -t * SIGMA_0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = onsite
    lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = hopping_x
    lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = lambda a, b, t: -t * SIGMA_0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_owners_of_a_mesoflow_system_and_of_a_user_system():
    ring = systems.ab_ring(4, 7, 2).finalized()
    owners = parameter_owners(ring)
    assert set(owners.mesoflow) == {"t", "V", "phi", "disorder", "salt"}
    assert owners.user == frozenset()
    user = parameter_owners(spin_orbit_wire())
    assert user.mesoflow == {}
    assert user.user == {"t", "B", "alpha"}


def test_a_user_parameter_with_a_standard_name_gets_no_default():
    """The silent fill of the issue: the user's Zeeman ``B`` left out. Kwant raises; so must we."""
    fsyst = spin_orbit_wire()
    with pytest.raises(TypeError):  # plain Kwant refuses too
        kwant.smatrix(fsyst, 0.5, params={"t": 1.0, "alpha": 0.2})
    with pytest.raises(ValueError, match=r"missing value\(s\) for parameter\(s\) \['B'\]"):
        resolve_params(fsyst, {"t": 1.0, "alpha": 0.2})
    with pytest.raises(ValueError, match=r"\['B', 't'\]"):
        resolve_params(fsyst, {"alpha": 0.2})  # t is the user's too: no default either


def test_function_valued_v_of_the_user_is_not_replaced_by_a_number():
    lat = kwant.lattice.chain(norbs=1)

    def onsite(site, V):
        return 2 + V(site.pos[0])

    syst = kwant.Builder()
    syst[(lat(x) for x in range(4))] = onsite
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    fsyst = syst.finalized()
    with pytest.raises(ValueError, match=r"\['V'\]"):
        resolve_params(fsyst, {})
    params = {"V": lambda x: 0.1 * x}
    assert resolve_params(fsyst, params) == params


@pytest.mark.parametrize(
    "value",
    [
        np.array([0.1, 0.2]),  # B as an array
        np.array([[0.3, 0.0], [0.0, -0.3]]),  # as a matrix
        -2.5,  # negative
        lambda x: x,  # a function
        1j,  # complex
    ],
    ids=["array", "matrix", "negative", "function", "complex"],
)
def test_any_value_is_accepted_for_a_name_only_the_user_reads(value):
    resolved = resolve_params(spin_orbit_wire(), {"t": 1.0, "alpha": 0.2, "B": value})
    assert resolved["B"] is value


def test_user_t_may_be_a_complex_matrix_and_disorder_negative():
    lat = kwant.lattice.chain(norbs=2)

    def hop(a, b, t):
        return -t

    def onsite(site, disorder):
        return disorder * SIGMA_Z

    syst = kwant.Builder()
    syst[(lat(x) for x in range(3))] = onsite
    syst[lat.neighbors()] = hop
    fsyst = syst.finalized()
    t = np.array([[1.0, 0.1j], [-0.1j, 1.0]])
    assert resolve_params(fsyst, {"t": t, "disorder": -1.0})["t"] is t


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("t", 0.0, r"parameter 't' must be a finite real number in \[1e-15, 1e\+15\]"),
        ("t", float("nan"), r"parameter 't' must be a finite real number in \[1e-15, 1e\+15\]"),
        ("t", 1e300, r"parameter 't' must be a finite real number in \[1e-15, 1e\+15\]"),
        ("t", 5e-324, r"parameter 't' must be a finite real number in \[1e-15, 1e\+15\]"),
        ("phi", float("inf"), r"parameter 'phi' must be a finite real number"),
        ("disorder", -0.5, r"parameter 'disorder' must be a finite real number in \[0, 1e\+15\]"),
        ("V", float("nan"), r"parameter .V. must be a finite real number in \[-1e\+15, 1e\+15\]"),
    ],
)
def test_mesoflow_parameters_are_checked(name, value, message):
    ring = systems.ab_ring(4, 7, 2).finalized()
    with pytest.raises(ValueError, match=message):
        resolve_params(ring, {name: value})
    with pytest.raises(TypeError, match="parameter 'phi' must be a finite real number"):
        resolve_params(ring, {"phi": np.array([0.1])})


def test_mesoflow_eta_is_checked_and_defaulted():
    builder = systems.chain(4)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    assert resolve_params(fsyst)["eta"] == 0.0
    with pytest.raises(ValueError, match="parameter 'eta' must be"):
        resolve_params(fsyst, {"eta": float("nan")})


def test_typo_protection_and_shared_params_across_a_family():
    plain = systems.chain(5)
    with_probes = systems.chain(5)
    systems.attach_dephasing_probes(with_probes)
    plain, with_probes = plain.finalized(), with_probes.finalized()
    with pytest.raises(ValueError, match=r"unknown parameter name\(s\) \['eta'\].*SharedParams"):
        resolve_params(plain, {"eta": 0.1})
    shared = SharedParams({"eta": 0.1, "V": 0.0}, family=[plain, with_probes])
    assert resolve_params(plain, shared)["V"] == 0.0
    assert resolve_params(with_probes, shared)["eta"] == 0.1
    with pytest.raises(ValueError, match=r"\['etta'\]: no system of the family"):
        SharedParams({"etta": 0.1}, family=[plain, with_probes])
    # a lead alone needs only what it reads; the shared dict serves it too
    lead = plain.leads[0]
    assert resolve_params(lead, shared)["t"] == 1.0
    assert systems.updated_params(shared, {"V": 0.2}) == SharedParams(eta=0.1, V=0.2)
    assert isinstance(systems.updated_params(shared, {"V": 0.2}), SharedParams)


def test_lead_resolution_asks_only_for_the_lead_parameters():
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(3))] = lambda site, U: 2 + U
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = lambda site, mu_lead: 2 - mu_lead
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    fsyst = syst.finalized()
    assert resolve_params(fsyst, {"mu_lead": 0.0}, lead=0) == {"mu_lead": 0.0}
    with pytest.raises(ValueError, match=r"unknown parameter name\(s\) \['u'\]"):
        resolve_params(fsyst, {"mu_lead": 0.0, "u": 1}, lead=0)


def test_a_name_the_user_reads_in_the_region_gets_no_default_in_a_lead():
    """mesoflow's leads read ``t``; a user's onsite in the region reads it too: no default."""
    builder = systems.wire(4, 3)
    for site in list(builder.sites()):
        builder[site] = lambda site, t, V: 4 * t + V  # the user's own value function
    fsyst = builder.finalized()
    with pytest.raises(ValueError, match=r"\['V', 't'\]"):
        resolve_params(fsyst, {})
    with pytest.raises(ValueError, match=r"\['t'\].*your own value function"):
        resolve_params(fsyst, {}, lead=0)  # the lead alone: t is still the user's
    assert resolve_params(fsyst, {"t": 2.0, "V": 0.0}, lead=0)["t"] == 2.0
