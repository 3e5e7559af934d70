"""The hybrid devices notebook runs top to bottom with small parameters.

Its cells assert the physics (BTK to 1 %, Beenakker's formula to 1e-3, the Majorana peak
2e²/h to 1e-3, current conservation in the NSN device); here the printed numbers are read
back and checked again, so a silently skipped cell fails too.
"""

from __future__ import annotations

import re


def _number(texts, label):
    for text in texts:
        match = re.search(re.escape(label) + r"\s*([-+0-9.e]+)", text)
        if match:
            return float(match.group(1))
    raise AssertionError(f"no output line with {label!r}")


def test_hybrid_devices_notebook_runs(run_notebook):
    notebook = run_notebook("hybrid_devices.ipynb")
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    # BTK (Blonder, Tinkham & Klapwijk, PRB 25, 4515 (1982)): the chain is BTK's model up
    # to O(Δ/μ) = 1e-3, so 1 % bounds the deviation.
    assert _number(outputs, "max relative deviation from BTK:") < 1e-2
    # Beenakker, PRB 46, 12841 (1992): G_NS = 2 Σ T_n²/(2 − T_n)², to O(Δ/μ) = 1e-3.
    g_ns = _number(outputs, "G_NS =")
    beenakker = _number(outputs, "Beenakker")
    assert abs(g_ns / beenakker - 1) < 1e-3
    # Majorana peak (Law, Lee & Ng, PRL 103, 237001 (2009)): 2e²/h topological, 0 trivial.
    assert abs(_number(outputs, "topological") - 2.0) < 1e-3
    assert abs(_number(outputs, "trivial")) < 1e-3
    # NSN: the superconductor's current (current operator) closes the balance to rounding,
    # and the non-local signal is real.
    assert _number(outputs, "(current conservation):") < 1e-8
    assert _number(outputs, "max |G_RL| (non-local):") > 1e-2
