"""Kwant-free noise formulas: Büttiker's noise matrix, crossover, random-matrix Fano factors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.special
import scipy.stats

from analysis.noise import (
    chaotic_cavity_fano,
    crossover_noise,
    fano_from_transmissions,
    fermi_pair_windows,
    hot_probe_state,
    noise_from_scattering_matrix,
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
    noise = noise_from_scattering_matrix(s, labels, [bias, 0.0], temperature)
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
    noise = noise_from_scattering_matrix(s, [0, 0, 1, 1], [1.0, 0.0], 0.0)
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
    noise = noise_from_scattering_matrix(s, labels, [0.2, 0.2, 0.2], temperature)
    np.testing.assert_allclose(noise, 2 * temperature * (conductance + conductance.T), atol=1e-13)


def test_noise_conserves_current_and_validates():
    rng = np.random.default_rng(6)
    s = scipy.stats.unitary_group.rvs(5, random_state=rng)
    noise = noise_from_scattering_matrix(s, [0, 1, 1, 2, 2], [0.3, -0.1, 0.0], 0.05)
    np.testing.assert_allclose(noise.sum(axis=0), 0, atol=1e-13)
    np.testing.assert_allclose(noise, noise.T)
    with pytest.raises(ValueError, match="temperature"):
        noise_from_scattering_matrix(s, [0, 1, 1, 2, 2], [0, 0, 0], -1.0)
    with pytest.raises(ValueError, match="potentials"):
        noise_from_scattering_matrix(s, [0, 1, 1, 2, 2], [0, 0], 0.0)
    with pytest.raises(ValueError, match="channel_terminals"):
        noise_from_scattering_matrix(s, [0, 1, 1], [0, 0, 0], 0.0)


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
    voltage = probe_noise_matrix(s, labels, range(2, m), potentials, 0.0, probe_model="voltage")
    assert dephasing[1, 1] / (2 * current) == pytest.approx((1 + 2 / n_junctions**2) / 3, rel=1e-3)
    assert voltage[1, 1] / (2 * current) == pytest.approx(1 / n_junctions, rel=1e-3)


@pytest.mark.parametrize("model", ["dephasing", "voltage", "hot"])
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
    noise = probe_noise_matrix(s, labels, probes, [0.1] * 4, 0.05, probe_model=model)
    np.testing.assert_allclose(noise, 0.1 * (g_eff + g_eff.T), atol=1e-13)
    np.testing.assert_allclose(noise.sum(axis=0), 0, atol=1e-13)


def _fermi(energy, mu, temperature):
    if temperature == 0:
        return np.heaviside(mu - energy, 0.5)
    return scipy.special.expit((mu - energy) / temperature)


def _window_by_quad(mu_a, t_a, mu_b, t_b):
    """∫ {f_a(1 − f_b) + f_b(1 − f_a)} dE by adaptive quadrature (independent of the code)."""
    hottest = max(t_a, t_b, 1e-3)
    value, _ = scipy.integrate.quad(
        lambda e: (
            _fermi(e, mu_a, t_a) * (1 - _fermi(e, mu_b, t_b))
            + _fermi(e, mu_b, t_b) * (1 - _fermi(e, mu_a, t_a))
        ),
        min(mu_a, mu_b) - 50 * hottest,
        max(mu_a, mu_b) + 50 * hottest,
        points=sorted({mu_a, mu_b}),
        epsabs=1e-13,
        limit=200,
    )
    return value


def test_fermi_pair_windows_against_quadrature():
    # Equal, zero and unequal temperatures (closed forms and the panel quadrature).
    mu = np.array([0.3, -0.2, 0.0, 0.05, 0.3, -0.01])
    temperature = np.array([0.0, 0.0, 0.02, 0.11, 0.02, 0.003])
    window = fermi_pair_windows(mu, temperature)
    for a in range(mu.size):
        for b in range(mu.size):
            expected = _window_by_quad(mu[a], temperature[a], mu[b], temperature[b])
            assert window[a, b] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="temperatures"):
        fermi_pair_windows(mu, -temperature)


def _hot_series_fano(n_junctions):
    """F of N identical tunnel junctions with hot nodes, T = 0, eV = 1, derived independently.

    Charge and energy balance at each node (u = μ²/2 + π²T²/6 is linear in
    the node index, as μ is) give μ_k = 1 − x, (k_BT_k)² = (3/π²) x(1 − x),
    x = k/N: the Wiedemann–Franz profile T_e(x) of a hot-electron wire
    (Nagaev, PRB 52, 4740 (1995); Kozub & Rudin, PRB 52, 7853 (1995)).  Each
    tunnel junction (conductance G_J) has the noise 2 G_J W_k of its two Fermi
    seas, the junction fluctuations are independent and the series divides each
    by N: S = (2 G_J/N²) Σ_k W_k, I = G_J/N, so F = Σ_k W_k / N.
    """
    x = np.arange(n_junctions + 1) / n_junctions
    mu = 1 - x
    temperature = np.sqrt(3 * x * (1 - x)) / np.pi
    temperature[[0, -1]] = 0.0
    windows = [
        _window_by_quad(mu[k], temperature[k], mu[k + 1], temperature[k + 1])
        for k in range(n_junctions)
    ]
    return sum(windows) / n_junctions


def test_hot_probe_state_is_the_wiedemann_franz_profile():
    # The node temperatures of N junctions in series (see _hot_series_fano):
    # (k_BT_k)² = (3/π²) x(1 − x) (eV)² at T = 0, T² + (3/π²) x(1 − x) (eV)² at T.
    rng = np.random.default_rng(14)
    s, labels, m = _junctions_in_series([np.full(2, 0.3)] * 4, rng)
    g = np.diag(np.bincount(labels)) - np.array(
        [
            [np.sum(np.abs(s[np.ix_(labels == a, labels == b)]) ** 2) for b in range(m)]
            for a in range(m)
        ]
    )
    potentials = np.zeros(m)
    potentials[0] = 0.4
    x = np.array([1, 2, 3]) / 4
    for bath in (0.0, 0.05):
        mu, temperature = hot_probe_state(g, [2, 3, 4], potentials, bath)
        np.testing.assert_allclose(mu, [0.4, 0.0, 0.3, 0.2, 0.1], atol=1e-12)
        np.testing.assert_allclose(
            temperature[2:], np.sqrt(bath**2 + 3 * x * (1 - x) * 0.4**2 / np.pi**2), rtol=1e-10
        )
        assert temperature[0] == temperature[1] == bath


@pytest.mark.parametrize("n_junctions", [1, 2, 5, 20])
def test_tunnel_junctions_in_series_with_hot_nodes(n_junctions):
    # Nodes floating in charge and energy (electron heating).  Exact series
    # result (_hot_series_fano, by independent quadrature); N = 1: F = 1;
    # N = 2 in closed form: both junctions join a T = 0 sea to the node at
    # k_BT_1 = √3/2π, F = 1/2 + (√3/π) ln(1 + e^{−π/√3}) ≈ 0.5833.  Tunnel
    # junctions with T = 1e-4 per channel: corrections O(T); tolerance 1e-3 relative.
    rng = np.random.default_rng(15)
    s, labels, m = _junctions_in_series([np.full(2, 1e-4)] * n_junctions, rng)
    potentials = np.zeros(m)
    potentials[0] = 1.0
    current = 2e-4 / n_junctions
    hot = probe_noise_matrix(s, labels, range(2, m), potentials, 0.0, probe_model="hot")
    fano = hot[1, 1] / (2 * current)
    assert fano == pytest.approx(_hot_series_fano(n_junctions), rel=1e-3)
    if n_junctions == 2:
        closed = 0.5 + np.sqrt(3) / np.pi * np.log1p(np.exp(-np.pi / np.sqrt(3)))
        assert fano == pytest.approx(closed, rel=1e-3)


def test_hot_series_tends_to_root_three_over_four():
    # N → ∞: Σ_k W_k/N → (2/N) Σ_k k_BT_k → (2√3/π) ∫₀¹ √(x(1 − x)) dx = √3/4
    # (Nagaev 1995; Kozub & Rudin 1995).  The corrections are O(N^{−3/2}) (the
    # √x edges of the profile, and Δμ²/6k_BT per junction with Δμ = eV/N,
    # summed near the edges where T ∝ √x): at N = 1000 below 1e-4.
    target = np.sqrt(3) / 4
    assert _hot_series_fano(1000) == pytest.approx(target, abs=1e-4)
    assert abs(_hot_series_fano(100) - target) < abs(_hot_series_fano(25) - target) / 4
