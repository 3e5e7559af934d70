"""Floating dephasing probes eliminated in time and memory linear in the device length.

The dense method (:func:`workflows.scattering.eliminate_floating_probes`) forms the M×M
matrix of probe transmissions.  Here it is never formed.  For wide-band
probes (Γ_p = η_p·1 on one site p) the floating condition I_p = 0 reads

    K V_P = T_Pt V_t,    K = diag(η_p Tr A_pp) − T_PP,
    (T_PP x)_p = η_p Tr[(G X G†)_pp],   X = ⊕_q η_q x_q 1_q,

with A = i(G − G†) the spectral function: K V is the probe current (the
diagonal of the conductance matrix is G_pp = Σ_{k≠p} T_kp = η_p Tr A_pp − T_pp
by the sum rule).  The map x ↦ T_PP x is the diagonal of G X G†, i.e. the
NEGF electron correlation G^n = G Σ^in G† with Σ^in = X, which the recursive
Green's function gives in one forward and one backward sweep over the slices
(:mod:`workflows.scattering.recursive_greens`; Lake et al., J. Appl. Phys. 81, 7845
(1997)).  The transmissions between real leads r, s and probes are

    T_pr = η_p Tr[(G Γ_r G†)_pp],   T_rp = η_p Tr[(G† Γ_r G)_pp],
    T_sr = Tr[Γ_s (G Γ_r G†)_ss],

from one sweep each.  K is solved by GMRES (non-symmetric in a magnetic
field, T_pq ≠ T_qp) with a preconditioner that keeps the part of T_PP
between probes in the same or adjacent slices and moves the rest onto the
diagonal so that the row sums of K (the leakage to the leads) are exact; G
decays over the dephasing length, so this sparse, banded matrix captures
the short-range part of the probe network and the row-sum correction its
long-wavelength (diffusive) part.  Its sparse LU costs O(L) for a fixed
cross-section.

Tolerance: GMRES stops at a relative residual ``rtol`` (default 1e-12) for
each real terminal; the result reports the achieved residual.  Probe
potentials and conductances then agree with the dense method to about
rtol × cond(K) (tests: 1e-10 on small systems).

Cost: O(Σ_i w_i³) per sweep for slices of w_i orbitals; two sweeps per real
terminal, one for the row sums, one per GMRES iteration (n_t − 1 right-hand
sides: the last terminal's potentials follow from Σ_r V^(r) = 1), and the
band of the preconditioner (one product per slice and slice distance);
memory O(Σ_i w_i²) plus the band, at most ``entries_per_probe`` per probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from workflows.scattering import OpenSystem, broadening
from workflows.scattering.recursive_greens import (
    RecursiveGreens,
    block_tridiagonal_blocks,
    sandwich_diagonal,
)
from workflows.scattering.slicing import SliceOrdering, slice_ordering

__all__ = ["NotSliceableError", "ProbeNetworkSolution", "solve_probe_network"]

#: Slices are grouped to about this many orbitals (dense BLAS blocks, little Python overhead).
TARGET_SLICE_WIDTH = 32
#: Wider slices (dense inverses of O(w³)) make the recursion slower than the dense method.
MAX_SLICE_WIDTH = 2000


class NotSliceableError(ValueError):
    """The system or its probes do not fit the linear (recursive) method; use the dense one."""


@dataclass(frozen=True)
class ProbeNetworkSolution:
    """Result of :func:`solve_probe_network` (real terminals t, floating probes P).

    Attributes
    ----------
    conductance
        (n_t, n_t) effective conductance matrix, e²/h, probes eliminated.
    potentials
        (n_p, n_t) characteristic probe potentials (NaN rows for η_p = 0).
    coherent_conductance
        (n_t, n_t) block G_tt of the full conductance matrix (e²/h): the
        coherent transmissions between real terminals (off the diagonal, −T).
    iterations
        GMRES iterations for each real terminal.
    residual
        Largest relative residual ‖K V − b‖/‖b‖ achieved.
    slice_widths
        Orbitals per slice of the recursion.
    """

    conductance: np.ndarray
    potentials: np.ndarray
    coherent_conductance: np.ndarray
    iterations: tuple[int, ...]
    residual: float
    slice_widths: np.ndarray


def _probe_coupling(sigma: np.ndarray, index: int) -> float:
    """η of a single-site probe from its self-energy Σ = −iη/2·1 (from the core), else
    NotSliceableError."""
    eta = -2 * sigma[0, 0].imag
    if not np.allclose(sigma, -0.5j * eta * np.eye(sigma.shape[0]), atol=1e-14, rtol=0):
        raise NotSliceableError(
            f"probe lead {index} has a self-energy that is not −iη/2 times the identity"
        )
    return float(eta)


def _check_block_tridiagonal(matrix: scipy.sparse.coo_matrix, ordering: SliceOrdering) -> None:
    block = np.repeat(np.arange(ordering.widths.size), ordering.widths)
    if np.any(np.abs(block[matrix.row] - block[matrix.col]) > 1):
        raise NotSliceableError("a self-energy couples slices that are not adjacent")


@dataclass
class _Probes:
    """Orbital bookkeeping of the coupled probes in slice order."""

    eta: np.ndarray  # (n_c,)
    orbital: np.ndarray  # slice-order index of every probe orbital
    owner: np.ndarray  # coupled-probe index of every probe orbital
    n_orbitals: int
    offsets: np.ndarray

    def spread(self, x: np.ndarray) -> list:
        """Per-slice diagonals of X = ⊕_q η_q x_q 1_q."""
        full = np.zeros(self.n_orbitals)
        full[self.orbital] = (self.eta * x)[self.owner]
        return np.split(full, self.offsets[1:-1])

    def collect(self, diagonal: np.ndarray) -> np.ndarray:
        """η_p Σ_{a∈p} diagonal_a."""
        sums = np.bincount(self.owner, weights=diagonal[self.orbital], minlength=self.eta.size)
        return self.eta * sums


def _band_matrix(
    greens: RecursiveGreens,
    probes: _Probes,
    slice_of: np.ndarray,
    row_sums: np.ndarray,
    *,
    capture: float = 0.99,
    entries_per_probe: int = 512,
):
    """T_pq = η_p η_q Σ|G_ab|² for probes at most k slices apart, as a sparse matrix.

    The band grows one slice-distance at a time (G_{i,i+k} = −g_i A_{i,i+1} G_{i+1,i+k},
    G_{i+k,i} = −G_{i+k,i+1} A_{i+1,i} g_i) until it holds the fraction ``capture`` of the
    total row sums ``row_sums`` = T_PP·1 (G decays over the dephasing length) or would
    exceed ``entries_per_probe`` entries per probe on average (memory O(M)).
    """
    offsets = probes.offsets
    n = len(greens)
    order = np.argsort(slice_of[probes.orbital], kind="stable")
    split = np.searchsorted(slice_of[probes.orbital][order], np.arange(n + 1))
    local = [order[split[i] : split[i + 1]] for i in range(n)]  # indices into probes.orbital
    rows, cols, values = [], [], []
    m = probes.eta.size
    max_entries = entries_per_probe * m

    def add(i, j, block):
        a, b = local[i], local[j]
        if a.size == 0 or b.size == 0:
            return 0.0
        sub = block[np.ix_(probes.orbital[a] - offsets[i], probes.orbital[b] - offsets[j])]
        pa, pb = probes.owner[a], probes.owner[b]
        weights = np.abs(sub) ** 2 * probes.eta[pa][:, None] * probes.eta[pb][None, :]
        rows.append(np.repeat(pa, b.size).astype(np.int32))
        cols.append(np.tile(pb, a.size).astype(np.int32))
        values.append(weights.ravel())
        return weights.size

    entries = sum(add(i, i, greens.diagonal[i]) for i in range(n))
    per_distance = max(entries, 1)
    upper = list(greens.diagonal)  # G_{i,i+k-1}, for i = 0 … n−k
    lower = list(greens.diagonal)  # G_{i+k-1,i}
    total = float(np.sum(row_sums))
    for k in range(1, n):
        captured = sum(float(v.sum()) for v in values)
        if captured >= capture * total or entries + 2 * per_distance > max_entries:
            break
        upper = [-greens.right_factors[i] @ upper[i + 1] for i in range(n - k)]
        lower = [-lower[i + 1] @ greens.left_factors[i] for i in range(n - k)]
        for i in range(n - k):
            entries += add(i, i + k, upper[i]) + add(i + k, i, lower[i])
    return scipy.sparse.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m)
    ).tocsr()


def solve_probe_network(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    probes: np.ndarray,
    *,
    params: Mapping[str, Any] | None = None,
    rtol: float = 1e-12,
    target_width: int = TARGET_SLICE_WIDTH,
) -> ProbeNetworkSolution:
    """Eliminate floating wide-band probes with recursive Green's functions (see module docs).

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        Energy in units of t.
    probes
        Lead indices of the floating probes: single-site self-energy leads
        with Σ = −iη/2·1 (e.g. :func:`systems.attach_dephasing_probes`).  The
        other leads (any kind) are the real terminals, in increasing order.
    params
        Kwant parameters (resolved by :func:`systems.resolve_params`).
    rtol
        Relative residual at which GMRES stops.
    target_width
        Orbitals per slice of the recursion (performance only).

    Returns
    -------
    ProbeNetworkSolution

    Raises
    ------
    NotSliceableError
        A probe is not a single-site wide-band probe, there is no real
        terminal, part of the system cannot be reached from the first real
        lead (no slice ordering), or a slice would hold more than
        :data:`MAX_SLICE_WIDTH` orbitals.
    ValueError
        GMRES did not converge (a probe network without a path to a lead).
    """
    probes = np.asarray(probes, dtype=int)
    n_leads = len(fsyst.leads)
    terminals = np.setdiff1d(np.arange(n_leads), probes)
    if terminals.size == 0:
        raise NotSliceableError("every lead is a floating probe: no real terminal")
    open_system = OpenSystem(fsyst, params=params)
    ham = open_system.hamiltonian.tocsr()
    orbital_start = open_system.orbital_offsets
    norbs = np.diff(orbital_start)

    eta = np.empty(probes.size)
    probe_site = np.empty(probes.size, dtype=int)
    for k, p in enumerate(probes):
        if len(fsyst.lead_interfaces[p]) != 1:
            raise NotSliceableError(f"probe lead {p} is attached to more than one site")
        probe_site[k] = fsyst.lead_interfaces[p][0]
        if hasattr(fsyst.leads[p], "modes"):
            raise NotSliceableError(f"probe lead {p} has modes; only wide-band probes are linear")
    sigmas = open_system.selfenergies(energy)  # every lead's Σ, from the core
    for k, p in enumerate(probes):
        eta[k] = _probe_coupling(sigmas[p], int(p))
    real_sigmas = [sigmas[r] for r in terminals]

    probe_norbs = norbs[probe_site]
    probe_orbitals = np.concatenate(
        [np.zeros(0, int)] + [np.arange(orbital_start[s], orbital_start[s + 1]) for s in probe_site]
    ).astype(int)
    probe_owner = np.repeat(np.arange(probes.size), probe_norbs)
    ordering = slice_ordering(
        ham,
        norbs,
        [np.asarray(fsyst.lead_interfaces[r], dtype=int) for r in terminals],
        target_width=target_width,
    )
    if ordering is None:
        raise NotSliceableError(
            "some sites cannot be reached from the first real lead, so the system has no "
            "slice ordering"
        )
    if ordering.widths.max() > MAX_SLICE_WIDTH:
        raise NotSliceableError(
            f"its widest slice has {ordering.widths.max()} orbitals (more than "
            f"{MAX_SLICE_WIDTH}): the leads are not at opposite ends of a quasi-1D device"
        )
    matrix = open_system.matrix(energy, selfenergies=sigmas)
    perm = ordering.permutation
    matrix = matrix[perm][:, perm].tocsr()
    _check_block_tridiagonal(matrix.tocoo(), ordering)
    offsets = ordering.offsets
    greens = RecursiveGreens(*block_tridiagonal_blocks(matrix, offsets))
    del matrix

    inverse = ordering.inverse
    slice_of = np.repeat(np.arange(offsets.size - 1), ordering.widths)
    g_diagonal = np.concatenate([np.diagonal(g) for g in greens.diagonal])

    # Real terminals: T_Pr, T_rP and T_sr from one sweep each.
    n_t, n_p = terminals.size, probes.size
    t_pr = np.zeros((n_p, n_t))
    t_rp = np.zeros((n_t, n_p))
    t_rs = np.zeros((n_t, n_t))
    all_probe_orbitals = inverse[probe_orbitals]
    located = []
    for r in terminals:
        positions = inverse[open_system.interfaces[r]]
        slices = np.unique(slice_of[positions])
        if slices.size != 1:  # pragma: no cover - slice_ordering keeps interfaces whole
            raise NotSliceableError("a lead interface spans several slices")
        located.append((int(slices[0]), positions - offsets[slices[0]]))
    for r, ((k, local), sigma) in enumerate(zip(located, real_sigmas, strict=True)):
        gamma = broadening(sigma)
        x = [None] * (offsets.size - 1)
        block = np.zeros((offsets[k + 1] - offsets[k],) * 2, dtype=complex)
        block[np.ix_(local, local)] = gamma
        x[k] = block
        forward = greens.sandwich(x)
        backward = greens.sandwich(x, adjoint=True)
        d_forward = np.concatenate([np.diagonal(f).real for f in forward])
        d_backward = np.concatenate([np.diagonal(b).real for b in backward])
        t_pr[:, r] = eta * np.bincount(
            probe_owner, weights=d_forward[all_probe_orbitals], minlength=n_p
        )
        t_rp[r] = eta * np.bincount(
            probe_owner, weights=d_backward[all_probe_orbitals], minlength=n_p
        )
        for s, ((k_s, local_s), sigma_s) in enumerate(zip(located, real_sigmas, strict=True)):
            if s != r:
                gamma_s = broadening(sigma_s)
                t_rs[s, r] = np.trace(gamma_s @ forward[k_s][np.ix_(local_s, local_s)]).real
    coherent = -t_rs.copy()
    np.fill_diagonal(coherent, t_rs.sum(axis=0) + t_pr.sum(axis=0))

    potentials = np.full((n_p, n_t), np.nan)
    coupled = np.flatnonzero(eta > 0)
    if coupled.size == 0:
        return ProbeNetworkSolution(coherent, potentials, coherent, (), 0.0, ordering.widths)
    is_coupled = eta[probe_owner] > 0
    bookkeeping = _Probes(
        eta=eta[coupled],
        orbital=all_probe_orbitals[is_coupled],
        owner=np.searchsorted(coupled, probe_owner[is_coupled]),
        n_orbitals=offsets[-1],
        offsets=offsets,
    )
    spectral = -2 * g_diagonal.imag  # diagonal of A = i(G − G†)
    outflow = bookkeeping.collect(spectral)  # η_p Tr A_pp

    def transmit(x):
        return bookkeeping.collect(np.concatenate(sandwich_diagonal(greens, bookkeeping.spread(x))))

    m = coupled.size
    operator = scipy.sparse.linalg.LinearOperator(
        (m, m), matvec=lambda x: outflow * x - transmit(np.real(x)), dtype=float
    )
    row_sums = transmit(np.ones(m))
    band = _band_matrix(greens, bookkeeping, slice_of, row_sums)
    lumped = row_sums - np.asarray(band.sum(axis=1)).ravel()
    precondition = scipy.sparse.diags(outflow - lumped) - band
    lu = scipy.sparse.linalg.splu(precondition.tocsc())
    preconditioner = scipy.sparse.linalg.LinearOperator((m, m), matvec=lu.solve, dtype=float)

    solution = np.empty((m, n_t))
    iterations, residual = [], 0.0
    # With every terminal at the same voltage nothing flows: Σ_r V^(r) = 1, so the last
    # terminal's potentials follow from the others (one solve fewer).
    for r in range(n_t - 1):
        rhs = t_pr[coupled, r]
        norm = np.linalg.norm(rhs)
        if norm == 0:
            solution[:, r] = 0.0
            iterations.append(0)
            continue
        count = [0]

        def tick(_, count=count):
            count[0] += 1

        v, info = scipy.sparse.linalg.gmres(
            operator,
            rhs,
            x0=lu.solve(rhs),
            M=preconditioner,
            rtol=rtol,
            atol=0.0,
            restart=100,
            maxiter=20,
            callback=tick,
            callback_type="pr_norm",
        )
        achieved = np.linalg.norm(operator.matvec(v) - rhs) / norm
        if info != 0 and achieved > 10 * rtol:
            raise ValueError(
                f"the floating-probe equations did not converge (relative residual {achieved:.1e} "
                f"after {count[0]} GMRES iterations); a probe network without a conducting path "
                "to a lead, or use method='dense'"
            )
        solution[:, r] = v
        iterations.append(count[0])
        residual = max(residual, achieved)
    solution[:, n_t - 1] = 1.0 - solution[:, : n_t - 1].sum(axis=1)
    if n_t == 1:
        iterations.append(0)
    potentials[coupled] = solution
    conductance = coherent - t_rp[:, coupled] @ solution
    return ProbeNetworkSolution(
        conductance=conductance,
        potentials=potentials,
        coherent_conductance=coherent,
        iterations=tuple(iterations),
        residual=float(residual),
        slice_widths=ordering.widths,
    )
