"""Conductance matrices along one parameter: one sparse solve + Dyson updates, or Kwant per value.

Sweeping a flux through a branch cut, a gate on a small region or a single
impurity changes only a few matrix elements of the Hamiltonian.  At fixed
energy the open system is then solved once, on the sites those elements touch
plus the lead interfaces, and every value costs only a small dense solve on
that subspace (the Dyson equation).

Notation (orbital indices of the scattering region):

* ``A = E − H₀ − Σ₀`` with H₀ and the lead self-energies Σ₀ at the reference
  point (the first value), G₀ = A⁻¹;
* P: the orbitals of the matrix elements that change along the sweep (and the
  interfaces of leads whose self-energy changes); V(value) = ΔH + ΔΣ lives on P;
* J: the interface orbitals of all leads, lead by lead;
* G_JJ = G₀_JJ + G₀_JP V (1 − G₀_PP V)⁻¹ G₀_PJ, exactly;
* T_ij = Tr[Γ_i G_ij Γ_j G_ij†] (Fisher–Lee) with Γ_i = i(Σ_i − Σ_i†).

Only the block P ∪ J of G₀ is ever computed, by the scattering core
(:meth:`workflows.scattering.OpenSystem.greens_function`: one factorization).
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import threadpoolctl

from systems.parameters import check_swept_param, resolve_params, updated_params
from systems.validation import check_system, choice, iterable
from systems.validation import energy as check_energy
from workflows.scattering import (
    InterfaceGreensFunction,
    OpenSystem,
    broadening,
    conductance_from_transmissions,
)
from workflows.scattering.band_edges import resolve_energy
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.nambu import refuse_lead_totals

__all__ = ["SweepFallbackWarning", "reduces", "sweep"]

logger = logging.getLogger(__name__)

#: Largest perturbation support |P| (orbitals) handled by the reduced method:
#: each value costs a dense solve of this size.
MAX_PERTURBATION_ORBITALS = 400
#: Largest subspace |P ∪ J| (orbitals): the number of right-hand sides of the one sparse solve.
MAX_SUBSPACE_ORBITALS = 4000
#: The perturbation may cover at most this fraction of the system (else nothing is saved).
MAX_PERTURBATION_FRACTION = 1 / 3
METHODS = ("auto", "reduced", "direct")


class SweepFallbackWarning(RuntimeWarning):
    """``method="reduced"`` could not be used; the sweep was solved directly (still exact)."""


@dataclass
class _Plan:
    """Everything the reduced method needs, found before any sparse solve."""

    open_system: OpenSystem  # H₀ assembled at the reference point, and its solver
    interfaces: list[np.ndarray]  # interface orbitals of each lead
    selfenergies: list[list[np.ndarray]]  # [value][lead] Σ_l (reference object reused if fixed)
    perturbations: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # ΔH (rows, cols, data)
    support: np.ndarray  # P, sorted orbital indices


def _lead_parameters(lead) -> frozenset[str] | None:
    names = getattr(lead, "parameters", None)
    return None if names is None else frozenset(names)


def _leads_reading(fsyst: kwant.system.FiniteSystem, param: str) -> list[int]:
    """The leads that read ``param`` (or may: a lead that does not list its parameters)."""
    return [
        i
        for i, lead in enumerate(fsyst.leads)
        if (names := _lead_parameters(lead)) is None or param in names
    ]


def _plan(open_system: OpenSystem, energy: float, param: str, points: list[dict]) -> _Plan | str:
    """Find the changed matrix elements of every value; a reason (str) if reduction does not pay."""
    fsyst = open_system.fsyst
    n_orbs = open_system.n_orbitals
    limit = min(MAX_PERTURBATION_ORBITALS, int(MAX_PERTURBATION_FRACTION * n_orbs))

    interfaces = open_system.interfaces
    varying_leads = _leads_reading(fsyst, param)
    reference_sigma = open_system.selfenergies(energy)

    support: set[int] = set()
    perturbations, selfenergies = [], []
    for index, params in enumerate(points):
        if index:  # ΔH from the core (the changed elements are found once per parameter)
            change = open_system.hamiltonian_change(params, param=param)
            rows, cols, data = change.rows, change.cols, change.data
        else:
            rows, cols, data = np.zeros(0, int), np.zeros(0, int), np.zeros(0, complex)
        support.update(rows.tolist())
        support.update(cols.tolist())
        sigma = list(reference_sigma)
        values = open_system.selfenergies(energy, varying_leads, params=params) if index else []
        for lead, value in zip(varying_leads if index else (), values, strict=True):
            if np.any(value != reference_sigma[lead]):
                sigma[lead] = value
                support.update(interfaces[lead].tolist())
        if len(support) > limit:
            return (
                f"varying {param!r} changes the matrix elements of {len(support)} or more of "
                f"the {n_orbs} orbitals (at value #{index}, {params[param]!r}); the reduced "
                f"method handles at most {limit}"
            )
        perturbations.append((rows, cols, data))
        selfenergies.append(sigma)

    subspace = np.union1d(np.fromiter(support, int, len(support)), np.concatenate(interfaces))
    if subspace.size > MAX_SUBSPACE_ORBITALS:
        return (
            f"the changed elements and the lead interfaces span {subspace.size} orbitals; "
            f"the reduced method handles at most {MAX_SUBSPACE_ORBITALS}"
        )
    return _Plan(
        open_system, interfaces, selfenergies, perturbations, np.array(sorted(support), dtype=int)
    )


def _perturbation(plan: _Plan, index: int, local: np.ndarray) -> np.ndarray:
    """V = ΔH + ΔΣ of value ``index`` as a dense matrix on the support P."""
    rows, cols, data = plan.perturbations[index]
    v = np.zeros((plan.support.size,) * 2, complex)
    np.add.at(v, (local[rows], local[cols]), data)
    for lead, (sigma, sigma0) in enumerate(
        zip(plan.selfenergies[index], plan.selfenergies[0], strict=True)
    ):
        if sigma is not sigma0:  # a lead whose self-energy changed (its interface is in P)
            o = local[plan.interfaces[lead]]
            v[np.ix_(o, o)] += sigma - sigma0
    return v


def _reduced(plan: _Plan, energy: float) -> np.ndarray:
    """Conductance matrices of every value from one sparse solve on the subspace P ∪ J."""
    interfaces = plan.interfaces
    joined = np.concatenate(interfaces)  # J, lead by lead (an orbital may repeat)
    subspace = np.union1d(plan.support, joined)
    n_orbs = plan.open_system.n_orbitals

    g0 = plan.open_system.greens_function(energy, subspace, plan.selfenergies[0])
    p = np.searchsorted(subspace, plan.support)
    j = np.searchsorted(subspace, joined)
    g0_jj, g0_jp, g0_pj, g0_pp = (g0[np.ix_(r, c)] for r, c in ((j, j), (j, p), (p, j), (p, p)))
    local = np.full(n_orbs, -1)
    local[plan.support] = np.arange(plan.support.size)
    offsets = np.concatenate([[0], np.cumsum([o.size for o in interfaces])]).astype(int)
    reference_sigmas = plan.selfenergies[0]
    reference_gammas = [broadening(s) for s in reference_sigmas]

    results = []
    # The matrices here are small: BLAS threads only add contention (badly so on a busy machine).
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        for index, selfenergies in enumerate(plan.selfenergies):
            v = _perturbation(plan, index, local)
            g = g0_jj
            if np.any(v):  # Dyson: G_JJ = G0_JJ + G0_JP V (1 − G0_PP V)⁻¹ G0_PJ
                identity = np.eye(v.shape[0])
                g = g0_jj + g0_jp @ (v @ np.linalg.solve(identity - g0_pp @ v, g0_pj))
            gammas = tuple(
                gamma if sigma is sigma0 else broadening(sigma)
                for sigma, sigma0, gamma in zip(
                    selfenergies, reference_sigmas, reference_gammas, strict=True
                )
            )
            transmission = InterfaceGreensFunction(g, gammas, offsets).transmissions()
            results.append(conductance_from_transmissions(transmission))
    return np.array(results, dtype=float)


def reduces(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    param: str,
    values: Iterable[Any],
    *,
    params: Mapping[str, Any] | None = None,
) -> bool:
    """Whether :func:`sweep` of ``param`` over ``values`` would use the reduced method.

    The same decision as ``sweep(..., method="auto")`` (which matrix elements
    and lead self-energies change, and whether they span few enough
    orbitals), taken without any sparse solve: it assembles the Hamiltonian
    once and evaluates the changing elements per value.  A run layer uses it
    to hand a whole axis of a grid to one :func:`sweep`.

    Parameters
    ----------
    fsyst, energy, param, values, params
        As for :func:`sweep`.

    Returns
    -------
    bool
        True if the reduced (Dyson) method applies; False otherwise, also when
        the arguments are invalid (``sweep`` itself then reports the error).
    """
    try:
        check_system(fsyst)
        energy = check_energy("energy", energy)
        check_swept_param(fsyst, param, params)
        points = [resolve_params(fsyst, updated_params(params, {param: v})) for v in values]
        if len(points) < 2:
            return False
        return isinstance(_plan(OpenSystem(fsyst, params=points[0]), energy, param, points), _Plan)
    except Exception:
        return False


def sweep(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    param: str,
    values: Iterable[Any],
    *,
    params: Mapping[str, Any] | None = None,
    method: str = "auto",
    at_band_edge: str | None = None,
    lead_cache: LeadSelfEnergyCache | None = None,
) -> np.ndarray:
    """Conductance matrices along one Kwant parameter, at fixed energy.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads (self-energy leads such as
        dephasing probes included).
    energy
        Energy in units of t.
    param
        Name of the parameter to sweep, e.g. ``"phi"`` (AB flux in h/e).
    values
        Its values; any type the parameter accepts (numbers, functions, ...).
    params
        The other parameters, fixed along the sweep; omitted standard names take
        their neutral values (see :func:`systems.resolve_params`).
    method
        ``"reduced"``: solve once (sparse LU at the first value) on the
        orbitals whose matrix elements change along the sweep plus the lead
        interfaces, then one small dense Dyson solve per value.  The changed
        elements are found from the Hamiltonian itself: for every value, the
        matrix elements whose value functions take ``param`` are evaluated
        and compared with the first value (Kwant guarantees that no other
        element can change; if it cannot tell, the whole Hamiltonian is
        compared).  Lead self-energies that depend on ``param`` are
        recomputed per value and enter the same way.  If the changes cover
        too much of the system (e.g. ``t``, or a field ``B`` on every
        hopping) the sweep falls back to ``"direct"`` with a
        :class:`SweepFallbackWarning`.
        ``"direct"``: :func:`workflows.conductance_matrix` per value.
        ``"auto"`` (default): ``"reduced"`` when the changed subspace is small,
        else ``"direct"``, without a warning.
    at_band_edge
        None/``"refuse"`` (default), ``"above"`` or ``"below"``, as for
        :func:`workflows.conductance_matrix`, at every value (a swept lead
        parameter moves the edges; values whose one-sided energies differ are
        solved directly).
    lead_cache
        A :class:`workflows.scattering.lead_cache.LeadSelfEnergyCache` for the leads'
        self-energies at the first value (reduced method), e.g. shared by the sweeps of
        many disorder samples whose leads are the same: each lead is then solved once
        per energy.  None (default): solved in every sweep.

    Returns
    -------
    numpy.ndarray
        Real array (n, M, M) in e²/h, one conductance matrix per value, in the
        convention of :func:`workflows.conductance_matrix` (G_ij = −T_ij,
        G_ii = N_i − R_ii).  The reduced method computes T_ij by Fisher–Lee
        and G_ii = Σ_{k≠i} T_ki, which equals N_i − R_ii by unitarity.

    Raises
    ------
    TypeError, ValueError
        For a wrong system, energy, method or parameter (unknown to the
        system, or also given in ``params``), before any solve.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    choice("method", method, METHODS)
    check_swept_param(fsyst, param, params)
    values = iterable("values", values, what=f"values of {param!r}")
    for index, value in enumerate(values):
        if isinstance(value, numbers.Number) and not np.all(np.isfinite(value)):
            raise ValueError(
                f"values[{index}] of {param!r} is {value!r}: sweep values must be finite "
                "numbers (or functions)"
            )
    points = [resolve_params(fsyst, updated_params(params, {param: value})) for value in values]
    n_leads = len(fsyst.leads)
    if not points:
        return np.zeros((0, n_leads, n_leads))
    refuse_lead_totals(fsyst, points[0], "a swept lead-total conductance matrix")
    if _leads_reading(fsyst, param):
        solve_at = [resolve_energy(fsyst, energy, p, at_band_edge) for p in points]
    else:  # the leads, hence their band edges, are the same at every value: resolved once
        solve_at = [resolve_energy(fsyst, energy, points[0], at_band_edge)] * len(points)
    if len(set(solve_at)) > 1:  # a one-sided limit that moves along the sweep
        pairs = zip(solve_at, points, strict=True)
        return np.array([conductance_matrix(fsyst, e, params=p) for e, p in pairs], dtype=float)
    energy = solve_at[0]
    if method != "direct":
        open_system = OpenSystem(fsyst, params=points[0], lead_cache=lead_cache)
        plan = _plan(open_system, energy, param, points)
        if isinstance(plan, _Plan):
            logger.debug(
                "reduced sweep of %r: %d changed orbitals, %d values",
                param,
                plan.support.size,
                len(points),
            )
            return _reduced(plan, energy)
        if method == "reduced":
            warnings.warn(
                f"{plan}; solving each value directly instead", SweepFallbackWarning, stacklevel=2
            )
        else:
            logger.info("sweep of %r solved directly: %s", param, plan)
    return np.array([conductance_matrix(fsyst, energy, params=p) for p in points], dtype=float)
