"""Simulated conductance next to the Landauer prediction N(E)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.modes import mode_count

__all__ = ["compare_with_landauer"]


def compare_with_landauer(
    energies,
    conductance,
    *,
    width: int | None = None,
    modes=None,
    t: float = 1.0,
) -> pd.DataFrame:
    """Put simulated G(E) (e²/h) next to the Landauer mode count N(E).

    Give exactly one source of the prediction: ``width`` (the analytic count
    of a clean strip of that many sites, :func:`analysis.mode_count`) or
    ``modes`` (the open channels N(E) at each energy, e.g.
    ``[workflows.open_modes(fsyst, e, lead=0) for e in energies]``: counting a
    lead's modes solves it, so it is done in :mod:`workflows`).

    Returns
    -------
    pandas.DataFrame
        Columns ``energy`` (t), ``G`` (simulated, e²/h), ``N`` (Landauer
        prediction, e²/h) and ``deviation`` = G − N.
    """
    if (width is None) == (modes is None):
        raise ValueError(
            "give exactly one of width= (analytic strip) or modes= (N(E) per energy, "
            "e.g. from workflows.open_modes)"
        )
    e = np.asarray(energies, dtype=float)
    g = np.asarray(conductance, dtype=float)
    if e.shape != g.shape or e.ndim != 1:
        raise ValueError(
            f"energies and conductance must be 1D of equal length, got {e.shape} and {g.shape}"
        )
    if width is not None:
        n = np.atleast_1d(mode_count(e, width, t))
    else:
        n = np.asarray(modes)
        if n.shape != e.shape:
            raise ValueError(f"modes must hold one count per energy ({e.size}), got {n.shape}")
    return pd.DataFrame({"energy": e, "G": g, "N": n, "deviation": g - n})
