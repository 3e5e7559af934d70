"""Physical units: conversions against literature values and CODATA, presets, continuum warnings."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.constants as sc

from systems import MATERIALS, ContinuumWarning, Units


def test_gaas_hopping_and_flux_match_the_quoted_values():
    # Values quoted in the issue for a = 10 nm, m* = 0.067 mₑ: t = ħ²/(2m*a²) ≈ 5.687 meV,
    # 1 T ≈ 0.02418 h/e per plaquette (B a² / (h/e) = 1e-16 T m² / 4.135667e-15 Wb).
    units = Units(lattice_constant_nm=10, effective_mass=0.067)
    assert units.t_meV == pytest.approx(5.687, abs=5e-4)
    assert units.flux_per_plaquette(1.0) == pytest.approx(0.02418, abs=5e-6)
    assert units.field_tesla(units.flux_per_plaquette(0.7)) == pytest.approx(0.7, rel=1e-12)
    assert units.flux_per_plaquette(-0.5) == pytest.approx(-0.5 * 0.024179892, rel=1e-7)


def test_resistance_and_conductance_use_the_von_klitzing_constant():
    # R_K = h/e² = 25 812.807 45 Ω (CODATA 2018, exact in the SI since 2019).
    spinless = Units(10, 0.067)
    assert spinless.resistance_ohm(1.0) == pytest.approx(25812.80745, abs=1e-4)
    assert spinless.conductance_siemens(1.0) == pytest.approx(1 / 25812.80745, rel=1e-9)
    gaas = Units.for_material("GaAs", 10)
    assert gaas.degeneracy == 2
    # A spin-degenerate plateau ν = 1 per channel reads h/2e², one channel 2e²/h = 77.48 µS.
    assert gaas.resistance_ohm(1.0) == pytest.approx(12906.40, abs=0.01)
    assert gaas.conductance_siemens(1.0) == pytest.approx(77.48e-6, rel=1e-4)
    assert gaas.conductance_in_e2h(gaas.conductance_siemens(3.0)) == pytest.approx(3.0)
    assert gaas.resistance_in_h_e2(gaas.resistance_ohm(0.25)) == pytest.approx(0.25)
    assert Units.for_material("Si", 5).degeneracy == 4


def test_temperature_and_energy_round_trips():
    units = Units(5, 0.067)
    # k_B = 86.173 µeV/K (CODATA).
    assert units.temperature_in_t(1.0) * units.t_meV == pytest.approx(0.086173, rel=1e-4)
    assert units.temperature_kelvin(units.temperature_in_t(4.2)) == pytest.approx(4.2)
    energies = np.array([0.1, 1.0, 3.0])
    assert np.allclose(units.energy_meV(units.energy_in_t(energies)), energies)
    assert units.length_nm(units.length_in_a(250.0)) == pytest.approx(250.0)
    assert units.sites(250.0) == 50


def test_cyclotron_energy_in_lattice_units_is_four_pi_times_the_flux():
    # Independent of the lattice: ħω_c = ħeB/m*; with t = ħ²/(2m*a²) and φ = eBa²/h this is
    # ħω_c = 4πφ t, the Landau-level spacing of the discretized continuum.
    units = Units(8, 0.067)
    tesla = 1.0
    cyclotron_meV = sc.hbar * sc.e * tesla / (0.067 * sc.m_e) / sc.e * 1e3
    assert units.energy_in_t(cyclotron_meV) == pytest.approx(
        4 * math.pi * units.flux_per_plaquette(tesla), rel=1e-12
    )


def test_fermi_energy_of_a_gaas_2deg():
    # GaAs, n = 3e11 cm⁻², spin-degenerate: E_F = πħ²n/m* = 10.7 meV (E_F ≈ 3.57 meV per
    # 1e11 cm⁻², e.g. Davies, The Physics of Low-Dimensional Semiconductors, Table 1.1).
    units = Units.for_material("GaAs", 5)
    assert units.fermi_energy_from_density(3e11) == pytest.approx(10.7, abs=0.05)
    # The magnetic length at 1 T: l_B = 25.66 nm.
    assert units.magnetic_length_nm(1.0) == pytest.approx(25.66, abs=0.01)


def test_ring_flux_counts_flux_quanta_through_the_area():
    units = Units(10, 0.067)
    # h/e = 4.1357e-15 Wb: a ring of 100 nm radius holds one flux quantum at 0.1316 T.
    area = math.pi * 100.0**2
    assert units.ring_flux(0.13164, area) == pytest.approx(1.0, abs=1e-4)


def test_graphene_style_units_take_the_hopping_directly():
    units = Units(0.142, t_meV=2700.0, degeneracy=4)
    assert units.effective_mass is None
    assert units.energy_in_t(270.0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="needs Units\\(effective_mass"):
        units.fermi_energy_from_density(1e12)


def test_continuum_warnings_suggest_a_smaller_lattice_constant():
    units = Units(10, 0.067)  # t = 5.687 meV
    with pytest.warns(ContinuumWarning, match=r"lattice constant <= ([0-9.]+) nm") as record:
        units.fermi_energy(10.0)  # 1.76 t: not parabolic
    suggested = float(record[0].message.args[0].split("<= ")[1].split(" nm")[0])
    # The suggestion brings the Fermi energy to the threshold 0.5 t (t ∝ 1/a²).
    assert Units(suggested, 0.067).energy_in_t(10.0) == pytest.approx(0.5, rel=1e-2)
    with pytest.warns(ContinuumWarning, match="Hofstadter"):
        units.flux_per_plaquette(5.0)  # 0.12 h/e per plaquette
    small = Units(3, 0.067)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small.fermi_energy(10.0)
        small.flux_per_plaquette(5.0)


def test_presets_cite_their_sources_and_bad_input_is_named():
    for material in MATERIALS.values():
        assert "(19" in material.source or "(20" in material.source
    with pytest.raises(ValueError, match=r"material must be 'GaAs', 'InAs' or 'Si' \(for another"):
        Units.for_material("GaN", 5)
    with pytest.raises(ValueError, match="exactly one of effective_mass"):
        Units(10)
    with pytest.raises(ValueError, match="exactly one of effective_mass"):
        Units(10, 0.067, t_meV=5.0)
    with pytest.raises(ValueError, match="lattice_constant_nm must be a finite real number > 0"):
        Units(-1, 0.067)
    with pytest.raises(ValueError, match="degeneracy must be an integer >= 1"):
        Units(10, 0.067, degeneracy=0)


def test_tables_gain_physical_columns():
    units = Units.for_material("GaAs", 5)
    frame = pd.DataFrame({"B": [0.0, 0.01], "G": [1.0, 2.0], "R_xy": [1.0, 0.5]})
    frame.attrs["units"] = {"B": "h/e per plaquette"}
    out = units.physical_columns(frame)
    assert np.allclose(out["B_T"], units.field_tesla(frame["B"].to_numpy()))
    assert np.allclose(out["G_S"], frame["G"] * 2 * sc.e**2 / sc.h)
    assert np.allclose(out["R_xy_ohm"], frame["R_xy"] * sc.h / sc.e**2 / 2)
    assert out.attrs["physical_units"]["degeneracy"] == 2
    assert out.attrs["units"] == {
        "B": "h/e per plaquette",  # the table's own units are kept
        "B_T": "T",
        "G_S": "S",
        "R_xy_ohm": "ohm",
    }
    assert list(frame.columns) == ["B", "G", "R_xy"]  # the input is untouched
    with pytest.raises(ValueError, match="not a kind of quantity"):
        units.physical_columns(frame, {"G": "charge"})
