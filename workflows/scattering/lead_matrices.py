"""A lead's matrices, evaluated once, and Kwant's mode solve on them at any energy.

Kwant's ``InfiniteSystem.modes(energy, params=...)`` does five things at every call:
it evaluates the lead's cell Hamiltonian H₀ and inter-cell hopping V₁ with the
parameters, evaluates and validates its discrete symmetries (dropping, with a warning,
those the Hamiltonian breaks), subtracts E from the diagonal of H₀ (dropping
particle–hole and chiral symmetry at E ≠ 0), and calls ``kwant.physics.modes``.  Only
the last two depend on the energy.  A loop over energies of one lead (the nodes of a
bias-window quadrature, the Fermi poles of a density, a sweep, the self-consistent
iterates of a Hartree solve) repeats the first three for nothing.

:func:`lead_matrices` does the energy-independent part once (:class:`LeadMatrices`);
:func:`lead_modes_at` does the rest exactly as Kwant 1.5 does, and returns what
``lead.modes(energy, params=params)`` returns.

The one shortcut, and why it changes no number
----------------------------------------------
For a lead without conservation law or discrete symmetry (most leads),
``kwant.physics.modes`` still goes through its block machinery with one block: it
builds a sparse identity "projector", changes basis with it
(P†H₀P, P†V₁P and three empty symmetry operators, as SciPy sparse products), solves
the block with ``kwant.physics.leads.compute_block_modes``, multiplies the wave
functions and the hopping's square root by P again and reassembles the one block
with ``block_diag``.  For a small lead this bookkeeping is about three quarters of
the mode solve (``benchmarks/bench_lead_modes.py``).  Products with an identity are
exact in floating point (each entry is 1 × a; only the sign of a zero can change,
Kwant's sums turning −0.0 into +0.0), so :func:`lead_modes_at` calls
``compute_block_modes`` on H₀ − E and the padded V₁ directly and assembles the same
``PropagatingModes`` and ``StabilizedModes``; ``tests/workflows/scattering/
test_lead_matrices.py`` checks on leads of every kind (1, 2 and 4 orbitals, matrix
and complex hoppings, a non-square hopping, ``kwant.continuum``, complex energies,
evanescent-only energies, particle–hole, chiral and time-reversal symmetry) that every
array has Kwant's values exactly.  A lead with a conservation law or a symmetry that
holds at the energy goes through ``kwant.physics.modes`` itself, with the matrices
evaluated once.  The same shortcut serves a lead whose only symmetries are particle–hole
or chiral at E ≠ 0, where Kwant drops them.

One deliberate difference
-------------------------
Kwant 1.5's ``InfiniteSystem.modes`` warns that it ignores a declared particle–hole
symmetry that the Hamiltonian breaks, but a misspelt attribute name
(``"particle-hole"``) leaves the symmetry in place, and at E = 0 its modes are built
with an operator that is not a symmetry: a wave function that does not solve the
lead's Bloch equation.  :func:`lead_matrices` drops it, as the warning says.  The
self-energy and the propagating modes' momenta and velocities are the same
(basis-independent); the basis of the modes differs, and mesoflow's is the one that
solves the lead (tested).

This is a module of the scattering core (``test_one_door.py``):
:func:`workflows.scattering.band_edges.lead_modes` is the one caller of :func:`lead_modes_at`
outside tests; :class:`workflows.scattering.open_system.OpenSystem` keeps the
:class:`LeadMatrices` of its leads.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import kwant
import kwant.physics
import kwant.system
import numpy as np
from kwant.physics.leads import compute_block_modes

__all__ = ["LeadMatrices", "lead_matrices", "lead_modes_at", "replicates_kwant_modes"]

#: Kwant's names of the symmetries ``DiscreteSymmetry.validate`` reports, and attributes.
_SYMMETRY_ATTRIBUTES = {
    "Conservation law": "projectors",
    "Time reversal": "time_reversal",
    "Particle-hole": "particle_hole",
    "Chiral": "chiral",
}


def _any_symmetry(symmetry) -> bool:
    """True if a ``DiscreteSymmetry`` has a conservation law or any symmetry operator."""
    return any(part is not None for part in symmetry)


def _digest_array(digest, array) -> None:
    if hasattr(array, "toarray"):  # a sparse projector or symmetry operator
        array = array.toarray()
    array = np.ascontiguousarray(np.asarray(array, dtype=complex))
    digest.update(str(array.shape).encode())
    digest.update(array.tobytes())


@dataclass(frozen=True, eq=False)
class LeadMatrices:
    """A lead evaluated with its parameters: everything its modes depend on but the energy.

    Attributes
    ----------
    cell_hamiltonian
        H₀, the unit cell's Hamiltonian (n × n, units of t), read-only.
    inter_cell_hopping
        V₁, the hopping from a cell to the next one towards the scattering region
        (n × m, t), read-only.
    symmetry
        Kwant's ``DiscreteSymmetry`` of the lead, with the symmetries the Hamiltonian
        breaks already dropped (Kwant's warning is given once, at the evaluation, unless
        ``warn=False``).
    """

    cell_hamiltonian: np.ndarray
    inter_cell_hopping: np.ndarray
    symmetry: Any

    @property
    def has_symmetry(self) -> bool:
        """True if the lead declares a conservation law or a discrete symmetry that holds."""
        return _any_symmetry(self.symmetry)

    @cached_property
    def fingerprint(self) -> bytes:
        """A BLAKE2b digest (16 bytes) of H₀, V₁ and the symmetry operators.

        Two evaluations of Kwant leads (whose ``modes`` is Kwant's,
        :func:`replicates_kwant_modes`) with the same fingerprint have the same modes at
        every energy: the key of :class:`workflows.scattering.lead_cache.LeadSelfEnergyCache`.
        A lead class with its own ``modes`` may depend on more than this; the open system
        does not cache it.
        """
        digest = hashlib.blake2b(digest_size=16)
        _digest_array(digest, self.cell_hamiltonian)
        _digest_array(digest, self.inter_cell_hopping)
        for projector in self.symmetry.projectors or ():
            _digest_array(digest, projector)
        for name in ("time_reversal", "particle_hole", "chiral"):
            operator = getattr(self.symmetry, name)
            digest.update(name.encode())
            if operator is not None:
                _digest_array(digest, operator)
        return digest.digest()


def replicates_kwant_modes(lead: Any) -> bool:
    """True if ``lead.modes`` is Kwant's ``InfiniteSystem.modes`` (not overridden)."""
    return (
        isinstance(lead, kwant.system.InfiniteSystem)
        and type(lead).modes is kwant.system.InfiniteSystem.modes
    )


