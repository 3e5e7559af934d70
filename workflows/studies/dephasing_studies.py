"""Dephasing studies: from ballistic to Ohmic transport with Büttiker probes on every site.

Each study is a point function plus a grid run by :func:`workflows.scan`
(see :mod:`workflows.studies.study_runs`: ``executor``, ``store``,
``progress``, ``timeout``; provenance in ``attrs["provenance"]``).  Its
systems are :class:`workflows.SystemRecipe` s (a chain when ``width`` is
None, else a square-lattice wire of that width; probes on every site, see
:func:`systems.attach_dephasing_probes`), finalized once per process; every
point is solved with every probe floating (:func:`workflows.dephased_transport`).
The result is a tidy DataFrame, one row per point.  Units: energies and η in t,
lengths in lattice constants, G in e²/h, R in h/e².
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from systems.validation import energy as check_energy
from systems.validation import integer, real
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.scattering.dephasing import dephased_transport, probe_potential_profile
from workflows.scattering.dephasing_method import check_method
from workflows.studies.coherence import _check_lengths
from workflows.studies.study_runs import observable, run_study_grid, study_attrs

__all__ = [
    "dephased_wire_point",
    "localization_study",
    "ohmic_crossover_study",
    "potential_profile_point",
    "potential_profile_study",
]


def _device(length: int, width: int | None, *, with_probes: bool = True) -> SystemRecipe:
    """The recipe of a chain (``width`` None) or wire; a probe on every site if ``with_probes``."""
    if width is None:
        return SystemRecipe("chain", {"length": length}, dephasing_probes=with_probes)
    return SystemRecipe("wire", {"length": length, "width": width}, dephasing_probes=with_probes)


def dephased_wire_point(
    *,
    width: int | None,
    energy: float,
    length: int,
    eta: float,
    method: str = "auto",
    disorder: float | None = None,
    salt: str | None = None,
) -> dict[str, object]:
    """Point function of the dephasing studies: G and R of one chain or wire.

    Parameters
    ----------
    width
        None for the chain, else the wire's width (sites).
    energy
        Energy (t).
    length
        Length (sites).
    eta
        Probe coupling (t); η = 0 is solved without probes (the scattering
        matrix of the same wire).
    method
        Probe elimination, see :func:`workflows.dephased_transport`.
    disorder, salt
        On-site disorder strength (t) and seed, if any.

    Returns
    -------
    dict
        ``G`` (e²/h), ``R`` (h/e²), ``log_G`` and ``method`` (the probe
        elimination that ran).
    """
    params = {} if disorder is None else {"disorder": float(disorder), "salt": str(salt)}
    if eta or disorder is None:  # the coherent disordered wire has no probes
        params["eta"] = float(eta)
    fsyst = finalized_system(_device(length, width, with_probes=bool(eta) or disorder is None))
    solution = dephased_transport(fsyst, energy, params=params, method=method)
    g = solution.two_terminal_conductance()
    return {"G": g, "R": 1 / g, "log_G": np.log(g), "method": solution.method}


def _check_width(width) -> int | None:
    if width is None:
        return None
    return integer("width", width, minimum=1, what="None (a chain) or an integer")


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
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
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
    executor, store, progress, timeout
        How the points run (:func:`workflows.scan`): any executor (default:
        in this process, :class:`workflows.SerialExecutor`; e.g.
        :func:`workflows.process_pool` for large studies), a results store to
        persist and resume, a progress bar, a per-point time limit (s).

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
    energy = check_energy("energy", energy)
    point = functools.partial(dephased_wire_point, width=width, energy=energy, method=method)
    table = run_study_grid(
        "ohmic_crossover_study",
        point,
        {"length": lengths, "eta": etas},
        settings={"width": width, "energy": energy, "method": method},
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )
    frame = pd.DataFrame(
        {
            "system": "chain" if width is None else "wire",
            "width": 1 if width is None else width,
            "energy": energy,
            "eta": table["eta"].astype(float),
            "length": table["length"].astype(int),
            **{
                name: [observable(table, name, i, default) for i in range(len(table))]
                for name, default in (("G", np.nan), ("R", np.nan), ("method", None))
            },
        }
    )
    frame.attrs.update(study_attrs(table, ["length", "eta"]))
    return frame


def localization_study(
    lengths: Iterable[int],
    salts: Iterable[str],
    *,
    disorder: float,
    energy: float,
    eta: float,
    width: int | None = None,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
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
    executor, store, progress, timeout
        How the points run (:func:`workflows.scan`): any executor (default:
        in this process, :class:`workflows.SerialExecutor`; e.g.
        :func:`workflows.process_pool` for large studies), a results store to
        persist and resume, a progress bar, a per-point time limit (s).

    Returns
    -------
    pandas.DataFrame
        Columns ``eta``, ``length``, ``salt``, ``G`` (e²/h), ``R`` (h/e²),
        ``log_G`` (ln G, the logarithm of the total transmission); the
        settings (``disorder``, ``energy``, ``width``) are in
        ``attrs["provenance"]["study"]["settings"]``.
    """
    lengths = _check_lengths(lengths)
    salts = [str(s) for s in salts]
    if not salts:
        raise ValueError("salts is empty: give at least one disorder seed")
    width = _check_width(width)
    eta = real("eta", eta, minimum=0, strict=True, hint="the dephased case, units of t")
    disorder = real("disorder", disorder, minimum=0, hint="units of t")
    energy = check_energy("energy", energy)
    # η = 0 is solved without probes (scattering matrix): the same wire, coherent.
    point = functools.partial(
        dephased_wire_point, width=width, energy=float(energy), disorder=float(disorder)
    )
    table = run_study_grid(
        "localization_study",
        point,
        {"length": lengths, "salt": salts, "eta": [0.0, float(eta)]},
        settings={"disorder": float(disorder), "energy": float(energy), "width": width},
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )
    frame = pd.DataFrame(
        {
            "eta": table["eta"].astype(float),
            "length": table["length"].astype(int),
            "salt": table["salt"].astype(object),
            **{
                name: [observable(table, name, i) for i in range(len(table))]
                for name in ("G", "R", "log_G")
            },
        }
    )
    frame.attrs.update(study_attrs(table, ["length", "salt", "eta"]))
    return frame


