"""Poles of the Fermi function: Ozaki's continued-fraction (Padé) expansion.

The Fermi function of x = (E − μ)/k_B T has the continued fraction (Ozaki,
Phys. Rev. B 75, 035123 (2007), Eqs. 6–9)

    f(x) = 1/2 − (x/4) / (1 + (x/2)² / (3 + (x/2)² / (5 + …))),

whose truncation after 2N levels is a rational function with N pairs of
simple poles on the imaginary axis,

    f_N(x) = 1/2 − Σ_{p=1}^{N} R_p [1/(x − i z_p) + 1/(x + i z_p)],

with real z_p > 0 and R_p > 0.  They follow from the eigenvalue problem of
the symmetric tridiagonal 2N × 2N matrix B with zero diagonal and

    B_{m,m+1} = B_{m+1,m} = 1 / (2 √((2m − 1)(2m + 1))),   m = 1, …, 2N − 1:

its eigenvalues come in pairs ±b_p, the poles are z_p = 1/b_p and the
residues R_p = |v_1^{(p)}|² / (4 b_p²) with v_1^{(p)} the first component of
the normalized eigenvector of b_p (Ozaki, Eq. 12; the same numbers are
tabulated as "Padé frequencies", Hu, Xu and Yan, J. Chem. Phys. 133, 101106
(2010)).  The Matsubara expansion is the case z_p = (2p − 1)π, R_p = 1; the
first Ozaki poles coincide with the first Matsubara frequencies, the last ones
lie far out on the imaginary axis, so that f_N is accurate over a range of
|x| that grows about as N² rather than N.

The expansion is exact for |x| ≲ x_N and wrong beyond (f_N → 1/2 as
|x| → ∞); :func:`fermi_poles_for_range` picks N so that
max_{|x| ≤ x_max} |f_N(x) − f(x)| ≤ tol, checked on a dense grid (the fewest such N,
for tol above the rounding floor of about 1e-14).

A Green's-function integral ∫ A(E) f(E) dE/2π of a spectral function whose
support lies within |E − μ| ≤ x_max k_B T then follows from G at the N
points E_p = μ + i z_p k_B T of the upper half plane (see
:func:`workflows.electron_density`).
"""

from __future__ import annotations

import functools
from typing import NoReturn

import numpy as np
import scipy.linalg

from analysis.thermal import fermi
from systems.validation import integer, real

__all__ = ["fermi_pole_expansion", "fermi_poles", "fermi_poles_for_range"]

#: Largest number of pole pairs :func:`fermi_poles_for_range` will use.
MAX_POLES = 2000


