"""Fuzzing the solver entry points: every argument, replaced by an adversarial value, gives a
result or a one-line ValueError/TypeError (BandEdgeError is one), never another exception
and never a hang (2 s per example, tests/conftest.py).  Small systems keep each example fast.
Also the reproduced cases of issue 20 that were silently wrong before."""

from __future__ import annotations

import functools

import kwant
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import systems
import workflows


@functools.cache
def chain():
    """Two sites between two chain leads (band 0 < E < 4t, one mode)."""
    return systems.chain(2).finalized()


@functools.cache
def wire():
    """A 3 × 2 strip with field B (two leads)."""
    return systems.wire(3, 2).finalized()


@functools.cache
def dephased_chain():
    """A 3-site chain with a dephasing probe on every site (leads 2, 3, 4)."""
    builder = systems.chain(3)
    systems.attach_dephasing_probes(builder)
    return builder.finalized()


def _bias_matrix():
    # A fresh copy for every example (a function that wrote into its input would not leak
    # into the next one); the solve itself is done once (_solved_bias_matrix).
    return _solved_bias_matrix().copy()


@functools.cache
def _solved_bias_matrix():
    return workflows.conductance_matrix(chain(), 1.0)


#: entry point -> (function, valid arguments as a function of nothing, so systems are lazy).
#: Thermal windows (k_B T = 0.01 t at E = 1 t) stay clear of the band edges, so that a valid
#: example costs a few dozen solves.
ENTRY_POINTS = {
    "conductance_matrix": (
        workflows.conductance_matrix,
        lambda: {"fsyst": wire(), "energy": 1.0, "params": {"B": 0.1}, "blocks": False},
    ),
    "conductance_vs_energy": (
        workflows.conductance_vs_energy,
        lambda: {"fsyst": chain(), "energies": [0.5, 1.0], "source": 0, "sink": 1},
    ),
    "sweep": (
        workflows.sweep,
        lambda: {
            "fsyst": wire(),
            "energy": 1.0,
            "param": "B",
            "values": [0.0, 0.1],
            "method": "auto",
        },
    ),
    "fano_factor": (
        workflows.fano_factor,
        lambda: {"fsyst": chain(), "energy": 1.0, "source": 0, "sink": 1},
    ),
    "scattering_matrix": (
        workflows.scattering_matrix,
        lambda: {"fsyst": chain(), "energy": 1.0, "blocks": False, "method": "auto"},
    ),
    "noise_matrix": (
        workflows.noise_matrix,
        lambda: {
            "fsyst": chain(),
            "energy": 1.0,
            "potentials": [0.01, 0.0],
            "temperature": 0.01,
            "blocks": False,
        },
    ),
    "thermoelectric": (
        workflows.thermoelectric,
        lambda: {
            "fsyst": chain(),
            "energy": 1.0,
            "temperature": 0.01,
            "params": {"V": 0.3},
            "source": 0,
            "sink": 1,
            "phonon_kappa": 0.0,
            "tol": 1e-2,
        },
    ),
    "onsager_matrix": (
        workflows.onsager_matrix,
        lambda: {"fsyst": chain(), "energy": 1.0, "temperature": 0.01, "tol": 1e-2},
    ),
    "heat_transport": (
        workflows.heat_transport,
        lambda: {
            "fsyst": chain(),
            "potentials": {0: 1.0, 1: 1.01},
            "temperatures": {0: 0.01, 1: 0.01},
            "tol": 1e-2,
        },
    ),
    "current_density": (
        workflows.current_density,
        lambda: {"fsyst": wire(), "energy": 1.0, "lead": 0, "block": None},
    ),
    "biased_current_density": (
        workflows.scattering.biased_current_density,
        lambda: {"fsyst": wire(), "energy": 1.0, "voltages": {0: 1.0, 1: 0.0}, "mu_ref": 0.0},
    ),
    "local_density_of_states": (
        workflows.local_density_of_states,
        lambda: {"fsyst": chain(), "energy": 1.0},
    ),
    "local_potential": (
        workflows.scattering.local_potential,
        lambda: {"fsyst": chain(), "energy": 1.0, "voltages": {0: 1.0, 1: 0.0}},
    ),
    "interface_greens_function": (
        workflows.scattering.interface_greens_function,
        lambda: {"fsyst": chain(), "energy": 1.0, "check_hermiticity": True},
    ),
    "dephased_transport": (
        workflows.dephased_transport,
        lambda: {
            "fsyst": dephased_chain(),
            "energy": 1.0,
            "params": {"eta": 0.1},
            "method": "auto",
        },
    ),
    "dephased_conductance": (
        workflows.scattering.dephased_conductance,
        lambda: {"fsyst": dephased_chain(), "energy": 1.0, "params": {"eta": 0.1}},
    ),
    "phase_dephased_conductance": (
        workflows.scattering.phase_dephased_conductance,
        lambda: {"fsyst": chain(), "energy": 1.0, "d": 0.01},
    ),
    "open_modes": (workflows.open_modes, lambda: {"fsyst": wire(), "energy": 1.0, "lead": 0}),
    "two_terminal_conductance": (
        analysis.two_terminal_conductance,
        lambda: {"G": _bias_matrix(), "source": 0, "sink": 1},
    ),
    "solve_bias": (
        analysis.solve_bias,
        lambda: {"G": _bias_matrix(), "voltages": {0: 1.0, 1: 0.0}},
    ),
}


