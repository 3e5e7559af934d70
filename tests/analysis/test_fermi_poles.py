"""Ozaki's continued-fraction poles of the Fermi function."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.fermi_poles import fermi_pole_expansion, fermi_poles, fermi_poles_for_range
from analysis.thermal import fermi


def test_poles_and_residues_match_the_tabulated_pade_frequencies():
    # Five pole pairs, tabulated (8 digits) as Padé frequencies by Hu, Xu and Yan,
    # J. Chem. Phys. 133, 101106 (2010) (the same numbers as Ozaki, PRB 75, 035123 (2007)),
    # with residues relative to the Matsubara residue.
    poles, residues = fermi_poles(5)
    np.testing.assert_allclose(
        poles, [3.14159265, 9.42478813, 15.76218003, 24.87650795, 70.52670981], atol=1e-8
    )
    np.testing.assert_allclose(
        residues, [1.0, 1.00002021, 1.04839303, 2.32178225, 22.12980451], atol=1e-8
    )


@pytest.mark.parametrize("x_max", [30.0, 400.0, 3000.0])
def test_expansion_equals_the_fermi_function_on_the_requested_range(x_max):
    poles, residues, error = fermi_poles_for_range(x_max, tol=1e-13)
    # Random points (not the internal check grid), both signs: 1e-12 is the target.
    x = np.random.default_rng(1).uniform(-x_max, x_max, 5000)
    assert np.max(np.abs(fermi_pole_expansion(x, poles, residues) - fermi(x, 0.0, 1.0))) < 1e-12
    assert error <= 1e-13
    # Far beyond the range the truncated expansion tends to 1/2: the range is a real limit.
    assert abs(fermi_pole_expansion(1e3 * poles[-1], poles, residues) - 0.5) < 1e-2


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n_poles"):
        fermi_poles(0)
    with pytest.raises(ValueError, match="x_max"):
        fermi_poles_for_range(-1.0)


@pytest.mark.parametrize(("x_max", "tol"), [(60.0, 1e-8), (130.0, 1e-10), (2000.0, 1e-12)])
def test_the_pole_count_is_the_fewest_that_holds(x_max, tol):
    """N holds tol on the range and N − 1 does not, both judged on an independent grid
    (200,001 evenly spaced points, not the search's check grid; 1e-3 relative slack in
    case one of them falls between the check grid's points, 0.1 % apart)."""
    poles, residues, error = fermi_poles_for_range(x_max, tol=tol)
    x = np.linspace(0.0, x_max, 200_001)

    def deviation(n):
        return np.max(np.abs(fermi_pole_expansion(x, *fermi_poles(n)) - fermi(x, 0.0, 1.0)))

    n = poles.size
    assert error <= tol and deviation(n) <= tol * (1 + 1e-3)
    assert deviation(n - 1) > tol
    np.testing.assert_array_equal((poles, residues), fermi_poles(n))


def test_results_are_the_callers_own_arrays():
    """The pole tables are kept per process: what a caller gets can be changed freely."""
    poles, residues, _ = fermi_poles_for_range(130.0, tol=1e-10)
    poles[:] = 0.0
    residues[:] = 0.0
    again, weights, error = fermi_poles_for_range(130.0, tol=1e-10)
    assert np.all(again > 0) and np.all(weights > 0) and error <= 1e-10
    table, _ = fermi_poles(again.size)
    table[:] = -1.0
    np.testing.assert_array_equal(fermi_poles(again.size)[0], again)


def test_near_the_rounding_floor_an_n_that_holds_and_not_a_huge_one():
    """Below ~1e-14 the deviation stops falling with N (rounding) and jumps about: the
    search must still return an N that holds, and not a huge one (a doubling search gave
    N = 1600 here; 25 % steps from √x_max/2 find 25; the first N that holds is 17)."""
    poles, residues, error = fermi_poles_for_range(55.0, tol=2e-15)
    x = np.linspace(0.0, 55.0, 200_001)
    deviation = np.max(np.abs(fermi_pole_expansion(x, poles, residues) - fermi(x, 0.0, 1.0)))
    assert error <= 2e-15 and deviation <= 2e-15 * (1 + 1e-3)
    assert poles.size <= 40
