"""Band edges of a lead: the energies where one of its Bloch bands has zero velocity.

A lead's band E_n(k) (the eigenvalues of its Bloch Hamiltonian
H(k) = H_cell + V e^{−ik} + V† e^{ik}, :class:`kwant.physics.Bands`) has a
band edge where dE_n/dk = 0: there a mode opens or closes, the lead's density
of states has a 1/√ van Hove singularity and the device's spectral functions
have 1/√ singularities or √ kinks.  Energy integrals are split there
(:mod:`workflows.scattering.nonequilibrium`).  The extrema are found on a grid
of k and refined by Brent's method on the sorted band; where two bands cross,
the sorted bands have kinks that are reported as well (harmless extra
breakpoints).  This reads a finalized lead's Hamiltonian; it solves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np
import scipy.optimize

__all__ = ["lead_band_edges"]


def lead_band_edges(
    lead: Any, *, params: Mapping[str, Any] | None = None, samples: int = 128
) -> np.ndarray:
    """The energies (t) of the band extrema of a finalized Kwant lead, sorted and unique.

    Parameters
    ----------
    lead
        A finalized lead (``fsyst.leads[i]``) with ``cell_hamiltonian``.
    params
        Kwant parameters of the lead.
    samples
        Points of the k grid on [−π, π) before refinement.

    Returns
    -------
    numpy.ndarray
        Energies of the band edges, to about 1e-12 t.
    """
    bands = kwant.physics.Bands(lead, params=params)
    ks = np.linspace(-np.pi, np.pi, samples, endpoint=False)
    energies = np.array([bands(k) for k in ks])  # (n_k, n_bands), sorted per k
    if energies.ndim != 2 or energies.shape[1] == 0:
        return np.zeros(0)
    edges = []
    step = ks[1] - ks[0]
    for n in range(energies.shape[1]):
        band = energies[:, n]
        before, after = np.roll(band, 1), np.roll(band, -1)
        for i in np.flatnonzero((band - before) * (after - band) <= 0):
            sign = 1.0 if band[i] <= before[i] else -1.0  # minimum: +1, maximum: −1
            result = scipy.optimize.minimize_scalar(
                lambda k, n=n, sign=sign: sign * bands(k)[n],
                bracket=(ks[i] - step, ks[i], ks[i] + step),
                method="brent",
                options={"xtol": 1e-12},
            )
            edges.append(sign * float(result.fun))
    edges = np.sort(np.asarray(edges))
    if edges.size == 0:
        return edges
    keep = np.concatenate([[True], np.diff(edges) > 1e-10])
    return edges[keep]
