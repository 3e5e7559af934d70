"""The non-equilibrium distributions notebook in quick mode, against closed forms.

* Impurity −t in a chain: a bound state at −√5 t with weight 1/√5 on the impurity; with
  μ = −2.1 t below the band and k_BT = 0.004 t the band's occupation is e^{−25} ≈ 1e-11,
  so the density equals the bound-state weight (tolerance 1e-8, the pole error's order).
* Dephasing probes at finite bias: at E = μ the probe's distribution is the linear-response
  fraction, up to the other reservoir's Fermi tail e^{−eV/2k_BT} = e^{−12.5} ≈ 4e-6.
* Voltage–temperature probes: k_BT_p² = k_BT₀² + (3/π²)(eV)² f(1 − f) (Wiedemann–Franz,
  in the probe's heat balance, to second order of the Sommerfeld expansion).
* Every model conserves current, and with all reservoirs at T₀ (the probes carry no net
  heat) the entropy production is I·eV/T₀.
"""

from __future__ import annotations

import numpy as np


def test_nonequilibrium_distributions_notebook_numbers(run_notebook):
    _, values = run_notebook(
        "nonequilibrium_distributions.ipynb",
        values={
            "density": "density.density[4]",
            "steps": "dephasing.probe_distribution[middle]",
            "fractions": "fractions",
            "hot_temperature": "hot.temperature[hot.probes]",
            "currents": "{name: r.currents for name, r in models.items()}",
            "entropy": "{name: r.entropy_production for name, r in models.items()}",
            "bias": "bias",
            "t0": "t0",
            "distribution": "distribution.distribution",
        },
    )
    assert abs(values["density"] - 1 / np.sqrt(5)) < 1e-8
    fractions = np.array(values["fractions"])
    assert np.abs(np.array(values["steps"]) - fractions).max() < 2e-5
    # Hot probes (bias 0.02 t, T₀ = 0.002 t): corrections to the Sommerfeld expansion are
    # O((eV)² ∂²ln T/∂E²) relative, below 1e-3 for the smooth chain transmissions.
    prediction = np.sqrt(0.002**2 + 3 / np.pi**2 * 0.02**2 * fractions * (1 - fractions))
    assert np.abs(np.array(values["hot_temperature"]) / prediction - 1).max() < 1e-3
    for name, currents in values["currents"].items():
        assert abs(sum(currents)) < 1e-12, name
        ideal = currents[0] * values["bias"] / values["t0"]
        assert abs(values["entropy"][name] / ideal - 1) < 1e-6, name
    # Occupations are probabilities.
    distribution = np.array(values["distribution"])
    assert (distribution >= -1e-12).all() and (distribution <= 1 + 1e-12).all()
