"""The figure gallery in quick mode, point contacts, noise and heat: data, provenance.

One of the gallery's three parts (GALLERY_PARTS in conftest.py), built in its own file so that
the parts run on different xdist workers.
"""

import numpy as np
import pandas as pd
import pytest

PART = "transport"  # its figures: GALLERY_PARTS in conftest.py


def test_each_figure_has_png_data_and_provenance(
    gallery_run, gallery_names, check_files_and_provenance
):
    check_files_and_provenance(gallery_run[0], gallery_names)
    assert gallery_run[1] == "svg"  # the backend of the user's session is left alone


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
