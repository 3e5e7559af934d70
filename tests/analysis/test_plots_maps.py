"""Map plots: the per-site current vectors (maths) and that each map plot draws."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from analysis import plots


def _square_patch(nx=4, ny=3):
    positions = np.array([(x, y) for x in range(nx) for y in range(ny)], dtype=float)
    index = {tuple(p): k for k, p in enumerate(positions)}
    hoppings = []
    for (x, y), k in index.items():
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if (x + dx, y + dy) in index:
                hoppings.append((k, index[(x + dx, y + dy)]))  # (to, from)
    return positions, np.array(hoppings)


def test_uniform_flow_gives_the_bond_current_on_every_interior_site():
    positions, hoppings = _square_patch()
    delta = positions[hoppings[:, 0]] - positions[hoppings[:, 1]]
    current = 0.7 * delta[:, 0]  # 0.7 on every bond along +x, nothing along y
    vectors = plots.site_current_vectors(positions, hoppings, current)
    interior = (positions[:, 0] > 0) & (positions[:, 0] < 3)
    assert np.allclose(vectors[interior], [0.7, 0.0])
    assert np.allclose(vectors[~interior], [0.35, 0.0])  # one bond only at the ends


def test_map_plots_draw_on_given_axes():
    positions, hoppings = _square_patch()
    delta = positions[hoppings[:, 0]] - positions[hoppings[:, 1]]
    current = delta[:, 0] * (1 + positions[hoppings[:, 0], 1])
    figure, axes = plt.subplots(1, 4)
    assert plots.plot_current_map(positions, hoppings, current, ax=axes[0]) is axes[0]
    plots.plot_current_map(positions, hoppings, current, ax=axes[1], style="arrows")
    plots.plot_site_map(positions, positions[:, 0], ax=axes[2], label="x")
    plots.plot_outline(positions, {"left": positions[:3]}, probe_sites=positions[3:5], ax=axes[3])
    assert len(axes[1].collections) >= 2  # the colour map and the arrows
    with pytest.raises(ValueError, match="style must be 'streamlines' or 'arrows'"):
        plots.plot_current_map(positions, hoppings, current, ax=axes[0], style="vectors")
    plt.close(figure)


def test_current_map_draws_the_current_it_is_given():
    """What is drawn: |j| as colour from 0 to max |j|, one arrow per carrying site with the
    site's current vector, and streamlines along the flow (uniform flow 0.7 along +x)."""
    from matplotlib.collections import LineCollection, QuadMesh
    from matplotlib.quiver import Quiver

    positions, hoppings = _square_patch()
    delta = positions[hoppings[:, 0]] - positions[hoppings[:, 1]]
    current = 0.7 * delta[:, 0]
    # Hand-summed site vectors: 0.7 along x inside, 0.35 at the two end columns (one bond).
    interior = (positions[:, 0] > 0) & (positions[:, 0] < 3)
    expected = np.where(interior, 0.7, 0.35)
    figure, (lines, arrows) = plt.subplots(1, 2)
    plots.plot_current_map(positions, hoppings, current, ax=lines)
    plots.plot_current_map(positions, hoppings, current, ax=arrows, style="arrows")
    for ax in (lines, arrows):
        (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
        assert mesh.get_clim() == pytest.approx((0.0, 0.7))
        painted = np.ma.compressed(mesh.get_array())
        assert set(np.round(painted, 12)) == {0.35, 0.7}  # every site painted with its |j|
    (quiver,) = [c for c in arrows.collections if isinstance(c, Quiver)]
    assert quiver.N == len(positions)  # every site carries current
    order = np.lexsort((quiver.Y, quiver.X))
    reference = np.lexsort((positions[:, 1], positions[:, 0]))
    assert np.allclose(quiver.U[order], expected[reference])
    assert np.allclose(quiver.V, 0.0)
    segments = [
        segment
        for c in lines.collections
        if isinstance(c, LineCollection)
        for segment in c.get_segments()
    ]
    assert segments
    steps = np.concatenate([np.diff(segment, axis=0) for segment in segments])
    # along +x only (streamplot repeats a point where two pieces of a line join: step 0)
    assert (steps[:, 0] >= 0).all() and steps[:, 0].sum() > 0
    assert np.abs(steps[:, 1]).max() < 1e-9
    plt.close(figure)