def _four_terminal():
    """A 4 × 4 conductance matrix of a cross in a weak field (rows and columns sum to zero).

    A copy per example of one solve: the matrix-algebra entry points were each paying
    for 25 identical solves of the cross (1.9 s per entry point)."""
    return _solved_four_terminal().copy()


@functools.cache
def _solved_four_terminal():
    return workflows.conductance_matrix(cross(), 0.5, params={"B": 0.02})


@functools.cache
def cross():
    return systems.cross(2, arm_length=1).finalized()


def _bias_solution():
    return analysis.solve_bias(_bias_matrix(), voltages={0: 1.0, 1: 0.0})


ENTRY_POINTS |= {
    "four_terminal_resistance": (
        analysis.four_terminal_resistance,
        lambda: {"G": _four_terminal(), "current": (0, 1), "voltage": (2, 3)},
    ),
    "cross_resistances": (analysis.cross_resistances, lambda: {"G": _four_terminal()}),
    "eliminate_floating_probes": (
        workflows.scattering.eliminate_floating_probes,
        lambda: {"G": _four_terminal(), "probes": [2, 3]},
    ),
    "decoupled_terminals": (analysis.decoupled_terminals, lambda: {"G": _four_terminal()}),
    "entropy_production_rate": (
        analysis.entropy_production_rate,
        lambda: {"solution": _bias_solution(), "temperature": 0.1},
    ),
    "dissipation_table": (
        analysis.dissipation_table,
        lambda: {"solution": _bias_solution(), "temperature": 0.1},
    ),
    "ring_arm_length": (workflows.studies.ring_arm_length, lambda: {"r_in": 3.0, "r_out": 6.0}),
    "fit_ohmic": (
        analysis.fit_ohmic,
        lambda: {"lengths": [10, 20, 30], "resistances": [1.1, 1.2, 1.3]},
    ),
    "ab_oscillations": (
        workflows.ab_oscillations,
        lambda: {"fsyst": ring(), "energy": 1.0, "flux": [0.0, 0.25, 0.5, 0.75]},
    ),
    "resolve_params": (
        systems.resolve_params,
        lambda: {"syst": wire(), "params": {"B": 0.1}, "lead": None},
    ),
    "updated_params": (
        systems.updated_params,
        lambda: {"params": {"B": 0.1}, "values": {"t": 1.0}},
    ),
}


@functools.cache
def ring():
    return systems.ab_ring(2.0, 4.0, 2).finalized()


#: Entry points that integrate over a thermal window: a valid but wide window (k_B T = 1 t
#: spans the band and both its edges) costs ~100 solves, a few seconds on a loaded machine
#: (measured: 3 s for thermoelectric(chain, 1.0, 1.0) at load 7.6 on 2 cores).  Their
#: examples get a longer deadline; the work stays bounded by the grid's max_points.
THERMAL = ("heat_transport", "onsager_matrix", "thermoelectric")


@pytest.mark.parametrize("entry_point", sorted(set(ENTRY_POINTS) - set(THERMAL)))
@given(data=st.data())
def test_every_solver_argument_is_validated(entry_point, data, adversarial, outcome):
    _fuzz_entry_point(entry_point, data, adversarial, outcome)


@pytest.mark.parametrize("entry_point", THERMAL)
@settings(deadline=20_000)
@given(data=st.data())
def test_every_thermal_argument_is_validated(entry_point, data, adversarial, outcome):
    _fuzz_entry_point(entry_point, data, adversarial, outcome)


def _fuzz_entry_point(entry_point, data, adversarial, outcome):
    func, valid = ENTRY_POINTS[entry_point]
    kwargs = valid()
    argument = data.draw(st.sampled_from(sorted(kwargs)), label="argument")
    kwargs[argument] = data.draw(adversarial, label=argument)
    outcome(func, **kwargs)


#: Parameters of mesoflow's builders and the systems that read them.
PARAMETERS = {"t": wire, "V": wire, "B": wire, "disorder": wire, "salt": wire, "eta": None}


@pytest.mark.parametrize("name", ["t", "V", "B", "disorder", "salt"])
@given(data=st.data())
def test_every_parameter_value_is_validated(name, data, adversarial, outcome):
    value = data.draw(adversarial, label=name)
    result = outcome(workflows.conductance_matrix, wire(), 1.0, params={name: value})
    if not isinstance(result, Exception):
        assert np.all(np.isfinite(result))
        assert np.all(np.abs(result.sum(axis=0)) < 1e-9)  # every column sums to zero


# -- the reproduced cases (issue 20) ---------------------------------------------------------


@pytest.mark.parametrize("temperature", [True, "0.01", np.bool_(True)])
def test_thermoelectric_temperature_only_from_real_numbers(temperature):
    with pytest.raises(TypeError, match=r"^temperature must be a finite real number > 0"):
        workflows.thermoelectric(chain(), 1.0, temperature)
    with pytest.raises(TypeError, match=r"^temperatures"):
        workflows.thermoelectric_table(chain(), [1.0], [0.01, temperature])


