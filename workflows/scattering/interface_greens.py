"""The retarded Green's function between all lead interfaces, in one sparse solve.

For a system with many self-energy leads (hundreds or thousands of dephasing
probes) this replaces :func:`kwant.greens_function`, which adds every lead's
self-energy to the sparse matrix one at a time (a cost quadratic in the number
of leads).  Here all self-energies are assembled into one sparse matrix, the
matrix E − H − Σ is factorized once (MUMPS when Kwant has it, else SuperLU),
and G is obtained on every interface orbital of every lead, leads with modes
included through their self-energies (the "real-space" Green's function that
Kwant's ``greens_function`` also returns).

The work is done by the scattering core (:class:`workflows.scattering.OpenSystem`),
the one place that assembles E − H − Σ; this module is its functional face.
All transmissions follow at once, vectorized over pairs of leads:
T_ij = Tr[Γ_i G_ij Γ_j G_ij†], with Γ_i = i(Σ_i − Σ_i†).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant

from systems.validation import check_system
from systems.validation import energy as check_energy
from workflows.scattering import InterfaceGreensFunction, OpenSystem

__all__ = ["InterfaceGreensFunction", "interface_greens_function"]


def interface_greens_function(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    check_hermiticity: bool = True,
) -> InterfaceGreensFunction:
    """G = (E − H − Σ)⁻¹ between the interface orbitals of all leads, in one factorization.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with at least one lead (self-energy leads
        such as dephasing probes, or leads with modes).
    energy
        Energy in units of t.
    params
        Kwant parameters (see :func:`systems.resolve_params`).
    check_hermiticity
        Check that the Hamiltonian is Hermitian, as Kwant does.

    Returns
    -------
    InterfaceGreensFunction
        Equal to ``kwant.greens_function(fsyst, energy, params=params).data``
        (to rounding) with the self-energies of every lead as ``gammas``.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    open_system = OpenSystem(fsyst, params=params, check_hermiticity=check_hermiticity)
    return open_system.interface_greens_function(energy)
