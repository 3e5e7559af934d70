"""Gallery figures of non-equilibrium Green's functions at finite bias.

Two recipes, registered in :data:`workflows.app.figures.FIGURES`:

* ``hot_electron_distribution`` — f(x, E) along a chain with voltage–temperature
  probes on every site at finite bias (the probes at their solved (μ_p, T_p)),
  and the probe temperatures against the Wiedemann–Franz profile
  T_p² = T_0² + (3/π²)(eV)² h_p(1 − h_p) (Nagaev 1995; Kozub and Rudin 1995);
* ``biased_barrier_density`` — the electron density along a chain with a
  barrier at finite bias: the bias-window part shows the charge piled up in
  front of the barrier and depleted behind it (Landauer's residual-resistivity
  dipole), from :func:`workflows.electron_density`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

import systems
from analysis import plots
from workflows.scattering.dephasing import dephased_transport
from workflows.scattering.finite_bias_probes import finite_bias_probes
from workflows.scattering.nonequilibrium import electron_density, nonequilibrium_distribution

__all__ = ["NONEQUILIBRIUM_RECIPES"]

#: Band centre of systems.chain (on-site 2t): the transmission is nearly flat there.
_CENTRE = 2.0


def _hot_compute(quick: bool) -> dict[str, pd.DataFrame]:
    length = 8 if quick else 30
    builder = systems.chain(length)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    params = {"eta": 0.3}
    bias, t0 = 0.02, 0.002
    mus = [_CENTRE + bias / 2, _CENTRE - bias / 2]
    hot = finite_bias_probes(fsyst, mu=mus, temperature=t0, params=params, model="hot")
    fractions = dephased_transport(fsyst, _CENTRE, params=params).potentials[:, 0]
    energies = np.linspace(_CENTRE - 0.04, _CENTRE + 0.04, 17 if quick else 81)
    distribution = nonequilibrium_distribution(
        fsyst, energies, mu=hot.mu, temperature=hot.temperature, params=params
    )
    positions = np.array([site.pos[0] for site in fsyst.sites])
    grid = pd.DataFrame(
        {
            "x": np.tile(positions, energies.size),
            "E": np.repeat(energies, positions.size),
            "f": distribution.distribution.ravel(),
        }
    )
    probes = pd.DataFrame(
        {
            "x": positions,
            "T_p": hot.temperature[hot.probes],
            "T_wiedemann_franz": np.sqrt(
                t0**2 + 3 / np.pi**2 * bias**2 * fractions * (1 - fractions)
            ),
            "mu_p": hot.mu[hot.probes],
        }
    )
    attrs = {"length": length, "eta": 0.3, "bias": bias, "temperature": t0, "mu": mus}
    grid.attrs = dict(attrs)
    probes.attrs = dict(attrs)
    return {"distribution": grid, "probes": probes}


def _hot_draw(data: Mapping[str, pd.DataFrame]):
    grid, probes = data["distribution"], data["probes"]
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9.5, 3.4))
    energies = np.unique(grid["E"])
    positions = grid["x"].to_numpy()[: grid.shape[0] // energies.size]
    values = grid["f"].to_numpy().reshape(energies.size, positions.size)
    plots.plot_distribution_map(positions, energies, values, mu=grid.attrs.get("mu"), ax=left)
    left.set_title("hot electrons: f(x, E)")
    right.plot(probes["x"], probes["T_p"], "o", label="voltage–temperature probes")
    right.plot(probes["x"], probes["T_wiedemann_franz"], "k--", label="Wiedemann–Franz")
    right.set_xlabel(r"$x$ ($a$)")
    right.set_ylabel(r"$k_B T_p$ ($t$)")
    right.legend(frameon=False, fontsize="small")
    return figure


def _barrier_compute(quick: bool) -> pd.DataFrame:
    length = 20 if quick else 60
    middle = length // 2
    fsyst = systems.chain(length).finalized()

    def barrier(x):
        return 1.0 if abs(x - middle) < 1 else 0.0

    params = {"V": barrier}
    energy, bias, temperature = 1.0, 0.1, 0.01
    mus = [energy + bias / 2, energy - bias / 2]
    result = electron_density(fsyst, mu=mus, temperature=temperature, params=params, tol=1e-7)
    positions = np.array([site.pos[0] for site in fsyst.sites])
    table = pd.DataFrame(
        {
            "x": positions,
            "density": result.density,
            "window": result.window,
            "equilibrium": result.equilibrium,
        }
    )
    table.attrs = {
        "length": length,
        "barrier": "V = 1 t on the middle site",
        "mu": mus,
        "temperature": temperature,
        "method": result.method,
        "n_poles": result.n_poles,
    }
    return table


def _barrier_draw(data: pd.DataFrame):
    figure, (top, bottom) = plots.new_figure(2, 1, figsize=(5.5, 5.0), sharex=True)
    top.plot(data["x"], data["density"], "o-", ms=3)
    top.set_ylabel("electrons per site")
    top.set_title("density along a biased chain with a barrier")
    bottom.plot(data["x"], data["window"], "o-", ms=3, color="C1")
    bottom.axhline(0, color="0.8", lw=0.8)
    bottom.set_xlabel(r"$x$ ($a$)")
    bottom.set_ylabel("bias-window part")
    return figure


NONEQUILIBRIUM_RECIPES = (
    (
        "hot_electron_distribution",
        "f(x, E) along a chain with voltage-temperature probes at finite bias; Wiedemann-Franz T_p",
        _hot_compute,
        _hot_draw,
    ),
    (
        "biased_barrier_density",
        "Electron density along a biased chain with a barrier: the residual-resistivity dipole",
        _barrier_compute,
        _barrier_draw,
    ),
)
