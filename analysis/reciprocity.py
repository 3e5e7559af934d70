"""Sanity checks of conductance matrices: sum rules and Onsager–Büttiker reciprocity.

For any linear-response scattering problem with M terminals (G in e²/h,
G_ii = N_i − R_ii, G_ij = −T_ij):

* **sum rules** — every column of G sums to zero (current conservation,
  unitarity of S: Σ_i T_ij + R_jj = N_j) and every row sums to zero (no
  current at equal voltages: Σ_j T_ij + R_ii = N_i); transmissions are
  non-negative and 0 ≤ G_ii ≤ N_i;
* **reciprocity** (Onsager–Büttiker, from S(B) = S(−B)ᵀ) —
  G(B) = G(−B)ᵀ, i.e. T_ij(B) = T_ji(−B), hence for every four-terminal
  resistance R_{mn,kl}(B) = R_{kl,mn}(−B).

The functions take conductance matrices (arrays), not systems, and report
deviations in DataFrames, so they can vet any simulation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from systems.validation import real, real_array

__all__ = [
    "conductance_reciprocity",
    "reciprocity_report",
    "resistance_reciprocity",
    "sum_rule_deviations",
]


def _matrix(name: str, G) -> np.ndarray:
    G = np.asarray(real_array(name, G, hint="a real (M, M) conductance matrix"))
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] < 2:
        raise ValueError(f"{name} must be a square (M, M) matrix with M >= 2, got shape {G.shape}")
    if not np.all(np.isfinite(G)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return G


def _pair(G_plus, G_minus) -> tuple[np.ndarray, np.ndarray]:
    G_plus, G_minus = _matrix("G_plus", G_plus), _matrix("G_minus", G_minus)
    if G_plus.shape != G_minus.shape:
        raise ValueError(
            f"G_plus and G_minus must have the same shape, got {G_plus.shape} and {G_minus.shape}"
        )
    return G_plus, G_minus


def sum_rule_deviations(G, modes: Iterable[int] | None = None) -> pd.DataFrame:
    """Per-terminal deviations from the sum rules of a conductance matrix.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h.
    modes
        Optional open-mode counts N_i of the M leads (e.g. from
        :func:`workflows.open_modes`); adds the reflection check.

    Returns
    -------
    pandas.DataFrame
        One row per terminal i, in e²/h: ``row_sum`` Σ_j G_ij and ``column_sum``
        Σ_j G_ji (both 0), ``negative_transmission`` max(0, max_{j≠i} G_ij), the
        largest negative transmission into i (0); with ``modes`` also
        ``reflection`` R_ii = N_i − G_ii and ``reflection_excess``, its distance
        outside [0, N_i] (0).
    """
    G = _matrix("G", G)
    size = G.shape[0]
    off_diagonal = G - np.diag(np.diag(G))
    frame = pd.DataFrame(
        {
            "terminal": np.arange(size),
            "row_sum": G.sum(axis=1),
            "column_sum": G.sum(axis=0),
            "negative_transmission": np.maximum(off_diagonal.max(axis=1), 0.0),
        }
    )
    if modes is not None:
        n = np.asarray(list(modes), dtype=float)
        if n.shape != (size,) or np.any(n < 0):
            raise ValueError(f"modes must list {size} non-negative mode counts, got {n.tolist()}")
        reflection = n - np.diag(G)
        frame["reflection"] = reflection
        frame["reflection_excess"] = np.maximum(-reflection, 0.0) + np.maximum(reflection - n, 0.0)
    return frame


def conductance_reciprocity(G_plus, G_minus) -> pd.DataFrame:
    """Deviations from G(B) = G(−B)ᵀ, entry by entry.

    Parameters
    ----------
    G_plus, G_minus
        (M, M) conductance matrices (e²/h) at fields +B and −B, all other
        parameters equal.

    Returns
    -------
    pandas.DataFrame
        One row per ordered pair (i, j): ``i``, ``j``, ``G_ij_plus`` = G_ij(B),
        ``G_ji_minus`` = G_ji(−B) and ``deviation`` = their difference (e²/h).
    """
    G_plus, G_minus = _pair(G_plus, G_minus)
    i, j = np.indices(G_plus.shape)
    i, j = i.ravel(), j.ravel()
    return pd.DataFrame(
        {
            "i": i,
            "j": j,
            "G_ij_plus": G_plus[i, j],
            "G_ji_minus": G_minus[j, i],
            "deviation": G_plus[i, j] - G_minus[j, i],
        }
    )


def resistance_reciprocity(
    G_plus, G_minus, configurations: Iterable[tuple[int, int, int, int]] | None = None
) -> pd.DataFrame:
    """Deviations from R_{mn,kl}(B) = R_{kl,mn}(−B) (Onsager–Büttiker).

    Parameters
    ----------
    G_plus, G_minus
        (M, M) conductance matrices (e²/h) at fields +B and −B.
    configurations
        Tuples (m, n, k, l): current from m to n, voltage V_k − V_l.  Default:
        every configuration of four distinct terminals (M ≥ 4), or of three
        (k = m) when M = 3.

    Returns
    -------
    pandas.DataFrame
        One row per configuration: ``m``, ``n``, ``k``, ``l``, ``R_plus`` =
        R_{mn,kl}(B), ``R_minus_swapped`` = R_{kl,mn}(−B) and ``deviation``
        (h/e²).  Resistances are NaN where undefined (a decoupled terminal).
    """
    from analysis.bias import SingularBiasError, four_terminal_resistance

    G_plus, G_minus = _pair(G_plus, G_minus)
    size = G_plus.shape[0]
    if configurations is None:
        if size >= 4:
            configurations = itertools.permutations(range(size), 4)
        else:
            triples = itertools.permutations(range(size), 3)
            configurations = ((m, n, m, k) for m, n, k in triples)
    configurations = [tuple(c) for c in configurations]
    for c in configurations:
        if len(c) != 4:
            raise ValueError(f"each configuration must be (m, n, k, l), got {c!r}")

    def resistance(G, current, voltage):
        try:
            return four_terminal_resistance(G, current=current, voltage=voltage)
        except SingularBiasError:
            return np.nan

    rows = []
    for configuration in configurations:
        current, voltage = configuration[:2], configuration[2:]
        r_plus = resistance(G_plus, current, voltage)
        r_minus = resistance(G_minus, voltage, current)
        rows.append((*configuration, r_plus, r_minus, r_plus - r_minus))
    columns = ["m", "n", "k", "l", "R_plus", "R_minus_swapped", "deviation"]
    return pd.DataFrame(rows, columns=columns)


def _worst(values) -> float:
    values = np.abs(np.asarray(values, dtype=float))
    return float(np.nanmax(values)) if np.any(np.isfinite(values)) else np.nan


def reciprocity_report(
    G_plus, G_minus=None, *, modes: Iterable[int] | None = None, tolerance: float = 1e-8
) -> pd.DataFrame:
    """One-line-per-check summary: sum rules, and reciprocity if G(−B) is given.

    Parameters
    ----------
    G_plus
        (M, M) conductance matrix (e²/h) at field B.
    G_minus
        Optional, the same system at −B; adds the reciprocity checks.
    modes
        Optional open-mode counts of the leads; adds the reflection check.
    tolerance
        Largest acceptable absolute deviation (e²/h for conductances,
        h/e² for resistances).

    Returns
    -------
    pandas.DataFrame
        Columns ``check`` (description), ``max_deviation`` (largest absolute
        deviation; NaN if nothing could be checked), ``tolerance`` and ``passed``.
    """
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="e²/h")
    checks: list[tuple[str, float]] = []
    fields = [("B", G_plus)] if G_minus is None else [("+B", G_plus), ("-B", G_minus)]
    for label, G in fields:
        table = sum_rule_deviations(G, modes=modes)
        checks.append((f"row sums of G({label}) = 0", _worst(table["row_sum"])))
        checks.append((f"column sums of G({label}) = 0", _worst(table["column_sum"])))
        checks.append((f"transmissions of G({label}) >= 0", _worst(table["negative_transmission"])))
        if modes is not None:
            checks.append(
                (f"0 <= reflections of G({label}) <= N", _worst(table["reflection_excess"]))
            )
    if G_minus is not None:
        checks.append(
            ("G(B) = G(-B)^T", _worst(conductance_reciprocity(G_plus, G_minus)["deviation"]))
        )
        checks.append(
            (
                "R_mn,kl(B) = R_kl,mn(-B)",
                _worst(resistance_reciprocity(G_plus, G_minus)["deviation"]),
            )
        )
    frame = pd.DataFrame(checks, columns=["check", "max_deviation"])
    frame["tolerance"] = float(tolerance)
    frame["passed"] = frame["max_deviation"] <= tolerance
    return frame