@pytest.mark.parametrize("temperature", [1e-14, 1e-300, 5e-324])
def test_thermoelectric_at_vanishing_temperature_is_the_sommerfeld_limit(temperature):
    """A clean chain transmits exactly one mode at E = 1 t (𝒯 ≡ 1 across the band): the
    T → 0 limits are G = 1, S = 0 (Mott: ∂ln𝒯/∂E = 0), lorenz = π²/3 (Wiedemann–Franz).
    Before: G = 1.0000103 > N and S = 0.024 at 1e-14, a crash at 1e-300."""
    c = workflows.thermoelectric(chain(), 1.0, temperature)
    assert c.G <= 1.0 + 1e-12  # never above the one open mode (rounding of one solve)
    assert c.G == pytest.approx(1.0, abs=1e-12)
    assert abs(c.S) < 1e-12
    assert c.lorenz == pytest.approx(np.pi**2 / 3, rel=1e-12)
    assert c.kappa == pytest.approx(np.pi**2 / 3 * temperature * c.G, rel=1e-12)


def test_thermoelectric_below_the_floor_follows_mott():
    """A barrier V = 0.5 t on one site of a chain: 𝒯(E) = 1/(1 + (V/(2t sin k))²),
    E = 2t(1 − cos k) (closed form, DESIGN.md).  Below the floor S must equal Mott's
    S = −(π²/3) θ ∂ln𝒯/∂E (Cutler & Mott, Phys. Rev. 181, 1336 (1969)) with ∂ln𝒯/∂E from
    the closed form; the finite difference over the grid next to μ (spacing ~ 1e-7 t) and
    rounding of 𝒯 at ~1e-11 allow 1e-4 relative."""
    fsyst = systems.chain(1).finalized()
    mu, theta, barrier = 1.0, 1e-9, 0.5

    def transmission(energy):
        k = np.arccos(1 - energy / 2)
        return 1 / (1 + (barrier / (2 * np.sin(k))) ** 2)

    h = 1e-5
    dlog = (np.log(transmission(mu + h)) - np.log(transmission(mu - h))) / (2 * h)
    c = workflows.thermoelectric(fsyst, mu, theta, params={"V": barrier})
    assert c.G == pytest.approx(transmission(mu), rel=1e-9)
    assert c.S == pytest.approx(-(np.pi**2 / 3) * theta * dlog, rel=1e-4)
    assert c.lorenz == pytest.approx(np.pi**2 / 3, rel=1e-12)


def test_onsager_matrix_at_vanishing_temperature():
    matrix = workflows.onsager_matrix(chain(), 1.0, 1e-300)
    np.testing.assert_allclose(matrix[:2, :2], [[1, -1], [-1, 1]], atol=1e-12)
    assert np.all(np.isfinite(matrix))


@pytest.mark.parametrize("values", [None, 3, "0.1", {"a": 1}])
def test_sweep_values_must_be_a_collection(values):
    with pytest.raises(
        TypeError, match=r"^values must be a sequence \(a list or array\) of values of 'B'"
    ):
        workflows.sweep(wire(), 1.0, "B", values)


@pytest.mark.parametrize("energy", [1e300, -1e300, 1e16])
def test_energies_beyond_the_representable_range_are_refused(energy):
    with pytest.raises(ValueError, match=r"^energy must be a finite real number in \[-1e\+15"):
        workflows.conductance_matrix(chain(), energy)


@pytest.mark.parametrize("blocks", ["false", 0, None])
def test_blocks_is_a_switch_set_only_by_a_bool(blocks):
    with pytest.raises(TypeError, match=r"^blocks must be True or False"):
        workflows.conductance_matrix(chain(), 1.0, blocks=blocks)


def _user_chain(onsite, hopping):
    """A user's 3-site chain with its own value functions, between two clean chain leads."""
    lat = kwant.lattice.chain(norbs=1)
    builder = kwant.Builder()
    builder[(lat(i) for i in range(3))] = onsite
    builder[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1.0
    builder.attach_lead(lead)
    builder.attach_lead(lead.reversed())
    return builder.finalized()


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e300])
def test_a_value_function_returning_nan_or_inf_is_named_with_its_site(bad):
    """Before: a LinAlgError or MUMPSError deep in the solver."""
    fsyst = _user_chain(lambda site, x: bad if site.tag[0] == 1 else 2.0, -1.0)
    with pytest.raises(ValueError, match=r"^the on-site value of site <Site \[1\]") as error:
        workflows.conductance_matrix(fsyst, 1.0, params={"x": 1})
    assert "\n" not in str(error.value)


def test_a_hopping_returning_nan_is_named_with_both_sites():
    fsyst = _user_chain(2.0, lambda a, b, x: np.nan if {a.tag[0], b.tag[0]} == {1, 2} else -1.0)
    with pytest.raises(ValueError, match=r"^the hopping between sites <Site \[[12]\].*<Site"):
        workflows.conductance_matrix(fsyst, 1.0, params={"x": 1})
