"""Gallery figures of maps: where the current flows and where the potential drops.

Three recipes, registered in :data:`workflows.app.figures.FIGURES`:

* ``hall_edge_current`` — the biased current map and Büttiker's local potential of
  a Hall bar on the ν = 1 plateau, voltage probes floating (edge-state transport,
  Halperin 1982; Büttiker 1988);
* ``ab_ring_currents`` — the current injected from the left lead of an
  Aharonov–Bohm ring at a transmission maximum and minimum;
* ``dephased_potential_map`` — local potential and current of a wire with a
  barrier and dephasing probes on every site, probes at their solved potentials.

Each compute function returns tidy tables (one row per bond or per site, with
positions in lattice constants); each draw function composes
:mod:`analysis.plots`.
"""

from __future__ import annotations

from collections.abc import Mapping

import kwant
import numpy as np
import pandas as pd

import systems
from analysis import plots
from systems.probes import dephasing_probe_leads
from workflows.scattering.current_maps import biased_current_density, current_density, hopping_array
from workflows.scattering.local_density import local_potential
from workflows.studies.interference import ab_oscillations

__all__ = ["MAP_FIGURE_RECIPES", "bond_table", "site_positions"]


def site_positions(fsyst: kwant.system.FiniteSystem) -> np.ndarray:
    """(n_sites, d) positions of the sites of ``fsyst``, in its order (lattice constants)."""
    return np.array([site.pos for site in fsyst.sites], dtype=float)


def bond_table(fsyst: kwant.system.FiniteSystem, current: np.ndarray) -> pd.DataFrame:
    """A map per directed hopping as a tidy table, one row per bond (i > j).

    Columns ``x_from``, ``y_from``, ``x_to``, ``y_to`` (lattice constants) and
    ``current``, the current from (x_from, y_from) to (x_to, y_to).
    """
    hoppings = hopping_array(fsyst)
    positions = site_positions(fsyst)
    once = hoppings[:, 0] > hoppings[:, 1]
    to, source = hoppings[once, 0], hoppings[once, 1]
    return pd.DataFrame(
        {
            "x_from": positions[source, 0],
            "y_from": positions[source, 1],
            "x_to": positions[to, 0],
            "y_to": positions[to, 1],
            "current": np.asarray(current, dtype=float)[once],
        }
    )


