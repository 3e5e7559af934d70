"""The dephasing-probe notebook in quick mode: Büttiker probes against the weak-coupling
closed forms (Büttiker, IBM J. Res. Dev. 32, 63 (1988); the chain's 1 + L/λ and
l_φ = ħv/η, the semiclassical network of analysis.semiclassical_dephased_resistance).

Weak-coupling results are exact to first order in η/v; the tolerances are 2 (η/v)²,
the size of the next order (v the group velocity, √3 t·a/ħ for the chain at E = 1 t).
"""

from __future__ import annotations

import numpy as np


def test_dephasing_notebook_numbers(run_notebook):
    _, values = run_notebook(
        "dephasing.ipynb",
        values={
            "length": "chain_frame['length']",
            "eta": "chain_frame['eta']",
            "R": "chain_frame['R']",
            "R_theory": "chain_frame['R_theory']",
            "coherence": "coherence['coherence_length']",
            "coherence_eta": "coherence['eta']",
            "contact": "coherence['contact_resistance']",
            "wire_eta": "wire_frame['eta']",
            "wire_R": "wire_frame['R']",
            "wire_R_theory": "wire_frame['R_theory']",
            "velocities": "velocities",
            "localization_slope": "np.polyfit(coherent['length'], coherent['log_G'], 1)[0]",
            "ohmic_slope": "ohmic.slope",
            "chain_mu": "chain_profile.groupby('x')['mu'].mean()",
        },
    )
    v = np.sqrt(3.0)  # chain: E = 2t(1 − cos k) = 1 t at k = π/3, v = 2t sin k
    eta, R = np.array(values["eta"]), np.array(values["R"])
    # Without dephasing the clean chain is ballistic: R = h/e², exactly (1e-9: rounding).
    assert np.abs(R[eta == 0] - 1).max() < 1e-9
    dephased = eta > 0
    relative = np.abs(R / np.array(values["R_theory"]) - 1)[dephased]
    assert (relative < 2 * (eta[dephased] / v) ** 2).all()
    assert R[dephased & (np.array(values["length"]) == max(values["length"]))].min() > 2
    # Coherence length from the fit = ħv/η, Sharvin contact resistance h/e² for one mode.
    eta_fit = np.array(values["coherence_eta"])
    assert (np.abs(np.array(values["coherence"]) * eta_fit / v - 1) < 2 * (eta_fit / v) ** 2).all()
    assert (np.abs(np.array(values["contact"]) - 1) < 2 * (eta_fit / v) ** 2).all()
    # Wire: the semiclassical network of incoherent probe columns, slowest mode's η/v.
    wire_eta = np.array(values["wire_eta"])
    wire_dev = np.abs(np.array(values["wire_R"]) / np.array(values["wire_R_theory"]) - 1)
    assert (wire_dev < 2 * (wire_eta / min(values["velocities"])) ** 2).all()
    # Disorder: coherent ⟨ln G⟩ falls with L (localization), dephased ⟨R⟩ grows (Ohmic).
    assert values["localization_slope"] < 0 and values["ohmic_slope"] > 0
    # A uniform chain between leads at 1 and 0 is inversion symmetric: μ(x) + μ(L−1−x) = 1.
    mu = np.array(values["chain_mu"])
    assert np.abs(mu + mu[::-1] - 1).max() < 1e-9
    assert (np.diff(mu) < 0).all()  # the potential falls from the source to the drain
