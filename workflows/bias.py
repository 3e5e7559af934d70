"""Büttiker bias problems: terminals at set voltages or set currents, I = G V.

Units: G in e²/h, voltages in any unit v, currents in (e²/h)·v; resistances
(voltage per unit current) come out in h/e².
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse.csgraph

__all__ = ["BiasSolution", "four_terminal_resistance", "solve_bias", "two_terminal_conductance"]


@dataclass(frozen=True)
class BiasSolution:
    """Voltages and currents of every terminal for one bias configuration.

    Attributes
    ----------
    voltages
        V_i of each terminal; NaN for a floating terminal that is decoupled from
        everything (zero row and column of G), whose potential is undefined.
    currents
        I_i = Σ_j G_ij V_j flowing from terminal i into the device.
    """

    voltages: np.ndarray
    currents: np.ndarray


def _check_matrix(G) -> np.ndarray:
    G = np.asarray(G, dtype=float)
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] < 1:
        raise ValueError(f"G must be a square conductance matrix, got shape {G.shape}")
    if not np.all(np.isfinite(G)):
        raise ValueError("G contains NaN or infinite entries")
    scale = max(1.0, float(np.abs(G).max()))
    deviation = max(np.abs(G.sum(axis=0)).max(), np.abs(G.sum(axis=1)).max())
    if deviation > 1e-6 * scale:
        raise ValueError(
            f"G is not a conductance matrix: its rows and columns must sum to zero "
            f"(largest sum {deviation:.3g})"
        )
    return G


def _check_terminal(name: str, index, n: int) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{name} must be a terminal index (int), got {index!r}")
    if not 0 <= index < n:
        raise ValueError(f"{name}={index} is out of range: the matrix has terminals 0..{n - 1}")
    return int(index)


def _check_setpoints(kind: str, values: Mapping, n: int) -> dict[int, float]:
    if not isinstance(values, Mapping):
        raise TypeError(f"{kind} must be a mapping of terminal index to value, got {values!r}")
    checked = {}
    for index, value in values.items():
        index = _check_terminal(f"terminal in {kind}", index, n)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise TypeError(f"{kind}[{index}] must be a finite real number, got {value!r}")
        checked[index] = float(value)
    return checked


def solve_bias(
    G,
    *,
    voltages: Mapping[int, float],
    currents: Mapping[int, float] | None = None,
) -> BiasSolution:
    """Solve I = G V with each terminal at a set voltage or a set current.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h whose rows and columns sum to zero.
    voltages
        Terminal index -> voltage, for the terminals held at a set voltage
        (at least one: the reference).
    currents
        Terminal index -> current injected into the device.  Terminals named
        in neither mapping float: their net current is zero (voltage probes).

    Returns
    -------
    BiasSolution

    Raises
    ------
    ValueError
        No terminal at a set voltage, a terminal named twice or out of range,
        or a floating group of terminals with no conducting path to a
        terminal at set voltage (its potentials would be undetermined).
    """
    G = _check_matrix(G)
    n = G.shape[0]
    set_v = _check_setpoints("voltages", voltages, n)
    set_i = _check_setpoints("currents", currents or {}, n)
    if not set_v:
        raise ValueError(
            "no terminal has a set voltage: give at least one (the reference) in voltages"
        )
    both = sorted(set(set_v) & set(set_i))
    if both:
        raise ValueError(f"terminal(s) {both} named in both voltages and currents")

    # Decoupled terminals (zero row and column) carry no current and have no potential.
    tol = 1e-14 * max(1.0, float(np.abs(G).max()))
    coupled = np.abs(G).max(axis=0) > tol
    bad = sorted(i for i, cur in set_i.items() if not coupled[i] and cur != 0)
    if bad:
        raise ValueError(f"terminal(s) {bad} are decoupled from the device but carry a set current")
    # Every floating group must reach a set-voltage terminal through nonzero conductances.
    _, component = scipy.sparse.csgraph.connected_components(np.abs(G) > tol, directed=False)
    anchored = {component[i] for i in set_v}
    orphans = sorted(i for i in range(n) if coupled[i] and component[i] not in anchored)
    if orphans:
        raise ValueError(
            f"terminal(s) {orphans} have no conducting path to a terminal with a set voltage, "
            "so their potentials are undetermined: the bias problem is singular"
        )

    fixed = np.array(sorted(set_v), dtype=int)
    free = np.array([i for i in range(n) if i not in set_v and coupled[i]], dtype=int)
    v = np.full(n, np.nan)
    v[fixed] = [set_v[i] for i in fixed]
    if free.size:
        rhs = np.array([set_i.get(i, 0.0) for i in free]) - G[np.ix_(free, fixed)] @ v[fixed]
        try:
            v[free] = np.linalg.solve(G[np.ix_(free, free)], rhs)
        except np.linalg.LinAlgError as err:
            raise ValueError(f"singular bias problem: {err}") from None
    active = np.flatnonzero(~np.isnan(v))
    i = np.zeros(n)
    i[active] = G[np.ix_(active, active)] @ v[active]
    return BiasSolution(voltages=v, currents=i)


def two_terminal_conductance(G, source: int = 0, sink: int = 1) -> float:
    """Conductance between two terminals with every other terminal floating, in e²/h.

    Floating terminals (voltage probes, dephasing probes) draw no net current;
    they are eliminated exactly by the Büttiker bias solution.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h.
    source, sink
        Terminal indices (distinct).
    """
    G = _check_matrix(G)
    source = _check_terminal("source", source, G.shape[0])
    sink = _check_terminal("sink", sink, G.shape[0])
    if source == sink:
        raise ValueError(f"source and sink must differ, both are {source}")
    return float(solve_bias(G, voltages={source: 1.0, sink: 0.0}).currents[source])


def four_terminal_resistance(G, current: tuple[int, int], voltage: tuple[int, int]) -> float:
    """Four-terminal resistance R_{mn,kl} = (V_k − V_l) / I in h/e², other terminals floating.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h.
    current
        (m, n): current I enters at terminal m and leaves at terminal n.
    voltage
        (k, l): the voltage is measured between terminals k and l.

    Returns
    -------
    float
        R_{mn,kl} in h/e².
    """
    G = _check_matrix(G)
    n_terms = G.shape[0]
    try:
        m, n = current
        k, l = voltage
    except (TypeError, ValueError):
        raise TypeError(
            f"current and voltage must be pairs of terminal indices, got {current!r}, {voltage!r}"
        ) from None
    m, n = (_check_terminal(f"current[{i}]", x, n_terms) for i, x in enumerate((m, n)))
    k, l = (_check_terminal(f"voltage[{i}]", x, n_terms) for i, x in enumerate((k, l)))
    if m == n:
        raise ValueError(f"current must flow between two different terminals, got {current}")
    solution = solve_bias(G, voltages={n: 0.0}, currents={m: 1.0})
    return float(solution.voltages[k] - solution.voltages[l])
