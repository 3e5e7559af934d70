"""Gallery recipes beyond conductance: shot noise, thermopower, Wiedemann–Franz, entropy production.

Each entry of :data:`TRANSPORT_RECIPES` is ``(name, description, compute, draw)``;
:mod:`workflows.app.figures` wraps them in :class:`workflows.app.figures.FigureRecipe`.
``compute(quick)`` returns tidy DataFrames with their parameters in ``attrs``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

import systems
from analysis import chain_barrier_transmission, plots
from analysis.bias import solve_bias, two_terminal_conductance
from analysis.dissipation import entropy_production_rate
from analysis.energy_grid import window_grid
from analysis.noise import fano_from_transmissions
from analysis.thermoelectric import landauer_moments, mott_seebeck, thermoelectric_coefficients
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.noise import fano_factor, scattering_matrix
from workflows.studies.heat import heat_transport
from workflows.studies.thermoelectric import thermoelectric_table, transmission_function

__all__ = ["TRANSPORT_RECIPES"]


# --- Fano factor: ballistic, tunnel, diffusive (Büttiker 1990; Beenakker & Büttiker 1992) ---


def _fano_compute(quick: bool) -> dict[str, pd.DataFrame]:
    chain = systems.chain(1).finalized()
    barriers = np.linspace(0.0, 4.0, 9 if quick else 41)
    barrier = pd.DataFrame(
        {
            "V": barriers,
            "F": [fano_factor(chain, 1.0, params=dict(V=v)) for v in barriers],
            "F_theory": 1 - chain_barrier_transmission(1.0, barriers),
        }
    )
    barrier.attrs.update(system="chain, one barrier site", energy=1.0)
    length, width, samples = (20, 8, 4) if quick else (60, 16, 40)
    wire = systems.wire(length, width).finalized()
    rows = []
    for disorder in (0.0, 0.5, 1.0, 1.5, 2.0) if quick else np.arange(0.0, 2.51, 0.25):
        eigenvalues = np.concatenate(
            [
                scattering_matrix(
                    wire, 2.0, params=dict(disorder=float(disorder), salt=str(salt), B=0.01)
                ).transmission_eigenvalues(1, 0)
                for salt in range(samples)
            ]
        )  # ⟨P⟩/⟨G⟩ over the ensemble = the Fano factor of all samples' eigenvalues together
        rows.append(
            {
                "disorder": float(disorder),
                "g": eigenvalues.sum() / samples,
                "F": fano_from_transmissions(eigenvalues),
            }
        )
    diffusive = pd.DataFrame(rows)
    diffusive.attrs.update(
        system=f"wire {length} x {width}", energy=2.0, B=0.01, samples=samples, F_diffusive=1 / 3
    )
    return {"barrier": barrier, "diffusive": diffusive}


def _fano_draw(data: Mapping[str, pd.DataFrame]):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9, 3.6))
    barrier = data["barrier"]
    left.plot(barrier["V"], barrier["F_theory"], "-", color="0.6", label="$1 - T$ (exact)")
    plots.plot_scan(barrier, "V", "F", ax=left, ylabel="Fano factor $F$")
    left.legend(frameon=False)
    left.set_title("One channel: ballistic ($F=0$) to tunnel ($F\\to1$)")
    plots.plot_scan(
        data["diffusive"],
        "disorder",
        "F",
        ax=right,
        ylabel="$\\langle P\\rangle/\\langle G\\rangle$",
    )
    right.axhline(1 / 3, color="0.6", ls="--", label="1/3 (diffusive)")
    right.legend(frameon=False)
    right.set_title("Disordered wire: toward 1/3")
    return figure


# --- QPC thermopower against gate, with Mott (Středa 1989; Molenkamp et al. 1990) ---


def _thermopower_compute(quick: bool) -> pd.DataFrame:
    geometry = dict(length=8, width=5) if quick else dict(length=30, width=16)
    qpc = systems.qpc(**geometry, depth=3.0).finalized()
    mu, temperature = 0.5, 0.02
    gates = np.linspace(0.4, 1.6, 2 if quick else 41)
    rows = []
    for gate in gates:
        # the grid itself is needed for Mott: thermoelectric's steps, grid kept
        func = transmission_function(
            qpc, params=dict(V_gate=float(gate)), at_band_edge=GRID_NODE_SIDE
        )
        energies, transmission = window_grid(
            func, [(mu, temperature)], tol=1e-3 if quick else 1e-5, max_points=4000
        )
        row = thermoelectric_coefficients(
            landauer_moments(energies, transmission, mu, temperature), mu, temperature
        )
        mott = mott_seebeck(energies, transmission, mu, temperature) if row.G > 1e-3 else np.nan
        rows.append({"V_gate": float(gate), "G": row.G, "S": row.S, "S_mott": float(mott)})
    frame = pd.DataFrame(rows)
    frame.attrs.update(qpc=geometry, depth=3.0, energy=mu, temperature=temperature)
    return frame


def _thermopower_draw(data: pd.DataFrame):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9, 3.6))
    plots.plot_conductance_steps(data, "V_gate", ax=left, xlabel=r"$V_\mathrm{gate}$ ($t$)")
    left.set_title("QPC conductance ($k_BT = 0.02\\,t$)")
    right.plot(data["V_gate"], -data["S_mott"], "-", color="0.6", label="Mott")
    right.plot(data["V_gate"], -data["S"], "o-", ms=3, label="Landauer")
    for n in (0, 1, 2):
        right.axhline(np.log(2) / (n + 0.5), color="0.85", lw=0.8, zorder=0)
    right.set_xlabel(r"$V_\mathrm{gate}$ ($t$)")
    right.set_ylabel("$-S$ ($k_B/e$)")
    right.legend(frameon=False)
    right.set_title("Thermopower peaks between plateaus, $\\ln 2/(N+1/2)$")
    return figure


# --- Wiedemann–Franz ratio against temperature ---


def _lorenz_compute(quick: bool) -> pd.DataFrame:
    temperatures = np.array([0.003, 0.03]) if quick else np.geomspace(0.002, 0.2, 21)
    runs = []
    chain = systems.chain(1).finalized()
    tol = 1e-4 if quick else 1e-6
    barrier = thermoelectric_table(chain, [1.0], temperatures, params=dict(V=1.0), tol=tol)
    barrier["system"] = "chain barrier (smooth T(E))"
    runs.append(barrier)
    wire = systems.wire(3, 5).finalized()
    step = thermoelectric_table(wire, [1.0], temperatures, tol=tol)  # E = 1 t: a subband edge
    step["system"] = "ideal wire at a subband edge (step)"
    runs.append(step)
    frame = pd.concat(
        [run[["system", "temperature", "G", "S", "kappa", "lorenz"]] for run in runs],
        ignore_index=True,
    )
    frame.attrs.update(energy=1.0, lorenz_sommerfeld=np.pi**2 / 3)
    return frame


def _lorenz_draw(data: pd.DataFrame):
    figure, ax = plots.new_figure()
    plots.plot_scan(
        data, "temperature", "lorenz", hue="system", ylabel="$\\kappa/TG$ ($(k_B/e)^2$)", ax=ax
    )
    ax.set_xscale("log")
    ax.axhline(np.pi**2 / 3, color="0.6", ls="--")
    ax.set_xlabel("$k_BT$ ($t$)")
    ax.set_title("Wiedemann–Franz: $\\pi^2/3$ for smooth $T(E)$")
    return figure


# --- Entropy production of a probe-dephased chain against η ---


def _entropy_compute(quick: bool) -> pd.DataFrame:
    length = 4 if quick else 20
    builder = systems.chain(length)
    probes = systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    energy, temperature, bias = 1.0, 0.02, 0.002
    rows = []
    for eta in (0.1, 1.0) if quick else np.linspace(0.05, 1.0, 20):
        params = dict(eta=float(eta))
        g_matrix = conductance_matrix(fsyst, energy, params=params)
        # Dephasing probes, linear response: Joule heat / T at fixed current I.
        g = two_terminal_conductance(g_matrix)
        current = 0.001
        solution = solve_bias(g_matrix, currents={0: current}, voltages={1: 0.0})
        joule = entropy_production_rate(solution, temperature)
        # Thermal probes (floating in charge and heat), nonlinear Landauer at fixed bias.
        heat = heat_transport(
            fsyst,
            {0: energy + bias / 2, 1: energy - bias / 2},
            {0: temperature, 1: temperature},
            params=params,
            tol=1e-4,
        )
        rows.append(
            {
                "eta": float(eta),
                "G": g,
                "entropy_fixed_current": joule,
                "entropy_thermal_probes": heat.entropy_production,
                "probe_temperature_max": float(np.max(heat.temperatures[probes])),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        system=f"chain of {length} sites, a probe on every site",
        energy=energy,
        temperature=temperature,
        bias=bias,
        current=0.001,
    )
    return frame


def _entropy_draw(data: pd.DataFrame):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9, 3.6))
    plots.plot_scan(data, "eta", "entropy_fixed_current", ax=left, ylabel="$\\dot S$ ($k_B t/h$)")
    left.set_title("Dephasing probes, fixed current: $I^2R/T$")
    plots.plot_scan(data, "eta", "entropy_thermal_probes", ax=right, ylabel="$\\dot S$ ($k_B t/h$)")
    right.set_title("Thermal probes, fixed bias: $-\\sum_i J^Q_i/T_i$")
    return figure


TRANSPORT_RECIPES = (
    (
        "fano_crossover",
        "Fano factor: one channel 1 - T (ballistic to tunnel), disordered wire toward 1/3",
        _fano_compute,
        _fano_draw,
    ),
    (
        "qpc_thermopower",
        "QPC conductance and thermopower against gate, with the Mott prediction",
        _thermopower_compute,
        _thermopower_draw,
    ),
    (
        "wiedemann_franz",
        "Lorenz ratio kappa/TG against temperature: smooth T(E) vs a step",
        _lorenz_compute,
        _lorenz_draw,
    ),
    (
        "entropy_dephasing",
        "Entropy production of a probe-dephased chain against eta",
        _entropy_compute,
        _entropy_draw,
    ),
)
