"""Dephasing studies: from ballistic to Ohmic transport with Büttiker probes on every site.

Each study is a point function plus a grid run by :func:`workflows.scan`
(see :mod:`workflows.studies.study_runs`: one ``run`` keyword,
:class:`workflows.runs.options.RunOptions`; provenance in
``attrs["provenance"]``).  The studies over lengths take a recipe factory,
``device(length) -> SystemRecipe`` (e.g. ``lambda L: SystemRecipe("chain",
{"length": L})``), and put a probe on every site
(:func:`systems.attach_dephasing_probes`); each recipe is finalized once per
process; every point is solved with every probe floating
(:func:`workflows.dephased_transport`).
The result is a tidy DataFrame, one row per point.  Units: energies and η in t,
lengths in lattice constants, G in e²/h, R in h/e².
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from systems.probes import dephasing_probe_leads
from systems.validation import energy as check_energy
from systems.validation import real
from workflows.runs.options import RunOptions, run_options
from workflows.runs.recipes import SystemRecipe, builder_label, finalized_system
from workflows.scattering.dephasing import dephased_transport, probe_potential_profile
from workflows.scattering.dephasing_method import check_method
from workflows.studies.coherence import _check_lengths, device_recipe
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    run_study_grid,
    study_attrs,
    study_system,
)

__all__ = [
    "dephased_wire_point",
    "localization_study",
    "ohmic_crossover_study",
    "potential_profile_point",
    "potential_profile_study",
]


def _device(
    device: Callable[[int], SystemRecipe], length: int, *, with_probes: bool = True
) -> SystemRecipe:
    """The recipe ``device(length)``; a probe on every site if ``with_probes``."""
    recipe = device_recipe(device, length)
    if recipe.dephasing_probes == with_probes:
        return recipe
    return dataclasses.replace(recipe, dephasing_probes=with_probes)


def _with_probes(system: StudySystem) -> StudySystem:
    """``system`` with a probe on every site: a recipe gets them, a finalized system has them."""
    fsyst = study_system(system, "system")
    if isinstance(system, SystemRecipe):
        if system.dephasing_probes or dephasing_probe_leads(fsyst):
            return system
        return dataclasses.replace(system, dephasing_probes=True)
    if not dephasing_probe_leads(fsyst):
        raise ValueError(
            "system: a finalized system must have dephasing probes "
            "(systems.attach_dephasing_probes(builder) before finalizing), or pass its recipe"
        )
    return system


def dephased_wire_point(
    *,
    device: Callable[[int], SystemRecipe],
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
    device
        The recipe factory, ``device(length) -> SystemRecipe``.
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
    fsyst = finalized_system(_device(device, length, with_probes=bool(eta) or disorder is None))
    solution = dephased_transport(fsyst, energy, params=params, method=method)
    g = solution.two_terminal_conductance()
    return {"G": g, "R": 1 / g, "log_G": np.log(g), "method": solution.method}


def _check_etas(etas: Iterable[float]) -> list[float]:
    values = [float(e) for e in etas]
    if not values or any(not np.isfinite(e) or e < 0 for e in values):
        raise ValueError(f"etas must be a non-empty list of couplings >= 0 (t), got {values}")
    return values


def ohmic_crossover_study(
    device: Callable[[int], SystemRecipe],
    energy: float,
    lengths: Iterable[int],
    etas: Iterable[float],
    *,
    method: str = "auto",
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """R(L) for several probe couplings η: ballistic (R = 1/N) to Ohmic (R ∝ L).

    Parameters
    ----------
    device
        The recipe factory, ``device(length) -> SystemRecipe`` (without probes:
        the study puts one on every site), e.g. ``lambda L: SystemRecipe("wire",
        {"length": L, "width": 6})``; picklable by cloudpickle for a process pool.
    energy
        Energy (t).
    lengths
        Device lengths (sites along the wire).
    etas
        Probe couplings η >= 0 (t); η = 0 is the phase-coherent reference.
    method
        Probe elimination, see :func:`workflows.dephased_transport`.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        Columns ``system`` (the recipe's builder, e.g. "chain" or "wire"),
        ``width`` (the recipe's ``width`` argument, 1 without one), ``energy``, ``eta``,
        ``length``, ``G`` (e²/h), ``R`` (h/e²) and ``method`` (the probe elimination
        that ran, see :func:`workflows.dephased_transport`).  Compare with
        R = (h/e²)(1/N)(1 + L/λ), :func:`analysis.dephasing.dephased_resistance`.
    """
    run = run_options(run)
    lengths = _check_lengths(lengths)
    etas = _check_etas(etas)
    method = check_method(method)
    energy = check_energy("energy", energy)
    recipe = device_recipe(device, lengths[0])  # checks the factory before the scan
    point = functools.partial(dephased_wire_point, device=device, energy=energy, method=method)
    table = run_study_grid(
        "ohmic_crossover_study",
        point,
        {"length": lengths, "eta": etas},
        settings={"device": device, "energy": energy, "method": method},
        run=run,
    )
    frame = pd.DataFrame(
        {
            "system": builder_label(recipe.builder),
            "width": recipe.arguments.get("width", 1),
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
    device: Callable[[int], SystemRecipe],
    energy: float,
    lengths: Iterable[int],
    salts: Iterable[str],
    *,
    disorder: float,
    eta: float,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Disordered wire without probes (Anderson localization) against the same wire with probes.

    For each length and disorder realization (``salt``) the same finalized
    system is solved at η = 0 (phase coherent: ⟨ln G⟩ falls linearly with L,
    slope −2/ξ for localization length ξ) and at η > 0 (dephased: R grows
    linearly with L, Ohmic).

    Parameters
    ----------
    device
        The recipe factory, ``device(length) -> SystemRecipe``, of a system
        with the parameters ``disorder`` and ``salt`` (mesoflow's chain and
        wire have them); without probes: the study adds them for η > 0.
    energy
        Energy (t).
    lengths
        Device lengths (sites).
    salts
        Disorder seeds; averages are taken over them.
    disorder
        Width W of the uniform on-site disorder (t).
    eta
        Probe coupling of the dephased case (t), > 0.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        Columns ``eta``, ``length``, ``salt``, ``G`` (e²/h), ``R`` (h/e²),
        ``log_G`` (ln G, the logarithm of the total transmission); the
        settings (``device``, ``disorder``, ``energy``) are in
        ``attrs["provenance"]["study"]["settings"]``.
    """
    run = run_options(run)
    lengths = _check_lengths(lengths)
    salts = [str(s) for s in salts]
    if not salts:
        raise ValueError("salts is empty: give at least one disorder seed")
    eta = real("eta", eta, minimum=0, strict=True, hint="the dephased case, units of t")
    disorder = real("disorder", disorder, minimum=0, hint="units of t")
    energy = check_energy("energy", energy)
    device_recipe(device, lengths[0])  # checks the factory before the scan
    # η = 0 is solved without probes (scattering matrix): the same wire, coherent.
    point = functools.partial(
        dephased_wire_point, device=device, energy=float(energy), disorder=float(disorder)
    )
    table = run_study_grid(
        "localization_study",
        point,
        {"length": lengths, "salt": salts, "eta": [0.0, float(eta)]},
        settings={"device": device, "disorder": float(disorder), "energy": float(energy)},
        run=run,
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
    *, system: StudySystem, disorder: float, salt: str, energy: float, eta: float
) -> dict[str, object]:
    """Point function of :func:`potential_profile_study`: the probe potentials of one wire.

    Returns
    -------
    dict
        Arrays ``lead``, ``x`` (and ``y``, ``z`` in 2D, 3D) and ``mu`` (one entry per
        probe, see :func:`workflows.scattering.probe_potential_profile`), the two-terminal
        conductance ``G`` (e²/h) and the probe elimination ``method``.
    """
    fsyst = study_system(system, "system")
    params = {"eta": float(eta), "disorder": float(disorder), "salt": str(salt)}
    profile = probe_potential_profile(fsyst, energy, params=params)
    return {
        **{name: profile[name].to_numpy() for name in profile.columns},
        "G": profile.attrs["G"],
        "method": profile.attrs["method"],
    }


def potential_profile_study(
    system: StudySystem,
    energy: float,
    eta: float,
    *,
    disorder: float = 0.0,
    salt: str = "0",
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """The probe potential μ along a wire, left lead at 1 and right lead at 0.

    A scan of one point (:func:`potential_profile_point`), so that it runs,
    persists and records its provenance like every other study.

    Parameters
    ----------
    system
        A :class:`workflows.SystemRecipe` (given a probe on every site,
        ``dephasing_probes=True``, unless its system has probes), e.g.
        ``SystemRecipe("chain", {"length": 30})``, or a finalized system with
        dephasing probes (coupling parameter ``eta``); its Kwant parameters
        include ``disorder`` and ``salt`` (mesoflow's chain and wire have them).
    energy
        Energy (t).
    eta
        Probe coupling (t).
    disorder, salt
        On-site disorder strength (t) and seed.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per probe: ``lead``, ``x`` (and ``y`` in 2D), ``mu`` (in
        units of the bias); ``attrs`` hold the two-terminal conductance ``G``
        (e²/h) and the probe elimination ``method`` (results), and the scan's
        ``provenance``, ``failed`` and ``errors``.  In the dephasing-dominated regime
        (L ≫ λ) μ falls linearly along x; compare the chain with
        :func:`analysis.dephasing.chain_probe_potential`.
    """
    run = run_options(run)
    energy = check_energy("energy", energy)
    eta = real("eta", eta, minimum=0, hint="units of t")
    disorder = real("disorder", disorder, minimum=0, hint="units of t")
    system = _with_probes(system)
    point = functools.partial(
        potential_profile_point, system=system, disorder=float(disorder), salt=str(salt)
    )
    table = run_study_grid(
        "potential_profile_study",
        point,
        {"energy": [float(energy)], "eta": [float(eta)]},
        settings={
            "system": repr(system) if isinstance(system, SystemRecipe) else "finalized system",
            "disorder": float(disorder),
            "salt": str(salt),
        },
        run=run,
    )
    columns = [name for name in ("lead", "x", "y", "z", "mu") if name in table.columns]
    frame = pd.DataFrame({name: observable(table, name, 0, np.array([])) for name in columns})
    frame.attrs.update(
        study_attrs(
            table,
            ["energy", "eta"],
            G=observable(table, "G", 0),
            method=observable(table, "method", 0, None),
        )
    )
    return frame
