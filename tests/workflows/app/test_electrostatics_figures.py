"""The self-consistent electrostatics figures of the gallery in quick mode: what they draw.

The compute functions are called directly and their tables checked against closed forms;
the drawings are checked to show those tables, and the gallery's files (PNG, CSV,
provenance) are written from the same tables (the part "electrostatics" of GALLERY_PARTS in
conftest.py: computed once).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from systems.electrostatics import EPSILON_0
from workflows.app.electrostatics_figures import ELECTROSTATICS_RECIPES, QPC
from workflows.app.figures import FIGURES, make_figure

PART = "electrostatics"  # its figures: GALLERY_PARTS in conftest.py


@pytest.fixture(scope="module")
def gallery_run(qpc, iv, tmp_path_factory, svg_backend):
    """The two figures' files, written by make_figure from the tables the tests check."""
    output = tmp_path_factory.mktemp("figures")
    with svg_backend() as seen:
        for name, data in (("qpc_self_consistent_potential", qpc), ("iv_self_consistency", iv)):
            recipe = dataclasses.replace(FIGURES[name], compute=lambda quick, data=data: data)
            make_figure(recipe, output, quick=True)
    return output, seen["after"]


def test_each_figure_has_png_data_and_provenance(
    gallery_run, gallery_names, check_files_and_provenance
):
    check_files_and_provenance(gallery_run[0], gallery_names)
    assert gallery_run[1] == "svg"  # the backend of the user's session is left alone


def test_recipes_are_registered_in_the_gallery():
    names = [name for name, *_ in ELECTROSTATICS_RECIPES]
    assert names == ["qpc_self_consistent_potential", "iv_self_consistency"]
    assert all(name in FIGURES for name in names)


@pytest.fixture(scope="module")
def qpc():
    return FIGURES["qpc_self_consistent_potential"].compute(True)


def test_bare_potential_is_donors_plus_davies_larkin_sukhorukov(qpc, split_gate_images_lever_arm):
    sites = qpc["sites"]
    voltage = sites.attrs["V_shown"]
    # The donors: a sheet e n_d at s under a grounded plane with no field below lowers the
    # energy below it by e² n_d s / (ε₀ ε_r) (parallel plates; exact on the grid: linear φ).
    donors = -(QPC["donors_cm2"] * 1e-14) * QPC["donor_depth"] / (EPSILON_0 * QPC["eps_r"])
    geometry = {key: QPC[key] for key in ("length", "width", "finger", "gap", "depth")}
    closed = donors - voltage * split_gate_images_lever_arm(sites["x"], sites["y"], **geometry)
    # Second-order finite volumes on the 10 nm mesh: lever error measured 1.6e-3 (the
    # Poisson tests show ~4x per halving); 5e-3 of |V_g| covers it and the image truncation.
    np.testing.assert_allclose(sites["U_bare_meV"] * 1e-3, closed, rtol=0, atol=5e-3 * -voltage)
    # the gas screens: where it is occupied the self-consistent U is within a few meV of μ
    occupied = sites["n_cm2"] > 0
    assert occupied.any() and (~occupied).any()
    assert sites.loc[occupied, "U_meV"].abs().max() < 15 < sites["U_bare_meV"].abs().max()


def _open_modes(energy_t, width):
    """Open modes of a hard-wall strip of ``width`` sites (t = 1, band bottom 0)."""
    n = np.arange(1, width + 1)
    return int(np.sum(2 - 2 * np.cos(n * np.pi / (width + 1)) < energy_t))


def test_ungated_gas_is_neutral_and_fully_transmitted(qpc):
    scan = qpc["scan"].set_index("V_g")
    attrs = qpc["scan"].attrs
    # At V_g = 0 the fingers are at the surface's voltage: a uniform gas, charge-neutral with
    # the donors through the geometric and quantum capacitances in series:
    # n = n_d (s/d) / (1 + ε/(d e² D)), D = g m*/(2πħ²) = g/(4π t a²).
    a = attrs["lattice_constant"]
    t = 3.80998 / 0.067 / a**2 * 1e-2  # ħ²/(2m*a²) in eV (ħ²/2mₑ = 0.0380998 eV nm²)
    dos = 2 / (4 * np.pi * t * a**2)  # per eV per nm², spin included
    eps = EPSILON_0 * QPC["eps_r"]
    expected = QPC["donors_cm2"] * (QPC["donor_depth"] / QPC["depth"])
    expected /= 1 + eps / (QPC["depth"] * dos)
    # The Thomas–Fermi tolerance, 1e-6 eV on U, is 2e-4 of E_F ≈ 5.4 meV.
    assert scan.loc[0.0, "density_cm2_centre"] == pytest.approx(expected, rel=2e-4)
    # A clean uniform wire: G = number of open lead modes at the gas's Fermi energy, exactly.
    fermi = scan.loc[0.0, "opening_meV"] * 1e-3 / t
    width = round(QPC["width"] / a)
    modes = _open_modes(fermi, width)
    assert modes >= 4
    assert scan.loc[0.0, "G"] == pytest.approx(modes, abs=1e-8)
    assert ((scan["G"] > -1e-9) & (scan["G"] <= modes + 1e-9)).all()