def potential_profile_point(
    *, width: int | None, disorder: float, salt: str, length: int, energy: float, eta: float
) -> dict[str, object]:
    """Point function of :func:`potential_profile_study`: the probe potentials of one wire.

    Returns
    -------
    dict
        Arrays ``lead``, ``x`` (and ``y`` for a wire) and ``mu`` (one entry per
        probe, see :func:`workflows.scattering.probe_potential_profile`), the two-terminal
        conductance ``G`` (e²/h) and the probe elimination ``method``.
    """
    fsyst = finalized_system(_device(length, width))
    params = {"eta": float(eta), "disorder": float(disorder), "salt": str(salt)}
    profile = probe_potential_profile(fsyst, energy, params=params)
    return {
        **{name: profile[name].to_numpy() for name in profile.columns},
        "G": profile.attrs["G"],
        "method": profile.attrs["method"],
    }


def potential_profile_study(
    length: int,
    energy: float,
    eta: float,
    *,
    width: int | None = None,
    disorder: float = 0.0,
    salt: str = "0",
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """The probe potential μ along a wire, left lead at 1 and right lead at 0.

    A scan of one point (:func:`potential_profile_point`), so that it runs,
    persists and records its provenance like every other study.

    Parameters
    ----------
    length
        Length (sites).
    energy
        Energy (t).
    eta
        Probe coupling (t).
    width
        None for a chain, else the wire width.
    disorder, salt
        On-site disorder strength (t) and seed.
    executor, store, progress, timeout
        How the points run (:func:`workflows.scan`): any executor (default:
        in this process, :class:`workflows.SerialExecutor`; e.g.
        :func:`workflows.process_pool` for large studies), a results store to
        persist and resume, a progress bar, a per-point time limit (s).

    Returns
    -------
    pandas.DataFrame
        One row per probe: ``lead``, ``x`` (and ``y`` for a wire), ``mu`` (in
        units of the bias); ``attrs`` hold the two-terminal conductance ``G``
        (e²/h) and the probe elimination ``method`` (results), and the scan's
        ``provenance``, ``failed`` and ``errors``.  In the dephasing-dominated regime
        (L ≫ λ) μ falls linearly along x; compare the chain with
        :func:`analysis.dephasing.chain_probe_potential`.
    """
    (length,) = _check_lengths([length])
    width = _check_width(width)
    energy = check_energy("energy", energy)
    eta = real("eta", eta, minimum=0, hint="units of t")
    disorder = real("disorder", disorder, minimum=0, hint="units of t")
    point = functools.partial(
        potential_profile_point, width=width, disorder=float(disorder), salt=str(salt)
    )
    table = run_study_grid(
        "potential_profile_study",
        point,
        {"length": [length], "energy": [float(energy)], "eta": [float(eta)]},
        settings={"width": width, "disorder": float(disorder), "salt": str(salt)},
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )
    columns = ["lead", "x", "mu"] if width is None else ["lead", "x", "y", "mu"]
    frame = pd.DataFrame({name: observable(table, name, 0, np.array([])) for name in columns})
    frame.attrs.update(
        study_attrs(
            table,
            ["length", "energy", "eta"],
            G=observable(table, "G", 0),
            method=observable(table, "method", 0, None),
        )
    )
    return frame
