"""Finite-bias I–V curves with Büttiker probes, through :func:`workflows.scan`.

At each bias V the source sits at μ_s = μ + η eV and the sink at
μ_d = μ − (1 − η) eV (μ = ``energy``, η = ``split``), both at k_B T, and the
probes float at finite bias with the chosen model
(:func:`workflows.finite_bias_probes`: ``"dephasing"``, ``"voltage"`` or
``"hot"``).  The point function :class:`ProbeIVPoint` offers ``bias`` as its
scan's sweep axis: the biases of one task are solved in order of increasing
magnitude, each voltage or hot probe solve starting from the previous bias's
(μ_p, T_p) (a warm start: the Newton solve then takes a few steps).  Units:
eV and μ in t, the current in e·t/h (electrons from source to sink), heat in
t²/h, entropy production in k_B t/h.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import pandas as pd

from systems.parameters import updated_params
from systems.probes import dephasing_probe_leads
from systems.validation import choice, real
from workflows.scattering.finite_bias_probes import PROBE_MODELS, finite_bias_probes
from workflows.studies.study_runs import run_study_grid, study_attrs

__all__ = ["ProbeIVPoint", "probe_iv_curve"]


@dataclass(frozen=True, eq=False)
class ProbeIVPoint:
    """Point function of :func:`probe_iv_curve`: currents at one bias (or a warm-started sweep).

    Attributes
    ----------
    fsyst, energy, params, temperature, probes, model, source, sink, split, tol
        As for :func:`probe_iv_curve`.
    """

    fsyst: kwant.system.FiniteSystem
    energy: float
    params: Mapping[str, Any]
    temperature: float
    probes: tuple[int, ...]
    model: str
    source: int
    sink: int
    split: float
    tol: float

    def _solve(self, bias: float, start=None):
        terminals = np.setdiff1d(np.arange(len(self.fsyst.leads)), list(self.probes))
        mus = np.full(terminals.size, self.energy)
        position = {int(lead): k for k, lead in enumerate(terminals)}
        mus[position[self.source]] = self.energy + self.split * bias
        mus[position[self.sink]] = self.energy - (1 - self.split) * bias
        result = finite_bias_probes(
            self.fsyst,
            mu=mus,
            temperature=self.temperature,
            params=self.params,
            probes=self.probes,
            model=self.model,
            tol=self.tol,
            start=start,
        )
        probes = result.probes
        row = {
            "current": float(result.currents[self.source]),
            "heat_into_probes": float(-result.heat_currents[probes].sum()),
            "entropy_production": result.entropy_production,
            "probe_temperature_max": (
                float(np.max(result.temperature[probes])) if self.model == "hot" else np.nan
            ),
            "residual": result.residual,
        }
        warm = (
            (result.mu[probes], result.temperature[probes]) if self.model != "dephasing" else None
        )
        return row, warm

    def __call__(self, *, bias: float) -> dict[str, float]:
        """Observables at one bias: ``current``, ``heat_into_probes``, ``entropy_production``, …"""
        return self._solve(float(bias))[0]

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """``"bias"``: the biases of a task share warm starts."""
        return "bias" if "bias" in axes else None

    def sweep_points(self, axis: str, values: list[float]) -> list[dict[str, float]]:
        """Every bias of ``values``, by increasing magnitude, each from the previous solution."""
        if axis != "bias":
            raise ValueError(f"ProbeIVPoint sweeps the bias, not {axis!r}")
        biases = np.asarray(values, dtype=float)
        rows: list[dict[str, float] | None] = [None] * biases.size
        start = None
        for index in np.argsort(np.abs(biases), kind="stable"):
            rows[index], start = self._solve(float(biases[index]), start)
        return rows


def probe_iv_curve(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    biases: Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    temperature: float,
    probes: Iterable[int] | None = None,
    model: str = "voltage",
    source: int = 0,
    sink: int = 1,
    split: float = 0.5,
    tol: float = 1e-9,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """I(V) with floating probes at finite bias (see the module docstring).

    Parameters
    ----------
    fsyst
        A finalized Kwant system with probes (e.g. :func:`systems.attach_dephasing_probes`).
    energy
        Fermi energy μ at zero bias (t).
    biases
        eV values (t), distinct.
    params
        Kwant parameters (e.g. ``{"eta": 0.1}``).
    temperature
        k_B T of the real terminals (t), > 0.
    probes
        Lead indices of the floating probes (default: every dephasing probe).
    model
        ``"dephasing"``, ``"voltage"`` or ``"hot"``.
    source, sink
        Lead indices of the biased terminals; other real terminals stay at μ.
    split
        Fraction η of the bias applied to the source.
    tol
        Interpolation tolerance of G(E) (e²/h), as in :func:`workflows.finite_bias_probes`.
    executor, store, progress, timeout
        As for :func:`workflows.scan` (one task holds all biases).

    Returns
    -------
    pandas.DataFrame
        Columns ``bias`` (t/e), ``current`` (e·t/h), ``heat_into_probes``
        (t²/h), ``entropy_production`` (k_B t/h), ``probe_temperature_max``
        (t, hot probes), ``residual``; ``attrs``: ``units``, the scan's
        ``provenance``, ``failed`` and ``errors``.
    """
    model = choice("model", model, PROBE_MODELS)
    energy = real("energy", energy, hint="t")
    biases = np.asarray([real("bias", b, hint="eV in t") for b in np.atleast_1d(biases)])
    if np.unique(biases).size != biases.size:
        raise ValueError(f"biases must be distinct, got {biases.tolist()}")
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    split = real("split", split, minimum=0, maximum=1, hint="share of the bias on the source")
    params = updated_params(params, {})
    point = ProbeIVPoint(
        fsyst=fsyst,
        energy=energy,
        params=params,
        temperature=temperature,
        probes=tuple(int(p) for p in (dephasing_probe_leads(fsyst) if probes is None else probes)),
        model=model,
        source=int(source),
        sink=int(sink),
        split=split,
        tol=float(tol),
    )
    table = run_study_grid(
        "probe_iv_curve",
        point,
        {"bias": biases},
        settings={
            "energy": energy,
            "temperature": temperature,
            "params": params,
            "probes": point.probes,
            "model": model,
            "source": point.source,
            "sink": point.sink,
            "split": split,
            "tol": point.tol,
        },
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )
    columns = [
        "bias",
        "current",
        "heat_into_probes",
        "entropy_production",
        "probe_temperature_max",
        "residual",
    ]
    result = table[[c for c in columns if c in table.columns]].reset_index(drop=True)
    result.attrs = study_attrs(
        table,
        ["bias"],
        units={
            "bias": "t/e",
            "current": "e·t/h",
            "heat_into_probes": "t²/h",
            "entropy_production": "k_B·t/h",
            "probe_temperature_max": "t/k_B",
        },
        model=model,
    )
    return result
