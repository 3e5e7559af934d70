"""The Newton–Krylov solve of the self-consistent models, on closed-form problems.

F(U) = U + K tanh(U) − b with a dense symmetric K (a screened interaction between 30
sites): its root is known to machine precision from a direct Newton iteration with the
exact Jacobian 1 + K diag(sech² U), which the Krylov solve must reproduce.  The second
problem adds to F a small piecewise-constant error that depends on U, as an adaptive
quadrature's does: the iterates need it, the finite-difference Jacobian must not see it.
"""

from __future__ import annotations

import numpy as np
import pytest

from workflows.electrostatics.newton import solve_potential

SITES = 30


@pytest.fixture(scope="module")
def problem():
    x = np.arange(SITES)
    coupling = 0.4 * np.exp(-np.abs(x[:, None] - x[None, :]) / 3.0)  # eV per electron
    target = np.linspace(-0.5, 0.8, SITES)
    exact = np.zeros(SITES)
    for _ in range(50):  # Newton with the exact Jacobian: quadratic, to rounding
        jacobian = np.eye(SITES) + coupling * (1 / np.cosh(exact) ** 2)[None, :]
        exact -= np.linalg.solve(jacobian, exact + coupling @ np.tanh(exact) - target)
    assert np.max(np.abs(exact + coupling @ np.tanh(exact) - target)) < 1e-14
    return coupling, target, exact


def test_the_root_of_a_smooth_problem_to_the_tolerance(problem):
    coupling, target, exact = problem

    def residual(u):
        return u + coupling @ np.tanh(u) - target

    solution, residuals = solve_potential(residual, np.zeros(SITES), 1e-10, 30)
    assert residuals[-1] <= 1e-10 and len(residuals) <= 8
    # U − U* ≈ J⁻¹ F, and J = 1 + K diag(sech²) has no small eigenvalue here: SITES × |F|
    np.testing.assert_allclose(solution, exact, rtol=0, atol=SITES * 1e-10)
    again, none = solve_potential(residual, solution, 1e-10, 30)
    assert none == [] and again is not solution and np.array_equal(again, solution)


def test_the_jacobian_does_not_see_a_rule_that_adapts_to_the_iterate(problem):
    """A piecewise-constant error of 1e-9 eV (the quadrature rule of a density changing
    with U), on cells of 1e-9 eV, jumps within the finite-difference step (h ≈ 1.5e-8 eV)
    by ~0.1 of the step's change of F.  Held fixed in the Jacobian–vector products, the
    solve converges as on the smooth problem (measured: 3 iterations) to the tolerance
    1e-8 of the noisy F; taken into them, it needs four times as many (measured: 13)."""
    coupling, target, exact = problem
    calls = {"adaptive": 0, "frozen": 0}
    rule = {}

    def rule_error(u):  # a different constant on every cell of a 1e-9 eV lattice
        cells = np.floor(u / 1e-9)
        return 1e-9 * np.sin(1e3 * cells + np.arange(SITES))

    def residual(u):
        calls["adaptive"] += 1
        rule["error"] = rule_error(u)  # the rule of this iterate
        return u + coupling @ np.tanh(u) - target + rule["error"]

    def residual_for_jacobian(u):
        calls["frozen"] += 1
        return u + coupling @ np.tanh(u) - target + rule["error"]

    solution, residuals = solve_potential(
        residual, np.zeros(SITES), 1e-8, 30, residual_for_jacobian=residual_for_jacobian
    )
    assert residuals[-1] <= 1e-8 and len(residuals) <= 4
    np.testing.assert_allclose(solution, exact, rtol=0, atol=SITES * 2e-8)
    assert calls["frozen"] > calls["adaptive"]  # the Krylov products used the fixed rule
    _, noisy = solve_potential(residual, np.zeros(SITES), 1e-8, 30)
    assert len(noisy) >= 2 * len(residuals) + 2


def test_steps_that_never_decrease_f_end_on_a_point_whose_f_was_computed_last(problem):
    """With a Jacobian of the wrong sign every Newton direction points uphill: the
    backtracking finds no decrease down to 1/64 and takes the best step tried.  The
    contract the Hartree solve relies on (its Jacobian holds the rule of the last F) is
    that ``residual`` was last called at the point returned, after each iteration too."""
    coupling, target, _ = problem
    seen = []

    def residual(u):
        seen.append(np.array(u, copy=True))
        return u + coupling @ np.tanh(u) - target

    def wrong_sign(u):
        return -(u + coupling @ np.tanh(u) - target)

    solution, residuals = solve_potential(
        residual, np.zeros(SITES), 1e-10, 3, residual_for_jacobian=wrong_sign
    )
    assert len(residuals) == 3 and residuals[-1] > 1e-10
    np.testing.assert_array_equal(seen[-1], solution)
    # 1 start + 3 × 7 trials (s = 1 … 1/64), and F again at the best trial whenever it was
    # not the last one (measured: two of the three iterations)
    assert len(seen) > 1 + 3 * 7, len(seen)
