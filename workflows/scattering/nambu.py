"""Bogoliubov–de Gennes (Nambu) leads: which leads are normal BdG leads, and which block is which.

A BdG Hamiltonian doubles every state into an electron and a hole component.
Lead totals (a conductance, a noise, a mode count summed over a lead's
channels) then add electrons and holes, which carry opposite charge: below
the superconducting gap the Andreev conductance N_e − R_ee + R_he becomes
N − R_ee − R_he = 0.  So mesoflow recognises BdG leads and refuses lead totals
on them (:func:`refuse_lead_totals`), naming :func:`workflows.andreev_conductance`.

**The rule.**  A lead is a *normal BdG lead* when it declares

* a conservation law with at least two blocks
  (``kwant.Builder(..., conservation_law=-tau_z)``), and
* a particle-hole symmetry (``particle_hole=tau_y``) that maps every block
  onto another one (P ψ = U ψ*, with U Q_b* spanning the range of Q_b').

``particle_hole`` alone is not enough (a superconducting lead has it too,
but its electrons and holes are not separately conserved), nor is a
conservation law alone (spin blocks).  Of each pair (b, b') exchanged by the
particle-hole operator, the block that comes first in Kwant's order
(increasing eigenvalue of the conserved quantity) is the *electron* block:
declare the conservation law so that electrons come first, as Kwant's
superconductor tutorial does with ``conservation_law=-tau_z`` (electrons have
eigenvalue −1).  A spin-conserving BdG lead with four blocks has two
electron blocks.  Every lead that is not a normal BdG lead, in a system that
has one, is treated by :func:`workflows.andreev_conductance` as a grounded
superconducting lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from workflows.scattering.block_projectors import cell_block_projectors

__all__ = ["NambuBlocks", "NambuLeadError", "nambu_blocks", "nambu_leads", "refuse_lead_totals"]

#: The overlap ‖Q_b'† U Q_b*‖²_F / rank(Q_b) that pairs block b with block b'.
_PAIRING_OVERLAP = 1.0 - 1e-8


class NambuLeadError(ValueError):
    """A lead total was asked of a system with BdG (electron/hole) leads."""


@dataclass(frozen=True)
class NambuBlocks:
    """The electron and hole conservation-law blocks of a normal BdG lead.

    Attributes
    ----------
    electron, hole
        Block indices (Kwant's order); ``hole[k]`` is the particle-hole
        partner of ``electron[k]``.
    """

    electron: tuple[int, ...]
    hole: tuple[int, ...]


def nambu_blocks(lead: Any, params: Mapping[str, Any]) -> NambuBlocks | None:
    """The electron/hole blocks of a finalized lead, or None if it is not a normal BdG lead.

    Parameters
    ----------
    lead
        A finalized lead (``fsyst.leads[i]``).
    params
        Complete Kwant parameters (the conservation law and symmetries may
        depend on them).

    Returns
    -------
    NambuBlocks or None
        See the module docs for the rule.
    """
    projectors = cell_block_projectors(lead, params)
    if projectors is None or len(projectors) < 2:
        return None
    particle_hole = lead.discrete_symmetry(params=params).particle_hole
    if particle_hole is None:
        return None
    unitary = particle_hole.toarray() if hasattr(particle_hole, "toarray") else particle_hole
    partners = []
    for q in projectors:
        image = np.asarray(unitary) @ q.conj()
        overlaps = [np.linalg.norm(p.conj().T @ image) ** 2 / q.shape[1] for p in projectors]
        partner = int(np.argmax(overlaps))
        if overlaps[partner] < _PAIRING_OVERLAP:
            return None
        partners.append(partner)
    if any(partners[p] != b or p == b for b, p in enumerate(partners)):
        return None
    electron = tuple(b for b, p in enumerate(partners) if b < p)
    return NambuBlocks(electron=electron, hole=tuple(partners[b] for b in electron))


def nambu_leads(fsyst: Any, params: Mapping[str, Any]) -> dict[int, NambuBlocks]:
    """The normal BdG leads of a finalized system: lead index -> its :class:`NambuBlocks`."""
    found = {}
    for index, lead in enumerate(fsyst.leads):
        if hasattr(lead, "discrete_symmetry"):
            blocks = nambu_blocks(lead, params)
            if blocks is not None:
                found[index] = blocks
    return found


def refuse_lead_totals(fsyst: Any, params: Mapping[str, Any], what: str) -> None:
    """Raise :class:`NambuLeadError` if ``fsyst`` has a normal BdG lead (``what``: the quantity).

    A lead total adds the electron and hole channels of a BdG lead, whose
    charges are opposite; it is never a charge conductance, noise or count.
    """
    leads = nambu_leads(fsyst, params)
    if leads:
        lead = min(leads)
        raise NambuLeadError(
            f"lead {lead} is a BdG (Nambu) lead with electron/hole blocks {leads[lead]}: "
            f"{what} would add electrons and holes; use workflows.andreev_conductance "
            "(or blocks=True for the electron/hole block transmissions)"
        )
