"""The Poisson problem of a layout on a rectilinear grid: assembled once, factorized once.

Discretization: finite volumes (box integration) on the nodes of a :class:`Grid`,

    −∇·(ε₀ ε_r ∇φ) = ρ,

with ε_r constant between grid planes (a dielectric interface is a plane of nodes) and
charges per node (elementary charges e; a sheet of density σ puts σ × its control area
on each node of its plane).  Lengths are nm, potentials V and ε₀ = 0.0553 e/(V nm).  A
free (Neumann) face of the box is the natural boundary of the box integration; a
Dirichlet node (a gate, the pinned surface, a grounded face, the back gate) is eliminated.
The scheme is second order in the spacing on a smooth solution.

Two direct solvers, both exact up to rounding, computed once per :class:`PoissonProblem`
and reused for every right-hand side (every voltage, every iteration of a
self-consistent loop):

``"separable"``
    When every Dirichlet node lies on a face of the box (gates on the pinned surface),
    the operator on the free nodes is a sum of Kronecker products, A = ε₀(L_x⊗W_y⊗E_z +
    W_x⊗L_y⊗E_z + W_x⊗W_y⊗L_z).  Each axis' generalized eigenproblem L Q = W Q Λ
    (:func:`scipy.linalg.eigh`, Qᵀ W Q = 1) diagonalizes it:
    A⁻¹ = (Q_x⊗Q_y⊗Q_z) diag(1/ε₀(λ_x + λ_y + λ_z)) (Q_x⊗Q_y⊗Q_z)ᵀ — the fast
    diagonalization method (Lynch, Rice & Thomas, Numer. Math. 6, 185 (1964)).  A solve
    costs 2 N (n_x + n_y + n_z) flops, no fill-in.
``"splu"``
    Any layout (gates inside the box, a free surface): sparse LU of the free-node matrix
    (:func:`scipy.sparse.linalg.splu`, symmetric minimum-degree ordering).

``"auto"`` picks ``"separable"`` when it applies.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.constants as sc
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import threadpoolctl
from matplotlib.path import Path

from ..validation import choice, real, shown
from .grid import Grid
from .layout import Layout

__all__ = ["EPSILON_0", "PoissonProblem"]

#: The vacuum permittivity ε₀ in e/(V·nm).
EPSILON_0 = sc.epsilon_0 / sc.e * 1e-9
#: Sub-samples per axis of a node's control area that decide how much of it a gate covers.
_SUBSAMPLES = 8
#: A grid plane matches a height (gate, charge) within this many nm.
_PLANE_TOLERANCE = 1e-6


def _axis_matrices(axis: np.ndarray, kappa: np.ndarray | None = None):
    """Stiffness L (κ/h per interval) and control widths W (Σ κ h/2) of one axis."""
    h = np.diff(axis)
    kappa = np.ones_like(h) if kappa is None else kappa
    c = kappa / h
    main = np.zeros(len(axis))
    main[:-1] += c
    main[1:] += c
    stiffness = sp.diags([-c, main, -c], [-1, 0, 1], format="csr")
    widths = np.zeros(len(axis))
    widths[:-1] += kappa * h / 2
    widths[1:] += kappa * h / 2
    return stiffness, widths


def _plane(axis: np.ndarray, height: float, what: str) -> int:
    index = int(np.argmin(np.abs(axis - height)))
    if abs(axis[index] - height) > _PLANE_TOLERANCE:
        raise ValueError(
            f"{what} at z={height} nm is not a plane of the grid; build it with layout_grid"
        )
    return index


def _kron(*factors):
    out = factors[0]
    for factor in factors[1:]:
        out = sp.kron(out, factor, format="csr")
    return out


class PoissonProblem:
    """The electrostatics of a :class:`Layout` on a :class:`Grid`: φ is affine in V and ρ.

    Parameters
    ----------
    layout
        Gates, dielectrics, fixed charges and boundaries.
    grid
        The nodes (nm); :func:`systems.electrostatics.layout_grid` makes one that has
        every plane the layout needs.
    solver
        ``"auto"``, ``"separable"`` or ``"splu"`` (module docstring).

    Attributes
    ----------
    gate_names
        The voltages a solve takes (the gates' names), V.
    """

    def __init__(self, layout: Layout, grid: Grid, *, solver: str = "auto"):
        if not isinstance(layout, Layout):
            raise TypeError(f"layout must be a Layout, got {type(layout).__name__}")
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid, got {type(grid).__name__}")
        if len(grid.axes) != layout.dimension:
            raise ValueError(
                f"a {layout.dimension}D layout needs a grid with {layout.dimension} axes, got "
                f"{len(grid.axes)}"
            )
        choice("solver", solver, ("auto", "separable", "splu"))
        self.layout, self.grid = layout, grid
        self.gate_names = tuple(gate.name for gate in layout.gates)
        z = grid.axes[-1]
        if abs(z[-1] - layout.top) > _PLANE_TOLERANCE:
            raise ValueError(f"the grid's top z={z[-1]} nm must be the layout's top {layout.top}")
        eps = layout.eps_at((z[:-1] + z[1:]) / 2)
        self._inplane = [_axis_matrices(axis) for axis in grid.axes[:-1]]
        self._vertical = _axis_matrices(z, eps)
        self.matrix = self._assemble()
        self._boundary()
        separable = self._separable()
        if solver == "separable" and not separable:
            raise ValueError(
                "solver='separable' needs every Dirichlet node on a face of the box (gates on "
                "a pinned surface); use solver='splu' or 'auto'"
            )
        self.solver = "separable" if (solver == "auto" and separable) else solver
        if self.solver == "auto":
            self.solver = "splu"
        self._factorize()

    # --- assembly -------------------------------------------------------------------------

    def _assemble(self) -> sp.csr_matrix:
        """The full matrix ε₀ Σ_k (W ⊗ … ⊗ L_k ⊗ … ⊗ E_z) over all nodes (e/V)."""
        factors = [*self._inplane, self._vertical]
        terms = []
        for k in range(len(factors)):
            parts = [
                factors[j][0] if j == k else sp.diags(factors[j][1]) for j in range(len(factors))
            ]
            terms.append(_kron(*parts))
        return (EPSILON_0 * sum(terms)).tocsr()

    def control_area(self) -> np.ndarray:
        """In-plane control area of each node of a plane (nm², 2D layouts: nm per nm of y)."""
        widths = [w for _, w in self._inplane]
        return widths[0] if len(widths) == 1 else np.multiply.outer(*widths)

    def _coverage(self, gate) -> np.ndarray:
        """Fraction of each node's in-plane control area that the gate covers."""
        axes = self.grid.axes[:-1]
        fractions = []
        for axis in axes:
            h = np.diff(axis)
            low = axis - np.concatenate([[0], h]) / 2
            high = axis + np.concatenate([h, [0]]) / 2
            s = (np.arange(_SUBSAMPLES) + 0.5) / _SUBSAMPLES
            fractions.append(low[:, None] + (high - low)[:, None] * s)  # (n, S)
        if gate.dimension == 2:
            inside = (fractions[0] > gate.shape[0]) & (fractions[0] < gate.shape[1])
            return inside.mean(axis=1)
        xs, ys = fractions
        points = np.stack(
            np.broadcast_arrays(xs[:, None, :, None], ys[None, :, None, :]), axis=-1
        ).reshape(-1, 2)
        inside = (
            Path(gate.shape)
            .contains_points(points)
            .reshape(len(axes[0]), len(axes[1]), _SUBSAMPLES, _SUBSAMPLES)
        )
        return inside.mean(axis=(2, 3))

    def _boundary(self) -> None:
        """Dirichlet nodes and the per-voltage boundary data (one array per gate + constant)."""
        layout, shape = self.layout, self.grid.shape
        fixed = np.zeros(shape, dtype=bool)
        constant = np.zeros(shape)
        per_gate = {}
        top = (Ellipsis, -1)
        if layout.surface == "pinned":
            fixed[top] = True
            covered = np.zeros(shape[:-1])
            for gate in layout.gates:
                fraction = self._coverage(gate)
                covered += fraction
                data = np.zeros(shape)
                data[top] = fraction
                per_gate[gate.name] = data
            if np.any(covered > 1 + 1e-9):
                raise ValueError("gates on the pinned surface overlap; give disjoint shapes")
            constant[top] = layout.surface_potential * (1 - covered)
        else:
            for gate in layout.gates:
                k = _plane(self.grid.axes[-1], gate.height, f"gate {gate.name!r}")
                on = self._coverage(gate) >= 0.5
                fixed[(Ellipsis, k)] |= on
                data = np.zeros(shape)
                data[(Ellipsis, k)] = on
                per_gate[gate.name] = data
        if layout.back_gate is not None:
            fixed[(Ellipsis, 0)] = True
            constant[(Ellipsis, 0)] = layout.back_gate_potential
        if layout.far_field == "grounded":
            for k in range(len(shape) - 1):
                for end in (0, -1):
                    index = [slice(None)] * len(shape)
                    index[k] = end
                    fixed[tuple(index)] = True
                    constant[tuple(index)] = 0.0
                    for data in per_gate.values():
                        data[tuple(index)] = 0.0
        if not fixed.any():
            raise ValueError(
                "the layout fixes no potential anywhere (free surface, no back gate, free far "
                "field, no gate): the potential is undefined; ground something"
            )
        self.fixed = fixed
        self._constant = constant
        self._per_gate = per_gate
        self.free_nodes = np.flatnonzero(~fixed.ravel())
        charge = np.zeros(shape)
        z = self.grid.axes[-1]
        for sheet in layout.charges:
            k = _plane(z, sheet.height, "a sheet charge")
            charge[(Ellipsis, k)] += sheet.density * 1e-14 * self.control_area()
        self.fixed_charge = charge

    def _separable(self) -> bool:
        """Whether the free nodes form a tensor grid (every Dirichlet node on a box face)."""
        ranges = self._free_ranges()
        if ranges is None:
            return False
        box = np.zeros(self.grid.shape, dtype=bool)
        box[tuple(slice(lo, hi) for lo, hi in ranges)] = True
        return bool(np.array_equal(box, ~self.fixed))

    def _free_ranges(self):
        ranges = []
        for k in range(len(self.grid.shape)):
            free = ~self.fixed
            other = tuple(j for j in range(free.ndim) if j != k)
            along = np.flatnonzero(free.any(axis=other))
            if len(along) == 0:
                return None
            ranges.append((int(along[0]), int(along[-1]) + 1))
        return ranges

    def _factorize(self) -> None:
        if self.solver == "splu":
            free = self.free_nodes
            block = self.matrix[free][:, free].tocsc()
            self._lu = spla.splu(block, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
            return
        ranges = self._free_ranges()
        self._ranges = ranges
        factors = [*self._inplane, self._vertical]
        self._modes, eigenvalues = [], []
        for (stiffness, widths), (lo, hi) in zip(factors, ranges, strict=True):
            stiff = stiffness[lo:hi, lo:hi].toarray()
            values, vectors = scipy.linalg.eigh(stiff, np.diag(widths[lo:hi]))
            self._modes.append(vectors)
            eigenvalues.append(values)
        total = eigenvalues[0]
        for values in eigenvalues[1:]:
            total = np.add.outer(total, values)
        if np.any(total <= 0):
            raise ValueError("the Poisson operator is singular: no Dirichlet boundary reaches it")
        self._inverse_eigenvalues = 1 / (EPSILON_0 * total)

    # --- solving --------------------------------------------------------------------------

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_threads", None)  # a handle on the loaded BLAS libraries: not picklable
        return state

    def solve_free(self, rhs: np.ndarray) -> np.ndarray:
        """A_ff⁻¹ rhs on the free nodes (rhs in e, result in V); the reused factorization.

        The separable solve is a few small dense products per axis, run on one BLAS thread:
        OpenBLAS's threads on products this small cost 50x more than they save on a
        loaded machine (measured 350 ms against 6 ms on a 49 x 49 x 21 grid, load 14 on 2
        cores).
        """
        if self.solver == "splu":
            return self._lu.solve(rhs)
        if getattr(self, "_threads", None) is None:
            self._threads = threadpoolctl.ThreadpoolController()
        shape = tuple(hi - lo for lo, hi in self._ranges)
        x = rhs.reshape(shape)
        with self._threads.limit(limits=1, user_api="blas"):
            for k, modes in enumerate(self._modes):
                x = np.moveaxis(np.tensordot(modes.T, x, axes=(1, k)), 0, k)
            x = x * self._inverse_eigenvalues
            for k, modes in enumerate(self._modes):
                x = np.moveaxis(np.tensordot(modes, x, axes=(1, k)), 0, k)
        return x.ravel()

    def boundary_values(self, voltages: Mapping[str, float]) -> np.ndarray:
        """The potential on every node that is fixed (0 on free nodes), V."""
        if not isinstance(voltages, Mapping):
            raise TypeError(f"voltages must map gate names to V, got {shown(voltages)}")
        unknown = sorted(set(voltages) - set(self.gate_names))
        if unknown:
            raise ValueError(
                f"voltages name unknown gate(s) {unknown}; the gates are {list(self.gate_names)}"
            )
        values = self._constant.copy()
        for name in self.gate_names:
            voltage = real(f"voltages[{name!r}]", voltages.get(name, 0.0), hint="V")
            if voltage:
                values += voltage * self._per_gate[name]
        return values

    def solve(self, voltages: Mapping[str, float], charge: np.ndarray | None = None) -> np.ndarray:
        """The potential φ on every node (V), grid-shaped.

        Parameters
        ----------
        voltages
            Gate name -> voltage (V); a gate left out is at 0 V.
        charge
            Extra charge per node (elementary charges e, grid-shaped, e.g. the electrons
            of the gas as negative numbers), added to the layout's fixed charges.
        """
        boundary = self.boundary_values(voltages).ravel()
        rho = self.fixed_charge.ravel()
        if charge is not None:
            rho = rho + np.asarray(charge, dtype=float).ravel()
        rhs = (rho - self.matrix @ boundary)[self.free_nodes]
        phi = boundary.copy()
        phi[self.free_nodes] = self.solve_free(rhs)
        return phi.reshape(self.grid.shape)
