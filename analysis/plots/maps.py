"""Maps: energy distributions and conductance matrices, and currents, densities and
potentials over a system's shape (plain arrays of positions and values, never a Kwant system)."""

from __future__ import annotations

import numpy as np

from analysis.plots.canvas import _axes, _pyplot_axes
from systems.validation import choice

__all__ = [
    "plot_conductance_matrix_map",
    "plot_current_map",
    "plot_distribution_map",
    "plot_outline",
    "plot_site_map",
    "site_current_vectors",
]


def plot_distribution_map(positions, energies, distribution, *, mu=None, ax=None):
    """The energy distribution f(x, E) along a device as a colour map (x horizontal, E vertical).

    Parameters
    ----------
    positions
        Position x of each site or cross-section (a), length n_x; sites with
        the same x are averaged.
    energies
        Energies (t), length n_E.
    distribution
        f_i(E), shape (n_E, n_x) (e.g. ``NonequilibriumDistribution.distribution``);
        NaN where no state lies (drawn blank).
    mu
        Reservoir chemical potentials (t), drawn as dashed lines.
    """
    ax = _axes(ax)
    positions = np.asarray(positions, dtype=float)
    values = np.asarray(distribution, dtype=float)
    xs, column = np.unique(positions, return_inverse=True)
    finite = np.isfinite(values)
    sums = np.zeros((values.shape[0], xs.size))
    counts = np.zeros_like(sums)
    for k in range(xs.size):  # mean over the sites at each x, ignoring NaN (no state)
        sums[:, k] = np.where(finite, values, 0.0)[:, column == k].sum(axis=1)
        counts[:, k] = finite[:, column == k].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = np.where(counts > 0, sums / counts, np.nan)
    mesh = ax.pcolormesh(
        xs,
        np.asarray(energies, dtype=float),
        columns,
        shading="nearest",
        vmin=0,
        vmax=1,
        cmap="viridis",
    )
    ax.figure.colorbar(mesh, ax=ax, label=r"$f(x, E)$")
    for level in np.atleast_1d(mu if mu is not None else []):
        ax.axhline(level, color="w", ls="--", lw=0.8)
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$E$ ($t$)")
    return ax


def plot_conductance_matrix_map(
    bias, field, conductance, *, labels=("L", "R"), field_label=r"$E_Z$ ($t$)", axes=None
):
    """The local and non-local conductances G_ij(V, B) of a multi-terminal device as a grid
    of colour maps (bias horizontal, field vertical), one panel per matrix element.

    Parameters
    ----------
    bias
        Voltages eV (t), length n_V.
    field
        Field values (units of ``field_label``), length n_B.
    conductance
        G_ij, shape (n_B, n_V, N, N), e²/h (``conductance[b, v, i, j] = dI_i/dV_j``).
    labels
        Names of the N terminals, for the panel titles G_ij.
    field_label
        Label of the field axis.
    axes
        An N × N array of axes; default a new pyplot figure.

    Returns
    -------
    numpy.ndarray
        The N × N axes.  Every panel uses a diverging colour scale centred on zero
        (non-local conductances change sign).
    """
    values = np.asarray(conductance, dtype=float)
    n = values.shape[-1]
    if values.ndim != 4 or values.shape[-2] != n or len(labels) != n:
        raise ValueError(
            f"conductance must have shape (n_B, n_V, N, N) with N = len(labels) = "
            f"{len(labels)}, got shape {values.shape}"
        )
    if axes is None:
        axes = _pyplot_axes(n, n, figsize=(4.2 * n, 3.2 * n))
    axes = np.asarray(axes).reshape(n, n)
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            panel = values[:, :, i, j]
            scale = max(float(np.nanmax(np.abs(panel))), 1e-12)
            mesh = ax.pcolormesh(
                np.asarray(bias, dtype=float),
                np.asarray(field, dtype=float),
                panel,
                shading="nearest",
                cmap="RdBu_r",
                vmin=-scale,
                vmax=scale,
            )
            ax.figure.colorbar(mesh, ax=ax, label=rf"$G_{{{labels[i]}{labels[j]}}}$ ($e^2/h$)")
            ax.set_xlabel(r"$eV$ ($t$)")
            ax.set_ylabel(field_label)
    return axes


