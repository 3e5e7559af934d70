"""The figure gallery in quick mode: data properties, provenance and determinism (not pixels)."""

import json

import numpy as np
import pandas as pd
import pytest

from workflows.app.cli import main
from workflows.app.figures import FIGURES, FigureRecipe, make_figure, make_figures


@pytest.fixture(scope="module")
def gallery_run(tmp_path_factory, study_stores, study_store_lock, svg_backend):
    output = tmp_path_factory.mktemp("figures")
    with svg_backend() as backend:
        # The run's AAS ensemble (150 rings), computed once for three tests.
        with study_store_lock("aas_ensemble-150.sqlite"):
            make_figures(["ab_disorder_average"], output, quick=True, stores=study_stores)
        others = [name for name in FIGURES if name != "ab_disorder_average"]
        make_figures(others, output, quick=True, stores=study_stores)
    return output, backend["after"]


@pytest.fixture(scope="module")
def gallery(gallery_run):
    return gallery_run[0]


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


def test_every_figure_has_png_data_and_provenance(gallery):
    for name in FIGURES:
        assert (gallery / f"{name}.png").stat().st_size > 0
        assert list(gallery.glob(f"{name}*.csv"))
        record = json.loads((gallery / f"{name}.json").read_text())
        assert record["quick"] is True
        assert record["environment"]["kwant"] == "1.5.0"
        assert record["environment"]["solver"] in ("MUMPS", "SciPy")
        assert record["parameters"]


def test_qpc_steps_are_quantized_and_match_landauer(gallery):
    steps = pd.read_csv(gallery / "qpc_steps-steps.csv")
    cold = steps[steps["temperature"] == 0]
    assert cold["G"].iloc[0] == pytest.approx(cold["N_leads"].iloc[0], abs=1e-8)
    assert cold["G"].iloc[-1] < 1e-3
    assert (np.abs(cold["G"] - 1) < 0.05).any()  # the last plateau before pinch-off
    warm = steps[steps["temperature"] > 0]
    assert len(warm) == len(cold)
    landauer = pd.read_csv(gallery / "qpc_steps-landauer.csv")
    assert np.abs(landauer["deviation"]).max() < 1e-8


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


def test_ab_oscillations_have_period_h_over_e_and_lose_visibility(gallery):
    trace = pd.read_csv(gallery / "ab_oscillations-trace.csv")
    g = trace["G"].to_numpy()
    half = (g.size - 1) // 2  # the grid spans φ = −1 … 1
    assert np.abs(g[half:] - g[: half + 1]).max() < 1e-8  # G(φ + 1) = G(φ)
    assert np.abs(g - g[::-1]).max() < 1e-8  # two-terminal phase rigidity G(φ) = G(−φ)
    dephasing = pd.read_csv(gallery / "ab_oscillations-dephasing.csv")
    for _, ring in dephasing.groupby("arm_length"):
        assert ring.sort_values("eta")["visibility"].is_monotonic_decreasing
    temperature = pd.read_csv(gallery / "ab_oscillations-temperature.csv")
    assert temperature.sort_values("temperature")["visibility"].is_monotonic_decreasing


def test_disorder_average_keeps_h_over_2e_and_averages_out_h_over_e(gallery):
    harmonics = pd.read_csv(gallery / "ab_disorder_average-harmonics.csv").set_index("trace")
    single, average = harmonics.loc["single sample (rms)"], harmonics.loc["ensemble average"]
    samples = pd.read_csv(gallery / "ab_disorder_average-ensemble.csv")["salt"].nunique()
    assert single["ratio"] < 1  # in one sample h/e dominates
    assert average["ratio"] > 1  # after averaging h/2e (Altshuler–Aronov–Spivak) dominates
    # random h/e phases average down like 1/sqrt(N); the systematic h/2e stays above that
    # level (both bounds allow a 2σ fluctuation; see test_interference for the reasons)
    assert average["A1"] / single["A1"] < 2 / np.sqrt(samples)
    assert average["A2"] / single["A2"] > 2 / np.sqrt(samples)
    assert abs(abs(average["phase2"]) - np.pi) < 1e-6  # AAS: a minimum at φ = 0


def test_fano_crossover_follows_one_minus_t_and_rises_with_disorder(gallery):
    barrier = pd.read_csv(gallery / "fano_crossover-barrier.csv")
    assert np.abs(barrier["F"] - barrier["F_theory"]).max() < 1e-9
    diffusive = pd.read_csv(gallery / "fano_crossover-diffusive.csv").sort_values("disorder")
    assert abs(diffusive["F"].iloc[0]) < 1e-9  # clean wire: ballistic, no shot noise
    assert diffusive["F"].is_monotonic_increasing
    assert diffusive["F"].iloc[-1] < 0.45  # approaching 1/3 (the test suite checks 1/3 itself)


def test_qpc_thermopower_is_electron_like(gallery):
    data = pd.read_csv(gallery / "qpc_thermopower.csv")
    open_ = data[data["G"] > 0.01]
    assert len(open_) >= 2
    assert (open_["S"] < 0).all()


def test_wiedemann_franz_figure_has_the_sommerfeld_and_sharp_step_values(gallery):
    data = pd.read_csv(gallery / "wiedemann_franz.csv")
    coldest = data[data["temperature"] == data["temperature"].min()].set_index("system")
    assert coldest.loc["chain barrier (smooth T(E))", "lorenz"] == pytest.approx(
        np.pi**2 / 3, rel=1e-4
    )
    # A sharp step N → N + 1 at μ (N = 1): L_0 = N + 1/2, L_1 = θ ln 2,
    # L_2 = (π²/3) θ² (N + 1/2), so lorenz = π²/3 − (ln 2)²/(N + 1/2)².
    assert coldest.loc["ideal wire at a subband edge (step)", "lorenz"] == pytest.approx(
        np.pi**2 / 3 - np.log(2) ** 2 / 1.5**2, rel=1e-4
    )


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
