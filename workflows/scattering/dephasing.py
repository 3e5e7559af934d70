"""Transport with floating Büttiker dephasing probes: probe elimination and probe potentials.

A dephasing probe (:func:`systems.attach_dephasing_probes`) is a terminal that
draws no net current.  With the full conductance matrix G over real terminals
t and probes p (I = G V, e²/h), the floating condition I_p = 0 gives the probe
potentials and an effective conductance matrix of the real terminals:

    V_p = −G_pp⁻¹ G_pt V_t,        G_eff = G_tt − G_tp G_pp⁻¹ G_pt,

a Schur complement.  G itself comes from one Green's-function solve per energy
for all leads together (:func:`workflows.conductance_matrix`; for wide-band
probes T_pq = η_p η_q |G_pq|², formed for all pairs at once), and the floating
condition is one dense linear solve with one right-hand side per real
terminal; there is no loop over pairs of probes.  That dense method holds
M² numbers; for many probes ``method="auto"`` switches to the linear
method of :mod:`workflows.scattering.probe_network` (recursive Green's functions over
slices, never an M×M matrix; see :mod:`workflows.scattering.dephasing_method`).

Units: conductances in e²/h, resistances in h/e², potentials in units of the
applied terminal voltages.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse.csgraph

from analysis.bias import ZERO_CONDUCTANCE, solve_bias, two_terminal_conductance
from systems.probes import dephasing_probe_leads
from systems.validation import check_conductance_matrix, check_system, integer, terminal_index
from systems.validation import energy as check_energy
from workflows.scattering import dephasing_method
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.dephasing_method import (
    DenseFallbackWarning,
    check_dense_fits,
    check_method,
)
from workflows.scattering.probe_network import NotSliceableError, solve_probe_network

__all__ = [
    "DephasedTransport",
    "dephased_conductance",
    "dephased_transport",
    "eliminate_floating_probes",
    "probe_potential_profile",
]


def _check_probes(probes: Any, n: int) -> np.ndarray:
    if isinstance(probes, str | bytes) or not isinstance(probes, Iterable):
        raise TypeError(f"probes must be a list of terminal indices, got {probes!r}")
    checked = [terminal_index("probe index", p, n) for p in probes]
    if len(set(checked)) != len(checked):
        raise ValueError(f"probes lists a terminal more than once: {sorted(checked)}")
    return np.asarray(checked, dtype=int)


def eliminate_floating_probes(G, probes: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """Eliminate floating terminals (zero net current) from a conductance matrix.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h whose rows and columns sum to zero.
    probes
        Indices of the floating terminals (e.g. dephasing probes).  The other
        terminals, in increasing order, are the real terminals t.

    Returns
    -------
    conductance : numpy.ndarray
        (n_t, n_t) effective conductance matrix G_eff = G_tt − G_tp G_pp⁻¹ G_pt
        of the real terminals (e²/h); its rows and columns sum to zero.
    potentials : numpy.ndarray
        (n_p, n_t) characteristic potentials: the probe potentials are
        ``V_p = potentials @ V_t`` for real-terminal voltages V_t.  A probe
        that is decoupled (row and column of G zero to 1e-14 relative, e.g.
        η = 0) has no potential: its row is NaN.

    Raises
    ------
    ValueError
        No real terminal is left, or a group of coupled probes has no
        conducting path to any real terminal (its potentials are undetermined).
    """
    G = check_conductance_matrix(G)
    n = G.shape[0]
    probes = _check_probes(probes, n)
    is_probe = np.zeros(n, dtype=bool)
    is_probe[probes] = True
    terminals = np.flatnonzero(~is_probe)
    if terminals.size == 0:
        raise ValueError("every terminal is a floating probe: keep at least one real terminal")
    # Same threshold as the bias solver: a probe whose row and column vanish is decoupled.
    nonzero = np.abs(G) > ZERO_CONDUCTANCE * max(1.0, float(np.abs(G).max()))
    coupled = nonzero[probes].any(axis=1) | nonzero[:, probes].any(axis=0)
    floating = probes[coupled]
    _, component = scipy.sparse.csgraph.connected_components(nonzero, directed=False)
    orphans = floating[~np.isin(component[floating], component[terminals])]
    if orphans.size:
        raise ValueError(
            f"probe terminal(s) {orphans.tolist()[:10]}{' …' if orphans.size > 10 else ''} have "
            "no conducting path to a real terminal, so their potentials are undetermined"
        )
    g_tt = G[np.ix_(terminals, terminals)]
    potentials = np.full((probes.size, terminals.size), np.nan)
    if floating.size == 0:
        return g_tt, potentials
    g_ff = G[np.ix_(floating, floating)]
    g_ft = G[np.ix_(floating, terminals)]
    g_tf = G[np.ix_(terminals, floating)]
    try:
        x = scipy.linalg.solve(g_ff, g_ft, check_finite=False)  # one LU, n_t right-hand sides
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError) as err:
        raise ValueError(f"the floating-probe condition is singular: {err}") from None
    potentials[coupled] = -x
    return g_tt - g_tf @ x, potentials


@dataclass(frozen=True)
class DephasedTransport:
    """Transport between the real terminals with every dephasing probe floating.

    Attributes
    ----------
    energy
        Energy in units of t.
    terminals
        Lead indices of the real terminals, in the order of ``conductance``.
    probes
        Lead indices of the floating probes, in the order of ``potentials``.
    conductance
        (n_t, n_t) effective conductance matrix in e²/h (probes eliminated);
        use it with :func:`analysis.two_terminal_conductance` (lead indices,
        with ``terminals=``) or :func:`analysis.four_terminal_resistance`
        (positions in ``terminals``).
    potentials
        (n_p, n_t) characteristic potentials: ``V_p = potentials @ V_t``;
        NaN rows for decoupled probes (η = 0).
    probe_positions
        (n_p, d) position of each probe's site, lattice constants.
    method
        The elimination that ran: ``"dense"`` or ``"linear"``
        (see :mod:`workflows.scattering.dephasing_method`).
    coherent_conductance
        (n_t, n_t) block of the full conductance matrix between the real
        terminals (e²/h): off the diagonal −T_ij, the coherent transmissions
        that bypass the probes.
    """

    energy: float
    terminals: np.ndarray
    probes: np.ndarray
    conductance: np.ndarray
    potentials: np.ndarray
    probe_positions: np.ndarray
    method: str = "dense"
    coherent_conductance: np.ndarray | None = None

    def _position(self, name: str, lead: int) -> int:
        lead = integer(name, lead, what="a lead index (int)")
        where = np.flatnonzero(self.terminals == lead)
        if where.size == 0:
            raise ValueError(
                f"{name}={lead} is not a real terminal; the real terminals are "
                f"{self.terminals.tolist()}"
            )
        return int(where[0])

    def two_terminal_conductance(self, source: int = 0, sink: int = 1) -> float:
        """Conductance (e²/h) between leads ``source`` and ``sink``; all others floating.

        The same as ``analysis.two_terminal_conductance(self.conductance, source, sink,
        terminals=self.terminals)``: ``source`` and ``sink`` are lead indices.
        """
        self._position("source", source)  # a probe or unknown lead: a clear error
        self._position("sink", sink)
        return two_terminal_conductance(
            self.conductance, source, sink, terminals=self.terminals.tolist()
        )

    def terminal_voltages(self, source: int = 0, sink: int = 1) -> np.ndarray:
        """Real-terminal voltages with ``source`` at 1 and ``sink`` at 0, others floating."""
        solution = solve_bias(
            self.conductance,
            voltages={self._position("source", source): 1.0, self._position("sink", sink): 0.0},
        )
        return solution.voltages

    def probe_potentials(self, source: int = 0, sink: int = 1) -> np.ndarray:
        """Potential of every probe with ``source`` at 1 and ``sink`` at 0 (others floating).

        This is the local chemical potential seen by the probes, in units of
        the applied bias; NaN for decoupled probes.
        """
        voltages = np.nan_to_num(self.terminal_voltages(source, sink))  # decoupled terminal: 0
        return self.potentials @ voltages


def _probe_positions(fsyst: kwant.system.FiniteSystem, probes: np.ndarray) -> np.ndarray:
    positions = [
        np.mean([fsyst.sites[s].pos for s in fsyst.lead_interfaces[p]], axis=0) for p in probes
    ]
    dim = len(fsyst.sites[0].pos)
    return np.asarray(positions, dtype=float).reshape(len(probes), dim)


def _interface_orbitals(fsyst: kwant.system.FiniteSystem) -> int:
    norbs = [fsyst.sites[s].family.norbs or 1 for s in np.concatenate(fsyst.lead_interfaces)]
    return int(np.sum(norbs))


def _eliminate(fsyst, energy, params, probes, method):
    """(conductance, potentials, coherent block, method that ran)."""
    reason = ""
    if method == "linear" or (
        method == "auto" and probes.size >= dephasing_method.AUTO_LINEAR_FROM_PROBES
    ):
        try:
            solution = solve_probe_network(fsyst, energy, probes, params=params)
        except NotSliceableError as err:
            if method == "linear":
                raise ValueError(f"method='linear' cannot be used for this system: {err}") from None
            reason = str(err)
        else:
            return (
                solution.conductance,
                solution.potentials,
                solution.coherent_conductance,
                "linear",
            )
    n_orbitals = _interface_orbitals(fsyst)
    needed = check_dense_fits(n_orbitals, reason)
    if reason:
        warnings.warn(
            f"method='auto' falls back to the dense probe elimination ({reason}); it needs "
            f"about {needed / 1e9:.2g} GB for {n_orbitals} interface orbitals",
            DenseFallbackWarning,
            stacklevel=3,
        )
    G = conductance_matrix(fsyst, energy, params=params)
    conductance, potentials = eliminate_floating_probes(G, probes)
    terminals = np.setdiff1d(np.arange(G.shape[0]), probes)
    return conductance, potentials, G[np.ix_(terminals, terminals)], "dense"


def dephased_transport(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    probes: Iterable[int] | None = None,
    method: str = "auto",
) -> DephasedTransport:
    """Solve a system with floating dephasing probes at one energy.

    ``method="dense"``: one Green's-function solve gives the full conductance
    matrix (all pairs of leads at once, see :func:`workflows.conductance_matrix`);
    one linear solve eliminates every probe (:func:`eliminate_floating_probes`).
    ``method="linear"``: recursive Green's functions over slices of the system
    and a preconditioned Krylov solve of the probe equations
    (:func:`workflows.scattering.probe_network.solve_probe_network`), time and memory
    linear in the device length, never an M×M matrix; it agrees with the
    dense method to about 1e-12 (GMRES relative residual 1e-12).

    Parameters
    ----------
    fsyst
        A finalized Kwant system, typically with probes from
        :func:`systems.attach_dephasing_probes`.
    energy
        Energy in units of t.
    params
        Kwant parameters, e.g. ``{"eta": 0.05}``; omitted standard names take
        their neutral values (η = 0: probes decoupled, the coherent result).
    probes
        Lead indices to treat as floating probes; default: every dephasing
        probe of the system (:func:`systems.dephasing_probe_leads`).  Any lead
        may be listed, e.g. a voltage probe with modes (dense method only).
    method
        ``"auto"`` (default: linear from
        :data:`workflows.scattering.dephasing_method.AUTO_LINEAR_FROM_PROBES` probes on
        when every probe is a one-site wide-band probe and the system can be
        sliced between its leads, else dense with a
        :class:`~workflows.scattering.dephasing_method.DenseFallbackWarning` giving its
        memory estimate), ``"dense"`` or ``"linear"`` (an error if the system
        does not allow it).  The result's ``method`` says which ran.

    Returns
    -------
    DephasedTransport

    Raises
    ------
    MemoryError
        The dense method would need more memory than is available.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    method = check_method(method)
    probes = _check_probes(
        dephasing_probe_leads(fsyst) if probes is None else probes, len(fsyst.leads)
    )
    conductance, potentials, coherent, ran = _eliminate(fsyst, energy, params, probes, method)
    terminals = np.setdiff1d(np.arange(len(fsyst.leads)), probes)
    return DephasedTransport(
        energy=float(energy),
        terminals=terminals,
        probes=probes,
        conductance=conductance,
        potentials=potentials,
        probe_positions=_probe_positions(fsyst, probes),
        method=ran,
        coherent_conductance=coherent,
    )


