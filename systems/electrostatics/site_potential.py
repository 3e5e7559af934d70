"""The electrostatics seen by tight-binding sites: an affine map and a Kwant on-site term.

:class:`SiteElectrostatics` restricts a :class:`PoissonProblem` to the sites of any Kwant
system (positions in nm, e.g. from :func:`site_positions`).  It is the affine map

    U = U₀(V) + K q,

from the gate voltages V (V) and the electrons at the sites q (electrons per site,
q_i ≥ 0 for electrons) to the electrons' potential energy at the sites U (eV):

* U₀(V) = −e φ₀ at the sites, φ₀ the potential of the gates, boundaries and fixed
  charges (:meth:`SiteElectrostatics.bare_energy`, affine in V);
* K = Pᵀ A⁻¹ P in eV per electron (:attr:`SiteElectrostatics.operator`, a
  :class:`scipy.sparse.linalg.LinearOperator`, symmetric positive definite), with P the
  multilinear interpolation from the grid to the sites (its transpose deposits the
  sites' charge on the grid nodes, so that K is symmetric) and A the Poisson matrix on
  the free nodes.  An electron at a site raises the energy of the others (K ≥ 0).

Every application of K is one solve with the Poisson factorization made once
(:meth:`PoissonProblem.solve_free`), so Newton–Krylov methods can use it as the
Jacobian's linear part.  Energies are measured from the Fermi level of the grounded
electron gas: a voltage V on every gate, the surface and the back gate shifts U by
−eV (in eV: −V).

:class:`SitePotential` turns values at the sites into a value function for Kwant: a
callable accepting a site (``potential(site)``) or its position (``potential(x, y)``, the
``V`` of mesoflow's builders), converted to the system's energy unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..units import Units
from ..validation import real, shown
from .poisson import PoissonProblem

__all__ = ["SiteElectrostatics", "SitePotential", "site_positions"]


def site_positions(
    fsyst, units: Units, *, origin: Sequence[float] = (0.0, 0.0), height: float = 0.0
) -> np.ndarray:
    """Positions (nm) of the sites of a finalized Kwant system in a layout's coordinates.

    A site at ``pos`` (lattice constants) is at ``origin + a · pos`` in the plane and
    at z = ``height`` (nm; the electron gas: ``-layout.depth``).  A 1D system's
    sites lie along x at y = ``origin[1]``; for a 2D (x, z) layout pass ``origin`` of
    one coordinate.

    Returns
    -------
    numpy.ndarray
        Shape (number of sites, len(origin) + 1): (x, y, z) or (x, z), nm.
    """
    if not isinstance(units, Units):
        raise TypeError(f"units must be a systems.Units, got {type(units).__name__}")
    origin = np.asarray(origin, dtype=float)
    if origin.ndim != 1 or len(origin) not in (1, 2):
        raise ValueError(f"origin={shown(origin)} must be (x, y) or (x,) in nm")
    positions = np.array([np.atleast_1d(site.pos) for site in fsyst.sites], dtype=float)
    if positions.shape[1] > len(origin):
        raise ValueError(
            f"the system's sites have {positions.shape[1]} coordinates, more than the "
            f"{len(origin)} of origin={shown(origin)}"
        )
    plane = np.tile(origin, (len(positions), 1))
    plane[:, : positions.shape[1]] += units.lattice_constant_nm * positions
    z = np.full((len(positions), 1), real("height", height, hint="nm"))
    return np.hstack([plane, z])


def _interpolation(axes: Sequence[np.ndarray], points: np.ndarray) -> sp.csr_matrix:
    """Multilinear interpolation weights (sites × nodes) from the grid to the points."""
    count, dim = points.shape
    shape = tuple(len(axis) for axis in axes)
    lower, fraction = [], []
    for k, axis in enumerate(axes):
        x = points[:, k]
        if np.any(x < axis[0] - 1e-9) or np.any(x > axis[-1] + 1e-9):
            raise ValueError(f"some sites lie outside the grid along axis {k}; enlarge the grid")
        i = np.clip(np.searchsorted(axis, x, side="right") - 1, 0, len(axis) - 2)
        lower.append(i)
        fraction.append(np.clip((x - axis[i]) / (axis[i + 1] - axis[i]), 0, 1))
    rows, cols, weights = [], [], []
    for corner in np.ndindex(*(2,) * dim):
        index = [lower[k] + corner[k] for k in range(dim)]
        weight = np.prod(
            [fraction[k] if corner[k] else 1 - fraction[k] for k in range(dim)], axis=0
        )
        rows.append(np.arange(count))
        cols.append(np.ravel_multi_index(index, shape))
        weights.append(weight)
    return sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
        shape=(count, int(np.prod(shape))),
    )


class SiteElectrostatics:
    """The affine map U = U₀(V) + K q at the tight-binding sites (module docstring).

    Parameters
    ----------
    problem
        The Poisson problem (factorized once).
    positions
        Site positions in nm, shape (sites, dimension of the layout), e.g. from
        :func:`site_positions`.

    Attributes
    ----------
    operator
        K as a :class:`scipy.sparse.linalg.LinearOperator` (eV per electron).
    interpolation
        P: the (sites × grid nodes) interpolation matrix.
    """

    def __init__(self, problem: PoissonProblem, positions):
        if not isinstance(problem, PoissonProblem):
            raise TypeError(f"problem must be a PoissonProblem, got {type(problem).__name__}")
        positions = np.asarray(positions, dtype=float)
        dim = len(problem.grid.axes)
        if positions.ndim != 2 or positions.shape[1] != dim or not np.all(np.isfinite(positions)):
            raise ValueError(
                f"positions must be finite, of shape (sites, {dim}) in nm, got shape "
                f"{positions.shape}"
            )
        self.problem = problem
        self.positions = positions
        self.interpolation = _interpolation(problem.grid.axes, positions)
        free = problem.free_nodes
        self._to_free = self.interpolation[:, free].T.tocsr()  # charge at sites -> free nodes
        n = len(positions)
        self.operator = spla.LinearOperator(
            (n, n), matvec=self.interaction, rmatvec=self.interaction, dtype=float
        )

    @property
    def gate_names(self) -> tuple[str, ...]:
        """The names of the voltages."""
        return self.problem.gate_names

    def interaction(self, charge) -> np.ndarray:
        """K q: the potential energy (eV) at the sites made by ``charge`` electrons per site."""
        charge = np.asarray(charge, dtype=float).ravel()
        # electrons carry −e: node charge −P q; energy −e φ at the sites: −Pᵀ(A⁻¹(−P q)).
        potential = self.problem.solve_free(self._to_free @ charge)
        return self._to_free.T @ potential

    def bare_energy(self, voltages: Mapping[str, float]) -> np.ndarray:
        """U₀(V): the potential energy at the sites (eV) without the sites' charge."""
        return -(self.interpolation @ self.problem.solve(voltages).ravel())

    def potential_energy(self, voltages: Mapping[str, float], charge=None) -> np.ndarray:
        """U = U₀(V) + K q at the sites, eV."""
        energy = self.bare_energy(voltages)
        if charge is not None:
            energy = energy + self.interaction(charge)
        return energy

    def lever_arms(self) -> dict[str, np.ndarray]:
        """∂U/∂V_g at the sites for each gate (eV per V): the linear part of U₀."""
        zero = self.bare_energy({})
        return {name: self.bare_energy({name: 1.0}) - zero for name in self.gate_names}


