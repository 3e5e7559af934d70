"""Fuzzing the builders: every argument, replaced by an adversarial value, gives a builder or
a one-line ValueError/TypeError, never another exception and never a hang (the Hypothesis
profile of tests/conftest.py: 2 s per example).  Also the reproduced cases of issue 20 that
were silently wrong before."""

from __future__ import annotations

import kwant
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import systems
from workflows import conductance_matrix

#: Each builder with small valid arguments; ``max_sites`` keeps every example small (a valid
#: size drawn by the fuzzer builds at most this many sites, so no example is slow).
BUILDERS = {
    "chain": (systems.chain, {"length": 3, "max_sites": 2000}),
    "wire": (systems.wire, {"length": 3, "width": 2, "max_sites": 2000}),
    "qpc": (
        systems.qpc,
        {"length": 6, "width": 4, "gate_length": 2.0, "gap": 2.0, "depth": 2.0, "max_sites": 2000},
    ),
    "hall_bar": (
        systems.hall_bar,
        {"length": 12, "width": 4, "lead_width": 2, "arm_length": 1, "max_sites": 2000},
    ),
    "cross": (systems.cross, {"width": 2, "arm_length": 1, "max_sites": 2000}),
    "ab_ring": (
        systems.ab_ring,
        {"r_in": 2.0, "r_out": 4.0, "lead_width": 2, "four_leads": False, "max_sites": 2000},
    ),
}
CASES = [(name, argument) for name, (_, kwargs) in BUILDERS.items() for argument in kwargs]


@pytest.mark.parametrize(("builder", "argument"), CASES)
@given(data=st.data())
def test_every_builder_argument_is_validated(builder, argument, data, adversarial, outcome):
    build, kwargs = BUILDERS[builder]
    value = data.draw(adversarial, label=argument)
    if argument == "max_sites" and value is None:
        value = 2000  # None lifts the limit: the other arguments are small anyway
    result = outcome(build, **{**kwargs, argument: value})
    if not isinstance(result, Exception):
        assert isinstance(result, kwant.Builder)
        assert len(result.leads) >= 2


@given(data=st.data())
def test_attach_dephasing_probes_validates_sites_and_param(data, adversarial, outcome):
    builder = systems.chain(3)
    argument = data.draw(st.sampled_from(["builder", "sites", "param"]))
    kwargs = {"builder": builder, "sites": "all", "param": "eta"}
    kwargs[argument] = data.draw(adversarial, label=argument)
    result = outcome(systems.attach_dephasing_probes, **kwargs)
    if not isinstance(result, Exception):
        assert all(isinstance(index, int) for index in result)


UNIT_CONVERSIONS = [
    "energy_in_t",
    "energy_meV",
    "fermi_energy",
    "fermi_energy_from_density",
    "length_in_a",
    "length_nm",
    "sites",
    "flux_per_plaquette",
    "field_tesla",
    "magnetic_length_nm",
    "temperature_in_t",
    "temperature_kelvin",
    "conductance_siemens",
    "conductance_in_e2h",
    "resistance_ohm",
    "resistance_in_h_e2",
]


@given(data=st.data())
def test_units_validate_their_scales_and_inputs(data, adversarial, outcome):
    argument = data.draw(st.sampled_from(["lattice_constant_nm", "effective_mass", "degeneracy"]))
    kwargs = {"lattice_constant_nm": 10.0, "effective_mass": 0.067, "degeneracy": 2}
    kwargs[argument] = data.draw(adversarial, label=argument)
    units = outcome(systems.Units, **kwargs)
    if not isinstance(units, Exception):
        assert units.t_meV > 0 and np.isfinite(units.t_meV)
    method = data.draw(st.sampled_from(UNIT_CONVERSIONS))
    outcome(getattr(systems.Units(10.0, effective_mass=0.067), method), data.draw(adversarial))


# -- the reproduced cases (issue 20): each was silently wrong or a traceback before -----------


@pytest.mark.parametrize("value", ["false", "False", 0, 1, None, np.int64(1)])
def test_four_leads_is_a_switch_set_only_by_a_bool(value):
    with pytest.raises(TypeError, match=r"^four_leads must be True or False, got "):
        systems.ab_ring(3, 6, 2, four_leads=value)
    assert len(systems.ab_ring(3, 6, 2, four_leads=np.bool_(False)).leads) == 2


@pytest.mark.parametrize("r_out", [1e200, 1e10])
def test_a_huge_ring_is_refused_before_building_with_its_site_count(r_out):
    with pytest.raises(ValueError, match=r"more than any Kwant system can hold") as error:
        systems.ab_ring(3, r_out, 2, max_sites=None)
    assert "sites" in str(error.value) and "\n" not in str(error.value)
    # r_out = 1e10 is ≈ π·1e20 sites: the estimate is in the message.
    if r_out == 1e10:
        assert "about 3.14e+20 sites" in str(error.value)


def test_no_builder_makes_more_sites_than_kwant_can_number():
    """Kwant numbers sites with 32-bit ints: max_sites=None cannot lift that."""
    with pytest.raises(ValueError, match=r"about 1e\+20 sites, more than any Kwant system"):
        systems.chain(10**20, max_sites=None)


@pytest.mark.parametrize("name", ["gate_length", "gap", "depth"])
def test_qpc_gate_sizes_are_bounded(name):
    with pytest.raises(ValueError, match=rf"^{name} must be a finite real number in \(0, 1e\+09\)"):
        systems.qpc(6, 4, **{name: 1e300})


@pytest.mark.parametrize("field", [1e300, 1e7])
def test_a_field_whose_peierls_phase_has_no_digits_left_is_refused(field):
    """B = 1e300 gave G = 2.5e-39 on a clean wire; now refused, naming B, the hopping and
    the remedy (the phases are 2πB × integer on the square lattice: period 1 in B)."""
    fsyst = systems.wire(3, 3).finalized()
    with pytest.raises(ValueError, match=r"B") as error:
        conductance_matrix(fsyst, 1.0, params={"B": field})
    message = str(error.value)
    assert "\n" not in message and "modulo 1" in message
    if field == 1e7:  # within the parameter's bounds: refused by the phase on a hopping
        assert "Peierls phase of" in message and "the hopping (" in message


def test_the_field_limit_is_the_phase_not_the_field():
    """B = 1e6 on a 3-site-wide wire keeps 1e8 rad; G equals that of B mod 1 = 0.

    Both are the same gauge class (phases 2π·1e6·integer), so G must agree to rounding of a
    phase of 4e7 rad (ε·4e7 ≈ 1e-8 rad → G differences ≪ 1e-6)."""
    fsyst = systems.wire(3, 3).finalized()
    large = conductance_matrix(fsyst, 1.0, params={"B": 1e6})
    reduced = conductance_matrix(fsyst, 1.0, params={"B": 0.0})
    np.testing.assert_allclose(large, reduced, atol=1e-6)


def test_a_flux_whose_phase_has_no_digits_left_is_refused():
    fsyst = systems.ab_ring(3, 6, 2).finalized()
    with pytest.raises(ValueError, match=r"parameter 'phi' .* pass phi modulo 1"):
        conductance_matrix(fsyst, 1.0, params={"phi": 1e9})


@pytest.mark.parametrize(("name", "value"), [("t", 1e300), ("V", 1e300), ("disorder", 1e20)])
def test_energies_beyond_the_representable_range_are_refused(name, value):
    fsyst = systems.wire(3, 2).finalized()
    with pytest.raises(ValueError, match=rf"^parameter '{name}' .*1e\+15"):
        conductance_matrix(fsyst, 1.0, params={name: value})
