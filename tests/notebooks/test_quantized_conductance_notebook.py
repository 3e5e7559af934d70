"""The quantized-conductance notebook in quick mode: its numbers against closed forms.

A clean wire of W sites (square lattice, t = 1, band bottom at 0) has transverse
energies E_n = 2t(1 − cos(nπ/(W + 1))); every open mode is transmitted perfectly,
so G = N(E) e²/h exactly (Landauer; van Wees et al., PRL 60, 848 (1988)).
"""

from __future__ import annotations

import numpy as np


def test_quantized_conductance_notebook_numbers(run_notebook, open_channels):
    _, values = run_notebook(
        "quantized_conductance.ipynb",
        values={
            "width": "width",
            "energies": "energies",
            "G": "simulated['G']",
            "edges": "analysis.subband_edges(width)",
            "modes_at_half": "workflows.open_modes(wire, 0.5, lead=0)",
            "qpc_width": "geometry['width']",
            "qpc_G": "qpc['G']",
            "qpc_N": "qpc['N_leads']",
            "warm_G": "warm['G_thermal']",
            "temperature": "temperature",
        },
    )
    width = values["width"]
    # Clean wire: integer steps, exactly (perfect transmission; 1e-8 covers the LU rounding).
    expected = [open_channels(energy, width) for energy in values["energies"]]
    assert len(set(expected)) >= 3  # the grid crosses at least two subband edges
    assert np.abs(np.array(values["G"]) - expected).max() < 1e-8
    closed_edges = 2 - 2 * np.cos(np.arange(1, width + 1) * np.pi / (width + 1))
    assert np.allclose(np.sort(values["edges"]), closed_edges[: len(values["edges"])], atol=1e-12)
    assert values["modes_at_half"] == open_channels(0.5, width)
    # QPC at E = 0.3 t: open gate transmits every lead mode, closed gate nothing
    # (tunnelling through a 2 t barrier over the constriction: far below 1e-3).
    qpc_g, qpc_n = np.array(values["qpc_G"]), np.array(values["qpc_N"])
    assert (qpc_n == open_channels(0.3, values["qpc_width"])).all()
    assert abs(qpc_g[0] - qpc_n[0]) < 1e-8
    assert qpc_g[-1] < 1e-3
    # Landauer bound 0 <= G <= N (1e-9: rounding); thermally averaged, N becomes
    # ∫(−∂f/∂E) N(E) dE = Σ_n f(E_n − μ) of the clean leads (the third subband at
    # 0.382 t contributes e^{−8.2} ≈ 3e-4 at k_BT = 0.01 t).
    assert (qpc_g > -1e-9).all() and (qpc_g <= qpc_n + 1e-9).all()
    n = np.arange(1, values["qpc_width"] + 1)
    edges = 2 - 2 * np.cos(n * np.pi / (values["qpc_width"] + 1))
    thermal_modes = np.sum(1 / (1 + np.exp((edges - 0.3) / values["temperature"])))
    warm = np.array(values["warm_G"])
    assert (warm > -1e-9).all() and (warm <= thermal_modes + 1e-9).all()
    assert warm[0] > qpc_n[0] - 1e-3 and warm[-1] < 1e-3
