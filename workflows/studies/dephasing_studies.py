"""Dephasing studies: from ballistic to Ohmic transport with Büttiker probes on every site.

Each study builds its systems (a chain when ``width`` is None, else a
square-lattice wire of that width; probes on every site, see
:func:`systems.attach_dephasing_probes`), finalizes each geometry once,
solves with every probe floating (:func:`workflows.dephased_transport`) and
returns a tidy DataFrame, one row per point.  Units: energies and η in t,
lengths in lattice constants, G in e²/h, R in h/e².
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import kwant
import numpy as np
import pandas as pd

from systems.probes import attach_dephasing_probes
from systems.wires import chain, wire
from workflows.scattering.dephasing import dephased_transport, probe_potential_profile
from workflows.scattering.dephasing_method import check_method
from workflows.studies.coherence import _check_lengths

__all__ = ["localization_study", "ohmic_crossover_study", "potential_profile_study"]


def _device(length: int, width: int | None, *, probes: bool = True) -> kwant.system.FiniteSystem:
    builder = chain(length) if width is None else wire(length, width)
    if probes:
        attach_dephasing_probes(builder, "all")
    return builder.finalized()


def _check_width(width) -> int | None:
    if width is None:
        return None
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise ValueError(f"width must be None (a chain) or a positive integer, got {width!r}")
    return int(width)


def _check_etas(etas: Iterable[float]) -> list[float]:
    values = [float(e) for e in etas]
    if not values or any(not np.isfinite(e) or e < 0 for e in values):
        raise ValueError(f"etas must be a non-empty list of couplings >= 0 (t), got {values}")
    return values


def ohmic_crossover_study(
    lengths: Iterable[int],
    etas: Iterable[float],
    energy: float,
    *,
    width: int | None = None,
    method: str = "auto",
) -> pd.DataFrame:
    """R(L) for several probe couplings η: ballistic (R = 1/N) to Ohmic (R ∝ L).

    Parameters
    ----------
    lengths
        Device lengths (sites along the wire).
    etas
        Probe couplings η >= 0 (t); η = 0 is the phase-coherent reference.
    energy
        Energy (t).
    width
        None for the 1D chain, else the width of a square-lattice wire.
    method
        Probe elimination, see :func:`workflows.dephased_transport`.

    Returns
    -------
    pandas.DataFrame
        Columns ``system`` ("chain" or "wire"), ``width``, ``energy``, ``eta``,
        ``length``, ``G`` (e²/h), ``R`` (h/e²) and ``method`` (the probe elimination
        that ran, see :func:`workflows.dephased_transport`).  Compare with
        R = (h/e²)(1/N)(1 + L/λ), :func:`analysis.dephasing.dephased_resistance`.
    """
    lengths = _check_lengths(lengths)
    etas = _check_etas(etas)
    width = _check_width(width)
    method = check_method(method)
    rows = []
    for length in lengths:
        fsyst = _device(length, width)
        for eta in etas:
            solution = dephased_transport(fsyst, energy, {"eta": eta}, method=method)
            g = solution.two_terminal_conductance()
            rows.append(
                {
                    "system": "chain" if width is None else "wire",
                    "width": 1 if width is None else width,
                    "energy": float(energy),
                    "eta": eta,
                    "length": length,
                    "G": g,
                    "R": 1 / g,
                    "method": solution.method,
                }
            )
    return pd.DataFrame(rows)


def localization_study(
    lengths: Iterable[int],
    salts: Iterable[str],
    *,
    disorder: float,
    energy: float,
    eta: float,
    width: int | None = None,
) -> pd.DataFrame:
    """Disordered wire without probes (Anderson localization) against the same wire with probes.

    For each length and disorder realization (``salt``) the same finalized
    system is solved at η = 0 (phase coherent: ⟨ln G⟩ falls linearly with L,
    slope −2/ξ for localization length ξ) and at η > 0 (dephased: R grows
    linearly with L, Ohmic).

    Parameters
    ----------
    lengths
        Device lengths (sites).
    salts
        Disorder seeds; averages are taken over them.
    disorder
        Width W of the uniform on-site disorder (t).
    energy
        Energy (t).
    eta
        Probe coupling of the dephased case (t), > 0.
    width
        None for a chain, else the wire width.

    Returns
    -------
    pandas.DataFrame
        Columns ``eta``, ``length``, ``salt``, ``G`` (e²/h), ``R`` (h/e²),
        ``log_G`` (ln G, the logarithm of the total transmission); ``attrs``
        hold ``disorder``, ``energy`` and ``width``.
    """
    lengths = _check_lengths(lengths)
    salts = [str(s) for s in salts]
    if not salts:
        raise ValueError("salts is empty: give at least one disorder seed")
    width = _check_width(width)
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be > 0 for the dephased case, got {eta!r}")
    if not (np.isfinite(disorder) and disorder >= 0):
        raise ValueError(f"disorder must be >= 0, got {disorder!r}")
    rows = []
    for length in lengths:
        # η = 0 is solved without probes (scattering matrix): the same wire, coherent.
        coherent, dephased = _device(length, width, probes=False), _device(length, width)
        for salt in salts:
            disorder_params = {"disorder": float(disorder), "salt": salt}
            for coupling, fsyst in ((0.0, coherent), (float(eta), dephased)):
                params = {**disorder_params, "eta": coupling} if coupling else disorder_params
                g = dephased_transport(fsyst, energy, params).two_terminal_conductance()
                rows.append(
                    {
                        "eta": coupling,
                        "length": length,
                        "salt": salt,
                        "G": g,
                        "R": 1 / g,
                        "log_G": np.log(g),
                    }
                )
    frame = pd.DataFrame(rows)
    frame.attrs.update(disorder=float(disorder), energy=float(energy), width=width)
    return frame


def potential_profile_study(
    length: int,
    energy: float,
    eta: float,
    *,
    width: int | None = None,
    disorder: float = 0.0,
    salt: str = "0",
) -> pd.DataFrame:
    """The probe potential μ along a wire, left lead at 1 and right lead at 0.

    Returns
    -------
    pandas.DataFrame
        One row per probe: ``lead``, ``x`` (and ``y`` for a wire), ``mu`` (in
        units of the bias); ``attrs`` hold ``energy``, ``eta``, ``width`` and
        the two-terminal conductance ``G``.  In the dephasing-dominated regime
        (L ≫ λ) μ falls linearly along x; compare the chain with
        :func:`analysis.dephasing.chain_probe_potential`.
    """
    (length,) = _check_lengths([length])
    width = _check_width(width)
    params = {"eta": float(eta), "disorder": float(disorder), "salt": str(salt)}
    frame = probe_potential_profile(_device(length, width), energy, params)
    frame.attrs.update(eta=float(eta), width=width, disorder=float(disorder))
    return frame
