"""Shot and thermal noise of any Kwant system: scattering matrices, noise matrix, Fano factor.

The scattering matrix over all terminals comes from :func:`kwant.smatrix`
when every lead has modes, and otherwise (self-energy leads such as
dephasing probes, which :func:`kwant.smatrix` cannot scatter into) from the
Green's function between the lead interfaces by the Fisher–Lee relation in
its unitary form

    s = −1 + i W† G W,   W = blockdiag(√Γ_0, √Γ_1, …),   Γ_i = i(Σ_i − Σ_i†),

(Fisher & Lee, Phys. Rev. B 23, 6851 (1981); Mahaux & Weidenmüller; Datta,
*Electronic Transport in Mesoscopic Systems*, Sec. 3.5), exactly unitary
because G⁻¹ − G⁻¹† = iΓ.  Each terminal's channels are then a basis of its
interface orbitals (the null space of Γ_i is perfectly reflected and carries
no noise); s differs from Kwant's mode-basis matrix by unitary rotations
within each terminal, which leave transmissions and noise unchanged.

The noise itself is Kwant-free: :func:`analysis.noise.noise_matrix`
(Büttiker 1992); units and normalization are stated there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from analysis.bias import check_source_sink
from analysis.noise import fano_from_transmissions, probe_noise_matrix
from analysis.noise import noise_matrix as _noise_matrix
from systems._validation import boolean, choice
from systems.parameters import resolve_params
from workflows.scattering.conductance import _check_energy, _check_system, has_self_energy_leads
from workflows.scattering.dephasing import eliminate_floating_probes
from workflows.scattering.interface_greens import interface_greens_function

__all__ = ["ScatteringMatrix", "fano_factor", "noise_matrix", "scattering_matrix"]


@dataclass(frozen=True)
class ScatteringMatrix:
    """A unitary scattering matrix with each channel labelled by its terminal.

    Attributes
    ----------
    data
        Complex (n, n) unitary matrix, s_ab the amplitude from channel b into a.
    channel_terminals
        Terminal index of each channel (length n), non-decreasing.
    terminals
        The terminal labels: lead indices, or ``(lead, block)`` pairs when
        conservation-law blocks are resolved (lead-major, Kwant's order).
    """

    data: np.ndarray
    channel_terminals: np.ndarray
    terminals: tuple

    def submatrix(self, to: int, source: int) -> np.ndarray:
        """The block of amplitudes from terminal ``source`` into terminal ``to``."""
        rows = self.channel_terminals == to
        cols = self.channel_terminals == source
        return self.data[np.ix_(rows, cols)]

    def transmission_eigenvalues(self, to: int, source: int) -> np.ndarray:
        """Eigenvalues T_n of t†t, t the block from ``source`` into ``to`` (sorted, descending)."""
        t = self.submatrix(to, source)
        if t.size == 0:
            return np.zeros(0)
        values = np.linalg.svd(t, compute_uv=False) ** 2
        return np.clip(values, 0.0, 1.0)


def _from_smatrix(smatrix, blocks: bool) -> ScatteringMatrix:
    labels, terminals = [], []
    for lead, info in enumerate(smatrix.lead_info):
        nmodes = len(info.momenta) // 2
        block_sizes = getattr(info, "block_nmodes", None)
        if blocks and block_sizes is not None:
            for block, size in enumerate(block_sizes):
                labels.extend([len(terminals)] * int(size))
                terminals.append((lead, block))
        else:
            labels.extend([len(terminals)] * nmodes)
            terminals.append(lead)
    data = np.asarray(smatrix.data, dtype=complex)
    return ScatteringMatrix(data, np.asarray(labels, dtype=int), tuple(terminals))


def _matrix_sqrt_psd(gamma: np.ndarray) -> np.ndarray:
    """√Γ of a Hermitian positive semi-definite Γ (tiny negative eigenvalues from rounding → 0)."""
    values, vectors = np.linalg.eigh(0.5 * (gamma + gamma.conj().T))
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.conj().T


def _from_greens_function(fsyst, energy: float, params: dict) -> ScatteringMatrix:
    greens = interface_greens_function(fsyst, energy, params=params)
    w = np.zeros_like(greens.data)
    labels = np.empty(greens.data.shape[0], dtype=int)
    for lead, gamma in enumerate(greens.gammas):
        span = slice(greens.offsets[lead], greens.offsets[lead + 1])
        w[span, span] = _matrix_sqrt_psd(gamma)
        labels[span] = lead
    s = -np.eye(w.shape[0], dtype=complex) + 1j * (w.conj().T @ greens.data @ w)
    return ScatteringMatrix(s, labels, tuple(range(len(fsyst.leads))))


def scattering_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    blocks: bool = False,
    method: str = "auto",
) -> ScatteringMatrix:
    """The unitary scattering matrix over all terminals, probes included.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        Energy in units of t.
    params
        Kwant parameters (omitted standard names take neutral values).
    blocks
        Resolve the conservation-law blocks of leads that declare one
        (terminals become ``(lead, block)``).  Needs every lead to have modes.
    method
        ``"smatrix"`` (:func:`kwant.smatrix`, mode basis; only if all leads have
        modes), ``"greens"`` (Fisher–Lee from the interface Green's function;
        works with self-energy leads) or ``"auto"`` (the first when possible).

    Returns
    -------
    ScatteringMatrix
    """
    _check_system(fsyst)
    energy = _check_energy(energy)
    choice("method", method, ("auto", "smatrix", "greens"))
    blocks = boolean("blocks", blocks)
    self_energy = has_self_energy_leads(fsyst)
    if self_energy and method == "smatrix":
        raise ValueError(
            "method='smatrix' needs leads with modes, but this system has self-energy leads; "
            "use method='greens' or 'auto'"
        )
    if blocks and (self_energy or method == "greens"):
        raise ValueError(
            "blocks=True resolves conservation-law blocks of leads with modes through "
            "kwant.smatrix; it is not available with self-energy leads or method='greens'"
        )
    params = resolve_params(fsyst, params)
    if method == "greens" or (method == "auto" and self_energy):
        return _from_greens_function(fsyst, energy, params)
    return _from_smatrix(kwant.smatrix(fsyst, energy, params=params), blocks)


def noise_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    potentials: Any = None,
    temperature: float = 0.0,
    blocks: bool = False,
    floating: Any = (),
    probe_model: str = "dephasing",
) -> np.ndarray:
    """Büttiker's current-noise matrix S_αβ of any Kwant system at Fermi energy ``energy``.

    Parameters
    ----------
    fsyst
        A finalized Kwant system (leads with modes and/or self-energy leads).
    energy
        Fermi energy E_F in units of t, where the scattering matrix is taken.
    params
        Kwant parameters.
    potentials
        μ_α − E_F of each terminal in units of t (i.e. eV_α), one per terminal
        (per ``(lead, block)`` with ``blocks=True``); default all zero
        (equilibrium: pure thermal noise).
    temperature
        k_B T of all reservoirs in units of t (>= 0).
    blocks
        Resolve conservation-law blocks into separate terminals.
    floating
        Terminals that float (zero net current; their ``potentials`` entries are
        ignored), e.g. dephasing-probe leads; their fluctuations are eliminated
        (:func:`analysis.noise.probe_noise_matrix`).
    probe_model
        ``"dephasing"`` (current conserved at every energy, Texier & Büttiker
        2000), ``"voltage"`` (total charge conserved, thermalized at the bath
        temperature) or ``"hot"`` (total charge and total energy conserved: a
        Fermi sea at its own potential and temperature, both fluctuating;
        electron heating) for the floating terminals; see
        :func:`analysis.noise.probe_noise_matrix` for the models.

    Returns
    -------
    numpy.ndarray
        Real symmetric noise matrix in (e²/h)·t per spin channel over the
        terminals that do not float (in increasing order), normalized so that
        S = 4 k_B T G at equilibrium and S = 2eI for Poissonian shot noise.

    Notes
    -----
    Terminals not in ``floating`` are ideal reservoirs at their own μ_α
    whose potential does not fluctuate.  Scattering is taken at ``energy`` and
    assumed energy independent over the transport window
    max(|eV_α|, k_B T) (Büttiker, Phys. Rev. B 46, 12485 (1992)).
    """
    choice("probe_model", probe_model, ("dephasing", "voltage", "hot"))
    s = scattering_matrix(fsyst, energy, params=params, blocks=blocks)
    n = len(s.terminals)
    if potentials is None:
        potentials = np.zeros(n)
    potentials = np.asarray(potentials, dtype=float)
    if potentials.shape != (n,) or not np.all(np.isfinite(potentials)):
        raise ValueError(
            f"potentials must be {n} finite numbers, one per terminal {list(s.terminals)}, "
            f"got {potentials!r}"
        )
    floating = sorted({int(f) for f in np.atleast_1d(np.asarray(floating, dtype=int))})
    if not floating:
        return _noise_matrix(s.data, s.channel_terminals, potentials, temperature)
    if any(not 0 <= f < n for f in floating):
        raise ValueError(f"floating must be terminal indices in 0..{n - 1}, got {floating}")
    return probe_noise_matrix(
        s.data, s.channel_terminals, floating, potentials, temperature, probe_model=probe_model
    )


def fano_factor(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    probe_model: str = "dephasing",
) -> float:
    """Zero-temperature Fano factor F = S / 2eI of the current from ``source`` into ``sink``.

    For a two-terminal conductor F = Σ T_n(1 − T_n) / Σ T_n, with T_n the
    eigenvalues of t†t, t the transmission block from ``source`` to ``sink``
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.6): 0 for ballistic
    transport, 1 − T for one channel, → 1/3 in a diffusive wire, → 1/4 in a
    chaotic cavity.  With more terminals the source is biased, the sink
    grounded, and every other terminal (e.g. a dephasing probe) is treated as
    ``probe_model`` says; F is the noise of the current into ``sink`` over 2e times
    that current (Büttiker 1992):

    * ``"dephasing"`` (default) — they float at every energy (elastic
      dephasing probes, Texier & Büttiker, PRB 62, 7454 (2000)), as
      :func:`workflows.two_terminal_conductance` floats them;
    * ``"voltage"`` — they float in total charge, thermalized at T = 0
      (inelastic voltage probes; F → 0 as probes are added);
    * ``"hot"`` — they float in total charge and in total energy: each is a
      Fermi sea at its own potential μ_p and temperature T_p (set by Joule
      heating, T_p ∝ |eV|), both fluctuating so that the charge and energy
      currents into it vanish (electron heating by electron–electron
      scattering; F → √3/4 in the diffusive limit, Nagaev, PRB 52, 4740
      (1995); Kozub & Rudin, PRB 52, 7853 (1995));
    * ``"grounded"`` — they are reservoirs at the sink's potential.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        Fermi energy in units of t.
    params
        Kwant parameters.
    source, sink
        Lead indices.
    probe_model
        ``"dephasing"``, ``"voltage"``, ``"hot"`` or ``"grounded"``: how the other
        leads (probes) behave.

    Returns
    -------
    float
        F (dimensionless); NaN if no current flows from source to sink.
    """
    choice("probe_model", probe_model, ("dephasing", "voltage", "hot", "grounded"))
    _check_system(fsyst)
    n_leads = len(fsyst.leads)
    source, sink = check_source_sink(source, sink, n_leads)
    s = scattering_matrix(fsyst, energy, params=params)
    if n_leads == 2:
        return fano_from_transmissions(s.transmission_eigenvalues(sink, source))
    potentials = np.zeros(n_leads)
    potentials[source] = 1.0
    if probe_model == "grounded":
        noise = _noise_matrix(s.data, s.channel_terminals, potentials, 0.0)
        current = np.sum(np.abs(s.submatrix(sink, source)) ** 2)  # into sink, per unit eV
        if current <= 0:
            return float("nan")
        return float(noise[sink, sink] / (2 * current))
    others = [i for i in range(n_leads) if i not in (source, sink)]
    noise = probe_noise_matrix(
        s.data, s.channel_terminals, others, potentials, 0.0, probe_model=probe_model
    )
    g = np.diag(np.bincount(s.channel_terminals, minlength=n_leads)).astype(float)
    masks = (s.channel_terminals[None, :] == np.arange(n_leads)[:, None]).astype(float)
    g -= masks @ np.abs(s.data) ** 2 @ masks.T
    effective, _ = eliminate_floating_probes(g, others)  # decoupled probes (η = 0) drop out
    sink_row = 0 if sink < source else 1  # fixed terminals in increasing order
    current = -effective[sink_row, 1 - sink_row]  # per unit eV, probes floating
    if current <= 0:
        return float("nan")
    return float(noise[sink_row, sink_row] / (2 * current))
