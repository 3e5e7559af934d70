"""The map figures of the gallery in quick mode: the physics their data must show.

Drawing and file output are exercised for every recipe by tests/workflows/test_figures.py;
here the compute functions are called directly and their tables checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from workflows.app.figures import FIGURES
from workflows.app.map_figures import MAP_FIGURE_RECIPES


def _compute(name):
    return FIGURES[name].compute(True)


def _through_cut(bonds, cut):
    """Current from left to right through the line x = cut, per crossing bond."""
    forward = (bonds["x_from"] <= cut) & (bonds["x_to"] > cut)
    backward = (bonds["x_to"] <= cut) & (bonds["x_from"] > cut)
    crossing = bonds[forward | backward]
    return crossing, np.where(forward[forward | backward], 1.0, -1.0) * crossing["current"]


def test_map_recipes_are_registered_in_the_gallery():
    assert [name for name, *_ in MAP_FIGURE_RECIPES] == [
        "hall_edge_current",
        "ab_ring_currents",
        "dephased_potential_map",
    ]
    assert all(name in FIGURES for name, *_ in MAP_FIGURE_RECIPES)


@pytest.fixture(scope="module")
def hall_data():
    return _compute("hall_edge_current")


def test_hall_bar_on_the_first_plateau_carries_its_current_along_one_edge(hall_data):
    data = hall_data
    terminals = data["terminals"]
    # ν = 1 with unit bias: I = (e²/h)·1 and R_xx = 0 (Büttiker 1988); the quick bar is short,
    # so the plateau is exact only to ~1e-7 (tunnelling across 10 sites at l_B ≈ 1.6 a).
    assert terminals["I"].iloc[0] == pytest.approx(1.0, abs=1e-5)
    sites = data["sites"]
    middle = sites[sites["x"] == 14]
    width = int(middle["y"].max()) + 1
    # Each edge sits at the potential of the terminal it comes from: bottom at the
    # source's 1, top at the drain's 0 (chirality of the Peierls sign convention).
    assert middle.loc[middle["y"] == 0, "mu"].iloc[0] == pytest.approx(1.0, abs=1e-3)
    assert middle.loc[middle["y"] == width - 1, "mu"].iloc[0] == pytest.approx(0.0, abs=1e-3)
    crossing, through = _through_cut(data["bonds"], 13.5)
    assert through.sum() == pytest.approx(terminals["I"].iloc[0], abs=1e-9)
    lower = through[crossing["y_to"] < width / 2].sum()
    assert lower > 0.98 * through.sum()  # measured 0.993: the edge state, l_B ≈ 1.6 a


def test_ab_ring_arm_currents_add_up_to_the_transmission():
    data = _compute("ab_ring_currents")
    arms = data["arms"].set_index("transmission")
    assert arms.loc["maximum", "G"] == pytest.approx(data["trace"]["G"].max())
    assert arms.loc["minimum", "G"] == pytest.approx(data["trace"]["G"].min())
    # The map of the left lead's states carries T = G through any cut across both arms.
    assert np.allclose(arms["I_upper"] + arms["I_lower"], arms["G"], atol=1e-9)
    for where, bonds in data["bonds"].groupby("transmission"):
        _, through = _through_cut(bonds, -0.5)
        assert through.sum() == pytest.approx(arms.loc[where, "G"], abs=1e-9)


def test_dephased_wire_potential_drops_along_the_wire_and_most_at_the_barrier():
    data = _compute("dephased_potential_map")
    sites, bonds = data["sites"], data["bonds"]
    probes = sites.dropna(subset=["mu_probe"])
    # At a probe site Büttiker's local potential is that probe's potential (exact identity).
    assert np.abs(probes["mu"] - probes["mu_probe"]).max() < 1e-9
    # Cross-section averages: not monotonic (coherent oscillations over the dephasing
    # length), but falling overall, and falling most across the barrier column.
    column = sites.groupby("x")["mu"].mean().to_numpy()
    quarter = column.size // 4
    assert column[:quarter].mean() - column[-quarter:].mean() > 0.3
    middle = column.size // 2
    drops = -np.diff(column)
    assert set(np.argsort(drops)[-2:]) == {middle - 1, middle}
    G = sites.attrs["G"]
    for cut in (2.5, 11.5, 20.5):
        assert _through_cut(bonds, cut)[1].sum() == pytest.approx(G, abs=1e-9)


def test_hall_edge_figure_draws_the_computed_current(hall_data):
    """The drawn map: colour from 0 to the largest site current of the bond table, and
    streamlines that run along the lower edge from the source (+x), as the data says."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, QuadMesh

    bonds = hall_data["bonds"]
    # Site current vectors summed by hand: each bond adds J/2 along its direction to
    # both of its sites.
    start = bonds[["x_from", "y_from"]].to_numpy()
    end = bonds[["x_to", "y_to"]].to_numpy()
    half = 0.5 * bonds["current"].to_numpy()[:, None] * (end - start)
    half /= np.linalg.norm(end - start, axis=1)[:, None]
    sites = {}
    for a, b, h in zip(map(tuple, start), map(tuple, end), half, strict=True):
        sites[a] = sites.get(a, 0) + h
        sites[b] = sites.get(b, 0) + h
    largest = max(np.linalg.norm(v) for v in sites.values())
    figure = FIGURES["hall_edge_current"].draw(hall_data)
    left = figure.axes[0]
    meshes = [c for c in left.collections if isinstance(c, QuadMesh)]
    assert meshes[0].get_clim() == pytest.approx((0.0, largest), rel=1e-12)
    segments = [
        segment
        for c in left.collections
        if isinstance(c, LineCollection)
        for segment in c.get_segments()
    ]
    points = np.concatenate([segment[:-1] for segment in segments])
    steps = np.concatenate([np.diff(segment, axis=0) for segment in segments])
    width = bonds["y_to"].max() + 1
    lower = points[:, 1] < width / 3
    assert lower.any() and steps[lower, 0].sum() > 0.9 * np.abs(steps[lower, 0]).sum()
    plt.close(figure)
