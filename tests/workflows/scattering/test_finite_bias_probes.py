"""Dephasing, voltage and voltage–temperature probes at finite bias (finite_bias_probes)."""

from __future__ import annotations

import numpy as np
import pytest

import analysis
import systems
import workflows

# systems.chain: on-site 2t, band [0, 4]; at its centre E = 2 the group velocity is
# stationary, so G(E) of the probe network is nearly energy-independent across a small
# bias window (the premise of the Wiedemann–Franz profile).
CENTRE = 2.0


@pytest.fixture(scope="module")
def probed_chain():
    builder = systems.chain(10)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    params = dict(eta=0.3)
    fractions = workflows.dephased_transport(fsyst, CENTRE, params=params).potentials[:, 0]
    return fsyst, params, fractions


def test_elastic_probes_give_the_double_step_with_the_linear_response_heights(probed_chain):
    # f_p(E) = h_p f_L + (1 − h_p) f_R (Nagaev, Phys. Lett. A 169, 103 (1992); Pothier et
    # al., PRL 79, 3490 (1997)).  The step height h_p(E) = (f_p − f_R)/(f_L − f_R), read
    # off the finite-bias distribution, equals each probe's voltage fraction of the
    # linear-response solver at that energy.  Tolerance 1e-7: G(E) is interpolated to
    # tol = 1e-9 (e²/h) and h is a ratio of G's of order 0.1.
    fsyst, params, _ = probed_chain
    mus, temperature = np.array([CENTRE + 0.05, CENTRE - 0.05]), 0.005
    result = workflows.finite_bias_probes(
        fsyst, mu=mus, temperature=temperature, params=params, model="dephasing"
    )
    f_left, f_right = (1 / (1 + np.exp((result.energies[:, None] - mus) / temperature))).T
    for energy in (CENTRE - 0.03, CENTRE, CENTRE + 0.02):
        k = int(np.argmin(np.abs(result.energies - energy)))
        heights = (result.probe_distribution[k] - f_right[k]) / (f_left[k] - f_right[k])
        expected = workflows.dephased_transport(
            fsyst, result.energies[k], params=params
        ).potentials[:, 0]
        np.testing.assert_allclose(heights, expected, atol=1e-7)
    # Current conservation at every energy (elastic probes) and in total.
    assert result.residual < 1e-12
    assert abs(result.currents.sum()) < 1e-12
    np.testing.assert_allclose(result.heat_currents[result.probes], 0.0)


def test_hot_probes_follow_the_wiedemann_franz_temperature_profile(probed_chain):
    # T_p² = T_0² + (3/π²)(eV)² h_p (1 − h_p) (Nagaev, PRB 52, 4740 (1995); Kozub and
    # Rudin, PRB 52, 7853 (1995)), exact for energy-independent transmissions; at the band
    # centre the residual energy dependence is second order.  eV = 0.02 t, to 1e-3.
    fsyst, params, fractions = probed_chain
    bias, t0 = 0.02, 0.002
    result = workflows.finite_bias_probes(
        fsyst,
        mu=[CENTRE + bias / 2, CENTRE - bias / 2],
        temperature=t0,
        params=params,
        model="hot",
    )
    expected = np.sqrt(t0**2 + 3 / np.pi**2 * bias**2 * fractions * (1 - fractions))
    np.testing.assert_allclose(result.temperature[result.probes], expected, rtol=1e-3)
    np.testing.assert_allclose(result.heat_currents[result.probes], 0.0, atol=1e-12)
    assert result.entropy_production > 0


@pytest.mark.parametrize("model", ["dephasing", "voltage", "hot"])
def test_small_bias_limit_equals_the_linear_response_solver(probed_chain, model):
    # Finite difference eV = 1e-6 t at k_B T = 2e-4 t (thermal smearing of G:
    # (π²/6)(k_B T)² G''/G ~ 1e-8): probe potentials (Fermi probes) and the two-terminal
    # conductance equal dephased_transport at E = μ to 1e-6.
    fsyst, params, fractions = probed_chain
    bias = 1e-6
    result = workflows.finite_bias_probes(
        fsyst, mu=[CENTRE + bias, CENTRE], temperature=2e-4, params=params, model=model
    )
    linear = workflows.dephased_transport(fsyst, CENTRE, params=params)
    conductance = analysis.two_terminal_conductance(linear.conductance, 0, 1)
    assert abs(result.currents[0] / bias - conductance) < 1e-6
    if model != "dephasing":
        np.testing.assert_allclose((result.mu[result.probes] - CENTRE) / bias, fractions, atol=1e-6)


def test_bad_arguments_are_refused(probed_chain):
    fsyst, _, _ = probed_chain
    with pytest.raises(ValueError, match="model"):
        workflows.finite_bias_probes(fsyst, mu=[2.1, 2.0], temperature=0.01, model="cold")
    with pytest.raises(ValueError, match="per real terminal"):
        workflows.finite_bias_probes(fsyst, mu=[2.1, 2.0, 1.9], temperature=0.01)
