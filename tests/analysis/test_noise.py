"""Kwant-free noise formulas: Büttiker's noise matrix, crossover, random-matrix Fano factors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from analysis.noise import (
    chaotic_cavity_fano,
    crossover_noise,
    fano_from_transmissions,
    noise_matrix,
    pair_window,
    probe_noise_matrix,
)


def _two_terminal_s(transmissions, rng):
    """A random unitary 2N×2N s with given transmission eigenvalues (polar decomposition)."""
    t = np.sqrt(np.asarray(transmissions))
    r = np.sqrt(1 - t**2)
    u = [scipy.stats.unitary_group.rvs(t.size, random_state=rng) for _ in range(4)]
    top = np.hstack([u[0] @ np.diag(-r) @ u[2], u[0] @ np.diag(t) @ u[3]])
    bottom = np.hstack([u[1] @ np.diag(t) @ u[2], u[1] @ np.diag(r) @ u[3]])
    return np.vstack([top, bottom])


def test_pair_window_limits():
    assert pair_window(0.3, 0.0, 0.0) == pytest.approx(0.3)
    assert pair_window(0.0, 0.0, 0.1) == pytest.approx(0.2)  # 2 k_B T
    # Δμ ≫ k_B T: |Δμ| up to exponentially small terms.
    assert pair_window(-2.0, 0.0, 0.01) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize("temperature", [0.0, 0.02, 0.3])
@pytest.mark.parametrize("bias", [0.0, 0.05, 0.4])
def test_two_terminal_noise_is_the_coth_crossover(temperature, bias):
    # Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.6: the general
    # multi-terminal formula must reduce to the closed two-terminal form.
    rng = np.random.default_rng(3)
    transmissions = np.array([0.9, 0.45, 0.1])
    s = _two_terminal_s(transmissions, rng)
    labels = np.array([0, 0, 0, 1, 1, 1])
    noise = noise_matrix(s, labels, [bias, 0.0], temperature)
    expected = crossover_noise(transmissions, bias, temperature)
    if expected == 0:
        assert np.abs(noise).max() < 1e-13
        return
    assert noise[0, 0] == pytest.approx(expected, rel=1e-12)
    assert noise[1, 1] == pytest.approx(expected, rel=1e-12)
    assert noise[0, 1] == pytest.approx(-expected, rel=1e-12)


def test_shot_noise_limit_is_fano_times_poisson():
    rng = np.random.default_rng(4)
    transmissions = np.array([0.7, 0.2])
    s = _two_terminal_s(transmissions, rng)
    noise = noise_matrix(s, [0, 0, 1, 1], [1.0, 0.0], 0.0)
    current = transmissions.sum()  # e²/h × 1 t/e
    assert noise[1, 1] / (2 * current) == pytest.approx(fano_from_transmissions(transmissions))


def test_equilibrium_noise_is_fluctuation_dissipation_in_a_field():
    # Johnson–Nyquist for any multi-terminal s, also without reciprocity:
    # S_αβ = 2 k_B T (G_αβ + G_βα), G_αβ = N_α δ_αβ − T_αβ (Büttiker 1992).
    rng = np.random.default_rng(5)
    labels = np.array([0, 0, 1, 2, 2, 2])
    s = scipy.stats.unitary_group.rvs(6, random_state=rng)
    transmission = np.array(
        [
            [np.sum(np.abs(s[np.ix_(labels == a, labels == b)]) ** 2) for b in range(3)]
            for a in range(3)
        ]
    )
    conductance = np.diag(np.bincount(labels)) - transmission
    temperature = 0.07
    noise = noise_matrix(s, labels, [0.2, 0.2, 0.2], temperature)
    np.testing.assert_allclose(noise, 2 * temperature * (conductance + conductance.T), atol=1e-13)


def test_noise_conserves_current_and_validates():
    rng = np.random.default_rng(6)
    s = scipy.stats.unitary_group.rvs(5, random_state=rng)
    noise = noise_matrix(s, [0, 1, 1, 2, 2], [0.3, -0.1, 0.0], 0.05)
    np.testing.assert_allclose(noise.sum(axis=0), 0, atol=1e-13)
    np.testing.assert_allclose(noise, noise.T)
    with pytest.raises(ValueError, match="temperature"):
        noise_matrix(s, [0, 1, 1, 2, 2], [0, 0, 0], -1.0)
    with pytest.raises(ValueError, match="potentials"):
        noise_matrix(s, [0, 1, 1, 2, 2], [0, 0], 0.0)
    with pytest.raises(ValueError, match="channel_terminals"):
        noise_matrix(s, [0, 1, 1], [0, 0, 0], 0.0)


def _circular_ensemble_moments(n, beta, samples, rng):
    """⟨Σ T⟩ and ⟨Σ T(1 − T)⟩ of 2N×2N CUE (β = 2) or COE = U Uᵀ (β = 1) matrices."""
    g = p = 0.0
    for _ in range(samples):
        u = scipy.stats.unitary_group.rvs(2 * n, random_state=rng)
        s = u @ u.T if beta == 1 else u
        t = np.linalg.svd(s[n:, :n], compute_uv=False) ** 2
        g += t.sum()
        p += np.sum(t * (1 - t))
    return g / samples, p / samples


@pytest.mark.parametrize("beta", [1, 2])
@pytest.mark.parametrize("n", [1, 2])
def test_chaotic_cavity_formula_against_sampled_circular_ensembles(n, beta):
    # Verify the finite-N formula we use (JPB 1994; Savin & Sommers 2006) by
    # sampling the circular ensembles directly.  4000 samples: the standard
    # error of each mean is < 0.01 × its value; tolerance 4 %.
    rng = np.random.default_rng(10 * n + beta)
    g, p = _circular_ensemble_moments(n, beta, 4000, rng)
    assert g == pytest.approx(n * n / (2 * n - 1 + 2 / beta), rel=0.04)
    assert p / g == pytest.approx(chaotic_cavity_fano(n, beta), rel=0.04)


def test_chaotic_cavity_formula_limits():
    assert chaotic_cavity_fano(1, 1) == pytest.approx(2 / 5)  # P(T) = 1/(2√T)
    assert chaotic_cavity_fano(1, 2) == pytest.approx(1 / 3)  # T uniform
    for beta in (1, 2):
        assert chaotic_cavity_fano(10_000, beta) == pytest.approx(0.25, abs=1e-4)
    with pytest.raises(ValueError, match="beta"):
        chaotic_cavity_fano(2, 4)


def _junctions_in_series(junction_transmissions, rng):
    """s of N junctions in series, joined by probe terminals that absorb every electron.

    Terminal 0 is left of junction 0, terminal 1 right of junction N − 1, and
    terminal k + 1 (k = 1 … N − 1) the node between junctions k − 1 and k.
    """
    n_junctions = len(junction_transmissions)

    def node_terminal(node):
        return 0 if node == 0 else (1 if node == n_junctions else node + 1)

    blocks, labels = [], []
    for k, transmissions in enumerate(junction_transmissions):
        blocks.append(_two_terminal_s(transmissions, rng))
        width = len(transmissions)
        labels += [node_terminal(k)] * width + [node_terminal(k + 1)] * width
    return scipy.linalg.block_diag(*blocks), np.array(labels), n_junctions + 1


def test_two_junctions_with_a_dephasing_node_match_the_series_formula():
    # Node distribution f = x f_L + (1 − x) f_R, x = G1/(G1 + G2); junction noise
    # S_i = 2eV [G_i x(1 − x) + P_i (f-jump)²] (two-terminal noise with arbitrary
    # distributions, Blanter & Büttiker 2000, Sec. 2.6);
    # node current conservation: S = (G2² S1 + G1² S2)/(G1 + G2)².
    rng = np.random.default_rng(11)
    t1, t2 = np.array([0.9, 0.3, 0.05]), np.array([0.6, 0.2, 0.1])
    s, labels, _ = _junctions_in_series([t1, t2], rng)
    bias = 0.01
    noise = probe_noise_matrix(s, labels, [2], [bias, 0.0, 0.0], 0.0)
    g1, g2 = t1.sum(), t2.sum()
    p1, p2 = np.sum(t1 * (1 - t1)), np.sum(t2 * (1 - t2))
    x = g1 / (g1 + g2)
    s1 = 2 * bias * (g1 * x * (1 - x) + p1 * (1 - x) ** 2)
    s2 = 2 * bias * (g2 * x * (1 - x) + p2 * x**2)
    assert noise[1, 1] == pytest.approx((g2**2 * s1 + g1**2 * s2) / (g1 + g2) ** 2, rel=1e-10)


@pytest.mark.parametrize("n_junctions", [1, 2, 5, 20])
def test_tunnel_junctions_in_series_dephasing_one_third_voltage_zero(n_junctions):
    # N identical tunnel junctions (T = 1e-4 per channel): dephasing nodes give
    # F = (1/3)(1 + 2/N²) → 1/3 (de Jong & Beenakker, PRB 51, 16867 (1995));
    # voltage probes at the bath temperature give F = 1/N → 0.  Corrections
    # O(T) = 1e-4: tolerance 1e-3 relative.
    rng = np.random.default_rng(12)
    s, labels, m = _junctions_in_series([np.full(2, 1e-4)] * n_junctions, rng)
    potentials = np.zeros(m)
    potentials[0] = 1.0
    current = 2e-4 / n_junctions  # G of N equal resistors in series, × 1 t/e
    dephasing = probe_noise_matrix(s, labels, range(2, m), potentials, 0.0)
    voltage = probe_noise_matrix(s, labels, range(2, m), potentials, 0.0, model="voltage")
    assert dephasing[1, 1] / (2 * current) == pytest.approx((1 + 2 / n_junctions**2) / 3, rel=1e-3)
    assert voltage[1, 1] / (2 * current) == pytest.approx(1 / n_junctions, rel=1e-3)


@pytest.mark.parametrize("model", ["dephasing", "voltage"])
def test_probe_noise_at_equilibrium_is_johnson_nyquist_of_the_effective_conductance(model):
    # With floating probes, S = 2 k_B T (G_eff + G_effᵀ), G_eff the Schur
    # complement G_AA − G_AP G_PP⁻¹ G_PA (the conductance with probes eliminated).
    rng = np.random.default_rng(13)
    labels = np.array([0, 0, 1, 1, 2, 3, 3])
    s = scipy.stats.unitary_group.rvs(7, random_state=rng)
    g = np.diag(np.bincount(labels)) - np.array(
        [
            [np.sum(np.abs(s[np.ix_(labels == a, labels == b)]) ** 2) for b in range(4)]
            for a in range(4)
        ]
    )
    fixed, probes = [0, 1], [2, 3]
    g_eff = g[np.ix_(fixed, fixed)] - g[np.ix_(fixed, probes)] @ np.linalg.solve(
        g[np.ix_(probes, probes)], g[np.ix_(probes, fixed)]
    )
    noise = probe_noise_matrix(s, labels, probes, [0.1] * 4, 0.05, model=model)
    np.testing.assert_allclose(noise, 0.1 * (g_eff + g_eff.T), atol=1e-13)
    np.testing.assert_allclose(noise.sum(axis=0), 0, atol=1e-13)
