"""Shot and thermal noise of any Kwant system: scattering matrices, noise matrix, Fano factor.

The scattering matrix over all terminals comes from the scattering core
(:meth:`workflows.scattering.OpenSystem.scattering_matrix`): the Fisher–Lee
relation in its unitary form s = −1 + i W† G W, W W† = Γ, from the same
Green's function as :func:`workflows.conductance_matrix`, for leads with
modes and self-energy leads (dephasing probes) alike; with ``blocks=True``
each conservation-law block is its own terminal.  It differs from
:func:`kwant.smatrix`'s mode-basis matrix by unitary rotations within each
terminal, which leave transmissions and noise unchanged (see
:mod:`workflows.scattering.scattering_matrices`).

The noise itself is Kwant-free: :func:`analysis.noise_from_scattering_matrix`
(Büttiker 1992); units and normalization are stated there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np

from analysis.noise import fano_from_transmissions, noise_from_scattering_matrix, probe_noise_matrix
from systems.parameters import resolve_params
from systems.validation import boolean, check_source_sink, check_system, choice
from systems.validation import energy as check_energy
from workflows.scattering import OpenSystem
from workflows.scattering.dephasing import eliminate_floating_probes
from workflows.scattering.nambu import refuse_lead_totals
from workflows.scattering.scattering_matrices import ScatteringMatrix

__all__ = ["ScatteringMatrix", "fano_factor", "noise_matrix", "scattering_matrix"]


def scattering_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    blocks: bool = False,
    at_band_edge: str | None = None,
) -> ScatteringMatrix:
    """The unitary scattering matrix over all terminals, probes included.

    Parameters
    ----------
    fsyst
        A finalized Kwant system (leads with modes and/or self-energy leads).
    energy
        Energy in units of t.
    params
        Kwant parameters (omitted standard names take neutral values).
    blocks
        Resolve the conservation-law blocks of leads that declare one
        (terminals become ``(lead, block)``, lead-major in Kwant's order; a
        lead without one is ``(lead, 0)``).
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    ScatteringMatrix
        One channel per open mode of each lead with modes (as
        :func:`kwant.smatrix`, up to a unitary rotation within each
        terminal) and per interface orbital of each self-energy lead.

    Raises
    ------
    workflows.scattering.band_edges.BandEdgeError
        If ``energy`` is exactly at a band edge of a lead.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    blocks = boolean("blocks", blocks)
    open_system = OpenSystem(fsyst, params=params)
    energy = open_system.resolve_energy(energy, at_band_edge)
    return open_system.scattering_matrix(energy, blocks=blocks)


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
    at_band_edge: str | None = None,
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
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

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
    check_system(fsyst)
    blocks = boolean("blocks", blocks)
    if not blocks:
        refuse_lead_totals(fsyst, resolve_params(fsyst, params), "a lead-total noise matrix")
    s = scattering_matrix(fsyst, energy, params=params, blocks=blocks, at_band_edge=at_band_edge)
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
        return noise_from_scattering_matrix(s.data, s.channel_terminals, potentials, temperature)
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
    at_band_edge: str | None = None,
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
      :func:`analysis.two_terminal_conductance` floats them;
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
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    float
        F (dimensionless); NaN if no current flows from source to sink.
    """
    choice("probe_model", probe_model, ("dephasing", "voltage", "hot", "grounded"))
    check_system(fsyst)
    n_leads = len(fsyst.leads)
    source, sink = check_source_sink(source, sink, n_leads)
    refuse_lead_totals(fsyst, resolve_params(fsyst, params), "a lead-total Fano factor")
    s = scattering_matrix(fsyst, energy, params=params, at_band_edge=at_band_edge)
    if n_leads == 2:
        return fano_from_transmissions(s.transmission_eigenvalues(sink, source))
    potentials = np.zeros(n_leads)
    potentials[source] = 1.0
    if probe_model == "grounded":
        noise = noise_from_scattering_matrix(s.data, s.channel_terminals, potentials, 0.0)
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
