"""Batched adaptive Gauss–Kronrod quadrature against closed forms and scipy's quad_vec."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate

from analysis.gauss_kronrod import adaptive_gauss_kronrod, kronrod_rule


def test_the_rule_matches_the_tabulated_kronrod_weights_and_is_exact_to_degree_31():
    # QK21 of QUADPACK (Piessens et al., Springer 1983): the weight of the node 0 is
    # 0.149445554002916905664936468389821 and of the outermost node
    # 0.011694638867371874278064396062192; a 21-point Kronrod extension of the 10-point
    # Gauss rule integrates polynomials up to degree 3·10 + 1 = 31 exactly.
    nodes, kronrod, gauss = kronrod_rule()
    assert kronrod[10] == pytest.approx(0.149445554002916905664936468389821, abs=1e-15)
    assert kronrod[0] == pytest.approx(0.011694638867371874278064396062192, abs=1e-15)
    assert np.count_nonzero(gauss) == 10
    for degree in range(32):
        exact = (1 - (-1) ** (degree + 1)) / (degree + 1)
        assert kronrod @ nodes**degree == pytest.approx(exact, abs=1e-14)
        if degree < 20:
            assert gauss @ nodes**degree == pytest.approx(exact, abs=1e-14)
    # Degree 32 is no longer exact (the rule's order is 31, not higher).
    assert abs(kronrod @ nodes**32 - 2 / 33) > 1e-12


def _fermi_like(x):
    """Vector integrand: a Fermi step of width 0.01, a Lorentzian, and a smooth oscillation."""
    return np.stack([0.5 * (1 - np.tanh(x / 0.02)), 0.05 / (x**2 + 0.05**2), np.cos(40 * x)], 1)


def _exact(a, b):
    def antiderivative(x):
        return np.array(
            [
                0.5 * x - 0.01 * np.logaddexp(x / 0.02, -x / 0.02),
                np.arctan(x / 0.05),
                np.sin(40 * x) / 40,
            ]
        )

    return antiderivative(b) - antiderivative(a)


@pytest.mark.parametrize("tol", [1e-6, 1e-10])
def test_error_estimate_bounds_the_true_error_on_smooth_integrands(tol):
    # ∫ (1 − tanh(x/0.02))/2 = x/2 − 0.01 log(2 cosh(x/0.02)) + const; ∫ Lorentzian =
    # arctan; ∫ cos = sin/40.  The estimate max|K − G| summed over intervals is
    # conservative for analytic integrands: the true error must lie below it and below tol.
    result = adaptive_gauss_kronrod(_fermi_like, [-1.0, 0.3, 2.0], tol=tol, limit=500)
    assert result.converged and result.error <= tol
    error = np.abs(result.integral - _exact(-1.0, 2.0)).max()
    assert error <= result.error


def test_same_integral_as_scipy_quad_vec_within_both_tolerances():
    # An independent adaptive implementation (one point at a time) of the same rule.
    reference, _ = scipy.integrate.quad_vec(
        lambda x: _fermi_like(np.array([x]))[0], -1.0, 2.0, epsabs=1e-12, norm="max"
    )
    result = adaptive_gauss_kronrod(_fermi_like, [-1.0, 2.0], tol=1e-10, limit=500)
    np.testing.assert_allclose(result.integral, reference, rtol=0, atol=1e-10 + 1e-12)


def test_each_round_hands_all_its_points_to_the_integrand_at_once():
    calls = []

    def integrand(x):
        calls.append(x.size)
        return _fermi_like(x)

    result = adaptive_gauss_kronrod(integrand, [-1.0, 0.0, 2.0], tol=1e-8, limit=500)
    assert calls[0] == 2 * 21 and all(size % 21 == 0 for size in calls)
    assert len(calls) < result.intervals  # fewer rounds than intervals: batched refinement
    assert result.points.size == sum(calls)


def test_the_interval_limit_stops_the_refinement_and_reports_it():
    result = adaptive_gauss_kronrod(_fermi_like, [-1.0, 2.0], tol=1e-14, limit=4)
    assert result.intervals == 4 and not result.converged and result.error > 1e-14


def test_a_frozen_partition_evaluates_the_same_points_and_refines_from_them():
    """The partition of a converged run, given back with ``refine=False``, is the same rule:
    the same 21 points per interval (so a perturbed integrand is sampled where the first
    was) and the same integral to rounding (1e-15: only the order of the interval sums
    differs); with ``refine=True`` the refinement starts from it and keeps every old point.
    """
    first = adaptive_gauss_kronrod(_fermi_like, [-1.0, 0.3, 2.0], tol=1e-10, limit=500)
    assert first.partition.size == first.intervals + 1
    frozen = adaptive_gauss_kronrod(
        _fermi_like, first.partition, tol=1e-10, limit=500, refine=False
    )
    assert frozen.intervals == first.intervals and frozen.points.size == 21 * first.intervals
    np.testing.assert_allclose(frozen.integral, first.integral, rtol=1e-14, atol=0)
    assert frozen.error == pytest.approx(first.error, rel=1e-9)

    def sharper(x):  # the Fermi step four times narrower: the frozen rule is now too coarse
        return _fermi_like(4 * x) / 4

    coarse = adaptive_gauss_kronrod(sharper, first.partition, tol=1e-10, limit=500, refine=False)
    assert coarse.intervals == first.intervals and coarse.error > 1e-10
    refined = adaptive_gauss_kronrod(sharper, first.partition, tol=1e-10, limit=500)
    assert refined.converged and np.all(np.isin(frozen.points, refined.points))
    np.testing.assert_allclose(refined.integral, _exact(-4.0, 8.0) / 16, rtol=0, atol=1e-10)
