"""The bias-window quadrature: integrals over the energies where the reservoirs differ.

A non-equilibrium density or current is an integral over real energies of a function that
is smooth on the scale k_B T (Fermi steps times injectivities or transmissions) except at
the leads' band edges, where a 1/√ van Hove singularity or a √ kink sits.  The window
[min μ_l − 36 k_B T_l, max μ_l + 36 k_B T_l] (beyond it the reservoirs' Fermi functions
differ by less than e^−36 ≈ 2e-16) is cut at every band edge and every μ_l; each piece
[a, b] is mapped from s ∈ [0, 1] with a quadratic change of variable at an edge end
(E = a + (b − a)s² if a is a band edge, E = b − (b − a)(1 − s)² if b is one,
E = a + (b − a)(1 − cos πs)/2 if both are, linear otherwise), so that the singularity
becomes smooth in s, and integrated by adaptive 21-point Gauss–Kronrod quadrature of the
whole vector integrand (:func:`analysis.gauss_kronrod.adaptive_gauss_kronrod`, error in
the max norm; each round of refinement hands all its energies to the integrand at once).

**Frozen rules.**  The partition the refinement ends on is returned as a
:class:`WindowRule`.  Given back (same reservoirs, same lead bands), it evaluates another
integrand at the same energies (``refine=False``), or starts the refinement from them.  A
self-consistent loop needs the first: with a rule that adapts to each iterate, the density
is a piecewise function of the potential, its finite-difference Jacobian is noise at the
level of the quadrature tolerance, and every iterate asks for lead self-energies at new
energies.

Units: energies and k_B T in t.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.gauss_kronrod import adaptive_gauss_kronrod
from workflows.scattering.band_extrema import lead_band_edges
from workflows.scattering.open_system import OpenSystem

__all__ = [
    "TAIL_WIDTH",
    "WindowRule",
    "lead_edges",
    "starting_partition",
    "window_cuts",
    "window_quadrature",
    "window_range",
]

#: The window spans μ_l ± TAIL_WIDTH k_B T_l (Fermi tails beyond: e^−36 ≈ 2e-16).
TAIL_WIDTH = 36.0


@dataclass(frozen=True)
class WindowRule:
    """A quadrature rule of the bias window: its pieces and the subintervals refined on them.

    Attributes
    ----------
    cuts
        Ends of the pieces (t): the window's ends, the band edges and the μ_l inside it.
    edges
        For each cut, whether it is a band edge (where the change of variable is quadratic).
    partition
        Ends of the subintervals in the mapped variable u (piece k is u ∈ [k, k + 1]).
    """

    cuts: np.ndarray
    edges: np.ndarray
    partition: np.ndarray

    def same_window(self, other: WindowRule) -> bool:
        """Whether ``other`` has the same pieces (so that its partition applies here)."""
        return np.array_equal(self.cuts, other.cuts) and np.array_equal(self.edges, other.edges)


def _mapped_energy(rule: WindowRule, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E(u) and dE/du on the pieces of ``rule`` (module docstring)."""
    cuts, is_edge = rule.cuts, rule.edges
    piece = np.minimum(np.floor(u).astype(int), cuts.size - 2)
    a, b = cuts[piece], cuts[piece + 1]
    x, width = u - piece, b - a
    both, first, last = (
        is_edge[piece] & is_edge[piece + 1],
        is_edge[piece] & ~is_edge[piece + 1],
        ~is_edge[piece] & is_edge[piece + 1],
    )
    energy = np.select(
        [both, first, last],
        [a + 0.5 * width * (1 - np.cos(np.pi * x)), a + width * x**2, b - width * (1 - x) ** 2],
        a + width * x,
    )
    jacobian = np.select(
        [both, first, last],
        [0.5 * np.pi * width * np.sin(np.pi * x), 2 * width * x, 2 * width * (1 - x)],
        width,
    )
    return energy, jacobian


def window_range(mus: np.ndarray, temperatures: np.ndarray) -> tuple[float, float]:
    """Where any two reservoirs' Fermi functions differ by more than e^−36 (t)."""
    return (
        float(np.min(mus - TAIL_WIDTH * temperatures)),
        float(np.max(mus + TAIL_WIDTH * temperatures)),
    )