def lead_matrices(lead: Any, params: Mapping[str, Any], *, warn: bool = True) -> LeadMatrices:
    """Evaluate a Kwant lead's H₀, V₁ and discrete symmetries with ``params``, once.

    Parameters
    ----------
    lead
        A finalized Kwant lead (``InfiniteSystem``), or any object with Kwant's
        ``cell_hamiltonian`` and ``inter_cell_hopping`` (and optionally
        ``discrete_symmetry``).
    params
        Its complete Kwant parameters.
    warn
        Give Kwant's warning for each declared symmetry that H₀ or V₁ breaks (False
        where the lead is only fingerprinted, not solved).

    Returns
    -------
    LeadMatrices
        As ``InfiniteSystem.modes`` evaluates them: symmetries broken by H₀ or V₁
        are dropped (see the module docstring for the one case where Kwant 1.5 does
        not drop what it warns about).
    """
    ham = np.array(lead.cell_hamiltonian(params=params))
    hop = np.array(lead.inter_cell_hopping(params=params))
    if hasattr(lead, "discrete_symmetry"):
        symmetry = lead.discrete_symmetry(params=params)
    else:  # a lead object of the user's own with H₀ and V₁ only
        symmetry = kwant.physics.DiscreteSymmetry()
    broken = set(symmetry.validate(ham) + symmetry.validate(hop))
    if broken:
        symmetry = copy.copy(symmetry)
        for name in sorted(broken):
            if warn:
                warnings.warn(
                    "Hamiltonian breaks " + name + ", ignoring the symmetry in the computation.",
                    stacklevel=2,
                )
            setattr(symmetry, _SYMMETRY_ATTRIBUTES[name], None)
    ham.setflags(write=False)
    hop.setflags(write=False)
    return LeadMatrices(ham, hop, symmetry)


def lead_modes_at(matrices: LeadMatrices, energy: complex) -> tuple[Any, Any]:
    """Kwant's (``PropagatingModes``, ``StabilizedModes``) of a lead at ``energy``.

    The values of ``lead.modes(energy, params=params)`` for the lead and parameters
    ``matrices`` was evaluated from (see the module docstring for the one exception, a
    broken particle–hole symmetry at E = 0).

    Parameters
    ----------
    matrices
        The lead's matrices (:func:`lead_matrices`).
    energy
        Energy (units of t); complex off the real axis.
    """
    ham = np.array(matrices.cell_hamiltonian)
    ham.flat[:: ham.shape[0] + 1] -= energy  # as Kwant: fails for a real H₀ at complex E
    hop = matrices.inter_cell_hopping
    symmetry = matrices.symmetry
    if energy and (symmetry.particle_hole is not None or symmetry.chiral is not None):
        symmetry = copy.copy(symmetry)  # they hold at zero energy only (Kwant drops them)
        symmetry.particle_hole = symmetry.chiral = None
    if _any_symmetry(symmetry):
        return kwant.physics.modes(ham, np.array(hop), discrete_symmetry=symmetry)
    return _modes_of_one_block(ham, hop)


def _modes_of_one_block(ham: np.ndarray, h_hop: np.ndarray, tol: float = 1e6):
    """``kwant.physics.modes(ham, h_hop)`` for a lead without symmetry (Kwant 1.5's steps).

    Kwant's identity projector and its basis changes are left out: they multiply by 1.
    """
    n, m = h_hop.shape
    if not np.any(h_hop):  # a lead of disconnected cells: no modes
        empty = np.zeros((0,))
        return (
            kwant.physics.PropagatingModes(np.zeros((n, 0)), empty, empty),
            kwant.physics.StabilizedModes(np.zeros((0, 0)), np.zeros((0, 0)), 0, np.zeros((m, 0))),
        )
    hop = np.empty_like(ham, dtype=h_hop.dtype)  # Kwant pads V₁ to a square matrix
    hop[:, :m] = h_hop
    hop[:, m:] = 0
    wave_functions, momenta, velocities, vecs, vecslmbdainv, sqrt_hop = compute_block_modes(
        ham, hop, tol, None, None, None, None
    )
    propagating = kwant.physics.PropagatingModes(wave_functions, velocities, momenta)
    propagating.block_nmodes = [len(velocities) // 2]
    stabilized = kwant.physics.StabilizedModes(
        vecs, vecslmbdainv, len(velocities) // 2, sqrt_hop[: h_hop.shape[1]]
    )
    return propagating, stabilized
