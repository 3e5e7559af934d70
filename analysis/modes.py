"""Landauer mode counting from numbers: the analytic subbands of a strip.

Kwant-free.  The open channels of a lead *solved* from its modes are
:func:`workflows.open_modes` and :func:`workflows.lead_velocities` (they call a
lead eigensolver, so they live in the scattering core; the names
``analysis.open_modes`` and ``analysis.lead_velocities`` raise an
``AttributeError`` saying so).
"""

from __future__ import annotations

import numpy as np

from analysis._moved import moved_attribute
from systems.validation import hopping, integer, real_array

__all__ = ["EDGE_TOLERANCE", "mode_count", "subband_edges"]

#: Energies within this many t of a subband edge count as at the edge (mode closed).
EDGE_TOLERANCE = 1e-12


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
    width = integer("width", width, minimum=1, what="an integer number of sites")
    n = np.arange(1, width + 1)
    t = hopping("t", t)
    return 2 * t * (1 - np.cos(n * np.pi / (width + 1)))


def mode_count(energy, width: int, t: float = 1.0) -> int | np.ndarray:
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
    with ``BandEdgeError`` (see :mod:`workflows.scattering.band_edges`); it never counts
    a mode that this function does not.
    """
    edges = subband_edges(width, t)
    e = np.asarray(real_array("energy", energy, hint="units of t"))[..., None]
    tol = EDGE_TOLERANCE * abs(t)
    count = np.sum((edges + tol < e) & (e < edges + 4 * t - tol), axis=-1)
    return int(count) if count.ndim == 0 else count


def __getattr__(name: str):
    return moved_attribute(__name__, name)
