"""A tight-binding model in the real-space form Wannier90 writes: H(R) on lattice vectors.

Convention (Wannier90's ``seedname_hr.dat``, Mostofi et al., Comput. Phys.
Commun. 178, 685 (2008), eq. (24)): ``H(R)[m, n] = <m, 0|H|n, R>`` in eV, the
matrix element from Wannier function n in the cell at lattice vector R to
Wannier function m in the home cell, and the Bloch Hamiltonian (TBmodels'
"convention 2", phases on the cells only)

    H(k) = sum_R exp(2 pi i k.R) H(R),   k in reduced (fractional) coordinates.

Hermiticity is ``H(-R) = H(R)^dagger``.  The model keeps every R with both
signs, so that a Kwant hopping can be read off without conjugating.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CutoffReport:
    """What a hopping cutoff removed from a model.

    Attributes
    ----------
    energy_cutoff
        Matrix elements with ``|H_mn(R)|`` below this were dropped (eV).
    distance_cutoff
        Matrix elements between Wannier centres farther apart than this were dropped (Å).
    kept, dropped
        Numbers of nonzero matrix elements kept and dropped (over all R, both signs).
    dropped_weight
        Frobenius norm of the dropped part, ``sqrt(sum |H_mn(R)|^2)`` over the
        dropped elements (eV).
    band_error_bound
        ``sum_R ||dH(R)||_2`` (eV): by Weyl's inequality no Bloch eigenvalue moves
        by more than this at any k.
    """

    energy_cutoff: float
    distance_cutoff: float
    kept: int
    dropped: int
    dropped_weight: float
    band_error_bound: float


@dataclass(frozen=True)
class TightBindingModel:
    """A periodic tight-binding model: lattice, Wannier centres, H(R).

    Attributes
    ----------
    lattice_vectors
        Rows are the primitive vectors a_1, a_2, a_3 (Å).
    positions
        Cartesian Wannier centres, one row per orbital (Å).
    hoppings
        ``{R: H(R)}`` with R a tuple of integers and ``H(R)[m, n] = <m, 0|H|n, R>``
        (eV); every R is present with -R.
    spinors
        ``None`` for a spinless model, ``"blocks"`` when orbitals ``[0, N/2)`` are
        spin up and ``[N/2, N)`` spin down with the same spatial order,
        ``"interleaved"`` when orbital ``2i`` is up and ``2i + 1`` down.
    cutoff
        What was dropped when this model was cut from another (``None`` if never cut).
    """

    lattice_vectors: np.ndarray
    positions: np.ndarray
    hoppings: dict[tuple[int, ...], np.ndarray]
    spinors: str | None = None
    cutoff: CutoffReport | None = field(default=None, compare=False)

    @property
    def num_orbitals(self) -> int:
        """Number of Wannier functions per cell."""
        return len(self.positions)

    @property
    def dimension(self) -> int:
        """Number of lattice vectors (3 for a Wannier90 model)."""
        return len(self.lattice_vectors)

    def lattice_vectors_array(self) -> np.ndarray:
        """The R vectors as an integer array, in the order of ``hoppings``."""
        return np.array(list(self.hoppings), dtype=int).reshape(-1, self.dimension)

    def bloch_hamiltonian(self, k) -> np.ndarray:
        """H(k) = sum_R exp(2 pi i k.R) H(R) at reduced wave vectors ``k`` (shape (..., d)), eV."""
        k = np.asarray(k, dtype=float)
        R = self.lattice_vectors_array()
        phases = np.exp(2j * np.pi * (k @ R.T))
        matrices = np.array(list(self.hoppings.values()))
        return np.tensordot(phases, matrices, axes=(-1, 0))

    def hermiticity_error(self) -> float:
        """max_R max |H(R) - H(-R)^dagger| (eV); a missing -R counts as zero."""
        zero = np.zeros((self.num_orbitals,) * 2)
        return max(
            float(np.max(np.abs(h - self.hoppings.get(tuple(-r for r in R), zero).conj().T)))
            for R, h in self.hoppings.items()
        )

    def orbital_distances(self, R) -> np.ndarray:
        """``|r_n + R.a - r_m|`` for all orbital pairs (m, n) of H(R), Å."""
        shift = np.asarray(R, dtype=float) @ self.lattice_vectors
        d = self.positions[None, :, :] + shift - self.positions[:, None, :]
        return np.linalg.norm(d, axis=-1)

    def cut(self, *, energy: float = 0.0, distance: float = np.inf) -> TightBindingModel:
        """The model without the matrix elements below ``energy`` (eV) or beyond ``distance`` (Å).

        On-site energies (R = 0, m = n) are always kept.  The returned model's
        ``cutoff`` reports what was removed (:class:`CutoffReport`).
        """
        kept_hoppings = {}
        kept = dropped = 0
        weight2 = bound = 0.0
        for R, h in self.hoppings.items():
            drop = (np.abs(h) < energy) | (self.orbital_distances(R) > distance)
            if not any(R):
                np.fill_diagonal(drop, False)
            drop &= h != 0
            lost = np.where(drop, h, 0)
            kept_h = h - lost
            dropped += int(np.count_nonzero(drop))
            kept += int(np.count_nonzero(kept_h))
            weight2 += float(np.sum(np.abs(lost) ** 2))
            if drop.any():
                bound += float(np.linalg.norm(lost, 2))
            if np.any(kept_h) or not any(R):
                kept_hoppings[R] = kept_h
        report = CutoffReport(
            energy_cutoff=float(energy),
            distance_cutoff=float(distance),
            kept=kept,
            dropped=dropped,
            dropped_weight=float(np.sqrt(weight2)),
            band_error_bound=bound,
        )
        return TightBindingModel(
            self.lattice_vectors, self.positions, kept_hoppings, self.spinors, report
        )

    def spin_blocks(self) -> tuple[np.ndarray, dict[tuple[int, ...], np.ndarray]]:
        """Orbital order ``[up..., down...]`` and the largest spin-flip element per R.

        Returns
        -------
        order
            Permutation of the orbitals putting all spin-up orbitals first, in the
            spatial order of the spin-down ones.
        flips
            ``{R: max |H_up,down(R)|}`` (eV): all zero when S_z is conserved.
        """
        n = self.num_orbitals
        if self.spinors == "blocks":
            order = np.arange(n)
        elif self.spinors == "interleaved":
            order = np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)])
        else:
            raise ValueError(f"spinors={self.spinors!r}: this model has no spin ordering")
        half = n // 2
        flips = {}
        for R, h in self.hoppings.items():
            hp = h[np.ix_(order, order)]
            flips[R] = float(
                max(np.max(np.abs(hp[:half, half:])), np.max(np.abs(hp[half:, :half])))
            )
        return order, flips
