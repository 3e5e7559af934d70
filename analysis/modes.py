"""Landauer mode counting: open channels of a lead, analytic subbands of a strip."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np

from systems.parameters import resolve_params

__all__ = ["EDGE_TOLERANCE", "mode_count", "open_modes", "subband_edges"]

#: Energies within this many t of a subband edge count as at the edge (mode closed).
EDGE_TOLERANCE = 1e-12


def open_modes(
    fsyst: kwant.system.FiniteSystem,
    lead: int,
    energy: float,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Number of propagating (open) channels of one lead at ``energy``.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    lead
        Lead index.
    energy
        Energy in units of t.
    params
        Kwant parameters (standard names may be omitted, see
        :func:`systems.resolve_params`).

    Returns
    -------
    int
        N(E): the ideal conductance of that lead in e²/h.  In a magnetic
        field in the quantum Hall regime, the number of edge channels ν.
    """
    if isinstance(lead, bool) or not isinstance(lead, numbers.Integral):
        raise TypeError(f"lead must be a lead index (int), got {lead!r}")
    if not 0 <= lead < len(fsyst.leads):
        raise ValueError(f"lead={lead} is out of range: the system has {len(fsyst.leads)} leads")
    the_lead = fsyst.leads[lead]
    if not hasattr(the_lead, "modes"):
        raise ValueError(f"lead {lead} is a self-energy lead (e.g. a probe): it has no modes")
    params = resolve_params(fsyst, params)
    propagating, _ = the_lead.modes(float(energy), params=params)
    return int(propagating.velocities.size // 2)


def subband_edges(width: int, t: float = 1.0) -> np.ndarray:
    """Band bottoms E_n = 2t(1 − cos(nπ/(W + 1))), n = 1 … W, of a square-lattice strip.

    Kwant's on-site 4t convention: a strip of ``width`` sites with hard walls;
    subband n is open for E_n < E < E_n + 4t.

    Parameters
    ----------
    width
        Number of sites across the strip, >= 1.
    t
        Hopping (energy unit).

    Returns
    -------
    numpy.ndarray
        The ``width`` subband edges in increasing order, in units of t.
    """
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise ValueError(f"width must be a positive integer number of sites, got {width!r}")
    n = np.arange(1, width + 1)
    return 2 * t * (1 - np.cos(n * np.pi / (width + 1)))


def mode_count(energy, width: int, t: float = 1.0):
    """Analytic number of open subbands N(E) of a clean strip of ``width`` sites (B = 0).

    Parameters
    ----------
    energy
        Energy or array of energies, in units of t.
    width
        Strip width in sites.
    t
        Hopping.

    Returns
    -------
    int or numpy.ndarray of int
        N(E) = #{n : E_n < E < E_n + 4t}.

    Notes
    -----
    At a band edge the mode has zero group velocity and carries no current:
    a subband within :data:`EDGE_TOLERANCE` · |t| of its bottom or top edge is
    not counted, whatever the rounding of E_n (so ``mode_count(2.0, 3)`` is 1,
    although E_2 = 2t evaluates to 1.9999999999999998).  The simulation
    follows the same convention: at such an energy Kwant either counts the
    mode as closed, or :func:`workflows.conductance_matrix` refuses the energy
    with ``BandEdgeError`` (see :mod:`workflows.band_edges`); it never counts
    a mode that this function does not.
    """
    edges = subband_edges(width, t)
    e = np.asarray(energy, dtype=float)[..., None]
    tol = EDGE_TOLERANCE * abs(t)
    count = np.sum((edges + tol < e) & (e < edges + 4 * t - tol), axis=-1)
    return int(count) if count.ndim == 0 else count
