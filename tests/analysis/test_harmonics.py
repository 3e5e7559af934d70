"""Flux harmonics, visibilities and decay fits against synthetic data with known answers."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis import (
    FluxHarmonics,
    VisibilityDecayFit,
    decay_lengths,
    ensemble_harmonics,
    flux_harmonics,
    visibility,
    visibility_decay_length,
)


def series(phi, mean=0.7, terms=((1, 0.2, 0.3), (2, 0.05, -2.0))):
    """G0 + Σ A_n cos(2πnφ + θ_n): the documented convention."""
    phi = np.asarray(phi, dtype=float)
    return mean + sum(a * np.cos(2 * np.pi * n * phi + theta) for n, a, theta in terms)


def check_recovered(result, mean=0.7, terms=((1, 0.2, 0.3), (2, 0.05, -2.0)), tol=1e-12):
    assert result.mean == pytest.approx(mean, abs=tol)
    for n, a, theta in terms:
        assert result.amplitude[n] == pytest.approx(a, abs=tol)
        assert np.angle(np.exp(1j * (result.phase[n] - theta))) == pytest.approx(0, abs=1e-9)
        assert result.visibility[n] == pytest.approx(a / mean, abs=tol)


def test_uniform_grid_recovers_a_cosine_series_exactly():
    phi = np.linspace(0, 1, 16, endpoint=False)
    result = flux_harmonics(phi, series(phi))
    check_recovered(result)
    assert result.residual < 1e-13


def test_non_uniform_grid_recovers_a_cosine_series_exactly():
    phi = np.sort(np.random.default_rng(5).uniform(-0.7, 1.9, 23))
    check_recovered(flux_harmonics(phi, series(phi)))


def test_unfitted_harmonic_does_not_leak_on_a_uniform_grid():
    """On whole periods the harmonics are orthogonal: an h/3e term only adds to the residual."""
    phi = np.linspace(-1, 1, 40, endpoint=False)
    extra = ((1, 0.2, 0.3), (2, 0.05, -2.0), (3, 0.03, 1.0))
    result = flux_harmonics(phi, series(phi, terms=extra))
    check_recovered(result)
    assert result.residual == pytest.approx(0.03 / np.sqrt(2), rel=1e-12)


def test_more_orders_and_the_phase_convention():
    phi = np.linspace(0, 1, 12, endpoint=False)
    terms = ((1, 0.1, np.pi), (3, 0.02, -0.5), (4, 0.04, 2.5))
    result = flux_harmonics(phi, series(phi, mean=2.0, terms=terms), orders=(1, 3, 4))
    check_recovered(result, mean=2.0, terms=terms)
    # θ = π: a minimum at φ = 0 (the AAS sign); phases lie in (−π, π]
    assert abs(result.phase[1]) == pytest.approx(np.pi, abs=1e-9)


def test_results_are_frozen_and_keyed_by_harmonic_order():
    """Per-order fields are keyed by n (not by position): amplitude[3] is the h/3e term."""
    phi = np.linspace(0, 1, 12, endpoint=False)
    result = flux_harmonics(phi, series(phi, terms=((3, 0.02, -0.5),)), orders=(3, 1))
    assert isinstance(result, FluxHarmonics)
    assert result.orders == (3, 1)
    assert list(result.amplitude) == list(result.phase) == list(result.visibility) == [3, 1]
    assert result.amplitude[3] == pytest.approx(0.02, abs=1e-12)
    assert result.amplitude[1] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.mean = 0.0
    fit = visibility_decay_length([1.0, 2.0], [0.5, 0.25])
    assert isinstance(fit, VisibilityDecayFit)
    assert fit.decay_length == pytest.approx(1 / np.log(2), rel=1e-12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.decay_length = 1.0


def test_grids_that_cannot_resolve_the_orders_are_rejected():
    aliasing = np.linspace(0, 1, 4, endpoint=False)  # sin(4πφ) vanishes on this grid
    with pytest.raises(ValueError, match="does not determine the harmonics"):
        flux_harmonics(aliasing, series(aliasing))
    with pytest.raises(ValueError, match="does not determine"):
        flux_harmonics([0.0, 0.1, 0.2], [1.0, 1.1, 1.2])
    with pytest.raises(ValueError, match="same length"):
        flux_harmonics([0.0, 0.5], [1.0])
    with pytest.raises(ValueError, match="orders"):
        flux_harmonics(np.linspace(0, 1, 8), np.ones(8), orders=(1, 0))
    with pytest.raises(ValueError, match="finite"):
        flux_harmonics(np.linspace(0, 1, 8), [np.nan] * 8)


def test_extremal_visibility():
    phi = np.linspace(0, 1, 8, endpoint=False)  # contains φ = 0 and 1/2: both extrema
    g = 0.8 + 0.3 * np.cos(2 * np.pi * phi)
    assert visibility(g) == pytest.approx(0.3 / 0.8, abs=1e-15)
    assert visibility(g) == pytest.approx(flux_harmonics(phi, g).visibility[1], abs=1e-12)
    assert visibility([0.5, 0.5]) == 0.0
    with pytest.raises(ValueError, match=">= 0"):
        visibility([-0.1, 0.3])


def test_visibility_decay_length_recovers_an_exponential():
    lengths = np.array([10.0, 15.0, 22.0, 31.0])
    fit = visibility_decay_length(lengths, 0.9 * np.exp(-lengths / 12.5))
    assert fit.decay_length == pytest.approx(12.5, rel=1e-12)
    assert fit.prefactor == pytest.approx(0.9, rel=1e-12)
    assert fit.log_residual < 1e-12
    assert visibility_decay_length([1, 2], [0.5, 0.5]).decay_length == np.inf
    with pytest.raises(ValueError, match="> 0"):
        visibility_decay_length([1, 2], [0.5, 0.0])


def test_decay_lengths_per_group():
    lengths = np.array([10.0, 20.0, 30.0])
    frame = pd.DataFrame(
        {
            "eta": np.repeat([0.05, 0.1], 3),
            "arm_length": np.tile(lengths, 2),
            "relative_visibility": np.concatenate([np.exp(-lengths / 20), np.exp(-lengths / 10)]),
        }
    )
    fits = decay_lengths(frame)
    assert list(fits["eta"]) == [0.05, 0.1]
    assert np.allclose(fits["decay_length"], [20.0, 10.0], rtol=1e-12)


def test_ensemble_harmonics_of_a_synthetic_ensemble():
    """h/e with a random sign per sample averages away; a common h/2e term survives intact."""
    phi = np.linspace(0, 1, 10, endpoint=False)
    signs = np.array([1, -1, 1, 1, -1, -1, 1, -1])  # sums to zero
    a1 = 0.2 * np.arange(1, 9) / 8
    rows = []
    for k, (s, a) in enumerate(zip(signs, a1, strict=True)):
        g = 1.0 + s * a * np.cos(2 * np.pi * phi) - 0.04 * np.cos(4 * np.pi * phi)
        rows += [{"salt": str(k), "phi": p, "G": x} for p, x in zip(phi, g, strict=True)]
    result = ensemble_harmonics(pd.DataFrame(rows)).set_index("trace")
    single, average = result.loc["single sample (rms)"], result.loc["ensemble average"]
    assert single["A1"] == pytest.approx(np.sqrt(np.mean(a1**2)), rel=1e-12)
    assert single["A2"] == pytest.approx(0.04, rel=1e-12)
    assert average["A1"] == pytest.approx(abs(np.mean(signs * a1)), abs=1e-12)
    assert average["A2"] == pytest.approx(0.04, rel=1e-12)
    assert abs(average["phase2"]) == pytest.approx(np.pi, abs=1e-9)
    assert average["ratio"] == pytest.approx(0.04 / abs(np.mean(signs * a1)), rel=1e-9)
    assert result.attrs["n_samples"] == 8
