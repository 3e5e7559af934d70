"""Part "interference" of the gallery (GALLERY_PARTS in conftest.py; own file: own xdist worker):
the Aharonov–Bohm figures in quick mode, their data and provenance (not pixels)."""

import numpy as np
import pandas as pd

PART = "interference"  # its figures: GALLERY_PARTS in conftest.py


def test_each_figure_has_png_data_and_provenance(
    gallery_run, gallery_names, check_files_and_provenance
):
    check_files_and_provenance(gallery_run[0], gallery_names)
    assert gallery_run[1] == "svg"  # the backend of the user's session is left alone


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
