"""The figure gallery: classic results of mesoscopic transport, regenerated from one command.

Each :class:`FigureRecipe` is a short function over the workflows that returns
the data (one or more tidy DataFrames, parameters in ``attrs``) and a drawing
function built from :mod:`analysis.plots`.  :func:`make_figure` writes, for a
recipe ``name``,

* ``name.png`` — the figure;
* ``name.csv`` (or ``name-<table>.csv`` for several tables) — the data behind it,
  rounded to 1e-10 and 10 significant digits so that a rerun gives identical files;
* ``name.json`` — provenance: the parameters, versions, solver, git revision,
  host, command and whether the quick mode was used.

``mesoflow figures [NAME ...] [--quick] [--output DIR]`` calls
:func:`make_figures`; ``--list`` prints :data:`FIGURES`.  To add a figure of
your own, write a compute function ``(quick: bool) -> DataFrame | dict`` and a
draw function ``(data) -> matplotlib.figure.Figure`` and call
``make_figure(FigureRecipe(name, description, compute, draw), output)``.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import systems
from analysis import compare_with_landauer, plots
from analysis.dephasing import (
    chain_dephased_resistance,
    chain_probe_potential,
    semiclassical_dephased_resistance,
)
from analysis.harmonics import ensemble_harmonics
from workflows.app.electrostatics_figures import ELECTROSTATICS_RECIPES
from workflows.app.hybrid_figures import HYBRID_RECIPES
from workflows.app.map_figures import MAP_FIGURE_RECIPES
from workflows.app.nonequilibrium_figures import NONEQUILIBRIUM_RECIPES
from workflows.app.transport_figures import TRANSPORT_RECIPES
from workflows.runs.options import RunOptions
from workflows.runs.provenance import run_provenance, utc_now
from workflows.runs.recipes import SystemRecipe
from workflows.scattering.conductance import conductance_vs_energy
from workflows.scattering.dephasing_method import dense_memory_estimate
from workflows.scattering.mode_counts import lead_velocities
from workflows.studies.dephasing_studies import ohmic_crossover_study, potential_profile_study
from workflows.studies.hall import quantum_hall_scan
from workflows.studies.interference import (
    ab_oscillations,
    disorder_ensemble,
    ring_with_arm_probes,
    visibility_vs_dephasing,
    visibility_vs_temperature,
)
from workflows.studies.point_contact import qpc_conductance

__all__ = ["FIGURES", "FigureRecipe", "make_figure", "make_figures"]

Tables = pd.DataFrame | Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class FigureRecipe:
    """How to compute and draw one figure.

    Attributes
    ----------
    name
        File stem and CLI name.
    description
        One line: what the figure shows.
    compute
        ``compute(quick)`` returns a DataFrame or a mapping name -> DataFrame,
        with the parameters in each frame's ``attrs``; ``quick`` shrinks the
        systems for tests.  A recipe whose studies can persist takes a
        keyword ``stores`` too (a directory for their results stores, or None).
    draw
        ``draw(data)`` returns a matplotlib Figure.
    """

    name: str
    description: str
    compute: Callable[[bool], Tables]
    draw: Callable[[Tables], object]


# --- Quantized conductance of a point contact (van Wees et al. 1988; Wharam et al. 1988) ---


def _qpc_compute(quick: bool) -> dict[str, pd.DataFrame]:
    if quick:
        geometry, gates, temperatures, samples = dict(length=30, width=14), 11, (0.01,), 9
    else:
        geometry, gates, temperatures, samples = dict(length=60, width=30), 41, (0.01, 0.025), 25
    gate_voltages = np.linspace(0.0, 2.0, gates)
    qpc = SystemRecipe("qpc", geometry)
    runs = [qpc_conductance(qpc, 0.3, gate_voltages)]
    runs[0]["temperature"] = 0.0
    for temperature in temperatures:
        run = qpc_conductance(
            qpc, 0.3, gate_voltages, temperature=temperature, energy_samples=samples
        )
        runs.append(run[["V_gate", "G_thermal", "N_leads"]].rename(columns={"G_thermal": "G"}))
        runs[-1]["temperature"] = temperature
    steps = pd.concat(runs, ignore_index=True)
    steps.attrs.update(
        {k: v for k, v in runs[0].attrs.items() if k != "temperature"},
        temperatures=[0.0, *temperatures],
        energy_samples=samples,
    )

    width = geometry["width"]
    # quick: 30 energies still put ~6 points on each of the five steps up to 1.2 t
    energies = np.linspace(0.01, 1.2 if quick else 1.5, 30 if quick else 300)
    wire = conductance_vs_energy(systems.wire(10, width).finalized(), energies)
    landauer = compare_with_landauer(energies, wire["G"], width=width)
    landauer.attrs.update(system=f"ideal wire, length 10, width {width}")
    return {"steps": steps, "landauer": landauer}


def _qpc_draw(data: Mapping[str, pd.DataFrame]):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9, 3.6))
    steps = data["steps"]
    for temperature, run in steps.groupby("temperature", sort=True):
        label = "$T = 0$" if temperature == 0 else f"$k_BT = {temperature:g}\\,t$"
        plots.plot_conductance_steps(
            run, "V_gate", ax=left, label=label, xlabel=r"$V_\mathrm{gate}$ ($t$)"
        )
    left.legend(frameon=False)
    left.set_title("QPC: quantized steps, thermally smeared")
    plots.plot_conductance_steps(
        data["landauer"], "energy", prediction="N", ax=right, xlabel=r"$E$ ($t$)"
    )
    right.set_title("Ideal wire against the Landauer count")
    return figure


# --- Quantum Hall plateaus of a Hall bar (von Klitzing 1980; Büttiker 1988) ---


def _hall_compute(quick: bool) -> pd.DataFrame:
    geometry = (
        dict(length=28, width=10, lead_width=5)
        if quick
        else dict(length=60, width=24, lead_width=10)
    )
    fields = np.linspace(0.02 if quick else 0.008, 0.075, 9 if quick else 90)
    frame = quantum_hall_scan(systems.hall_bar(**geometry).finalized(), fields, 0.5)
    frame.attrs.update(geometry=geometry)
    return frame


def _hall_draw(data: pd.DataFrame):
    figure, ax = plots.new_figure()
    plots.plot_hall_resistances(data, ax=ax)
    ax.set_title("Quantum Hall plateaus: $R_{xy} = -1/\\nu$, $R_{xx} = 0$")
    return figure


# --- Ballistic to Ohmic with dephasing probes on every site (Büttiker 1986) ---


def _chain(length: int) -> SystemRecipe:
    """The recipe of a clean chain of ``length`` sites (the dephasing studies add the probes)."""
    return SystemRecipe("chain", {"length": length})


def _dephasing_compute(quick: bool) -> dict[str, pd.DataFrame]:
    energy = 1.0
    etas = (0.02, 0.1) if quick else (0.01, 0.03, 0.1, 0.3)
    lengths = (5, 10, 20, 40) if quick else tuple(range(10, 301, 10))
    crossover = ohmic_crossover_study(_chain, energy, lengths, (0.0, *etas))
    dephased = crossover["eta"] > 0
    crossover["R_theory"] = np.nan
    crossover.loc[dephased, "R_theory"] = chain_dephased_resistance(
        crossover.loc[dephased, "length"], energy, crossover.loc[dephased, "eta"]
    )
    crossover.attrs.update(
        system="chain, a probe on every site",
        energy=energy,
        etas=[0.0, *etas],
        lengths=list(lengths),
    )
    profile = potential_profile_study(_chain(30 if quick else 120), energy, 0.1)
    profile["mu_theory"] = chain_probe_potential(profile["x"], profile["x"].size, energy, 0.1)
    profile.attrs.update(system="chain, a probe on every site", energy=energy)
    return {"crossover": crossover, "profile": profile}


def _dephasing_draw(data: Mapping[str, pd.DataFrame]):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9, 3.6))
    plots.plot_resistance_vs_length(data["crossover"], prediction="R_theory", ax=left)
    left.set_title(r"$R = (h/e^2)(1 + L/\lambda)$, $\lambda = 2\hbar v/\eta$")
    profile = data["profile"]
    plots.plot_probe_potential(profile, prediction=profile["mu_theory"].to_numpy(), ax=right)
    right.set_title(r"Probe potentials, $\eta = 0.1\,t$")
    return figure


# --- 2D ballistic-to-Ohmic crossover at device scale (linear probe elimination, issue 13) ---


def _dephasing_2d_compute(quick: bool) -> pd.DataFrame:
    # Full: a 300 × 60 wire has 18,000 probes; the dense method would need about
    # dense_memory_estimate(18,120) ≈ 30 GB, so this runs on the linear method.
    energy, width = 0.75, (8 if quick else 60)  # E between subband edges 2 and 3 of W = 8
    etas = (0.0, 0.1) if quick else (0.0, 0.02, 0.1)
    lengths = (5, 10, 20, 40) if quick else (10, 25, 50, 100, 200, 300)
    crossover = ohmic_crossover_study(
        lambda length: SystemRecipe("wire", {"length": length, "width": width}),
        energy,
        lengths,
        etas,
        method="linear",
    )
    velocities = lead_velocities(systems.wire(1, width).finalized(), energy)
    dephased = crossover["eta"] > 0
    crossover["R_theory"] = np.nan
    crossover.loc[dephased, "R_theory"] = [
        semiclassical_dephased_resistance(int(length), velocities, eta)
        for length, eta in crossover.loc[dephased, ["length", "eta"]].itertuples(index=False)
    ]
    largest = max(lengths) * width
    crossover.attrs.update(
        system=f"wire of width {width}, a probe on every site",
        energy=energy,
        open_modes=int(velocities.size),
        largest_probes=largest,
        dense_memory_gb=dense_memory_estimate(largest + 2 * width) / 1e9,
    )
    return crossover


def _dephasing_2d_draw(data: pd.DataFrame):
    figure, ax = plots.new_figure(figsize=(5.5, 3.8))
    plots.plot_resistance_vs_length(data, prediction="R_theory", ax=ax)
    ax.axhline(1 / data.attrs["open_modes"], color="grey", lw=0.8, ls=":")
    ax.set_title(
        f"{data.attrs['system']}: {data.attrs['largest_probes']:,} probes "
        f"(dense: ≈{data.attrs['dense_memory_gb']:.0f} GB)",
        fontsize="small",
    )
    return figure


# --- Aharonov–Bohm oscillations and their visibility (Webb et al. 1985; Seelig & Büttiker 2001) ---


def _ab_compute(quick: bool) -> dict[str, pd.DataFrame]:
    ring = systems.ab_ring(8, 14, 6).finalized()
    trace = ab_oscillations(ring, 1.0, np.linspace(-1, 1, 81 if quick else 401))
    trace.attrs.update(ring=dict(r_in=8, r_out=14, lead_width=6), energy=1.0)
    rings = [(4, 6.5), (6, 8.5), (8, 10.5)] + ([] if quick else [(10, 12.5), (12, 14.5)])
    etas = [0.0, 0.05, 0.1] if quick else [0.0, 0.025, 0.05, 0.1, 0.2]
    recipes = [
        SystemRecipe(ring_with_arm_probes, {"r_in": r_in, "r_out": r_out, "lead_width": 2})
        for r_in, r_out in rings
    ]
    dephasing = visibility_vs_dephasing(recipes, 1.5, etas)
    dephasing.attrs.update(rings=rings, etas=etas, lead_width=2, energy=1.5)
    small = systems.ab_ring(6, 8.5, 2).finalized()
    energies = np.linspace(1.0, 2.0, 41 if quick else 161)
    temperatures = [0.0, 0.01, 0.02, 0.03] if quick else [0.0, 0.005, 0.01, 0.02, 0.03]
    thermal = visibility_vs_temperature(
        small, float(energies[energies.size // 2]), temperatures, energies=energies
    )
    thermal.attrs.update(ring=dict(r_in=6, r_out=8.5, lead_width=2), energies=energies.tolist())
    return {"trace": trace, "dephasing": dephasing, "temperature": thermal}


def _ab_draw(data: Mapping[str, pd.DataFrame]):
    figure, axes = plots.new_figure(1, 3, figsize=(12, 3.5))
    plots.plot_flux_trace(data["trace"], ax=axes[0])
    axes[0].set_title("AB oscillations: period $h/e$, $G(\\phi) = G(-\\phi)$")
    plots.plot_visibility(data["dephasing"], "eta", by="arm_length", ax=axes[1])
    axes[1].set_title("Visibility against dephasing")
    plots.plot_visibility(data["temperature"], "temperature", ax=axes[2])
    axes[2].set_title("Visibility against temperature")
    return figure


# --- h/e against h/2e after disorder averaging (Altshuler, Aronov & Spivak 1981) ---


def _aas_compute(quick: bool, stores: Path | None = None) -> dict[str, pd.DataFrame]:
    # Wide arms (8 sites) and disorder W = 2.5 t: diffusive arms (mean free path
    # below the arm length) that still conduct (G ≈ 0.3 e²/h), so that the sign of
    # each sample's h/e harmonic is random.  With weaker disorder (W = 1 t on a
    # narrower ring) a systematic h/e part survives the average.
    geometry = dict(r_in=10, r_out=20, lead_width=8)
    ring = systems.ab_ring(**geometry).finalized()
    salts = [str(salt) for salt in range(150 if quick else 400)]
    # E = 0.95 t: the 8-site leads have a subband edge at exactly 1.0 t (singular there).
    store = None if stores is None else Path(stores) / f"aas_ensemble-{len(salts)}.sqlite"
    ensemble = disorder_ensemble(ring, 0.95, salts, disorder=2.5, run=RunOptions(store=store))
    ensemble.attrs.update(ring=geometry, energy=0.95, disorder=2.5, salts=f"0 … {len(salts) - 1}")
    harmonics = ensemble_harmonics(ensemble)
    for column in ("phase1", "phase2"):  # report phases in (−π, π]: −π and π are one phase
        harmonics[column] = np.where(
            np.isclose(harmonics[column], -np.pi), np.pi, harmonics[column]
        )
    harmonics.attrs.update(samples=len(salts))
    return {"ensemble": ensemble, "harmonics": harmonics}


def _aas_draw(data: Mapping[str, pd.DataFrame]):
    figure, ax = plots.new_figure()
    plots.plot_ensemble_traces(data["ensemble"], ax=ax)
    ratio = data["harmonics"].set_index("trace").loc["ensemble average", "ratio"]
    ax.set_title(f"Disorder average: $A_{{h/2e}}/A_{{h/e}}$ = {ratio:.1f}")
    return figure


FIGURES: dict[str, FigureRecipe] = {
    recipe.name: recipe
    for recipe in (
        FigureRecipe(
            "qpc_steps",
            "QPC conductance steps vs gate, thermal smearing, Landauer N(E)",
            _qpc_compute,
            _qpc_draw,
        ),
        FigureRecipe(
            "hall_plateaus",
            "Hall bar R_xy and R_xx against field, with 1/nu",
            _hall_compute,
            _hall_draw,
        ),
        FigureRecipe(
            "dephasing_crossover",
            "Chain with dephasing probes: R(L) for several eta, probe potential profile",
            _dephasing_compute,
            _dephasing_draw,
        ),
        FigureRecipe(
            "dephasing_2d",
            "Wide wire with 18,000 dephasing probes: R(L) ballistic to Ohmic (linear method)",
            _dephasing_2d_compute,
            _dephasing_2d_draw,
        ),
        FigureRecipe(
            "ab_oscillations",
            "AB ring: G(phi), visibility against dephasing and against temperature",
            _ab_compute,
            _ab_draw,
        ),
        FigureRecipe(
            "ab_disorder_average",
            "400 disordered AB rings: h/e averages out, h/2e (AAS) survives",
            _aas_compute,
            _aas_draw,
        ),
        *(FigureRecipe(*recipe) for recipe in MAP_FIGURE_RECIPES),
    )
}
FIGURES.update(
    {
        name: FigureRecipe(name, text, compute, draw)
        for name, text, compute, draw in (
            *TRANSPORT_RECIPES,
            *NONEQUILIBRIUM_RECIPES,
            *HYBRID_RECIPES,
            *ELECTROSTATICS_RECIPES,
        )
    }
)


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to 1e-10 absolute and 10 significant digits, for reproducible files.

    Far below any physical tolerance and far above floating-point noise (~1e-15,
    which BLAS kernels make depend on memory alignment, so it can change between
    two runs of the same computation).
    """
    floats = frame.select_dtypes("float").columns
    return frame.assign(**{name: frame[name].round(10) for name in floats})


