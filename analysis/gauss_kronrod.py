"""Adaptive Gauss–Kronrod quadrature of a vector integrand, evaluated a batch of points at a time.

:func:`scipy.integrate.quad_vec` asks for the integrand at one point at a
time.  When the integrand is much cheaper per point in batches (a recursive
Green's function run for a block of energies at once), the refinement should
instead hand over every point of a round together.  This module does the
same adaptive 21-point Gauss–Kronrod rule with the same error estimate:

* on each interval [a, b] the 21-point Kronrod sum K and the embedded
  10-point Gauss sum G; the interval's error is max_k |K_k − G_k| over the
  components (the max norm, as ``quad_vec(norm="max")`` takes it), the
  total error the sum over intervals;
* each round splits in two the intervals with the largest errors, as many as
  needed for the others' errors to sum to at most half the tolerance, and
  evaluates all new points in one call; it stops when the total error is at
  most ``tol`` or the number of intervals reaches ``limit``.

The rule: Gauss–Legendre nodes of order 10 (:func:`numpy.polynomial.legendre.leggauss`)
and the 11 Kronrod nodes interlaced with them (Kronrod, *Nodes and Weights of
Quadrature Formulas*, Consultants Bureau, New York 1965; tabulated in
Piessens, de Doncker-Kapenga, Überhuber and Kahaner, *QUADPACK*, Springer
1983, routine QK21).  The 21 Kronrod weights are solved here from the moments
of the Legendre polynomials (exact for degree ≤ 20 by construction; the
rule is exact to degree 31, which the tests check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.polynomial.legendre as legendre

__all__ = ["GaussKronrodResult", "adaptive_gauss_kronrod", "kronrod_rule"]

#: The Kronrod nodes of the 21-point rule that are not Gauss nodes (x ≥ 0; symmetric).
_KRONROD_ONLY = (
    0.995657163025808080735527280689003,
    0.930157491355708226001207180059508,
    0.780817726586416897063717578345042,
    0.562757134668604683339000099272694,
    0.294392862701460198131126603103866,
    0.0,
)


@cache
def kronrod_rule() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes (21, on [−1, 1], increasing), Kronrod weights, and Gauss weights (0 off Gauss nodes).

    Returns
    -------
    nodes, kronrod, gauss
        Each of length 21.
    """
    gauss_nodes, gauss_weights = legendre.leggauss(10)
    others = np.array(_KRONROD_ONLY)
    nodes = np.concatenate([gauss_nodes, others, -others[:-1]])
    order = np.argsort(nodes)
    nodes = nodes[order]
    gauss = np.concatenate([gauss_weights, np.zeros(others.size + others.size - 1)])[order]
    # Σ_j w_j P_n(x_j) = ∫ P_n = 2 δ_n0 for n = 0 … 20.
    vandermonde = legendre.legvander(nodes, 20).T
    moments = np.zeros(21)
    moments[0] = 2.0
    kronrod = np.linalg.solve(vandermonde, moments)
    return nodes, kronrod, gauss


@dataclass(frozen=True)
class GaussKronrodResult:
    """Result of :func:`adaptive_gauss_kronrod`.

    Attributes
    ----------
    integral
        The integral of every component.
    error
        The error estimate: Σ over intervals of max_k |K_k − G_k|.
    points
        Every point at which the integrand was evaluated (sorted).
    intervals
        Number of intervals at the end.
    partition
        The ends of those intervals, increasing (``intervals + 1`` values): passed back as
        ``breakpoints``, with ``refine=False``, the same rule evaluates another integrand
        on the same points (a frozen rule).
    converged
        Whether ``error`` ≤ ``tol`` (otherwise ``limit`` was reached).
    """

    integral: np.ndarray
    error: float
    points: np.ndarray
    intervals: int
    partition: np.ndarray
    converged: bool


def adaptive_gauss_kronrod(
    func: Callable[[np.ndarray], np.ndarray],
    breakpoints,
    *,
    tol: float,
    limit: int,
    refine: bool = True,
) -> GaussKronrodResult:
    """∫ func(x) dx over [breakpoints[0], breakpoints[-1]], starting from the given pieces.

    Parameters
    ----------
    func
        Takes the points x, shape (n,), and returns the integrand there,
        shape (n, K) (K components).
    breakpoints
        Increasing interval ends (at least two); each piece is integrated
        separately from the start (discontinuities, kinks).
    tol
        Absolute error target of every component (max norm).
    limit
        Largest number of intervals.
    refine
        Split intervals until the error is at most ``tol`` (default).  With False the rule
        is the 21-point rule on each piece as given, whatever its error estimate (which is
        still returned): the same points for every integrand, so that the result is a
        smooth function of the integrand's parameters (a self-consistent loop).

    Returns
    -------
    GaussKronrodResult
    """
    nodes, kronrod, gauss = kronrod_rule()
    breakpoints = np.asarray(breakpoints, dtype=float)
    lows, highs = breakpoints[:-1], breakpoints[1:]
    integrals = np.zeros((0, 0))
    errors = np.zeros(0)
    done_lows, done_highs = np.zeros(0), np.zeros(0)
    sampled = []
    while True:
        centre, half = 0.5 * (lows + highs), 0.5 * (highs - lows)
        points = (centre[:, None] + half[:, None] * nodes).ravel()
        values = np.asarray(func(points)).reshape(lows.size, nodes.size, -1)
        sampled.append(points)
        k_sum = np.einsum("j,ijk->ik", kronrod, values) * half[:, None]
        g_sum = np.einsum("j,ijk->ik", gauss, values) * half[:, None]
        new_errors = np.abs(k_sum - g_sum).max(axis=1, initial=0.0)
        integrals = k_sum if integrals.size == 0 else np.concatenate([integrals, k_sum])
        errors = np.concatenate([errors, new_errors])
        done_lows = np.concatenate([done_lows, lows])
        done_highs = np.concatenate([done_highs, highs])
        total = float(errors.sum())
        if total <= tol or errors.size >= limit or not refine:
            break
        # Split the worst intervals until the rest hold at most tol / 2.
        order = np.argsort(errors)[::-1]
        rest = total - np.cumsum(errors[order])
        count = int(np.searchsorted(-rest, -0.5 * tol)) + 1
        count = min(count, limit - errors.size, order.size)
        split = order[:count]
        keep = np.setdiff1d(np.arange(errors.size), split)
        mids = 0.5 * (done_lows[split] + done_highs[split])
        lows = np.concatenate([done_lows[split], mids])
        highs = np.concatenate([mids, done_highs[split]])
        integrals, errors = integrals[keep], errors[keep]
        done_lows, done_highs = done_lows[keep], done_highs[keep]
    return GaussKronrodResult(
        integral=integrals.sum(axis=0),
        error=total,
        points=np.sort(np.concatenate(sampled)),
        intervals=int(errors.size),
        partition=np.unique(np.concatenate([done_lows, done_highs])),
        converged=total <= tol,
    )
