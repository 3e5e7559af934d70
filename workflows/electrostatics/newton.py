"""The Newton–Krylov solve shared by the self-consistent models (Thomas–Fermi, Hartree)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.optimize

from systems.validation import shown

__all__ = ["solve_potential", "warm_start"]


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
) -> tuple[np.ndarray, list[float]]:
    """U with max |F(U)| ≤ ``tolerance`` by :func:`scipy.optimize.newton_krylov` (LGMRES).

    Returns the last iterate (converged or not) and max |F| after each iteration; a start
    already within ``tolerance`` is returned after no iteration.
    """
    residuals: list[float] = []
    if np.max(np.abs(residual(start))) <= tolerance:
        return start, residuals
    try:
        solution = scipy.optimize.newton_krylov(
            residual,
            start,
            f_tol=tolerance,
            maxiter=max_iterations,
            callback=lambda x, f: residuals.append(float(np.max(np.abs(f)))),
            method="lgmres",
        )
    except scipy.optimize.NoConvergence as failure:
        solution = np.asarray(failure.args[0]).ravel()
    return solution, residuals