def lead_edges(open_system: OpenSystem) -> np.ndarray:
    """Band edges of every lead with a band (:func:`.band_extrema.lead_band_edges`), t.

    With a :attr:`~.open_system.OpenSystem.lead_cache` they are kept there, keyed on the
    lead's fingerprint: the densities of a self-consistent loop change the region only,
    and each would otherwise find the same edges again (~5 ms per lead).
    """
    cache, params = open_system.lead_cache, open_system.params
    edges = []
    for index, lead in enumerate(open_system.fsyst.leads):
        if not hasattr(lead, "cell_hamiltonian"):
            continue  # a self-energy lead: no band
        fingerprint = None if cache is None else open_system.lead_fingerprint(index)
        key = None if fingerprint is None else (index, "band edges", fingerprint)
        cached = None if key is None else cache.get(key)
        if cached is None:
            cached = (np.asarray(lead_band_edges(lead, params=params), dtype=float), None)
            if key is not None:
                cache.put(key, cached)
        edges.append(cached[0])
    return np.unique(np.concatenate([np.zeros(0), *edges]))


#: Band edges closer than this (t, relative to 1 + |E|) are one edge: the same band's
#: extremum found in two leads (a lead and its reverse) can differ in the last bits, and
#: a piece between them, 1e-16 wide, would put quadrature energies on the edge itself.
_SAME_EDGE = 1e-10


def _distinct(edges: np.ndarray) -> np.ndarray:
    """Sorted band edges with each cluster closer than :data:`_SAME_EDGE` kept once."""
    kept: list[float] = []
    for edge in edges:
        if not kept or edge - kept[-1] > _SAME_EDGE * (1 + abs(edge)):
            kept.append(float(edge))
    return np.asarray(kept, dtype=float)


def window_cuts(open_system: OpenSystem, mus, temperatures) -> WindowRule:
    """The unrefined rule of the reservoirs' window: its pieces, one subinterval each.

    Parameters
    ----------
    open_system
        The system with its parameters (its leads' band edges cut the window).
    mus, temperatures
        μ_l and k_B T_l of every reservoir (t).
    """
    low, high = window_range(np.asarray(mus), np.asarray(temperatures))
    edges = lead_edges(open_system)
    inside = _distinct(edges[(edges > low) & (edges < high)])
    extra = [float(x) for x in mus if low < x < high and not np.any(np.isclose(x, inside))]
    cuts = np.unique(np.concatenate([[low, high], inside, extra]))
    return WindowRule(cuts, np.isin(cuts, inside), np.arange(cuts.size, dtype=float))


def starting_partition(
    rule: WindowRule, start: WindowRule | None, name: str = "start"
) -> np.ndarray:
    """The subintervals to start from: ``start``'s, checked to be of ``rule``'s window.

    Raises
    ------
    TypeError, ValueError
        ``start`` is not a :class:`WindowRule`, or was made for another window (other
        reservoirs or lead bands).
    """
    if start is None:
        return rule.partition
    if not isinstance(start, WindowRule):
        raise TypeError(
            f"{name} must be a WindowRule (ElectronDensity.window_rule), got {type(start).__name__}"
        )
    if not rule.same_window(start):
        raise ValueError(
            f"{name} was made for another bias window (other reservoirs or lead band "
            f"edges): its pieces end at {np.round(start.cuts, 6).tolist()} t, these at "
            f"{np.round(rule.cuts, 6).tolist()} t"
        )
    return start.partition


def window_quadrature(
    func: Callable[[np.ndarray], np.ndarray],
    rule: WindowRule,
    *,
    tol: float,
    limit: int,
    refine: bool = True,
    start: WindowRule | None = None,
) -> tuple[np.ndarray, float, WindowRule, np.ndarray]:
    """∫ func(E) dE over the window of ``rule`` (module docstring).

    Parameters
    ----------
    func
        Takes energies (n,) and returns the integrand there, (n, K).
    rule
        The window's pieces (:func:`window_cuts`).
    tol
        Absolute error target of every component (max norm).
    limit
        Largest number of subintervals (21 energies each).
    refine
        Refine to ``tol`` (default), or evaluate the starting partition as it is.
    start
        A rule of an earlier integral over the same window: its subintervals are the start.

    Returns
    -------
    integral, error, rule, energies
        The integral, the quadrature's error estimate, the rule it ended on and the
        energies sampled (t, increasing).

    Raises
    ------
    TypeError, ValueError
        ``start`` is not a rule of this window (:func:`starting_partition`).
    """
    partition = starting_partition(rule, start)

    def mapped(u):
        energy, jacobian = _mapped_energy(rule, u)
        return np.asarray(func(energy)) * jacobian[:, None]

    result = adaptive_gauss_kronrod(mapped, partition, tol=tol, limit=limit, refine=refine)
    return (
        result.integral,
        result.error,
        WindowRule(rule.cuts, rule.edges, result.partition),
        np.unique(_mapped_energy(rule, result.points)[0]),
    )
