"""Andreev conductance matrices of hybrid normal–superconducting devices (BdG systems).

For N normal BdG leads (electron/hole blocks, see :mod:`workflows.scattering.nambu`)
and grounded superconducting leads, the differential conductance
G_ij = dI_i/dV_j (I_i the current from normal lead i into the device, V_j the
voltage of normal lead j, every other lead grounded) is, at T = 0,

    G_ij(V_j) = (e²/h) [δ_ij N_i^e − T^ee_ij(eV_j) + T^he_ij(eV_j)]

(Anantram & Datta, Phys. Rev. B 53, 16390 (1996), Eq. (9); Kwant's
superconductor tutorial for i = j), with T^ee_ij (T^he_ij) the probability
that an electron from lead j leaves lead i as an electron (a hole), N_i^e the
number of open electron channels of lead i, all at the energy E = eV_j
measured from the superconductor's chemical potential (the Fermi level of the
BdG Hamiltonian).  The hole injected at −eV_j gives the same contribution by
particle-hole symmetry, which is why one (e²/h) stands for both.  At a
temperature T of the normal reservoirs the kernel is smeared,

    G_ij(V_j) = ∫ dE [−∂f/∂E](E − eV_j) [δ_ij N_i^e − T^ee_ij + T^he_ij](E).

The current I_S from the grounded superconductor(s) into the device is not
taken as −Σ_i I_i: it is the charge current that flows into the
superconducting region, from the current operator (:class:`kwant.operator.Current`
with the charge Q = P_e − P_h on every site) on the hoppings into that region,
evaluated on the scattering states ψ = G W_j^e of the electron channels of lead
j (G the columns of the retarded Green's function from the scattering core,
W_j^e W_j^e† = P_e Γ_j P_e, the channels of
:mod:`workflows.scattering.scattering_matrices`).  The superconducting
region is every site whose on-site or hopping matrix elements do not commute
with Q (pairing), plus the interface sites of the superconducting leads.
Its conservation, Σ_i G_ij + G_Sj = 0, is a check of the whole calculation.

Assumed: every site of the scattering region has the orbitals of the first
site of the first normal lead's unit cell, with the same electron/hole
structure (a uniform Nambu basis, as in every BdG model built with one
``tau`` convention).  Units: bias eV and k_B T in t, conductances in e²/h.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse

from systems.parameters import resolve_params
from systems.validation import check_system, real
from workflows.runs.options import RunOptions, run_options
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.scattering.block_projectors import cell_block_projectors
from workflows.scattering.nambu import NambuBlocks, nambu_leads
from workflows.scattering.open_system import (
    OpenSystem,
    SingularLeadError,
    broadening,
)
from workflows.scattering.scattering_matrices import _block_subspaces, _channels
from workflows.studies.study_runs import observable, run_study_grid

__all__ = [
    "AndreevConductance",
    "AndreevPoint",
    "SingularLeadError",
    "andreev_conductance",
    "andreev_thermal_conductance",
]

#: A matrix element is pairing when ‖[Q, H]‖ exceeds this fraction of max |H|.
_PAIRING_TOLERANCE = 1e-12
#: Thermal smearing: the energy grid spans eV ± this many k_B T (−f' < 1e-5 of its peak), ...
_SMEARING_RANGE = 12.0
#: The heat window E²(−f') decays slower: ±20 k_B T (tail < 1e-6 of κ; ±12 k_B T lose 6e-4).
_HEAT_RANGE = 20.0
#: ... with this many points per k_B T by default.  The trapezoid rule on −f' (width k_B T)
#: converges exponentially in k_B T/step for a smooth kernel; the square-root cusps of a BCS
#: kernel at ±Δ limit it to O(step^1.5): against BTK (Z ≤ 0.5, k_B T ≥ Δ/5, |eV| ≤ Δ)
#: 0.4–0.9 % at k_B T/4, 0.1–0.3 % at k_B T/8.
_POINTS_PER_KT = 4


@dataclass(frozen=True)
class AndreevConductance:
    """Local and non-local differential conductances of an NS or NSN device.

    Attributes
    ----------
    bias
        Voltages eV at which G is given, shape (n,), units of t.
    conductance
        G_ij(V) = dI_i/dV_j over the normal leads, shape (n, N, N), e²/h:
        ``conductance[k, i, j]`` with lead j at ``bias[k]`` and every other lead
        grounded; i = j local, i ≠ j non-local.
    superconductor
        dI_S/dV_j, shape (n, N), e²/h: the current from the grounded
        superconductor(s) into the device, from the current operator on the
        hoppings into the superconducting region (so that
        ``conductance.sum(axis=1) + superconductor`` = 0 checks conservation).
    electron_modes
        N_j^e(eV), shape (n, N): open electron channels of each normal lead at
        E = ``bias`` (at T = 0 the δ_ij N_i^e term of G).
    heat
        H_ij(eV) = δ_ij N_i^e − T^ee_ij − T^he_ij, shape (n, N, N): the
        energy-transmission kernel (electrons and holes both carry the
        excitation energy E), smeared like G at T > 0.  It vanishes below the
        gap of an NS junction (Andreev reflection carries charge but no
        heat; Andreev, JETP 19, 1228 (1964)).
    normal_leads, superconducting_leads
        Lead indices (Kwant's order) of the N normal BdG leads (the axes i, j)
        and of the grounded superconducting leads.
    temperature
        k_B T of the normal reservoirs (t).
    """

    bias: np.ndarray
    conductance: np.ndarray
    superconductor: np.ndarray
    electron_modes: np.ndarray
    heat: np.ndarray
    normal_leads: tuple[int, ...]
    superconducting_leads: tuple[int, ...]
    temperature: float

    def local(self, lead: int) -> np.ndarray:
        """G_ii(V) of normal lead ``lead`` (a Kwant lead index), shape (n,), e²/h."""
        i = self.normal_leads.index(lead)
        return self.conductance[:, i, i]

    def nonlocal_(self, to: int, source: int) -> np.ndarray:
        """G_ij(V) = dI_to/dV_source between two normal leads (Kwant indices), e²/h."""
        i, j = self.normal_leads.index(to), self.normal_leads.index(source)
        return self.conductance[:, i, j]


def _site_charge(fsyst: Any, lead: int, params: Mapping[str, Any], blocks: NambuBlocks):
    """Q = P_e − P_h on one site (norbs × norbs), from the lead's cell projectors."""
    the_lead = fsyst.leads[lead]
    norbs = the_lead.sites[0].family.norbs
    projectors = cell_block_projectors(the_lead, params)
    charge = np.zeros((norbs, norbs), dtype=complex)
    for sign, indices in ((1.0, blocks.electron), (-1.0, blocks.hole)):
        for b in indices:
            q = projectors[b][:norbs]
            charge += sign * (q @ q.conj().T)
    return charge, norbs


def _superconducting_cut(open_system: OpenSystem, charge: np.ndarray, norbs: int, s_leads):
    """Hoppings (b, a) of the region from a normal site a into a superconducting site b."""
    fsyst = open_system.fsyst
    n_sites = len(open_system.orbital_offsets) - 1
    if np.any(np.diff(open_system.orbital_offsets) != norbs):
        raise ValueError(
            f"andreev_conductance needs every site to have the {norbs} Nambu orbitals of the "
            "normal leads (one electron/hole structure)"
        )
    ham = open_system.hamiltonian.tocsr()
    q = scipy.sparse.kron(scipy.sparse.identity(n_sites), charge, format="csr")
    commutator = scipy.sparse.coo_matrix(q @ ham - ham @ q)
    scale = max(float(np.abs(ham.data).max(initial=0.0)), 1e-300)
    pairing = np.abs(commutator.data) > _PAIRING_TOLERANCE * scale
    superconducting = np.zeros(n_sites, dtype=bool)
    superconducting[commutator.row[pairing] // norbs] = True
    superconducting[commutator.col[pairing] // norbs] = True
    for lead in s_leads:
        superconducting[np.asarray(fsyst.lead_interfaces[lead], dtype=int)] = True
    cut = []
    for a in np.flatnonzero(~superconducting):
        for b in fsyst.graph.out_neighbors(int(a)):
            if superconducting[b]:
                cut.append((int(b), int(a)))
    return cut


class _Kernel:
    """[δ_ij N_i^e − T^ee_ij + T^he_ij](E) over the normal leads, the S row, and N^e.

    One factorization per energy: the columns G[:, interfaces] give both the
    interface Green's function (Fisher–Lee between electron/hole blocks,
    T^ab_ij = ‖W_ia† G_ij W_jb‖²_F) and the scattering states ψ = G W_je.
    """

    def __init__(self, open_system, nambu, normal, current):
        self.open_system, self.nambu, self.normal, self.current = (
            open_system,
            nambu,
            normal,
            current,
        )
        self.orbitals = np.unique(np.concatenate([open_system.interfaces[j] for j in normal]))
        self.positions = {
            j: np.searchsorted(self.orbitals, open_system.interfaces[j]) for j in normal
        }
        self.subspaces = {j: _block_subspaces(open_system.block_projectors(j), j) for j in normal}

    def __call__(self, energy: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows 0..N−1 charge kernel, row N the S row, rows N+1..2N the heat kernel; N^e."""
        system = self.open_system
        selfenergies = system.selfenergies(energy)  # refuses a pole of Σ (SingularLeadError)
        columns = system.greens_columns(energy, self.orbitals, selfenergies)
        counts = {j: system.open_channels(energy, j, blocks=True) for j in self.normal}
        w = {
            (j, b): _channels(broadening(selfenergies[j]), subspace, counts[j][b])
            for j in self.normal
            for b, subspace in enumerate(self.subspaces[j])
        }
        n_e = np.array(
            [sum(w[(i, b)].shape[1] for b in self.nambu[i].electron) for i in self.normal]
        )
        kernel = np.zeros((len(self.normal) + 1, len(self.normal)))
        heat = np.zeros((len(self.normal), len(self.normal)))
        for col, j in enumerate(self.normal):
            for source in self.nambu[j].electron:
                # ψ = G W_je: the electron scattering states of lead j on the whole region
                psi = columns[:, self.positions[j]] @ w[(j, source)]
                for row, i in enumerate(self.normal):
                    local = psi[self.orbitals[self.positions[i]]]
                    for sign, blocks in ((-1.0, self.nambu[i].electron), (1.0, self.nambu[i].hole)):
                        for b in blocks:
                            amplitude = 1j * (w[(i, b)].conj().T @ local)  # s = −1 + i W† G W
                            if (i, b) == (j, source):
                                amplitude -= np.eye(amplitude.shape[0])
                            probability = np.linalg.norm(amplitude) ** 2
                            kernel[row, col] += sign * probability
                            heat[row, col] -= probability
                into_s = sum(float(self.current(psi[:, n])) for n in range(psi.shape[1]))
                kernel[-1, col] -= into_s
            kernel[col, col] += n_e[col]
            heat[col, col] += n_e[col]
        return np.concatenate([kernel, heat]), n_e


def andreev_conductance(
    fsyst: kwant.system.FiniteSystem,
    bias: float | Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    temperature: float = 0.0,
    energy_step: float | None = None,
    run: RunOptions | None = None,
) -> AndreevConductance:
    """Local and non-local Andreev conductances G_ij(V) of an NS or NSN device (e²/h).

    Parameters
    ----------
    fsyst
        A finalized BdG system: normal leads declare electron/hole blocks
        (``conservation_law=-tau_z, particle_hole=tau_y``, electrons first;
        see :mod:`workflows.scattering.nambu`); every other lead is a
        grounded superconducting lead.
    bias
        Voltage(s) eV of the biased normal lead, units of t (energies from
        the superconductor's chemical potential, the zero of the BdG
        Hamiltonian).
    params
        Kwant parameters.
    temperature
        k_B T of the normal reservoirs (t, >= 0).  At T > 0 the kernel is
        evaluated on a grid over eV ± 12 k_B T and integrated against −∂f/∂E
        by the trapezoid rule.
    energy_step
        Step of that grid (t); default k_B T/4.  It must resolve the kernel's
        finest feature: the square-root cusps at the gap edges ±Δ make the
        error O(step^1.5) (~1 % at k_B T/4 for k_B T ≥ Δ/5; halve the step
        for ~0.3 %).
    run
        How the biases run (:class:`AndreevPoint`, ``bias`` its sweep axis):
        :class:`workflows.runs.options.RunOptions` (default: in this process,
        no progress bar).  A failed bias raises ``ValueError`` with its error,
        after the run (the finished biases are in the store).

    Returns
    -------
    AndreevConductance
        G_ij(V) (module formula, Anantram & Datta, PRB 53, 16390 (1996)) and
        the current from the superconductor from the current operator.

    Raises
    ------
    ValueError
        Without a normal BdG lead or without a superconducting lead.
    """
    run = run_options(run)
    check_system(fsyst)
    bias = np.atleast_1d(np.asarray(bias, dtype=float))
    if bias.ndim != 1 or bias.size == 0 or not np.all(np.isfinite(bias)):
        raise ValueError(f"bias must be finite numbers (eV in units of t), got {bias!r}")
    temperature = real("temperature", temperature, minimum=0.0, hint="k_B T in units of t")
    if energy_step is not None:
        energy_step = real("energy_step", energy_step, minimum=0.0, strict=True, hint="t")
    normal, s_leads = _lead_roles(fsyst, resolve_params(fsyst, params))  # checks, before work
    point = AndreevPoint(fsyst, params, temperature, energy_step)
    table = run_study_grid(
        "andreev_conductance",
        point,
        {"bias": [float(v) for v in bias]},
        settings={"params": params, "temperature": temperature, "energy_step": energy_step},
        run=run,
    )
    failed = table[table["error"].notna()]
    if len(failed):
        raise ValueError(
            f"andreev_conductance failed at {len(failed)} of {len(table)} biases, first at "
            f"bias={failed['bias'].iat[0]!r}: {failed['error'].iat[0]} (finished biases are "
            "kept in the store, if one was given)"
        )
    n = len(normal)
    rows = [
        [
            np.asarray(observable(table, name, k, np.full(shape, np.nan)), dtype=float)
            for name, shape in (
                ("conductance", (n, n)),
                ("superconductor", n),
                ("modes", n),
                ("heat", (n, n)),
            )
        ]
        for k in range(len(table))
    ]
    return AndreevConductance(
        bias=bias,
        conductance=np.array([r[0] for r in rows]).reshape(-1, n, n),
        superconductor=np.array([r[1] for r in rows]).reshape(-1, n),
        electron_modes=np.array([r[2] for r in rows]).reshape(-1, n),
        heat=np.array([r[3] for r in rows]).reshape(-1, n, n),
        normal_leads=normal,
        superconducting_leads=s_leads,
        temperature=temperature,
    )


def _lead_roles(fsyst, params) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(normal BdG leads, superconducting leads), or a ValueError if either is missing."""
    nambu = nambu_leads(fsyst, params)
    normal = tuple(sorted(nambu))
    s_leads = tuple(i for i in range(len(fsyst.leads)) if i not in nambu)
    if not normal:
        raise ValueError(
            "andreev_conductance needs a normal BdG lead: declare conservation_law=-tau_z and "
            "particle_hole=tau_y on the normal leads (electron block first)"
        )
    if not s_leads:
        raise ValueError("andreev_conductance needs a superconducting lead (no e/h blocks)")
    return normal, s_leads


@dataclass(frozen=True)
class AndreevPoint:
    """Point function of :func:`andreev_conductance` for :func:`workflows.scan`.

    Offers ``bias`` as its sweep axis: all biases of a task from one open
    system (and, at T > 0, one shared energy grid).  Observables per bias:
    ``conductance`` (N×N), ``superconductor`` (N) and ``modes`` (N), in e²/h.
    """

    fsyst: kwant.system.FiniteSystem
    params: Mapping[str, Any] | None
    temperature: float
    energy_step: float | None

    def __call__(self, *, bias: float) -> dict[str, Any]:
        """The observables at one bias eV (t)."""
        return self.sweep_points("bias", [bias])[0]

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """``"bias"``: every bias of a task is solved together."""
        return "bias" if "bias" in axes else None

    def sweep_points(self, axis: str, values: list[float]) -> list[dict[str, Any]]:
        """The observables at every bias in ``values``."""
        if axis != "bias":
            raise ValueError(f"AndreevPoint sweeps the bias, not {axis!r}")
        kernels, modes = self.kernels(np.asarray(values, dtype=float))
        n = modes.shape[1]
        return [
            {"conductance": k[:n], "superconductor": k[n], "heat": k[n + 1 :], "modes": m}
            for k, m in zip(kernels, modes, strict=True)
        ]

    def kernels(self, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(G, the S row and H, shape (n, 2N + 1, N); N^e, shape (n, N)) at every bias."""
        open_system = OpenSystem(self.fsyst, params=self.params)
        normal, s_leads = _lead_roles(self.fsyst, open_system.params)
        nambu = nambu_leads(self.fsyst, open_system.params)
        charge, norbs = _site_charge(self.fsyst, normal[0], open_system.params, nambu[normal[0]])
        cut = _superconducting_cut(open_system, charge, norbs, s_leads)
        current = kwant.operator.Current(self.fsyst, onsite=charge, where=cut, sum=True).bind(
            params=open_system.params
        )
        kernel = _Kernel(open_system, nambu, normal, current)
        temperature = self.temperature
        if temperature == 0.0:
            results = [kernel(e) for e in bias]
            return np.array([r[0] for r in results]), np.array([r[1] for r in results])
        step = temperature / _POINTS_PER_KT if self.energy_step is None else self.energy_step
        span = _SMEARING_RANGE * temperature
        grid = np.arange(bias.min() - span, bias.max() + span + step / 2, step)
        on_grid = [_off_edges(kernel, e, step) for e in grid]
        weights = _thermal_weights(grid, bias, temperature)  # (n_bias, n_grid)
        kernels = np.einsum("kg,gij->kij", weights, np.array([r[0] for r in on_grid]))
        modes = np.einsum("kg,gj->kj", weights, np.array([r[1] for r in on_grid]))
        return kernels, modes


def _thermal_weights(grid: np.ndarray, bias: np.ndarray, temperature: float) -> np.ndarray:
    """Trapezoid weights of −∂f/∂E(E − eV) on ``grid`` for every eV, shape (n_bias, n_grid)."""
    x = np.abs(grid[None, :] - bias[:, None]) / temperature
    decay = np.exp(-x)
    derivative = decay / (temperature * (1.0 + decay) ** 2)  # −f' = 1/(4kT cosh²(x/2))
    step = np.diff(grid)
    trapezoid = np.zeros(grid.size)
    trapezoid[:-1] += step / 2
    trapezoid[1:] += step / 2
    return derivative * trapezoid[None, :]


def _off_edges(kernel: _Kernel, energy: float, step: float):
    """The kernel at a grid energy; a node on a band edge (e.g. ±Δ) or on a pole of Σ is moved.

    A node exactly on a band edge takes the grid's one-sided limit, as every
    energy-quadrature grid does (:data:`band_edges.GRID_NODE_SIDE`,
    :func:`band_edges.resolve_energy`).  A node on a pole of a lead's Σ (a
    Majorana state at E = 0) is moved by step/100: a quadrature node may sit
    anywhere within its cell, and moving one node by 1 % of the step changes
    the trapezoid sum by far less than its own error.
    """
    system = kernel.open_system
    energy = system.resolve_energy(energy, GRID_NODE_SIDE)
    try:
        return kernel(energy)
    except SingularLeadError:
        return kernel(energy + step / 100)


def andreev_thermal_conductance(
    fsyst: kwant.system.FiniteSystem,
    temperature: float,
    *,
    params: Mapping[str, Any] | None = None,
    energy_step: float | None = None,
) -> np.ndarray:
    """Thermal conductance matrix κ_ij of the normal leads of a hybrid device (linear response).

    κ_ij = (1/h) ∫ dE (E²/T) (−∂f/∂E) H_ij(E), H_ij = δ_ij N_i^e − T^ee_ij − T^he_ij
    (the heat kernel of :class:`AndreevConductance`; electrons and holes both
    carry the excitation energy E, and the superconductors are grounded at
    the same temperature).  Below the gap H = 0, so κ is exponentially small
    in Δ/k_B T (Andreev reflection carries no heat; Andreev, JETP 19, 1228
    (1964)); for a normal conductor it is the Wiedemann–Franz value
    (π²/3)(k_B² T/h) Σ T_n per spin-resolved block.

    Parameters
    ----------
    fsyst
        A finalized BdG system (as for :func:`andreev_conductance`).
    temperature
        k_B T in units of t (> 0).
    params
        Kwant parameters.
    energy_step
        Step of the energy grid (midpoints) over ±20 k_B T (default k_B T/8).
        The square-root onset of H at the gap edges makes the error
        O(step^1.5): against BTK (Z = 0, Δ = 3.3 k_B T) 3.4 % at k_B T/2,
        0.45 % at k_B T/8, 0.06 % at k_B T/32.

    Returns
    -------
    numpy.ndarray
        κ over the normal leads, shape (N, N), in units of k_B·t/h (i.e.
        κ/(k_B²T/h) times k_B T/t): a perfect normal channel gives π² k_B T/3.
    """
    check_system(fsyst)
    temperature = real("temperature", temperature, minimum=0.0, strict=True, hint="k_B T in t")
    step = temperature / 8 if energy_step is None else energy_step
    step = real("energy_step", step, minimum=0.0, strict=True, hint="t")
    point = AndreevPoint(fsyst, params, 0.0, None)
    half = int(np.ceil(_HEAT_RANGE * temperature / step))
    grid = (np.arange(-half, half) + 0.5) * step  # midpoints: E = 0 (a Majorana pole) is no node
    kernels, modes = point.kernels(grid)  # at T = 0 on the grid: the bare kernels H(E)
    n = modes.shape[1]
    decay = np.exp(-np.abs(grid) / temperature)
    derivative = decay / (temperature * (1.0 + decay) ** 2)  # −∂f/∂E
    weights = step * derivative * grid**2 / temperature
    return np.einsum("g,gij->ij", weights, kernels[:, n + 1 :])
