"""Simulated conductance next to the Landauer prediction N(E)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.modes import mode_count, open_modes

__all__ = ["compare_with_landauer"]


def compare_with_landauer(
    energies,
    conductance,
    *,
    width: int | None = None,
    fsyst=None,
    lead: int = 0,
    params: Mapping[str, Any] | None = None,
    t: float = 1.0,
) -> pd.DataFrame:
    """Put simulated G(E) (e²/h) next to the Landauer mode count N(E).

    Give exactly one source of the prediction: ``width`` (the analytic count
    of a clean strip of that many sites, :func:`analysis.mode_count`) or
    ``fsyst`` (the open channels of lead ``lead``, :func:`analysis.open_modes`;
    ``fsyst`` may also be a finalized lead, then ``lead`` is ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``energy`` (t), ``G`` (simulated, e²/h), ``N`` (Landauer
        prediction, e²/h) and ``deviation`` = G − N.
    """
    if (width is None) == (fsyst is None):
        raise ValueError("give exactly one of width= (analytic strip) or fsyst= (lead modes)")
    e = np.asarray(energies, dtype=float)
    g = np.asarray(conductance, dtype=float)
    if e.shape != g.shape or e.ndim != 1:
        raise ValueError(
            f"energies and conductance must be 1D of equal length, got {e.shape} and {g.shape}"
        )
    if width is not None:
        n = np.atleast_1d(mode_count(e, width, t))
    else:
        if isinstance(fsyst, kwant.system.InfiniteSystem):  # a finalized lead itself
            lead = None
        n = np.array([open_modes(fsyst, energy, lead=lead, params=params) for energy in e])
    return pd.DataFrame({"energy": e, "G": g, "N": n, "deviation": g - n})
