"""The parameter-scan notebook in quick mode: a resumed scan, a failure record and the
QPC's numbers (Landauer bound, lead modes from the closed form, pinch-off)."""

from __future__ import annotations

import numpy as np


def test_parameter_scan_notebook_numbers(run_notebook, open_channels):
    _, values = run_notebook(
        "parameter_scan.ipynb",
        values={
            "width": "WIDTH",
            "energy": "table['energy']",
            "V_gate": "table['V_gate']",
            "G": "table['G']",
            "N_open": "table['N_open']",
            "n_computed_again": "again.attrs['provenance']['n_computed']",
            "n_from_store": "again.attrs['provenance']['n_from_store']",
            "same": "bool(again.equals(table))",
            "failed_gates": "checked.loc[checked['error'].notna(), 'V_gate']",
            "all_gates": "checked['V_gate']",
            "adaptive_G": "adaptive['G']",
        },
    )
    energy, gate = np.array(values["energy"]), np.array(values["V_gate"])
    G, modes = np.array(values["G"]), np.array(values["N_open"])
    assert len(G) == len(set(energy)) * len(set(gate))
    assert (modes == [open_channels(e, values["width"]) for e in energy]).all()
    # Landauer: 0 <= G <= N (1e-9: rounding).
    assert (G > -1e-9).all() and (G <= modes + 1e-9).all()
    # The gate closes the constriction: at every energy the highest gate passes less.
    for e in set(energy):
        at = energy == e
        assert G[at & (gate == gate.max())] < G[at & (gate == 0)] - 0.5, (e, G[at])
    # The resumed scan computed nothing and read every point back unchanged.
    assert values["n_computed_again"] == 0 and values["n_from_store"] == len(G)
    assert values["same"]
    # The failure record: exactly the points whose gate exceeds 2.5 failed.
    assert values["failed_gates"] == [v for v in values["all_gates"] if v > 2.5]
    assert (np.array(values["adaptive_G"]) <= open_channels(0.6, values["width"]) + 1e-9).all()