class SitePotential:
    """Values at the sites of a finalized system as a Kwant value-function parameter.

    Parameters
    ----------
    fsyst
        The finalized system whose sites (in ``fsyst.sites`` order) the values belong to.
    energy
        Potential energy at each site in eV (e.g. from
        :meth:`SiteElectrostatics.potential_energy`).
    units
        Converts eV to the system's energy unit t (``units.t_meV``); None keeps eV.

    A call with one argument that has a ``pos`` (a Kwant site) or with the site's
    coordinates (``potential(x, y)``, how mesoflow's builders call ``V``) returns the
    value at that site; a position that is not a site of ``fsyst`` is a ``KeyError``.
    """

    def __init__(self, fsyst, energy, *, units: Units | None = None):
        energy = np.asarray(energy, dtype=float).ravel()
        if len(energy) != len(fsyst.sites):
            raise ValueError(
                f"energy has {len(energy)} values, the system has {len(fsyst.sites)} sites"
            )
        scale = 1.0 if units is None else 1e3 / units.t_meV
        self._scale = scale
        self.values = energy * scale
        self._index = {self._key((site.pos,)): i for i, site in enumerate(fsyst.sites)}

    def with_energy(self, energy) -> SitePotential:
        """The same system's potential with other energies (eV): the site index is shared.

        A self-consistent loop asks for a new potential at every iterate; this keeps
        the position → site look-up, built once, instead of rebuilding it per iterate.
        """
        energy = np.asarray(energy, dtype=float).ravel()
        if len(energy) != len(self.values):
            raise ValueError(
                f"energy has {len(energy)} values, the system has {len(self.values)} sites"
            )
        clone = object.__new__(SitePotential)
        clone._scale, clone._index = self._scale, self._index
        clone.values = energy * self._scale
        return clone

    @staticmethod
    def _key(pos) -> tuple:
        flat = np.concatenate([np.atleast_1d(np.asarray(x, dtype=float)) for x in pos])
        return tuple(float(x) for x in np.round(flat, 9))

    def __call__(self, *args):
        pos = (args[0].pos,) if len(args) == 1 and hasattr(args[0], "pos") else args
        try:
            return self.values[self._index[self._key(pos)]]
        except KeyError:
            raise KeyError(f"no site of the system at position {shown(pos)}") from None
