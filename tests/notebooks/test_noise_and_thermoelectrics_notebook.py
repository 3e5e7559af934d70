"""The noise / thermoelectrics / heat notebook in quick mode, against closed forms.

* One barrier site V in a chain at E = 1 t (k = π/3, v = √3): T = 1/(1 + V²/3), so the
  Fano factor is F = 1 − T (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.5).
* Thermal-to-shot crossover S = 4k_BT T² + 2eV coth(eV/2k_BT) T(1 − T) (ibid., Sec. 2.6).
* Dephasing probes in the diffusive limit: F = 1/3 elastic (Beenakker & Büttiker, PRB 46,
  1889 (1992)), √3/4 hot electrons (Nagaev, PRB 52, 4740 (1995)); grounded probes
  absorb all, so F → 1.
* Low temperature: Lorenz number π²/3 and Mott's S = −(π²/3) k_BT ∂ln T/∂E (Cutler &
  Mott, Phys. Rev. 181, 1336 (1969)), both to O((πk_BT)²) ≈ 2.5e-4 at k_BT = 0.005 t.
"""

from __future__ import annotations

import numpy as np


def test_noise_and_thermoelectrics_notebook_numbers(run_notebook):
    _, values = run_notebook(
        "noise_and_thermoelectrics.ipynb",
        values={
            "fano": "[workflows.fano_factor(chain, 1.0, params=dict(V=V)) for V in (0, 1, 3)]",
            "noise": "S",
            "noise_biases": "np.linspace(0, 0.3, len(S))",
            "theta": "theta",
            "probe_fano": "values",
            "lorenz": "c.lorenz",
            "seebeck": "c.S",
            "T": "[kwant.smatrix(user_chain, 0.8 + d, params=dict(V=0.5)).transmission(1, 0)"
            " for d in (-1e-4, 0.0, 1e-4)]",
            "lowest_T_lorenz": "table['lorenz'].iloc[0]",
            "equilibrium": "(lambda s: (s.potentials[probe], s.temperatures[probe],"
            " s.entropy_production))(workflows.heat_transport(fsyst, {0: 1.0, 1: 1.0},"
            " {0: 0.01, 1: 0.01}, params=params, tol=1e-3))",
            "entropy": "sol.entropy_production",
            "iv_bias": "iv['bias']",
            "iv_current": "iv['current']",
        },
    )
    transmission = 1 / (1 + np.array([0.0, 1.0, 3.0]) ** 2 / 3)
    assert np.allclose(values["fano"], 1 - transmission, atol=1e-9)
    # Crossover at V = 1 (T = 3/4): noise_matrix takes the transmissions at E_F, as the
    # closed form does, so they agree to rounding (1e-9 of S ~ 0.1).
    t, theta = 0.75, values["theta"]
    bias = np.array(values["noise_biases"])
    with np.errstate(divide="ignore", invalid="ignore"):
        pair = np.where(bias > 0, bias / np.tanh(bias / (2 * theta)), 2 * theta)
    closed = 4 * theta * t**2 + 2 * pair * t * (1 - t)
    assert np.abs(np.array(values["noise"]) - closed).max() < 1e-9
    assert abs(values["noise"][0] - 4 * theta * t) < 1e-9  # Johnson–Nyquist 4k_BT G
    # Probe models at L = 40, η = 1 t: finite-length corrections are of the order of the
    # ballistic contacts' share of R (a few per cent here).
    fano = values["probe_fano"]
    assert abs(fano["dephasing"] - 1 / 3) < 0.02
    assert abs(fano["hot"] - np.sqrt(3) / 4) < 0.03
    assert fano["voltage"] < fano["dephasing"] < fano["hot"]
    assert abs(fano["grounded"] - 1) < 1e-3
    # Wiedemann–Franz and Mott at k_BT = 0.005 t (1e-3 and 1e-2 leave 4x the O((πk_BT)²)).
    assert abs(values["lorenz"] / (np.pi**2 / 3) - 1) < 1e-3
    assert abs(values["lowest_T_lorenz"] / (np.pi**2 / 3) - 1) < 1e-3
    t_minus, t_mid, t_plus = values["T"]
    mott = -(np.pi**2 / 3) * 0.005 * (t_plus - t_minus) / (2e-4 * t_mid)
    assert abs(values["seebeck"] / mott - 1) < 1e-2
    # Heat: in equilibrium the probe takes the reservoirs' μ and T and nothing is produced
    # (to the solver's tol = 1e-3); out of equilibrium the entropy production is positive.
    mu_probe, temperature_probe, production = values["equilibrium"]
    assert abs(mu_probe - 1.0) < 1e-3 and abs(temperature_probe - 0.01) < 1e-3
    assert abs(production) < 1e-6
    assert values["entropy"] > 0
    # I(V): no current without bias, and the current follows the bias (passive conductor).
    iv_bias, iv_current = np.array(values["iv_bias"]), np.array(values["iv_current"])
    assert np.abs(iv_current[iv_bias == 0]).max() < 1e-12
    assert (iv_current[iv_bias != 0] * iv_bias[iv_bias != 0] > 0).all()
