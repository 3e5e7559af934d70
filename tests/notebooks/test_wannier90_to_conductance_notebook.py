"""The Wannier90-to-conductance notebook, run with small parameters, computes the right numbers.

Checked against closed forms and independent routes, never against its printed text:
the wrapped-around Kwant crystal has the reader's Bloch bands (both diagonalize the same
H(k), so to rounding), a pristine device conducts one e²/h per open lead mode (Landauer),
the current through every cross-section is the same (current conservation), and the
cutoff's band error stays under the bound the import reports.
"""

import numpy as np
import pytest


def test_wannier90_to_conductance_notebook_computes_the_physics(run_notebook):
    _, values = run_notebook(
        "wannier90_to_conductance.ipynb",
        values={
            "band_error": "float(np.abs(kwant_bands - model_bands).max())",
            "G": "[float(g) for g in table['G']]",
            "modes": "[int(m) for m in modes]",
            "through": "[float(x) for x in through]",
            "G_at_energy": "float(table['G'].to_numpy()[list(energies).index(energy)])",
            "cutoff_rows": "[(float(r[4]), float(r[5])) for r in rows]",
        },
    )
    # Same H(k) diagonalized twice: only rounding separates them (eV).
    assert values["band_error"] < 1e-10
    # A translation-invariant device: every open mode is transmitted (integers to 1e-8).
    np.testing.assert_allclose(values["G"], values["modes"], atol=1e-8)
    assert max(values["modes"]) > 0  # the window holds open modes, so the check has teeth
    # Current conservation (Landauer): with Kwant's unit-current scattering states of lead 0,
    # the current through the middle plane of the device is G(E), flowing away from lead 0
    # (negative x).  Only the middle plane is checked: the hoppings of Si's sp3 model reach
    # several cells, and a plane near the left end is crossed by lead hoppings that the
    # notebook's sum over the device's graph leaves out (it draws them all, for the picture).
    middle = np.asarray(values["through"])[len(values["through"]) // 2]
    assert middle == pytest.approx(-values["G_at_energy"], rel=1e-8)
    # The cutoff's band error never exceeds the bound the import reports.
    for error, bound in values["cutoff_rows"]:
        assert error <= bound + 1e-12
