"""Büttiker dephasing probes: one wide-band self-energy lead per chosen site.

A dephasing probe is a fictitious voltage probe that draws no net current: an
electron that enters it is re-injected with a random phase.  Here each probe is
a wide-band lead on one site, i.e. an energy-independent self-energy
Σ = −iη/2 per orbital, so its coupling is Γ = i(Σ − Σ†) = η (units of t) and an
electron on that site escapes into the probe at the rate η/ħ.  Solving with the
probes floating (see :mod:`workflows.scattering.dephasing`) turns a phase-coherent
calculation into one with a finite phase-coherence length.

This module only describes the probes; it knows nothing of solving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import kwant
import numpy as np

from .parameters import NEUTRAL_PARAMS
from .validation import MAX_ENERGY, real, shown

__all__ = [
    "WideBandSelfEnergy",
    "attach_dephasing_probes",
    "dephasing_probe_leads",
    "is_dephasing_probe",
]


class WideBandSelfEnergy:
    """Self-energy Σ = −iη/2 · 1 of a wide-band (energy-independent) probe on one site.

    The coupling Γ = i(Σ − Σ†) = η per orbital.  ``η`` is read from the Kwant
    parameter ``param``; it may be a number or a function ``η(*pos)`` of the
    site position.

    Parameters
    ----------
    param
        Name of the Kwant parameter holding η (units of t).
    pos
        Position of the probe's site (lattice constants).
    norbs
        Number of orbitals on that site.
    """

    def __init__(self, param: str, pos, norbs: int):
        self.param = param
        self.pos = tuple(float(p) for p in pos)
        self.norbs = int(norbs)

    def coupling(self, params: dict[str, Any] | None) -> float:
        """The coupling η ≥ 0 (units of t) of this probe for the given Kwant ``params``."""
        if params is None or self.param not in params:
            raise ValueError(f"dephasing probe needs the parameter {self.param!r} in params")
        eta = params[self.param]
        if callable(eta):
            eta = eta(*self.pos)
        return real(
            f"dephasing coupling {self.param} at {self.pos}",
            eta,
            minimum=0,
            maximum=MAX_ENERGY,
            hint="units of t",
        )

    def __call__(self, energy, args=(), *, params=None):
        return (-0.5j * self.coupling(params)) * np.eye(self.norbs, dtype=complex)

    def __repr__(self) -> str:
        return f"WideBandSelfEnergy(param={self.param!r}, pos={self.pos})"


def _site_order(site: kwant.builder.Site) -> tuple:
    return (tuple(site.pos), str(site.family), tuple(site.tag))


def _select_sites(builder: kwant.Builder, sites: Any) -> list:
    if isinstance(sites, str):
        if sites != "all":
            raise ValueError(
                f"sites must be 'all', a region function or a list of sites, "
                f"got the string {shown(sites)}"
            )
        return sorted(builder.sites(), key=_site_order)
    if isinstance(sites, kwant.builder.Site):
        raise TypeError(f"sites must be a collection of sites; for one site pass [{shown(sites)}]")
    if callable(sites):
        return sorted((site for site in builder.sites() if sites(site.pos)), key=_site_order)
    if not isinstance(sites, Iterable):
        raise TypeError(
            f"sites must be 'all', a region function pos -> bool or an iterable of kwant "
            f"Sites, got {type(sites).__name__}"
        )
    chosen = list(sites)
    for site in chosen:
        if not isinstance(site, kwant.builder.Site):
            raise TypeError(f"sites must contain kwant Sites, got {shown(site)}")
        if site not in builder:
            raise ValueError(f"site {site} is not in the scattering region")
    if len(set(chosen)) != len(chosen):
        raise ValueError("sites lists the same site more than once")
    return chosen


def attach_dephasing_probes(
    builder: kwant.Builder,
    sites: str | Callable[[np.ndarray], bool] | Iterable[kwant.builder.Site] = "all",
    param: str = "eta",
) -> list[int]:
    """Attach a Büttiker dephasing probe to each chosen site of ``builder``.

    Each probe is a wide-band lead (:class:`kwant.builder.SelfEnergyLead`)
    with self-energy −iη/2 per orbital on its site, so Γ = η.  Solved with
    every probe floating (zero net current, :func:`workflows.dephased_transport`),
    the probes break phase coherence without removing particles.

    Parameters
    ----------
    builder
        An unfinalized builder of a finite system; modified in place.  Attach
        the probes after the real leads so that the real terminals keep their
        indices 0, 1, ….
    sites
        ``"all"`` (every site of the scattering region), a function
        ``region(pos) -> bool`` of the site position, or an iterable of sites.
        For ``"all"`` and a region the probes are ordered by site position
        (x first, then y, …); a list keeps its own order.
    param
        Name of the Kwant parameter holding η (units of t): a number >= 0 or a
        function ``η(*pos)`` of the site position (a per-site coupling).  The
        default ``"eta"`` is a standard name with neutral value 0 (probes
        decoupled).

    Returns
    -------
    list of int
        Indices of the new leads, in the order of the chosen sites.

    Raises
    ------
    TypeError
        ``builder`` is not a finite unfinalized builder, or ``sites`` has the
        wrong type.
    ValueError
        No site selected, a site outside the scattering region or given twice,
        a site that already has a probe with the same ``param``,
        a lattice without ``norbs``, or ``param`` not a usable name.
    """
    if not isinstance(builder, kwant.Builder) or builder.symmetry.num_directions:
        raise TypeError("builder must be an unfinalized kwant.Builder of a finite system")
    if not isinstance(param, str) or not param.isidentifier():
        raise ValueError(f"param must be a valid parameter name, got {shown(param)}")
    if param in NEUTRAL_PARAMS and param != "eta":
        raise ValueError(
            f"param={shown(param)} is the standard name of another quantity; use 'eta' "
            "or a new name such as 'eta_probe'"
        )
    chosen = _select_sites(builder, sites)
    if not chosen:
        raise ValueError(f"no site selected for dephasing probes by sites={shown(sites)}")
    for site in chosen:
        if site.family.norbs is None:
            raise ValueError(f"the lattice of site {site} must declare norbs")
    taken = {
        site
        for lead in builder.leads
        if is_dephasing_probe(lead) and lead.selfenergy_func.param == param
        for site in lead.interface
    }
    doubled = [site for site in chosen if site in taken]
    if doubled:
        where = tuple(float(c) for c in doubled[0].pos)
        raise ValueError(
            f"the site at {where} already has a dephasing probe with coupling {shown(param)} "
            f"(from an earlier attach_dephasing_probes call; {len(doubled)} of the chosen sites "
            "do); a second probe would silently double its coupling: choose other sites, or use "
            "another param name for an independent second probe"
        )
    first = len(builder.leads)
    for site in chosen:
        selfenergy = WideBandSelfEnergy(param, site.pos, site.family.norbs)
        builder.leads.append(kwant.builder.SelfEnergyLead(selfenergy, [site], (param,)))
    return list(range(first, first + len(chosen)))


def is_dephasing_probe(lead: Any) -> bool:
    """True if ``lead`` (of a builder or a finalized system) is a dephasing probe."""
    return isinstance(getattr(lead, "selfenergy_func", None), WideBandSelfEnergy)


def dephasing_probe_leads(syst: kwant.Builder | kwant.system.FiniteSystem) -> list[int]:
    """Indices of the dephasing-probe leads of a builder or finalized system, in lead order."""
    return [index for index, lead in enumerate(syst.leads) if is_dephasing_probe(lead)]