def fermi_poles(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """The N pole pairs ±i z_p and residues R_p of Ozaki's continued fraction.

    Parameters
    ----------
    n_poles
        Number N of pole pairs (N ≥ 1).

    Returns
    -------
    poles, residues
        ``poles``: z_p > 0 in increasing order (dimensionless, in units of
        k_B T); ``residues``: R_p > 0, so that
        f_N(x) = 1/2 − Σ_p R_p [1/(x − i z_p) + 1/(x + i z_p)].
    """
    n_poles = integer("n_poles", n_poles, minimum=1, what="an integer number of pole pairs")
    poles, residues = _pole_table(n_poles)
    return poles.copy(), residues.copy()


@functools.lru_cache(maxsize=1024)
def _pole_table(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fermi_poles` of a checked N, computed once per N (read-only arrays)."""
    m = np.arange(1, 2 * n_poles)
    off_diagonal = 1.0 / (2.0 * np.sqrt((2 * m - 1) * (2 * m + 1)))
    values, vectors = scipy.linalg.eigh_tridiagonal(np.zeros(2 * n_poles), off_diagonal)
    positive = values > 0
    b, first = values[positive], vectors[0, positive]
    poles = 1.0 / b
    residues = first**2 / (4.0 * b**2)
    order = np.argsort(poles)
    poles, residues = poles[order], residues[order]
    poles.setflags(write=False)
    residues.setflags(write=False)
    return poles, residues


def fermi_pole_expansion(x, poles: np.ndarray, residues: np.ndarray) -> np.ndarray:
    """f_N(x) = 1/2 − Σ_p 2 R_p x / (x² + z_p²) at real x = (E − μ)/k_B T."""
    x = np.asarray(x, dtype=float)
    terms = 2.0 * residues * x[..., None] / (x[..., None] ** 2 + poles**2)
    return 0.5 - terms.sum(axis=-1)


#: The check grid: 2001 points on 0 ≤ x ≤ 60 (where f varies), then a geometric grid
#: whose neighbours differ by 0.1 % in x, up to :func:`_grid_end` of N.
_LINEAR_GRID = np.linspace(0.0, 60.0, 2001)
_GEOMETRIC_STEP = 1e-3
#: Points of the check grid evaluated at once (bounded memory for thousands of poles).
_CHUNK = 1024


def _grid_end(n_poles: int) -> float:
    """Where the check grid of N poles ends: 4 N² + 100, beyond the reach of any tol below
    0.1 (f_N is accurate to about c N² with c ≈ 0.2–0.5 at tol 1e-13–1e-3).  A range beyond
    it counts as not held, so a looser tol may get more poles than it needs."""
    return 4.0 * n_poles**2 + 100.0


def _check_grid(n_poles: int) -> np.ndarray:
    end = _grid_end(n_poles)
    steps = int(np.ceil(np.log(end / _LINEAR_GRID[-1]) / _GEOMETRIC_STEP))
    return np.concatenate([_LINEAR_GRID, np.geomspace(_LINEAR_GRID[-1], end, steps + 1)[1:]])


def _deviation(x: np.ndarray, n_poles: int) -> np.ndarray:
    """|f_N(x) − f(x)| (f_N − f is odd about x = 0, so x ≥ 0 suffices)."""
    poles, residues = _pole_table(n_poles)
    return np.abs(fermi_pole_expansion(x, poles, residues) - fermi(x, 0.0, 1.0))


@functools.lru_cache(maxsize=256)
def _largest_deviation(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """The check grid of N poles and the running max of |f_N − f| along it, computed once
    per N (a pure function of N; read-only arrays)."""
    grid = _check_grid(n_poles)
    deviation = np.concatenate(
        [_deviation(grid[start : start + _CHUNK], n_poles) for start in range(0, grid.size, _CHUNK)]
    )
    largest = np.maximum.accumulate(deviation)
    grid.setflags(write=False)
    largest.setflags(write=False)
    return grid, largest


def _error_on_range(n_poles: int, x_max: float) -> float:
    """max |f_N − f| on the check grid up to x_max and at x_max itself (inf beyond the
    grid's end: such a range is not checked, and no tol holds there)."""
    if x_max > _grid_end(n_poles):
        return np.inf
    grid, largest = _largest_deviation(n_poles)
    inside = int(np.searchsorted(grid, x_max, side="right"))  # grid[0] = 0 ≤ x_max
    return max(float(largest[inside - 1]), float(_deviation(np.array([x_max]), n_poles)[0]))


def fermi_poles_for_range(
    x_max: float, *, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, float]:
    """The fewest Ozaki poles with |f_N(x) − f(x)| ≤ tol for |x| ≤ x_max.

    The deviation is checked on a dense grid (2001 points on 0 ≤ x ≤ 60, then
    neighbours 0.1 % apart up to 4 N² + 100) and at x_max.  At fixed x it falls
    monotonically with N until it reaches the rounding floor (up to ~7e-15,
    depending on the range), so for tol ≳ 1e-14 the
    N that first holds, found by 25 % steps and then bisection, is the fewest;
    below, it is an N that holds, as the steps find it.  Each N's deviations along
    the grid are computed once per process, so that the many densities of a
    self-consistent loop find their poles in about a millisecond.

    Parameters
    ----------
    x_max
        Half-width of the range, in units of k_B T (e.g. the distance of the
        spectrum's farthest edge from μ divided by k_B T).
    tol
        Largest deviation allowed.

    Returns
    -------
    poles, residues, error
        As :func:`fermi_poles`, and the achieved max |f_N − f| on the range
        (the check grid up to x_max, and x_max).

    Raises
    ------
    ValueError
        More than :data:`MAX_POLES` pairs would be needed.
    """
    x_max = real("x_max", x_max, minimum=0, strict=True, hint="in units of k_B T")
    tol = real("tol", tol, minimum=0, strict=True)
    if x_max > _grid_end(MAX_POLES):
        _too_many(x_max, tol)
    # Start where c·N² = x_max with c = 4 (below the true N: c ≈ 0.2–0.5), then grow by 25 %:
    # near the rounding floor (tol ≲ 1e-14) the error is no longer monotonic in N, and
    # doubling could step past the N that hold to a far larger one.
    failing, holding = 0, max(1, int(np.sqrt(x_max)) // 2)
    while _error_on_range(holding, x_max) > tol:
        if holding >= MAX_POLES:
            _too_many(x_max, tol)
        failing, holding = holding, min(max(holding + 1, int(np.ceil(1.25 * holding))), MAX_POLES)
    while holding - failing > 1:
        middle = (failing + holding) // 2
        if _error_on_range(middle, x_max) <= tol:
            holding = middle
        else:
            failing = middle
    poles, residues = _pole_table(holding)
    return poles.copy(), residues.copy(), _error_on_range(holding, x_max)


def _too_many(x_max: float, tol: float) -> NoReturn:
    raise ValueError(
        f"x_max={x_max} needs more than {MAX_POLES} Fermi pole pairs for tol={tol}: "
        "raise the temperature or tol"
    )
