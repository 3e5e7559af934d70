"""Phase-only (momentum-conserving) dephasing: the Golizadeh-Mojarad–Datta model, Σ = D∘G.

Golizadeh-Mojarad and Datta, Phys. Rev. B 75, 081301(R) (2007) (arXiv:0712.3520;
also Camsari, Chowdhury and Datta, arXiv:2008.01275, Sec. "dephasing") add to
the leads an elastic dephasing "contact" whose self-energy and in-scattering
function are, element by element (∘),

    Σ_0 = D∘G,     Σ^in_0 = D∘G^n,

solved self-consistently (self-consistent Born approximation, SCBA) with

    G = (E − H − Σ_leads − Σ_0)⁻¹,     G^n = G (Σ_j Γ_j f_j + Σ^in_0) G†.

``D_ij = d`` for all orbitals i, j — a fluctuating potential of variance d
that is the same everywhere, which shifts the phase of an electron without
kicking its momentum — is **phase-only** dephasing: the interference of
paths of different length is washed out but no resistance is added (a
uniform wire stays ballistic).  ``D_ij = d δ_ij`` (a potential uncorrelated
between sites) relaxes momentum too and gives an Ohmic resistance, like the
Büttiker probes.  Here, for D = d·1·1ᵀ, Σ_0 = d G and Σ^in_0 = d G^n, so

    G = (M − d G)⁻¹,  M = E − H − Σ_leads       (solved exactly, root by root),
    G^n_j − d G G^n_j G† = G Γ_j G†              (a Stein equation, solved exactly),

and the transmission from lead j into lead i is T_ij = Tr[Γ_i G^n_j]; the
model conserves current (Tr[Σ^in_0 A − Γ_0 G^n] = d Tr[G^n A − A G^n] = 0),
so T gives a conductance matrix whose rows and columns sum to zero.

Büttiker probes versus D∘G (NEGF view).  A floating probe p has the fixed
Σ^r_p = −iη/2 and an in-scattering Σ^in_pp = η μ_p set by zero current,
μ_p = G^n_pp / A_pp, i.e. Σ^in_pp = (η/A_pp) G^n_pp: an elastic, local
(diagonal) dephasing like D = d δ_ij, with a site- and energy-dependent
strength η/A_pp, a purely imaginary Σ^r and no self-consistency in Σ^r.

* They agree in being elastic and current-conserving (the scatterer draws
  no net current), in destroying phase memory at a rate set by the coupling
  (probes: escape rate η/ħ per orbital; D∘G: Γ_0 = d·A), in giving the
  coherent result at zero coupling, and — for D ∝ δ_ij — in relaxing
  momentum: both then add an Ohmic resistance R ∝ L.
* They differ in momentum for D_ij = d: a probe re-emits into all
  directions (R = 1 + L/λ on a chain), whereas the spatially uniform D
  keeps the momentum, so a uniform wire stays at its ballistic resistance
  while AB oscillations of arms of different length still decay.  They
  also differ in cost: the probes are local and eliminate in O(L)
  (:mod:`workflows.scattering.probe_network`); D = d·1·1ᵀ is a dense self-energy.

Cost: the self-energy is a dense N×N matrix over all N orbitals of the
scattering region (O(N²) memory, O(N³) time): this model
is for moderate sizes only (N up to a few thousand orbitals).

Units: energies in t, d in t² (the variance of the potential), conductances
in e²/h.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np
import scipy.linalg
import scipy.sparse

from analysis.bias import two_terminal_conductance
from systems.validation import MAX_ENERGY, check_system, real, terminal_index
from systems.validation import energy as check_energy
from workflows.scattering import OpenSystem, broadening, conductance_from_transmissions

__all__ = [
    "PHASE_DEPHASING_MAX_ORBITALS",
    "phase_dephased_conductance",
    "phase_dephased_conductance_matrix",
]

#: Largest scattering region (orbitals) accepted: the dense G and Σ take 16 N² bytes each.
PHASE_DEPHASING_MAX_ORBITALS = 6000


def _check_strength(d: Any) -> float:
    # Up to 1e15 t² (√d ≈ 3e7 t, far beyond any dephasing of interest); at d = 5e66 the dense
    # SCBA solve is ill-conditioned (LinAlgWarning, measured on a 2-site chain).
    return real("d", d, minimum=0, maximum=MAX_ENERGY, hint="units of t²")


def _scba_greens_function(m: np.ndarray, d: float, tol: float) -> np.ndarray:
    """The retarded solution of G = (M − d G)⁻¹, i.e. d G² − M G + 1 = 0.

    G is a function of M: on each eigenvalue λ of M (Im λ >= 0) it is the
    root g = 2/(λ + s), s = √(λ² − 4d), of d g² − λ g + 1 = 0 that goes to
    1/λ as d → 0 (|g| <= 1/√d; Im g < 0 on the real axis): the semicircular
    self-energy of SCBA.  A fixed-point iteration g ↦ 1/(λ − d g) would
    contract only by |d g²|, which tends to 1 for weakly coupled states
    inside the broadened band, so the roots are taken exactly, in the
    eigenbasis of M, and the result is checked against the SCBA equation.
    """
    if d == 0:
        return scipy.linalg.inv(m, check_finite=False)
    lam, vectors = scipy.linalg.eig(m, check_finite=False)
    s = np.sqrt(lam.astype(complex) ** 2 - 4 * d)
    s = np.where((np.conj(lam) * s).real < 0, -s, s)
    g = vectors @ np.diag(2 / (lam + s)) @ scipy.linalg.inv(vectors, check_finite=False)
    residual = np.abs((m - d * g) @ g - np.eye(m.shape[0])).max()
    if not residual <= tol:
        raise ValueError(
            f"the self-consistent Born solution for d={d} is inaccurate (residual {residual:.1e} "
            f"> tol={tol:.0e}): E − H − Σ is too far from diagonalizable at this energy"
        )
    return g


def phase_dephased_conductance_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    d: float,
    tol: float = 1e-9,
) -> np.ndarray:
    """Conductance matrix (e²/h) over all leads with phase-only dephasing Σ = D∘G, D_ij = d.

    Parameters
    ----------
    fsyst
        A finalized Kwant system (any leads; at most
        :data:`PHASE_DEPHASING_MAX_ORBITALS` orbitals in the scattering region).
    energy
        Energy in units of t.
    params
        Kwant parameters (standard names may be omitted).
    d
        Dephasing strength d >= 0 in t² (d = 0: coherent, Kwant's result).
    tol
        Largest accepted residual max|(M − dG) G − 1| of the SCBA solution.

    Returns
    -------
    numpy.ndarray
        (M, M): G_ij = −T_ij (i ≠ j), T_ij = Tr[Γ_i G^n_j], columns summing to zero.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    d = _check_strength(d)
    open_system = OpenSystem(fsyst, params=params)
    n = open_system.n_orbitals
    if n > PHASE_DEPHASING_MAX_ORBITALS:
        raise ValueError(
            f"the phase-only dephasing model has a dense self-energy: the scattering region "
            f"has {n} orbitals, at most {PHASE_DEPHASING_MAX_ORBITALS} are accepted "
            f"(about {32 * n**2 / 1e9:.1f} GB)"
        )
    coords, sigmas = open_system.interfaces, open_system.selfenergies(energy)
    m = open_system.matrix(energy, selfenergies=sigmas)
    g = _scba_greens_function(m.toarray(), d, tol)
    a = np.sqrt(d) * g
    transmission = np.zeros((len(coords), len(coords)))
    for j, (cj, sj) in enumerate(zip(coords, sigmas, strict=True)):
        gamma_j = broadening(sj)
        source = g[:, cj] @ gamma_j @ g[:, cj].conj().T  # G Γ_j G†
        gn = source if d == 0 else scipy.linalg.solve_discrete_lyapunov(a, source)
        for i, (ci, si) in enumerate(zip(coords, sigmas, strict=True)):
            gamma_i = broadening(si)
            transmission[i, j] = np.trace(gamma_i @ gn[np.ix_(ci, ci)]).real
    return conductance_from_transmissions(transmission)


def phase_dephased_conductance(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    d: float,
    source: int = 0,
    sink: int = 1,
) -> float:
    """Two-terminal conductance (e²/h) with phase-only dephasing d (t²), other leads floating.

    See :func:`phase_dephased_conductance_matrix`; a dense model for moderate sizes.
    """
    check_system(fsyst)
    n_leads = len(fsyst.leads)
    source = terminal_index("source", source, n_leads)
    sink = terminal_index("sink", sink, n_leads)
    G = phase_dephased_conductance_matrix(fsyst, energy, params=params, d=d)
    return two_terminal_conductance(G, source, sink)
