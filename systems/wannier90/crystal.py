"""A Wannier tight-binding model as a Kwant lattice: atoms as sites, H(R) as hopping kinds.

Mapping.  Every Wannier function m belongs to one site: the atom (or group of
Wannier centres) a(m) at the image in cell c(m) of the lattice, so that the
function m of cell n sits in Kwant's site ``a(m)(n + c(m))`` as its orbital
``slot(m)``.  The element ``H(R)[m, n] = <m, 0|H|n, R>`` then is the Kwant
hopping from site ``a(n)(R + c(n))`` to site ``a(m)(c(m))``: the
:class:`kwant.builder.HoppingKind` ``(c(m) - R - c(n), a(m), a(n))`` with the
element at ``[slot(m), slot(n)]`` of its matrix.  All elements with the same
kind add into one matrix; the kinds come in Hermitian pairs of which one is
kept (Kwant adds the other as its conjugate), and the pair's mismatch,
``max |H(R) - H(-R)^dagger|``, is checked.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import kwant
import numpy as np

from .. import validation
from .model import TightBindingModel

#: Largest |H(R) - H(-R)^dagger| accepted (eV): Wannier90 prints H(R) with 6 decimals.
HERMITICITY_TOLERANCE = 1e-5


@dataclass(frozen=True)
class HoppingBlock:
    """One hopping kind: the matrix from ``family_from(tag)`` to ``family_to(tag + delta)``."""

    delta: tuple[int, ...]
    family_to: int
    family_from: int
    matrix: np.ndarray


def _group_by_tolerance(points: np.ndarray, lattice_vectors: np.ndarray, tolerance: float):
    """Representatives, (group, cell) per point; points within ``tolerance`` (mod lattice) merge."""
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=len(lattice_vectors))))
    centres, groups, cells = [], [], []
    for p in points:
        for g, c in enumerate(centres):
            images = c + shifts @ lattice_vectors
            dist = np.linalg.norm(images - p, axis=1)
            if dist.min() < tolerance:
                groups.append(g)
                cells.append(shifts[np.argmin(dist)])
                break
        else:
            groups.append(len(centres))
            centres.append(p)
            cells.append(np.zeros(len(lattice_vectors), int))
    return np.array(centres), np.array(groups), np.array(cells, dtype=int)


def _nearest_atom(points: np.ndarray, atoms: np.ndarray, lattice_vectors: np.ndarray, ratio: float):
    """(atom, cell) of the nearest atom image per point; refused if the second is nearly as near."""
    inverse = np.linalg.inv(lattice_vectors)
    groups, cells = [], []
    shifts = np.array(list(itertools.product((-1, 0, 1, 2), repeat=len(lattice_vectors))))
    for index, p in enumerate(points):
        base = np.floor((p - atoms) @ inverse).astype(int)  # one row per atom
        candidates = [(a, base[a] + s) for a in range(len(atoms)) for s in shifts]
        dist = np.array(
            [np.linalg.norm(atoms[a] + cell @ lattice_vectors - p) for a, cell in candidates]
        )
        order = np.argsort(dist)
        nearest, second = dist[order[0]], dist[order[1]]
        if second < ratio * nearest:
            raise ValueError(
                f"atoms: Wannier centre {index} at {p.round(4).tolist()} Å is {nearest:.3f} Å "
                f"from one "
                f"atom and {second:.3f} Å from another (ratio < {ratio}); give sites explicitly"
            )
        a, cell = candidates[order[0]]
        groups.append(a)
        cells.append(cell)
    return np.array(groups), np.array(cells, dtype=int)


class Wannier90Crystal:
    """A :class:`TightBindingModel` mapped onto a Kwant lattice whose sites are atoms.

    Build it with :func:`systems.wannier90.from_wannier90` (files) or directly
    from a model.  Energies are in eV, lengths in Å.

    Parameters
    ----------
    model
        The tight-binding model (possibly cut, :meth:`TightBindingModel.cut`).
    atoms
        Cartesian positions (Å) of the sites, one row per atom of the cell: every
        Wannier function goes to the nearest image of one of them (refused when
        the second nearest is within ``ambiguity_ratio`` of the nearest).
        ``None``: Wannier centres closer than ``tolerance`` (modulo the lattice)
        form one site at the first centre's position.
    tolerance
        Grouping distance for ``atoms=None`` (Å).
    ambiguity_ratio
        See ``atoms``.

    Attributes
    ----------
    lattice
        The :func:`kwant.lattice.general` lattice, one sublattice per site of the cell.
    families
        Its sublattices, ``norbs`` set (the number of Wannier functions of the site).
    onsite
        On-site matrix of each family (eV).
    blocks
        The hopping kinds (:class:`HoppingBlock`), one of each Hermitian pair.
    orbital_offsets
        Per family, the Cartesian offset (Å) of each orbital's Wannier centre from its site.
    orbitals
        Per family, the model's orbital index of each slot (spin up first for spinors).
    """

    def __init__(
        self,
        model: TightBindingModel,
        *,
        atoms=None,
        tolerance: float = 0.5,
        ambiguity_ratio: float = 1.5,
    ):
        validation.positive_real("tolerance", tolerance)
        validation.real("ambiguity_ratio", ambiguity_ratio, minimum=1)
        error = model.hermiticity_error()
        if error > HERMITICITY_TOLERANCE:
            raise ValueError(
                f"model: H(R) = H(-R)^dagger fails by {error:.3g} eV (> {HERMITICITY_TOLERANCE} eV)"
            )
        self.model = model
        L = model.lattice_vectors
        n = model.num_orbitals
        if model.spinors is None:
            spatial = np.arange(n)
            spin_partner = None
        else:
            order, _ = model.spin_blocks()
            spatial, spin_partner = order[: n // 2], order[n // 2 :]
        points = model.positions[spatial]
        if atoms is None:
            site_pos, group, cell = _group_by_tolerance(points, L, tolerance)
        else:
            site_pos = validation.real_array("atoms", atoms)
            if site_pos.ndim != 2 or site_pos.shape[1] != model.dimension:
                raise ValueError(
                    f"atoms must have shape (N, {model.dimension}), got {site_pos.shape}"
                )
            group, cell = _nearest_atom(points, site_pos, L, ambiguity_ratio)
            used = sorted(set(group.tolist()))
            site_pos = site_pos[used]
            group = np.searchsorted(used, group)
        # orbital m -> (family, cell, slot); spin-down partners follow all up orbitals of a site
        fam_of = np.empty(n, int)
        cell_of = np.empty((n, model.dimension), int)
        slot_of = np.empty(n, int)
        self.orbitals = []
        for g in range(len(site_pos)):
            members = np.flatnonzero(group == g)
            indices = list(spatial[members])
            if spin_partner is not None:
                indices += list(spin_partner[members])
            cells = np.concatenate([cell[members]] * (1 if spin_partner is None else 2))
            for slot, (m, c) in enumerate(zip(indices, cells, strict=False)):
                fam_of[m], cell_of[m], slot_of[m] = g, c, slot
            self.orbitals.append(np.array(indices))
        norbs = [len(o) for o in self.orbitals]
        self.lattice = kwant.lattice.general(
            L, site_pos, norbs=norbs, name=[f"w{g}" for g in range(len(site_pos))]
        )
        self.families = list(self.lattice.sublattices)
        self.orbital_offsets = [
            model.positions[o] - (site_pos[g] + cell_of[o] @ L) for g, o in enumerate(self.orbitals)
        ]
        self._fam_of, self._cell_of, self._slot_of = fam_of, cell_of, slot_of
        self.onsite, self.blocks = self._hopping_blocks(norbs)

    def _hopping_blocks(self, norbs):
        model = self.model
        fam, cell, slot = self._fam_of, self._cell_of, self._slot_of
        matrices: dict[tuple, np.ndarray] = {}
        for R, h in model.hoppings.items():
            m, k = np.nonzero(h)
            deltas = cell[m] - np.asarray(R, int) - cell[k]
            for mm, kk, delta in zip(m, k, deltas, strict=False):
                key = (int(fam[mm]), int(fam[kk]), tuple(int(x) for x in delta))
                if key not in matrices:
                    matrices[key] = np.zeros((norbs[key[0]], norbs[key[1]]), complex)
                matrices[key][slot[mm], slot[kk]] += h[mm, kk]
        zero_delta = (0,) * model.dimension
        onsite = [np.zeros((no, no), complex) for no in norbs]
        blocks = []
        for key in sorted(matrices):
            a, b, delta = key
            if a == b and delta == zero_delta:
                onsite[a] = matrices[key]
                continue
            reverse = (b, a, tuple(-x for x in delta))
            if reverse > key:
                other = matrices.get(reverse)
                if other is not None and not np.allclose(
                    matrices[key], other.conj().T, rtol=0, atol=HERMITICITY_TOLERANCE
                ):
                    raise ValueError(f"model: hopping kind {key} is not the conjugate of {reverse}")
                continue  # the reverse (kept below) carries both
            blocks.append(HoppingBlock(delta, a, b, matrices[key]))
        return onsite, blocks

    # ---- Kwant pieces ------------------------------------------------------

    def hopping_kinds(self) -> list[tuple[kwant.builder.HoppingKind, np.ndarray]]:
        """``(HoppingKind, matrix)`` of every kept block, for ``builder[kind] = matrix``."""
        return [
            (
                kwant.builder.HoppingKind(
                    b.delta, self.families[b.family_to], self.families[b.family_from]
                ),
                b.matrix,
            )
            for b in self.blocks
        ]

    def spin_conservation_law(self, tolerance: float = 1e-6) -> dict:
        """S_z per family (``diag(+1..., -1...)``), for Kwant's ``conservation_law``.

        Raises
        ------
        ValueError
            The model is spinless, or some spin-flip element exceeds ``tolerance``
            (eV): spin–orbit coupling, S_z is not conserved.
        """
        if self.model.spinors is None:
            raise ValueError(
                "spinors: a spinless model has no S_z; import it with spinors='blocks' "
                "or 'interleaved'"
            )
        _, flips = self.model.spin_blocks()
        worst = max(flips.values())
        if worst > tolerance:
            R = max(flips, key=flips.get)
            raise ValueError(
                f"model: S_z is not conserved (spin-flip element {worst:.3g} eV at R={R} "
                f"> tolerance "
                f"{tolerance} eV, spin–orbit coupling)"
            )
        return {
            fam: np.diag([1.0] * (fam.norbs // 2) + [-1.0] * (fam.norbs // 2))
            for fam in self.families
        }

    def period(self, direction) -> int:
        """Smallest multiple n of the lattice vector ``direction`` holding every hopping range."""
        basis = self._completed_basis(direction)
        along = np.array([b.delta for b in self.blocks], float).reshape(-1, self.model.dimension)
        along = along @ np.linalg.inv(basis)
        return max(1, int(np.ceil(np.max(np.abs(along[:, 0]), initial=0) - 1e-9)))

    def _completed_basis(self, direction) -> np.ndarray:
        """``direction`` completed by unit vectors to a unimodular integer basis (rows)."""
        d = np.asarray(direction)
        dim = self.model.dimension
        if d.shape != (dim,) or not np.issubdtype(d.dtype, np.integer) or not d.any():
            raise ValueError(
                f"direction must be {dim} integers (a lattice vector in reduced coordinates), "
                f"got {direction!r}"
            )
        units = np.eye(dim, dtype=int)
        for others in itertools.combinations(range(dim), dim - 1):
            basis = np.vstack([d, units[list(others)]])
            if round(abs(np.linalg.det(basis))) == 1:
                return basis
        raise ValueError(
            f"direction {tuple(d)} must have a component ±1 (a primitive lattice direction)"
        )

    def lead_symmetry(self, direction, cells: int | None = None) -> kwant.TranslationalSymmetry:
        """Translational symmetry by ``cells`` (default :meth:`period`) times ``direction``."""
        basis = self._completed_basis(direction)
        cells = self.period(direction) if cells is None else validation.positive_int("cells", cells)
        sym = kwant.TranslationalSymmetry(cells * basis[0] @ self.model.lattice_vectors)
        for fam in self.families:
            sym.add_site_family(fam, other_vectors=basis[1:])
        return sym

    def fill(self, builder: kwant.Builder, sites) -> kwant.Builder:
        """Put the model on ``sites`` of ``builder`` the Kwant way (on-site, every HoppingKind)."""
        for site in sites:
            builder[site] = self.onsite[self.families.index(site.family)]
        for kind, matrix in self.hopping_kinds():
            builder[kind] = matrix
        return builder

    def bulk(self, periods=None) -> kwant.Builder:
        """The infinite crystal: a Builder with symmetry by ``periods`` (rows, reduced).

        ``periods=None`` is the primitive cell; an integer matrix makes a
        supercell (its bands are the model's folded).  For ``kwant.wraparound``.
        """
        dim = self.model.dimension
        periods = np.eye(dim, dtype=int) if periods is None else np.asarray(periods)
        if periods.shape != (dim, dim) or not np.issubdtype(periods.dtype, np.integer):
            raise ValueError(f"periods must be a {dim}x{dim} integer matrix, got {periods!r}")
        volume = round(abs(np.linalg.det(periods)))
        if volume == 0:
            raise ValueError(f"periods must be linearly independent, got {periods.tolist()}")
        sym = kwant.TranslationalSymmetry(*(periods @ self.model.lattice_vectors))
        span = [
            range(-int(np.abs(periods[:, i]).sum()), int(np.abs(periods[:, i]).sum()) + 1)
            for i in range(dim)
        ]
        sites = {sym.to_fd(fam(*tag)) for fam in self.families for tag in itertools.product(*span)}
        if len(sites) != volume * len(self.families):
            raise AssertionError("bulk: the supercell's sites were not all found")
        return self.fill(kwant.Builder(sym), sorted(sites, key=lambda s: (s.family.name, s.tag)))
