"""Büttiker dephasing probes: one wide-band self-energy lead per chosen site."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import kwant
import numpy as np

__all__ = ["WideBandSelfEnergy", "attach_dephasing_probes"]


class WideBandSelfEnergy:
    """Self-energy Σ = −iη/2 · 1 of a wide-band (energy-independent) probe on one site.

    The coupling Γ = i(Σ − Σ†) = η per orbital.  ``η`` is read from the Kwant
    parameter ``param``; it may be a number or a function ``η(*pos)`` of the
    site position.
    """

    def __init__(self, param: str, pos, norbs: int):
        self.param = param
        self.pos = tuple(float(p) for p in pos)
        self.norbs = int(norbs)

    def __call__(self, energy, args=(), *, params=None):
        if params is None or self.param not in params:
            raise ValueError(f"dephasing probe needs the parameter {self.param!r} in params")
        eta = params[self.param]
        if callable(eta):
            eta = eta(*self.pos)
        if not np.isfinite(eta) or eta < 0:
            raise ValueError(
                f"dephasing coupling {self.param}={eta!r} at {self.pos} must be finite and >= 0"
            )
        return (-0.5j * eta) * np.eye(self.norbs, dtype=complex)

    def __repr__(self) -> str:
        return f"WideBandSelfEnergy(param={self.param!r}, pos={self.pos})"


def _select_sites(builder: kwant.Builder, sites: Any) -> list:
    if isinstance(sites, str):
        if sites != "all":
            raise ValueError(f"sites must be 'all', a region function or a list of sites, "
                             f"got the string {sites!r}")
        return list(builder.sites())
    if callable(sites):
        return [site for site in builder.sites() if sites(site.pos)]
    chosen = list(sites)
    for site in chosen:
        if not isinstance(site, kwant.builder.Site):
            raise TypeError(f"sites must contain kwant Sites, got {site!r}")
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
    with self-energy −iη/2 per orbital on its site.  Solved with every probe
    floating (zero net current), the probes break phase coherence without
    removing particles.

    Parameters
    ----------
    builder
        An unfinalized builder; modified in place.
    sites
        ``"all"`` (every site of the scattering region), a function
        ``region(pos) -> bool`` of the site position, or an iterable of sites.
    param
        Name of the Kwant parameter holding η (units of t): a number >= 0 or a
        function ``η(*pos)``.

    Returns
    -------
    list of int
        Indices of the new leads, in the order of the chosen sites.
    """
    if not isinstance(builder, kwant.Builder) or builder.symmetry.num_directions:
        raise TypeError("builder must be an unfinalized kwant.Builder of a finite system")
    if not isinstance(param, str) or not param.isidentifier():
        raise ValueError(f"param must be a valid parameter name, got {param!r}")
    chosen = _select_sites(builder, sites)
    if not chosen:
        raise ValueError("no site selected for dephasing probes")
    first = len(builder.leads)
    for site in chosen:
        norbs = site.family.norbs
        if norbs is None:
            raise ValueError(f"the lattice of site {site} must declare norbs")
        selfenergy = WideBandSelfEnergy(param, site.pos, norbs)
        builder.leads.append(kwant.builder.SelfEnergyLead(selfenergy, [site], (param,)))
    return list(range(first, first + len(chosen)))