def test_conductance_steps_and_pinch_off(qpc):
    scan = qpc["scan"]
    attrs = scan.attrs
    # a first plateau at 2e²/h: several gate voltages within 0.1 of one quantum
    assert (np.abs(scan["G"] - 1) < 0.1).sum() >= 2
    # closed: at the most negative voltage nothing is transmitted (tunnelling only)
    assert scan["G"].iloc[-1] < 1e-6
    # The gas's charge only raises U, so the self-consistent channel closes at a less
    # negative voltage than the bare gates say.  Quantum mechanically the first mode needs
    # the saddle's band bottom plus its transverse zero-point energy below μ: G has fallen
    # below half a quantum before the classical pinch-off, and only tunnels at V_p.
    half = scan[scan["G"] > 0.5]["V_g"].min()  # the last voltage (from open) with G > ½
    assert attrs["V_pinch_bare"] < attrs["V_pinch"] < half
    assert attrs["G_pinch"] < 0.01
    # the saddle's band bottom crosses μ between the scan points around V_p
    above = scan[scan["V_g"] > attrs["V_pinch"]]["opening_meV"].iloc[-1]
    below = scan[scan["V_g"] < attrs["V_pinch"]]["opening_meV"].iloc[0]
    assert above > 0 > below


def test_qpc_figure_draws_its_tables(qpc):
    figure = FIGURES["qpc_self_consistent_potential"].draw(qpc)
    axes = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    left, middle, right = axes[:3]
    scan = qpc["scan"]
    curve = next(line for line in right.get_lines() if len(line.get_xdata()) == len(scan))
    np.testing.assert_array_equal(curve.get_ydata(), scan["G"])
    marks = [line.get_xdata()[0] for line in right.get_lines() if len(line.get_xdata()) == 2]
    assert scan.attrs["V_pinch"] in marks and scan.attrs["V_pinch_bare"] in marks
    sites = qpc["sites"]
    cut = sites[np.isclose(sites["x"], sites["x"].iloc[sites.attrs["saddle"]])]
    bare, screened = middle.get_lines()[:2]
    np.testing.assert_array_equal(bare.get_ydata(), cut["U_bare_meV"])
    np.testing.assert_array_equal(screened.get_ydata(), cut["U_meV"])
    assert len(left.collections) == 1  # the map of U


@pytest.fixture(scope="module")
def iv():
    return FIGURES["iv_self_consistency"].compute(True)


def test_only_the_self_consistent_current_is_gauge_invariant(iv):
    """Christen & Büttiker, Europhys. Lett. 35, 523 (1996): shifting every contact and gate
    voltage by 0.3 V moves the whole open system rigidly in energy.  The self-consistent
    current keeps its value to the Hartree tolerance (1e-6 eV × G ≤ 1 e²/h) plus the energy
    grids' error (tol 1e-6 each): 1e-5.  The imposed drops hold U while the reservoirs move
    by 0.3 t, a tenth of the band: their currents change by far more than 1e-3."""
    table = iv.pivot_table(index=["drop", "bias"], columns="gauge", values="current")
    change = (table["all voltages +0.3 V"] - table["as built"]).abs()
    assert (table["as built"] > 1e-3).all()
    assert change.loc["self-consistent"].max() < 1e-5
    assert change.loc["rigid"].min() > 1e-3
    assert change.loc["linear"].min() > 1e-3


def test_iv_figure_draws_its_table(iv):
    figure = FIGURES["iv_self_consistency"].draw(iv)
    left, right = figure.axes
    built = iv[iv["gauge"] == "as built"]
    drawn = {line.get_label(): line.get_ydata() for line in left.get_lines()}
    assert set(drawn) == {"self-consistent", "rigid", "linear"}
    for drop, curve in built.groupby("drop"):
        np.testing.assert_array_equal(drawn[drop], curve["current"])
    assert right.get_yscale() == "log" and len(right.get_lines()) == 3
