"""The figure gallery in quick mode: data properties, provenance and determinism (not pixels)."""

import numpy as np
import pandas as pd
import pytest

from workflows.app.cli import main
from workflows.app.figures import FIGURES, FigureRecipe, make_figure


def test_making_the_gallery_leaves_the_matplotlib_backend_alone(gallery_run):
    assert gallery_run[1] == "svg"


def test_a_pyplot_figure_of_a_users_recipe_is_closed_after_saving(tmp_path):
    import matplotlib.pyplot as plt

    def draw(data):
        figure, ax = plt.subplots()
        ax.plot(data["x"], data["y"])
        return figure

    table = pd.DataFrame({"x": [0.0, 1.0], "y": [1.0, 2.0]})
    recipe = FigureRecipe("mine", "a user's figure", lambda quick: table, draw)
    before = plt.get_fignums()
    written = make_figure(recipe, tmp_path, quick=True)
    assert written[0] == tmp_path / "mine.png"
    assert written[0].stat().st_size > 0
    assert plt.get_fignums() == before


def test_every_figure_has_png_data_and_provenance(
    gallery, gallery_names, check_files_and_provenance
):
    check_files_and_provenance(gallery, gallery_names)


def test_the_gallery_parts_are_figures_of_the_gallery(gallery_parts):
    parts = [name for names in gallery_parts.values() for name in names]
    assert len(parts) == len(set(parts)) and set(parts) <= set(FIGURES)


def test_hall_plateaus_follow_one_over_nu(gallery):
    hall = pd.read_csv(gallery / "hall_plateaus.csv")
    strong = hall[(hall["B"] > 0.05) & (hall["nu"] > 0)]
    assert len(strong) >= 2
    assert np.abs(strong["R_xy"] + 1 / strong["nu"]).max() < 1e-6
    assert np.abs(strong["R_xx"]).max() < 1e-6


def test_rerunning_a_figure_gives_identical_data(gallery, tmp_path):
    make_figure(FIGURES["hall_plateaus"], tmp_path, quick=True)
    assert (tmp_path / "hall_plateaus.csv").read_bytes() == (
        gallery / "hall_plateaus.csv"
    ).read_bytes()


def test_figures_cli_lists_names_and_refuses_unknown_ones(capsys):
    assert main(["figures", "--list"]) == 0
    assert capsys.readouterr().out.split() == list(FIGURES)
    assert main(["figures", "no_such_figure", "--quick"]) == 2
    assert "no_such_figure" in capsys.readouterr().err


def test_dephasing_crossover_is_linear_with_the_weak_coupling_slope(gallery):
    """Chain at E = t: k = π/3, v = 2t sin k = √3 t; slope dR/dL = η/(2v) (h/e² per site)."""
    crossover = pd.read_csv(gallery / "dephasing_crossover-crossover.csv")
    coherent = crossover[crossover["eta"] == 0]
    assert np.abs(coherent["R"] - 1).max() < 1e-9
    weak = crossover[crossover["eta"] == crossover["eta"][crossover["eta"] > 0].min()]
    slope, intercept = np.polyfit(weak["length"], weak["R"], 1)
    expected = weak["eta"].iloc[0] / (2 * np.sqrt(3))
    assert slope == pytest.approx(expected, rel=0.01)
    assert intercept == pytest.approx(1, abs=0.01)
    profile = pd.read_csv(gallery / "dephasing_crossover-profile.csv")
    fit = np.polyfit(profile["x"], profile["mu"], 1)
    residual = profile["mu"] - np.polyval(fit, profile["x"])
    assert fit[0] < 0
    assert np.abs(residual).max() < 0.01  # a linear drop along the chain


def test_entropy_production_is_positive_and_grows_with_dephasing_at_fixed_current(gallery):
    data = pd.read_csv(gallery / "entropy_dephasing.csv").sort_values("eta")
    assert (data["entropy_fixed_current"] > 0).all()
    assert (data["entropy_thermal_probes"] > 0).all()
    assert data["entropy_fixed_current"].is_monotonic_increasing  # I²R/T, R grows with η


def test_dephasing_2d_crossover_follows_the_semiclassical_network(gallery):
    """Wire, probes on every site, linear method: ballistic R = 1/N at η = 0, and at η > 0
    the incoherent Boltzmann network of analysis.dephasing (which agrees with the quantum
    result to a few 1e-3 for η/v ≲ 0.2 away from subband edges, its docstring)."""
    crossover = pd.read_csv(gallery / "dephasing_2d.csv")
    assert set(crossover["method"]) == {"linear"}
    coherent = crossover[crossover["eta"] == 0]
    np.testing.assert_allclose(coherent["R"], 0.5, rtol=1e-9)  # two open modes at E = 0.75 t
    dephased = crossover[crossover["eta"] > 0]
    np.testing.assert_allclose(dephased["R"], dephased["R_theory"], rtol=5e-3)
    assert np.all(np.diff(dephased.sort_values("length")["R"]) > 0)


def test_hot_electron_figure_follows_wiedemann_franz(gallery):
    # Voltage–temperature probes at eV = 0.02 t near the band centre: T_p on the
    # Wiedemann–Franz profile to 1e-3 (Nagaev, PRB 52, 4740 (1995)); f between 0 and 1.
    probes = pd.read_csv(gallery / "hot_electron_distribution-probes.csv")
    np.testing.assert_allclose(probes["T_p"], probes["T_wiedemann_franz"], rtol=1e-3)
    grid = pd.read_csv(gallery / "hot_electron_distribution-distribution.csv")
    assert grid["f"].between(-1e-9, 1 + 1e-9).all()


def test_biased_barrier_piles_charge_up_in_front_of_the_barrier(gallery):
    # Landauer's residual-resistivity dipole: at finite bias the carriers injected from
    # the higher-μ (left) reservoir reflect at the barrier, so the bias-window density is
    # larger in front of it than behind it, where only transmitted carriers arrive.
    density = pd.read_csv(gallery / "biased_barrier_density.csv")
    middle = density["x"].median()
    front = density.loc[density["x"] < middle - 1, "window"].mean()
    behind = density.loc[density["x"] > middle + 1, "window"].mean()
    assert front > behind > 0


def test_nsn_conductance_matrix_conserves_current_and_is_bounded(gallery):
    # The 2×2 matrix G_ij(V, E_Z) of the NSN wire on a complete bias × field grid.  The
    # current from the superconductor is computed independently (current operator on the
    # hoppings into the paired region), so G_Lj + G_Rj + G_Sj = 0 checks the whole
    # calculation to rounding (1e-9).  Unitarity bounds the local conductance,
    # 0 ≤ G_ii = N_i − T^ee_ii + T^he_ii ≤ 2 N_i (Anantram & Datta, PRB 53, 16390 (1996));
    # and the non-local signal is real (|G_RL| > 1e-2 somewhere).
    data = pd.read_csv(gallery / "nsn_conductance_matrix.csv")
    assert data.shape[0] == data["V"].nunique() * data["E_Z"].nunique() >= 4
    assert not np.any(np.isclose(data["V"], 0.0))  # the grid avoids E = 0
    np.testing.assert_allclose(data["G_LL"] + data["G_RL"] + data["G_SL"], 0.0, atol=1e-9)
    np.testing.assert_allclose(data["G_LR"] + data["G_RR"] + data["G_SR"], 0.0, atol=1e-9)
    for g, n in (("G_LL", "N_L"), ("G_RR", "N_R")):
        assert (data[g] >= -1e-9).all() and (data[g] <= 2 * data[n] + 1e-9).all()
    assert data["G_RL"].abs().max() > 1e-2
