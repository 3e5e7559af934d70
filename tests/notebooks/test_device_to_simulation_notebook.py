"""The "from device to simulation" notebook in quick mode: the unit conversions and the
plateaus in ohms against closed forms.

GaAs 2DEG (m* from the notebook's material preset): t = ħ²/(2m*a²), E_F = πħ²n/m*
(spin-degenerate), one conductance step 2e²/h, flux per plaquette B a² e/h, and on the
ν-th spin-degenerate plateau R_xy = h/(2e²ν) = R_K/(2ν) (von Klitzing, Dorda & Pepper,
PRL 45, 494 (1980)).
"""

from __future__ import annotations

import numpy as np
import scipy.constants as sc


def test_device_to_simulation_notebook_numbers(run_notebook, open_channels):
    _, values = run_notebook(
        "device_to_simulation.ipynb",
        values={
            "mass": "systems.MATERIALS['GaAs'].effective_mass",
            "a_nm": "units.lattice_constant_nm",
            "t_meV": "units.t_meV",
            "density": "density",
            "fermi_meV": "fermi_meV",
            "fermi": "fermi",
            "step_uS": "step_uS",
            "tesla": "tesla",
            "flux": "flux",
            "B_T": "scan['B_T']",
            "nu": "scan['nu']",
            "R_xy_ohm": "scan['R_xy_ohm']",
            "R_xx_ohm": "scan['R_xx_ohm']",
            "qpc_width": "units.sites(width_nm)",
            "qpc_G": "table['G']",
            "currents": "current_map.bias.currents",
        },
    )
    mass = values["mass"] * sc.m_e
    a = values["a_nm"] * 1e-9
    meV = 1e-3 * sc.e
    # Conversions are exact formulas: agreement to rounding (1e-12 relative).
    assert np.isclose(values["t_meV"], sc.hbar**2 / (2 * mass * a**2) / meV, rtol=1e-12)
    fermi_meV = np.pi * sc.hbar**2 * values["density"] * 1e4 / mass / meV  # n in cm^-2
    assert np.isclose(values["fermi_meV"], fermi_meV, rtol=1e-12)
    assert np.isclose(values["fermi"], fermi_meV / values["t_meV"], rtol=1e-12)
    assert np.isclose(values["step_uS"], 2 * sc.e**2 / sc.h * 1e6, rtol=1e-12)
    flux = np.array(values["tesla"]) * a**2 * sc.e / sc.h
    assert np.allclose(values["flux"], flux, rtol=1e-12)
    # Plateaus in ohms: where R_xx < 1 Ω the edges do not backscatter, and R_xy deviates
    # from R_K/(2ν) by at most ~R_xx/R_xy < 1e-4 (measured 1e-7 at 2.4 T).
    R_K = sc.h / sc.e**2
    nu, R_xy, R_xx = (np.array(values[k]) for k in ("nu", "R_xy_ohm", "R_xx_ohm"))
    plateau = R_xx < 1.0
    assert plateau.sum() >= 3
    assert np.abs(np.abs(R_xy[plateau]) * 2 * nu[plateau] / R_K - 1).max() < 1e-4
    # ν per spin = number of Landau levels ħω_c(n + 1/2) below E_F, ω_c = eB/m*; lattice
    # corrections at E_F ≈ 0.31 t are a few per cent, so only fields where E_F/ħω_c + 1/2
    # is at least 0.1 from an integer are compared.
    levels = fermi_meV * meV / (sc.hbar * sc.e * np.array(values["B_T"]) / mass) + 0.5
    clear = np.abs(levels - np.round(levels)) > 0.1
    assert clear.sum() >= 4
    assert (nu[clear] == np.floor(levels[clear])).all()
    # The QPC's open gate transmits every mode of its W-site leads (E_n = 2 − 2cos(nπ/(W+1)) t).
    modes = open_channels(values["fermi"], values["qpc_width"])
    assert abs(values["qpc_G"][0] - modes) < 1e-8
    # The biased Hall bar: source and drain carry ±I, the voltage probes float (1e-9).
    currents = np.array(values["currents"])
    assert abs(currents[0] + currents[1]) < 1e-9 and np.abs(currents[2:]).max() < 1e-9
