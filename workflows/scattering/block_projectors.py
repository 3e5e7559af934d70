"""Conservation-law projectors of a lead, on its unit cell and on its interface orbitals.

From Kwant's public :meth:`kwant.system.InfiniteSystem.discrete_symmetry`; used for the
block-resolved conductances, the S-matrix blocks and the Nambu bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np

__all__ = ["cell_block_projectors", "interface_block_projectors"]


def interface_block_projectors(
    fsyst: kwant.system.FiniteSystem, lead: int, params: Mapping[str, Any]
) -> list[np.ndarray] | None:
    """Conservation-law projectors of lead ``lead`` on its interface orbitals (see
    :meth:`OpenSystem.block_projectors`); ``params`` complete Kwant parameters."""
    the_lead = fsyst.leads[lead]
    if not hasattr(the_lead, "discrete_symmetry"):
        return None
    projectors = cell_block_projectors(the_lead, params)
    if projectors is None:
        return None
    cell = the_lead.cell_size
    norbs = [the_lead.sites[i].family.norbs for i in range(the_lead.graph.num_nodes)]
    if any(n is None for n in norbs):
        raise ValueError("a lead with a conservation law must declare norbs on its lattice")
    start = np.concatenate([[0], np.cumsum(norbs[:cell])])
    rows = []
    for i in range(cell, the_lead.graph.num_nodes):
        fd_site = the_lead.symmetry.to_fd(the_lead.sites[i])
        c = the_lead.id_by_site[fd_site]
        rows.extend(range(start[c], start[c + 1]))
    result = []
    for projector in projectors:
        q = projector[rows]
        result.append(q @ q.conj().T)
    return result


def cell_block_projectors(lead: Any, params: Mapping[str, Any]) -> list[np.ndarray] | None:
    """Projectors of a lead's conservation law on its unit cell (Kwant's block order), or None.

    Kwant's public :meth:`kwant.system.InfiniteSystem.discrete_symmetry`
    returns ``projectors=None`` for a lead without a conservation law.
    """
    if not hasattr(lead, "discrete_symmetry"):
        return None
    projectors = lead.discrete_symmetry(params=params).projectors
    if not projectors:
        return None
    return [np.asarray(p.toarray() if hasattr(p, "toarray") else p) for p in projectors]
