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
max_{|x| ≤ x_max} |f_N(x) − f(x)| ≤ tol, checked on a dense grid.

A Green's-function integral ∫ A(E) f(E) dE/2π of a spectral function whose
support lies within |E − μ| ≤ x_max k_B T then follows from G at the N
points E_p = μ + i z_p k_B T of the upper half plane (see
:func:`workflows.electron_density`).
"""

from __future__ import annotations

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
    m = np.arange(1, 2 * n_poles)
    off_diagonal = 1.0 / (2.0 * np.sqrt((2 * m - 1) * (2 * m + 1)))
    values, vectors = scipy.linalg.eigh_tridiagonal(np.zeros(2 * n_poles), off_diagonal)
    positive = values > 0
    b, first = values[positive], vectors[0, positive]
    poles = 1.0 / b
    residues = first**2 / (4.0 * b**2)
    order = np.argsort(poles)
    return poles[order], residues[order]


def fermi_pole_expansion(x, poles: np.ndarray, residues: np.ndarray) -> np.ndarray:
    """f_N(x) = 1/2 − Σ_p 2 R_p x / (x² + z_p²) at real x = (E − μ)/k_B T."""
    x = np.asarray(x, dtype=float)
    terms = 2.0 * residues * x[..., None] / (x[..., None] ** 2 + poles**2)
    return 0.5 - terms.sum(axis=-1)


def _expansion_error(x_max: float, poles: np.ndarray, residues: np.ndarray) -> float:
    """max |f_N − f| over 0 ≤ x ≤ x_max (f_N − f is odd about x = 0), on a dense grid."""
    x = np.concatenate([np.linspace(0.0, min(x_max, 60.0), 2001), np.geomspace(1.0, x_max, 4001)])
    x = x[x <= x_max]
    return float(np.max(np.abs(fermi_pole_expansion(x, poles, residues) - fermi(x, 0.0, 1.0))))


def fermi_poles_for_range(
    x_max: float, *, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, float]:
    """The fewest Ozaki poles with |f_N(x) − f(x)| ≤ tol for |x| ≤ x_max.

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
        As :func:`fermi_poles`, and the achieved max |f_N − f| on the range.

    Raises
    ------
    ValueError
        More than :data:`MAX_POLES` pairs would be needed.
    """
    x_max = real("x_max", x_max, minimum=0, strict=True, hint="in units of k_B T")
    tol = real("tol", tol, minimum=0, strict=True)
    # f_N is accurate up to |x| ≈ c·N² with c ≈ 1.0–1.5 at moderate tol: start there, grow 25 %.
    n = max(4, int(np.sqrt(x_max)) // 2)
    while n <= MAX_POLES:
        poles, residues = fermi_poles(n)
        error = _expansion_error(x_max, poles, residues)
        if error <= tol:
            return poles, residues, error
        n = int(np.ceil(1.25 * n))
    raise ValueError(
        f"x_max={x_max} needs more than {MAX_POLES} Fermi pole pairs for tol={tol}: "
        "raise the temperature or tol"
    )