def _tables(data: Tables) -> dict[str, pd.DataFrame]:
    if isinstance(data, pd.DataFrame):
        return {"": data}
    return dict(data)


def _release(figure) -> None:
    """Close a figure that a user's draw function made with pyplot (ours are not registered)."""
    if getattr(figure.canvas, "manager", None) is not None:
        import matplotlib.pyplot as plt  # already imported: pyplot made this figure

        plt.close(figure)


def make_figure(
    recipe: FigureRecipe,
    output: str | Path = "figures",
    *,
    quick: bool = False,
    command: Iterable[str] | None = None,
    stores: str | Path | None = None,
) -> list[Path]:
    """Compute, draw and write one figure with its data and provenance.

    Parameters
    ----------
    recipe
        A built-in recipe (:data:`FIGURES`) or one of your own.
    output
        Directory (created if needed).
    quick
        Small parameters (seconds), for tests; the provenance records it.
    command
        The command line to record (default: ``sys.argv``).
    stores
        A directory for the results stores of the figure's studies (recipes
        whose ``compute`` takes ``stores``, e.g. the disorder ensemble): a
        rerun reads the finished samples instead of computing them again.

    Returns
    -------
    list of pathlib.Path
        The PNG, the CSV file(s) and the JSON written.
    """
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    if stores is not None and "stores" in inspect.signature(recipe.compute).parameters:
        Path(stores).mkdir(parents=True, exist_ok=True)
        data = recipe.compute(quick, stores=Path(stores))
    else:
        data = recipe.compute(quick)
    written = []
    parameters = {}
    for table, frame in _tables(data).items():
        path = output / (f"{recipe.name}-{table}.csv" if table else f"{recipe.name}.csv")
        _rounded(frame).to_csv(path, index=False, float_format="%.10g")
        written.append(path)
        parameters[table or recipe.name] = {
            k: v for k, v in frame.attrs.items() if k != "environment"
        }
    figure = recipe.draw(data)
    png = output / f"{recipe.name}.png"
    figure.savefig(png, dpi=110)
    _release(figure)
    provenance = output / f"{recipe.name}.json"
    record = {
        "figure": recipe.name,
        "description": recipe.description,
        "quick": bool(quick),
        "created": utc_now(),
        "parameters": parameters,
        "command": list(sys.argv if command is None else command),
        **run_provenance(),
    }
    provenance.write_text(json.dumps(record, indent=2, default=str, sort_keys=True))
    return [png, *written, provenance]


def make_figures(
    names: Iterable[str] | None = None,
    output: str | Path = "figures",
    *,
    quick: bool = False,
    stores: str | Path | None = None,
) -> list[Path]:
    """Regenerate the named figures of :data:`FIGURES` (all if ``names`` is None).

    Unknown names are refused, listing the known ones, before any work.
    ``stores``: a directory for the figures' results stores (see :func:`make_figure`).
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; known: {sorted(FIGURES)}")
    written = []
    for name in names:
        written += make_figure(FIGURES[name], output, quick=quick, stores=stores)
    return written
