"""Büttiker bias problems: terminals at set voltages or set currents, I = G V.

Every terminal of a conductance matrix G is in one of three states:

* **voltage** — held at a set voltage by a source (the reference is one of them);
* **current** — a set net current is injected into the device;
* **floating** — named in neither: a voltage probe, its net current is zero.

The unknown voltages follow from the floating and current-set rows of I = G V
(one linear solve on the M_free × M_free block), then every current from
I = G V.

Units: G in e²/h, voltages in any unit v (e.g. t/e), currents in (e²/h)·v;
resistances (voltage per unit current) come out in h/e².
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse.csgraph

from systems.validation import (
    check_conductance_matrix,
    check_source_sink,
    integer,
    terminal_index,
    terminal_setpoints,
)

__all__ = [
    "BiasSolution",
    "SingularBiasError",
    "decoupled_terminals",
    "four_terminal_resistance",
    "solve_bias",
    "two_terminal_conductance",
]

#: Largest (diagonally scaled) condition number of the floating block accepted by
#: :func:`solve_bias`; beyond it rounding errors of G alone spoil the voltages.
MAX_CONDITION = 1e12

#: Relative size below which a conductance counts as zero (a decoupled terminal).
ZERO_CONDUCTANCE = 1e-14


class SingularBiasError(ValueError):
    """A bias problem without a unique solution: a terminal or a group of terminals is
    disconnected from every terminal at a set voltage, or a voltage is asked of a
    decoupled terminal.

    A subclass of :class:`ValueError`, so that a scan can tell an undefined point
    (e.g. a probe lead without open channels) from a programming error.
    """


@dataclass(frozen=True)
class BiasSolution:
    """Voltages and currents of every terminal for one bias configuration.

    Attributes
    ----------
    voltages
        V_i of each terminal, in the unit of the set voltages (currents / (e²/h)
        if only currents were set).  NaN for a floating terminal that is
        decoupled from everything (zero row and column of G), whose potential
        is undefined.
    currents
        I_i = Σ_j G_ij V_j flowing from reservoir i into the device, in
        (e²/h) × (voltage unit).  Zero for floating terminals, Σ_i I_i = 0.
    kinds
        For each terminal ``"voltage"``, ``"current"`` or ``"floating"``: how the
        bias problem fixed it.
    """

    voltages: np.ndarray
    currents: np.ndarray
    kinds: tuple[str, ...]

    @property
    def floating(self) -> np.ndarray:
        """Boolean mask of the floating terminals (voltage probes, zero net current)."""
        return np.array([kind == "floating" for kind in self.kinds], dtype=bool)


def _coupled(G: np.ndarray) -> np.ndarray:
    """Mask of terminals with a nonzero row or column of G (connected to anything)."""
    tol = ZERO_CONDUCTANCE * max(1.0, float(np.abs(G).max()))
    return (np.abs(G).max(axis=0) > tol) | (np.abs(G).max(axis=1) > tol)


def decoupled_terminals(G) -> list[int]:
    """Terminals whose row and column of G vanish: no current can flow through them.

    E.g. a probe lead without open channels at this energy and field, or a
    dephasing probe at zero coupling.
    """
    return [int(i) for i in np.flatnonzero(~_coupled(check_conductance_matrix(G)))]


def solve_bias(
    G,
    *,
    voltages: Mapping[Any, float] | None = None,
    currents: Mapping[Any, float] | None = None,
    reference: Any = None,
    terminals: Sequence[tuple[int, int]] | None = None,
    resolved: Iterable[int] = (),
) -> BiasSolution:
    """Solve I = G V, each terminal (or contact) at a set voltage, a set current, or floating.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h whose rows and columns sum to zero.
    voltages, currents, reference
        As in the plain case below; with ``terminals``, keyed by contact.
    terminals
        The (lead, block) label of each row of ``G``, e.g. from
        :func:`workflows.scattering.block_terminals` for ``conductance_matrix(...,
        blocks=True)``.  Then the blocks of one lead form one **contact** at
        one potential (a normal metal reservoir), named by the lead index,
        unless the lead is listed in ``resolved`` or one of its blocks is
        named ``(lead, block)`` in the set-points: then each of its blocks is
        its own contact (a spin-resolved reservoir).  The solution is given
        per row of ``G``: the blocks of a contact share its voltage, and
        carry their own currents (e.g. the spin currents into a floating
        voltage probe).
    resolved
        Leads whose blocks are separate contacts even if none is named.

    Returns
    -------
    BiasSolution
        Voltages, currents and kinds for each row of ``G``.
    """
    if terminals is None:
        if tuple(resolved):
            raise ValueError("resolved= needs terminals= (the (lead, block) label of each row)")
        return _solve_plain(G, voltages=voltages, currents=currents, reference=reference)
    G = check_conductance_matrix(G)
    keys = [*(voltages or {}), *(currents or {}), *([] if reference is None else [reference])]
    contact, labels = _contacts(terminals, G.shape[0], keys, resolved)
    incidence = np.zeros((G.shape[0], len(labels)))
    incidence[np.arange(G.shape[0]), contact] = 1.0
    reduced = incidence.T @ G @ incidence
    position = {label: k for k, label in enumerate(labels)}

    def convert(name, values):
        if values is None:
            return None
        if not isinstance(values, Mapping):
            raise TypeError(f"{name} must be a mapping of contact to value, got {values!r}")
        return {_contact_index(name, key, position): value for key, value in values.items()}

    solution = _solve_plain(
        reduced,
        voltages=convert("voltages", voltages),
        currents=convert("currents", currents),
        reference=None if reference is None else _contact_index("reference", reference, position),
    )
    v = solution.voltages[contact]
    currents_out = G @ np.where(np.isnan(v), 0.0, v)
    kinds = tuple(solution.kinds[c] for c in contact)
    for row, kind in enumerate(kinds):  # a contact's set current is the sum over its blocks
        if kind == "floating" and np.sum(contact == contact[row]) == 1:
            currents_out[row] = 0.0
    return BiasSolution(voltages=v, currents=currents_out, kinds=kinds)


def _contacts(terminals, n: int, keys, resolved) -> tuple[np.ndarray, list]:
    """Contact index of each row and the contact labels (lead, or (lead, block) if resolved)."""
    try:
        labels = [(int(lead), int(block)) for lead, block in terminals]
    except (TypeError, ValueError):
        raise TypeError(
            f"terminals must be a sequence of (lead, block) pairs, got {terminals!r}"
        ) from None
    if len(labels) != n or len(set(labels)) != n:
        raise ValueError(
            f"terminals must label each of the {n} rows of G with a distinct (lead, block) "
            f"pair, got {len(labels)} labels"
        )
    split = {int(lead) for lead in resolved} | {k[0] for k in keys if isinstance(k, tuple)}
    names = [label if label[0] in split else label[0] for label in labels]
    unique = list(dict.fromkeys(names))
    return np.array([unique.index(name) for name in names], dtype=int), unique


def _contact_index(name: str, key, position: Mapping) -> int:
    if isinstance(key, tuple):
        key = tuple(int(k) for k in key)
    if key not in position:
        leads = sorted({label if isinstance(label, int) else label[0] for label in position})
        raise ValueError(
            f"{name}: {key!r} is not a contact; contacts are {list(position)} (a lead index "
            f"for a lead whose blocks share one potential, (lead, block) for a resolved "
            f"lead; leads {leads})"
        )
    return position[key]


def _solve_plain(
    G,
    *,
    voltages: Mapping[int, float] | None = None,
    currents: Mapping[int, float] | None = None,
    reference: int | None = None,
) -> BiasSolution:
    """Solve I = G V with each terminal at a set voltage, at a set current, or floating.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h whose rows and columns sum to zero
        (need not be symmetric: G(B) = G(−B)ᵀ).
    voltages
        Terminal index -> set voltage.
    currents
        Terminal index -> set current injected into the device.  Terminals
        named in neither mapping float: their net current is zero (voltage
        probes).  The set currents need not sum to zero: the terminals at set
        voltage take up the balance.
    reference
        Shorthand for a grounded terminal: adds ``{reference: 0.0}`` to
        ``voltages``.  At least one terminal must have a set voltage.

    Returns
    -------
    BiasSolution
        All voltages and currents.

    Raises
    ------
    TypeError
        A terminal index that is not an integer, a value that is not a finite number.
    ValueError
        No terminal at a set voltage (no reference; e.g. all terminals floating),
        a terminal named twice or out of range.
    SingularBiasError
        A singular problem: a decoupled terminal with a nonzero set current,
        or a floating / current-set group of terminals without a conducting
        path to a terminal at set voltage (its potentials are undetermined),
        or a floating block too ill-conditioned to solve reliably.

    Notes
    -----
    All checks are done before the linear solve.  A floating terminal that is
    decoupled from everything (zero row and column, e.g. a probe lead without
    open channels) is allowed: it carries no current and gets voltage NaN.
    """
    G = check_conductance_matrix(G)
    n = G.shape[0]
    set_v = terminal_setpoints("voltages", voltages, n)
    set_i = terminal_setpoints("currents", currents, n)
    if reference is not None:
        reference = terminal_index("reference", reference, n)
        if reference in set_v:
            raise ValueError(
                f"terminal {reference} is named twice: as reference and in voltages "
                "(give the reference either way, not both)"
            )
        set_v[reference] = 0.0
    if not set_v:
        state = "all terminals float" if not set_i else "only currents are set"
        raise ValueError(
            f"no terminal has a set voltage ({state}): the potentials are defined only up to "
            "a constant; ground one terminal with reference=<index> or voltages={index: 0.0}"
        )
    both = sorted(set(set_v) & set(set_i))
    if both:
        raise ValueError(
            f"terminal(s) {both} named twice, in both voltages and currents: each terminal "
            "has either a set voltage or a set current (or floats)"
        )

    coupled = _coupled(G)
    bad = sorted(i for i, cur in set_i.items() if not coupled[i] and cur != 0)
    if bad:
        raise SingularBiasError(
            f"terminal(s) {bad} are decoupled from the device (zero row and column of G, "
            "e.g. a lead without open channels) but carry a set nonzero current"
        )
    # Every floating group must reach a set-voltage terminal through nonzero conductances.
    # Rows and columns of G have equal sums, so each weakly connected group is strongly
    # connected: undirected connectivity is the exact criterion for a regular free block.
    tol = ZERO_CONDUCTANCE * max(1.0, float(np.abs(G).max()))
    _, component = scipy.sparse.csgraph.connected_components(np.abs(G) > tol, directed=False)
    anchored = {component[i] for i in set_v}
    orphans = sorted(i for i in range(n) if coupled[i] and component[i] not in anchored)
    if orphans:
        raise SingularBiasError(
            f"terminal(s) {orphans} have no conducting path to a terminal with a set voltage, "
            "so their potentials are undetermined: the bias problem is singular "
            "(set the voltage of one terminal in each disconnected group)"
        )

    fixed = np.array(sorted(set_v), dtype=int)
    free = np.array([i for i in range(n) if i not in set_v and coupled[i]], dtype=int)
    block = G[np.ix_(free, free)]
    v = np.full(n, np.nan)
    v[fixed] = [set_v[i] for i in fixed]
    if free.size:
        # Row-scale the floating block, LU-factorize it once, estimate its condition
        # number from the factors (LAPACK gecon, O(M²)) and reuse them for the solve.
        diagonal = np.abs(np.diag(block))
        scale = np.where(diagonal > 0, diagonal, 1.0)
        scaled = block / scale[:, None]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            factors = scipy.linalg.lu_factor(scaled, check_finite=False)
        norm = float(np.abs(scaled).sum(axis=0).max())
        rcond, _ = scipy.linalg.lapack.dgecon(factors[0], norm, norm="1")
        condition = np.inf if not rcond > 0 else 1.0 / rcond
        if not condition < MAX_CONDITION:
            raise SingularBiasError(
                f"the floating terminals {free.tolist()} are nearly disconnected from the "
                f"terminals at set voltage (condition number {condition:.2g}): "
                "their potentials are not determined to working precision"
            )
        rhs = np.array([set_i.get(i, 0.0) for i in free]) - G[np.ix_(free, fixed)] @ v[fixed]
        v[free] = scipy.linalg.lu_solve(factors, rhs / scale, check_finite=False)
    active = np.flatnonzero(~np.isnan(v))
    i = np.zeros(n)
    i[active] = G[np.ix_(active, active)] @ v[active]
    # Floating terminals carry exactly their set current (zero), not the rounding residue.
    for index in free:
        i[index] = set_i.get(int(index), 0.0)
    kinds = tuple(
        "voltage" if k in set_v else "current" if k in set_i else "floating" for k in range(n)
    )
    return BiasSolution(voltages=v, currents=i, kinds=kinds)


def _check_pair(name: str, pair, n: int) -> tuple[int, int]:
    try:
        a, b = pair
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of terminal indices (a, b), got {pair!r}") from None
    return terminal_index(f"{name}[0]", a, n), terminal_index(f"{name}[1]", b, n)


def two_terminal_conductance(
    G,
    source: int = 0,
    sink: int = 1,
    *,
    terminals: Sequence[Any] | None = None,
) -> float:
    """Conductance between two leads with every other terminal floating, in e²/h.

    Floating terminals (voltage probes, dephasing probes) draw no net current;
    they are eliminated exactly by the Büttiker bias solution.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h.
    source, sink
        Lead indices (distinct): V_source = 1, V_sink = 0.
    terminals
        The lead of each row of ``G``, when row i is not lead i: a lead index
        per row (e.g. :attr:`workflows.scattering.DephasedTransport.terminals`, whose
        matrix has the probes eliminated), or a (lead, block) pair per row
        for a block-resolved G (:func:`workflows.scattering.block_terminals`; the blocks
        of a lead then form one contact at one potential, as in
        :func:`solve_bias`).  Default: row i is lead i.

    Returns
    -------
    float
        I_source / (V_source − V_sink) in e²/h; 0 if the source is decoupled.
    """
    G = check_conductance_matrix(G)
    if terminals is not None:
        source = integer("source", source, what="a lead index")
        sink = integer("sink", sink, what="a lead index")
        if source == sink:
            raise ValueError(f"source and sink must differ, both are {source}")
        try:
            pairs = [label if np.ndim(label) == 1 else (label, 0) for label in terminals]
        except TypeError:
            raise TypeError(
                f"terminals must be a sequence of lead indices or (lead, block) pairs, "
                f"got {terminals!r}"
            ) from None
        contact, leads = _contacts(pairs, G.shape[0], (), ())
        position = {lead: k for k, lead in enumerate(leads)}
        for name, lead in (("source", source), ("sink", sink)):
            if int(lead) not in position:
                raise ValueError(
                    f"{name}={lead} is not a terminal of G; its rows are the leads {leads}"
                )
        incidence = np.zeros((G.shape[0], len(leads)))
        incidence[np.arange(G.shape[0]), contact] = 1.0
        return two_terminal_conductance(
            incidence.T @ G @ incidence, position[int(source)], position[int(sink)]
        )
    source, sink = check_source_sink(source, sink, G.shape[0])
    if G.shape[0] == 2:
        # No terminal floats: I_source = G_ss · 1 + G_s,sink · 0, the row of G times the set
        # voltages, which is what the bias solution computes (no solve, no check can fail).
        return float(G[source, source] + G[source, sink] * 0.0)
    return float(_solve_plain(G, voltages={source: 1.0, sink: 0.0}).currents[source])


def four_terminal_resistance(
    G,
    current: tuple[Any, Any],
    voltage: tuple[Any, Any],
    *,
    terminals: Sequence[tuple[int, int]] | None = None,
    resolved: Iterable[int] = (),
) -> float:
    """Four-terminal resistance R_{mn,kl} = (V_k − V_l) / I in h/e², other terminals floating.

    Büttiker's formula, R_{mn,kl} = (h/e²)(T_km T_ln − T_kn T_lm)/D for four
    terminals, generalised to any number: the terminals other than m and n
    float, and the problem is solved exactly by :func:`solve_bias`.

    Parameters
    ----------
    G
        (M, M) conductance matrix in e²/h.
    current
        (m, n): the current I enters the device at terminal m and leaves at n.
    voltage
        (k, l): the voltage V_k − V_l is measured between terminals k and l
        (either may coincide with m or n: three- and two-terminal resistances).

    terminals, resolved
        For a block-resolved G (``conductance_matrix(..., blocks=True)``):
        the (lead, block) label of each row, and the leads whose blocks are
        separate contacts (see :func:`solve_bias`); m, n, k, l then name
        contacts (a lead, or (lead, block) of a resolved lead).

    Returns
    -------
    float
        R_{mn,kl} in h/e².  Onsager–Büttiker reciprocity: R_{mn,kl}(B) = R_{kl,mn}(−B).

    Raises
    ------
    SingularBiasError
        If m or a voltage terminal is decoupled, or a group of terminals has no
        path to n: the resistance is undefined.
    """
    G = check_conductance_matrix(G)
    if terminals is not None:
        try:
            keys = [*current, *voltage]
        except TypeError:
            raise TypeError(
                f"current and voltage must be pairs, got {current!r}, {voltage!r}"
            ) from None
        contact, labels = _contacts(terminals, G.shape[0], keys, resolved)
        incidence = np.zeros((G.shape[0], len(labels)))
        incidence[np.arange(G.shape[0]), contact] = 1.0
        position = {label: k for k, label in enumerate(labels)}
        index = [
            _contact_index(name, key, position)
            for name, key in zip(("current",) * 2 + ("voltage",) * 2, keys, strict=True)
        ]
        return four_terminal_resistance(
            incidence.T @ G @ incidence, current=tuple(index[:2]), voltage=tuple(index[2:])
        )
    elif tuple(resolved):
        raise ValueError("resolved= needs terminals= (the (lead, block) label of each row)")
    n_terms = G.shape[0]
    m, n = _check_pair("current", current, n_terms)
    plus, minus = _check_pair("voltage", voltage, n_terms)
    if m == n:
        raise ValueError(f"current={current!r} must flow between two different terminals (m != n)")
    undefined = sorted({plus, minus} & set(decoupled_terminals(G)))
    if undefined:
        raise SingularBiasError(
            f"voltage terminal(s) {undefined} are decoupled from the device (e.g. a probe lead "
            "without open channels): their voltage, hence R, is undefined"
        )
    solution = _solve_plain(G, voltages={n: 0.0}, currents={m: 1.0})
    return float(solution.voltages[plus] - solution.voltages[minus])
