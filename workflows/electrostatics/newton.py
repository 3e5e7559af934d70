"""The Newton–Krylov solve shared by the self-consistent models (Thomas–Fermi, Hartree)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.optimize

from systems.validation import shown

__all__ = ["solve_potential", "warm_start"]

#: Armijo's sufficient decrease of ‖F‖₂ along a Newton step, and the shortest step tried.
_DECREASE, _SHORTEST_STEP = 1e-4, 1.0 / 64
#: Eisenstat–Walker forcing (choice 2: γ (‖F_new‖/‖F‖)²), as scipy.optimize.nonlin_solve.
_GAMMA, _ETA_MAX, _ETA_THRESHOLD, _ETA_START = 0.9, 0.9999, 0.1, 1e-3


def warm_start(initial, bare: np.ndarray, what: str) -> np.ndarray:
    """The starting U (eV): ``bare`` (U₀) by default, else a previous solution's or an array."""
    if initial is None:
        return bare
    start = np.asarray(getattr(initial, "energy", initial), dtype=float).ravel()
    if start.shape != bare.shape or not np.all(np.isfinite(start)):
        raise ValueError(
            f"initial must be a {what} or {bare.size} finite energies (eV), got {shown(initial)}"
        )
    return start


def solve_potential(
    residual: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    tolerance: float,
    max_iterations: int,
    *,
    residual_for_jacobian: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, list[float]]:
    """U with max |F(U)| ≤ ``tolerance`` by an inexact Newton–Krylov method.

    Each Newton step solves J δU = −F by LGMRES with Jacobian–vector products from finite
    differences of F (:class:`scipy.optimize.KrylovJacobian`), to the Eisenstat–Walker
    forcing tolerance, then backtracks along δU (halving) until ‖F‖₂ decreases enough
    (Armijo), taking the best step tried if none does down to 1/64.  The inner solver and
    forcing are :func:`scipy.optimize.newton_krylov`'s (Kelley, *Iterative Methods for
    Linear and Nonlinear Equations*, SIAM 1995, Ch. 6 and 8).

    Parameters
    ----------
    residual
        F(U), eV.
    start
        The first iterate.
    tolerance
        Largest max |F| accepted, eV.
    max_iterations
        Newton steps before giving up.
    residual_for_jacobian
        F as evaluated for the finite differences about the current iterate: the same
        function, but holding fixed whatever ``residual`` adapted to that iterate (the
        quadrature rule of a density), so that F(U + hv) − F(U) is the change of F and
        not of its approximation.  When it is given, the last call to ``residual`` is
        always at the current iterate (also on return).  Default: ``residual``.

    Returns
    -------
    solution, residuals
        The last iterate (converged or not) and max |F| after each iteration; a start
        already within ``tolerance`` is returned after no iteration.
    """
    linearized = residual if residual_for_jacobian is None else residual_for_jacobian
    u = np.array(start, dtype=float)
    f = residual(u)
    residuals: list[float] = []
    jacobian = scipy.optimize.KrylovJacobian(method="lgmres")
    jacobian.setup(u.copy(), f, linearized)
    eta = _ETA_START
    size = np.linalg.norm(f)
    while np.max(np.abs(f)) > tolerance and len(residuals) < max_iterations:
        step = -jacobian.solve(f, tol=min(eta, eta * size))
        u, f, new_size = _line_search(residual, u, f, size, step)
        jacobian.update(u.copy(), f)
        residuals.append(float(np.max(np.abs(f))))
        forcing = _GAMMA * (new_size / size) ** 2
        if _GAMMA * eta**2 < _ETA_THRESHOLD:
            eta = min(_ETA_MAX, forcing)
        else:
            eta = min(_ETA_MAX, max(forcing, _GAMMA * eta**2))
        size = new_size
    return u, residuals


def _line_search(residual, u, f, size, step):
    """(U, F, ‖F‖₂) after a step s·δU, s = 1, 1/2, … until ‖F‖₂ ≤ (1 − 10⁻⁴ s)‖F‖₂.

    Without sufficient decrease down to s = 1/64 the best step tried is taken; ``residual``
    is then evaluated there again, so that its last call is at the returned U.
    """
    s, tried = 1.0, []
    while True:
        trial = u + s * step
        f_trial = residual(trial)
        size_trial = np.linalg.norm(f_trial)
        if size_trial <= (1 - _DECREASE * s) * size:
            return trial, f_trial, size_trial
        tried.append((size_trial, s, trial))
        if s <= _SHORTEST_STEP:
            break
        s /= 2
    best_size, best_s, best = min(
        tried, key=lambda entry: entry[0] if np.isfinite(entry[0]) else np.inf
    )
    if best_s == s:
        return best, f_trial, best_size
    f_best = residual(best)
    return best, f_best, np.linalg.norm(f_best)