def _bonds_for_plot(bonds: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, directed hoppings (both directions) and currents from a bond table."""
    ends = np.concatenate(
        [bonds[["x_from", "y_from"]].to_numpy(), bonds[["x_to", "y_to"]].to_numpy()]
    )
    positions, index = np.unique(ends, axis=0, return_inverse=True)
    index = index.ravel()
    n = len(bonds)
    source, to = index[:n], index[n:]
    current = bonds["current"].to_numpy()
    hoppings = np.concatenate([np.column_stack([to, source]), np.column_stack([source, to])])
    return positions, hoppings, np.concatenate([current, -current])


# --- Edge-state current of a quantum Hall bar (Halperin 1982; Büttiker 1988) ---------------

_HALL_ENERGY = 0.5
_HALL_FIELD = 0.06  # ν = 1: lowest Landau level 2πB t = 0.38 t < E < 3·2πB t = 1.13 t


def _hall_geometry(quick: bool) -> dict:
    if quick:
        return dict(length=28, width=10, lead_width=5)
    return dict(length=60, width=24, lead_width=10)


def _hall_compute(quick: bool) -> dict[str, pd.DataFrame]:
    geometry = _hall_geometry(quick)
    fsyst = systems.hall_bar(**geometry).finalized()
    params = dict(B=_HALL_FIELD)
    bias = {0: 1.0, 1: 0.0}
    solved = biased_current_density(fsyst, _HALL_ENERGY, params=params, voltages=bias, mu_ref=0.0)
    potential = local_potential(fsyst, _HALL_ENERGY, params=params, voltages=bias)
    bonds = bond_table(fsyst, solved.current)
    positions = site_positions(fsyst)
    sites = pd.DataFrame({"x": positions[:, 0], "y": positions[:, 1], "mu": potential.potential})
    centres = np.array([positions[list(s)].mean(axis=0) for s in fsyst.lead_interfaces])
    terminals = pd.DataFrame(
        {
            "lead": np.arange(len(fsyst.leads)),
            "name": systems.HALL_BAR_LEADS,
            "x": centres[:, 0],
            "y": centres[:, 1],
            "V": solved.bias.voltages,
            "I": solved.bias.currents,
        }
    )
    attrs = dict(geometry=geometry, energy=_HALL_ENERGY, B=_HALL_FIELD, voltages=bias, mu_ref=0.0)
    for table in (bonds, sites, terminals):
        table.attrs.update(attrs)
    return {"bonds": bonds, "sites": sites, "terminals": terminals}


def _hall_draw(data: Mapping[str, pd.DataFrame]):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(11, 4))
    positions, hoppings, current = _bonds_for_plot(data["bonds"])
    plots.plot_current_map(positions, hoppings, current, ax=left, label=r"$|j|$ ($e^2/h\cdot V$)")
    terminals = data["terminals"]
    labels = {f"{row.lead}: {row.V:.2f}": [[row.x, row.y]] for row in terminals.itertuples()}
    plots.plot_outline(positions, labels, ax=left, show_sites=False)
    left.set_title(r"Hall bar, $\nu = 1$: current (lead: potential)")
    sites = data["sites"]
    plots.plot_site_map(
        sites[["x", "y"]].to_numpy(),
        sites["mu"],
        ax=right,
        cmap="coolwarm",
        vmin=0,
        vmax=1,
        label=r"$\mu$ (units of $V$)",
    )
    right.set_title("Local potential: each edge at its source's")
    return figure


# --- Current in an Aharonov–Bohm ring at a transmission maximum and minimum ---------------

_RING = dict(r_in=8, r_out=14, lead_width=6)
_RING_ENERGY = 1.0


def _arm_currents(fsyst, current) -> tuple[float, float]:
    """Current from left to right through the upper (y > 0) and lower (y < 0) arm at x = 0.5."""
    hoppings = hopping_array(fsyst)
    positions = site_positions(fsyst)
    to, source = positions[hoppings[:, 0]], positions[hoppings[:, 1]]
    crossing = (to[:, 0] > 0.5) & (source[:, 0] <= 0.5)
    current = np.asarray(current, dtype=float)
    upper = float(current[crossing & (to[:, 1] > 0)].sum())
    lower = float(current[crossing & (to[:, 1] < 0)].sum())
    return upper, lower


def _ab_compute(quick: bool) -> dict[str, pd.DataFrame]:
    fsyst = systems.ab_ring(**_RING).finalized()
    flux = np.linspace(0.0, 1.0, 21 if quick else 101)[:-1]
    trace = ab_oscillations(fsyst, _RING_ENERGY, flux)
    chosen = {"maximum": trace["G"].idxmax(), "minimum": trace["G"].idxmin()}  # row labels
    tables, arms = [], []
    for where, row in chosen.items():
        phi, G = float(trace["phi"][row]), float(trace["G"][row])
        current = current_density(fsyst, _RING_ENERGY, params=dict(phi=phi), lead=0)
        bonds = bond_table(fsyst, current)
        bonds.insert(0, "phi", phi)
        bonds.insert(0, "transmission", where)
        tables.append(bonds)
        upper, lower = _arm_currents(fsyst, current)
        arms.append(dict(transmission=where, phi=phi, G=G, I_upper=upper, I_lower=lower))
    bonds = pd.concat(tables, ignore_index=True)
    arms = pd.DataFrame(arms)
    trace = trace[["phi", "G"]].copy()
    for table in (trace, bonds, arms):
        table.attrs.update(ring=_RING, energy=_RING_ENERGY, lead=0)
    return {"trace": trace, "bonds": bonds, "arms": arms}


def _ab_draw(data: Mapping[str, pd.DataFrame]):
    figure, axes = plots.new_figure(
        1, 3, figsize=(12, 3.8), gridspec_kw=dict(width_ratios=[1, 1.2, 1.2])
    )
    plots.plot_flux_trace(data["trace"], ax=axes[0])
    arms = data["arms"]
    axes[0].plot(arms["phi"], arms["G"], "o", color="tab:red", ms=7, mfc="none")
    axes[0].set_title("AB ring: the two fluxes shown")
    groups = data["bonds"].groupby("transmission", sort=False)
    for ax, (where, bonds) in zip(axes[1:], groups, strict=True):
        positions, hoppings, current = _bonds_for_plot(bonds)
        plots.plot_current_map(
            positions, hoppings, current, ax=ax, label=r"$|j|$ ($e/h$ per energy)"
        )
        row = arms[arms["transmission"] == where].iloc[0]
        ax.set_title(
            f"{where}: $\\phi$ = {row['phi']:.2f}, upper {row['I_upper']:.2f}, "
            f"lower {row['I_lower']:.2f}"
        )
    return figure


# --- Potential drop along a dephased wire with a barrier -----------------------------------

_WIRE_ENERGY = 1.0
_WIRE_ETA = 0.1


def _wire_geometry(quick: bool) -> dict:
    return dict(length=24, width=6) if quick else dict(length=60, width=14)


def _barrier(length: int):
    centre = length // 2

    def potential(x, y):
        return 0.6 if abs(x - centre) < 1 else 0.0

    return potential


def _dephased_compute(quick: bool) -> dict[str, pd.DataFrame]:
    geometry = _wire_geometry(quick)
    builder = systems.wire(**geometry)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=_WIRE_ETA, V=_barrier(geometry["length"]))
    bias = {0: 1.0, 1: 0.0}
    solved = biased_current_density(fsyst, _WIRE_ENERGY, params=params, voltages=bias)
    potential = local_potential(fsyst, _WIRE_ENERGY, params=params, voltages=bias)
    positions = site_positions(fsyst)
    sites = pd.DataFrame({"x": positions[:, 0], "y": positions[:, 1], "mu": potential.potential})
    probes = dephasing_probe_leads(fsyst)
    sites["mu_probe"] = np.nan
    probe_sites = [fsyst.lead_interfaces[p][0] for p in probes]
    sites.loc[probe_sites, "mu_probe"] = solved.bias.voltages[probes]
    bonds = bond_table(fsyst, solved.current)
    attrs = dict(
        geometry=geometry,
        energy=_WIRE_ENERGY,
        eta=_WIRE_ETA,
        barrier="0.6 t on the middle column",
        voltages=bias,
        G=float(solved.bias.currents[0]),
    )
    for table in (sites, bonds):
        table.attrs.update(attrs)
    return {"sites": sites, "bonds": bonds}


def _dephased_draw(data: Mapping[str, pd.DataFrame]):
    figure, (top, bottom) = plots.new_figure(2, 1, figsize=(8, 5.5))
    sites = data["sites"]
    plots.plot_site_map(
        sites[["x", "y"]].to_numpy(),
        sites["mu"],
        ax=top,
        cmap="coolwarm",
        vmin=0,
        vmax=1,
        label=r"$\mu$ (units of $V$)",
    )
    top.set_title(r"Dephased wire ($\eta = 0.1\,t$) with a barrier: local potential")
    positions, hoppings, current = _bonds_for_plot(data["bonds"])
    plots.plot_current_map(
        positions, hoppings, current, ax=bottom, style="arrows", label=r"$|j|$ ($e^2/h\cdot V$)"
    )
    bottom.set_title("Current, every probe at its solved potential")
    return figure


#: (name, description, compute, draw) of the map figures, for :data:`workflows.app.figures.FIGURES`.
MAP_FIGURE_RECIPES = (
    (
        "hall_edge_current",
        "Hall bar on the nu = 1 plateau: edge current map and local potential, probes floating",
        _hall_compute,
        _hall_draw,
    ),
    (
        "ab_ring_currents",
        "AB ring: current injected from the left at a transmission maximum and minimum",
        _ab_compute,
        _ab_draw,
    ),
    (
        "dephased_potential_map",
        "Wire with a barrier and dephasing probes: local potential and current maps",
        _dephased_compute,
        _dephased_draw,
    ),
)