#
# These take plain arrays (site positions, hopping index pairs, values), never a Kwant
# system: ``workflows`` turns a finalized system into those arrays.


def _map_grid(positions: np.ndarray, step: float | None):
    """A regular grid over the sites and, for each grid point, its nearest site and whether
    it lies outside the system.

    On a lattice whose sites all sit on a grid of the nearest-neighbour spacing (a square
    lattice) the grid is that one, so that each site is painted as exactly one cell;
    otherwise (e.g. a honeycomb lattice) a grid twice as fine is painted by nearest site.
    """
    from scipy.spatial import cKDTree

    positions = np.asarray(positions, dtype=float)[:, :2]
    tree = cKDTree(positions)
    if step is None:  # the nearest-neighbour distance (the lattice constant)
        distances, _ = tree.query(positions, k=2)
        step = float(np.median(distances[:, 1])) if len(positions) > 1 else 1.0
    lo, hi = positions.min(axis=0), positions.max(axis=0)
    offsets = (positions - lo) / step
    aligned = np.allclose(offsets, np.round(offsets), atol=1e-6)
    spacing = step if aligned else step / 2
    xs = np.arange(lo[0], hi[0] + spacing / 2, spacing)
    ys = np.arange(lo[1], hi[1] + spacing / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    distance, nearest = tree.query(np.column_stack([gx.ravel(), gy.ravel()]))
    outside = (distance > (0.25 if aligned else 0.75) * step).reshape(gx.shape)
    return xs, ys, nearest.reshape(gx.shape), outside


def site_current_vectors(positions, hoppings, current) -> np.ndarray:
    """The current vector at every site from a map per directed hopping.

    For hopping (i, j) carrying J_ij from site j to site i, the vector
    J_ij (r_i − r_j)/|r_i − r_j| / 2 is added to site i; with both directions of
    every bond listed (J_ji = −J_ij), a uniform flow J along a chain gives J on
    every site.  Returns an (n_sites, 2) array in the unit of ``current``.
    """
    positions = np.asarray(positions, dtype=float)[:, :2]
    hoppings = np.asarray(hoppings, dtype=int).reshape(-1, 2)
    current = np.asarray(current, dtype=float)
    delta = positions[hoppings[:, 0]] - positions[hoppings[:, 1]]
    length = np.linalg.norm(delta, axis=1)
    length[length == 0] = 1.0
    contribution = 0.5 * current[:, None] * delta / length[:, None]
    vectors = np.zeros_like(positions)
    np.add.at(vectors, hoppings[:, 0], contribution)
    return vectors


def plot_site_map(
    positions,
    values,
    *,
    ax=None,
    cmap: str = "viridis",
    label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    step: float | None = None,
):
    """A colour map of one value per site (density, potential) over the system's shape.

    Each site is painted as a square of the lattice spacing (nearest site on a
    fine grid; the outside of the system is left blank).  ``positions`` is
    (n_sites, 2) in lattice constants.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    xs, ys, nearest, outside = _map_grid(positions, step)
    image = np.ma.masked_array(values[nearest], mask=outside | np.isnan(values[nearest]))
    mesh = ax.pcolormesh(xs, ys, image, cmap=cmap, vmin=vmin, vmax=vmax, shading="nearest")
    colorbar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
    if label:
        colorbar.set_label(label)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$y$ ($a$)")
    return ax


def plot_current_map(
    positions,
    hoppings,
    current,
    *,
    ax=None,
    style: str = "streamlines",
    cmap: str = "inferno_r",
    label: str | None = r"$|j|$",
    step: float | None = None,
    density: float = 1.0,
):
    """Current over the system's shape: |j| as colour, direction as streamlines or arrows.

    Parameters
    ----------
    positions
        (n_sites, 2) site positions (lattice constants).
    hoppings
        (n, 2) site indices (i, j) of the directed hoppings of the map.
    current
        The current from j to i on each hopping (e.g. :func:`workflows.current_density`).
    style
        ``"streamlines"`` (line width ∝ |j|) or ``"arrows"`` (one arrow per site).
    """
    choice("style", style, ("streamlines", "arrows"))
    ax = _axes(ax)
    vectors = site_current_vectors(positions, hoppings, current)
    magnitude = np.linalg.norm(vectors, axis=1)
    plot_site_map(positions, magnitude, ax=ax, cmap=cmap, label=label, vmin=0, step=step)
    positions = np.asarray(positions, dtype=float)[:, :2]
    top = float(magnitude.max(initial=0.0))
    if top == 0:
        return ax
    if style == "arrows":
        shown = magnitude > 0.02 * top
        ax.quiver(
            *positions[shown].T, *vectors[shown].T, color="tab:blue", angles="xy", pivot="middle"
        )
        return ax
    xs, ys, nearest, outside = _map_grid(positions, step)
    speed = magnitude[nearest] / top
    hidden = outside | (speed < 0.02)  # no streamlines through (nearly) still regions
    u = np.ma.masked_array(vectors[nearest, 0], mask=hidden)
    v = np.ma.masked_array(vectors[nearest, 1], mask=hidden)
    ax.streamplot(
        xs,
        ys,
        u,
        v,
        color="tab:blue",
        linewidth=0.3 + 1.5 * speed,
        density=density,
        arrowsize=0.8,
    )
    return ax


def plot_outline(
    positions,
    terminals=None,
    *,
    probe_sites=None,
    ax=None,
    color: str = "0.8",
    show_sites: bool = True,
):
    """The system's sites with its leads and probes marked and labelled.

    Parameters
    ----------
    positions
        (n_sites, 2) site positions (lattice constants).
    terminals
        Mapping label -> (k, 2) positions of the sites a lead is attached to;
        each is marked and labelled outward from the system's centre.
    probe_sites
        (k, 2) positions of probe sites (e.g. dephasing probes), drawn as dots.
    show_sites
        Draw every site as a faint dot (False: only the labels, e.g. over a map).
    """
    ax = _axes(ax)
    positions = np.asarray(positions, dtype=float)[:, :2]
    if show_sites:
        ax.plot(*positions.T, ".", color=color, ms=2, zorder=1)
    centre = positions.mean(axis=0)
    label_points = []
    for number, (name, where) in enumerate((terminals or {}).items()):
        where = np.asarray(where, dtype=float).reshape(-1, 2)
        colour = f"C{number % 10}"
        ax.plot(*where.T, "s", color=colour, ms=3, zorder=3)
        middle = where.mean(axis=0)
        outward = middle - centre
        norm = np.linalg.norm(outward)
        offset = 2.5 * outward / norm if norm > 0 else np.zeros(2)
        label_points.append(middle + 1.6 * offset)
        ax.annotate(
            str(name),
            middle + offset,
            ha="center",
            va="center",
            color=colour,
            fontsize="small",
            weight="bold",
            annotation_clip=False,
        )
    if label_points:  # keep the labels inside the axes
        ax.update_datalim(np.asarray(label_points))
        ax.autoscale_view()
    if probe_sites is not None and len(probe_sites):
        probe_sites = np.asarray(probe_sites, dtype=float).reshape(-1, 2)
        ax.plot(*probe_sites.T, "o", mfc="none", color="tab:purple", ms=3, label="probes", zorder=2)
        ax.legend(frameon=False, fontsize="small", loc="upper right")
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$y$ ($a$)")
    return ax