def dephased_conductance(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    method: str = "auto",
) -> float:
    """Two-terminal conductance (e²/h) with every dephasing probe (and other lead) floating.

    See :func:`dephased_transport` for the parameters and ``method``.
    """
    solution = dephased_transport(fsyst, energy, params=params, method=method)
    return solution.two_terminal_conductance(source, sink)


def probe_potential_profile(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    method: str = "auto",
) -> pd.DataFrame:
    """The local chemical potential measured by the dephasing probes, source at 1 and sink at 0.

    Parameters
    ----------
    fsyst, energy, params, method
        As for :func:`dephased_transport`.
    source, sink
        Lead indices of the biased terminals; other real terminals float.

    Returns
    -------
    pandas.DataFrame
        One row per probe: ``lead``, the site position (``x``, ``y``, … in
        lattice constants) and ``mu``, the probe potential in units of the
        source–sink bias (NaN for a decoupled probe).  ``attrs`` hold
        ``energy``, the two-terminal conductance ``G`` (e²/h) and the
        ``method`` that ran.
    """
    solution = dephased_transport(fsyst, energy, params=params, method=method)
    mu = solution.probe_potentials(source, sink)
    columns = ("x", "y", "z")[: solution.probe_positions.shape[1]]
    frame = pd.DataFrame(solution.probe_positions, columns=list(columns))
    frame.insert(0, "lead", solution.probes)
    frame["mu"] = mu
    frame.attrs.update(
        energy=float(energy),
        G=solution.two_terminal_conductance(source, sink),
        method=solution.method,
    )
    return frame
