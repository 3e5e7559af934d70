"""A rectilinear (tensor-product) grid for the Poisson problem: uniform near the device, graded far.

Every axis is a sorted array of node coordinates in nm; the last axis is the height z.
:func:`graded_axis` makes one axis: uniform spacing over the region of interest, then
spacings growing geometrically out to the box edge (the far field needs few nodes), with
every plane that must be a node (gates, layer interfaces, the electron gas) on the grid.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..validation import real, shown
from .layout import Layout

__all__ = ["Grid", "graded_axis", "layout_grid"]


def graded_axis(
    low: float,
    high: float,
    spacing: float,
    *,
    box: tuple[float, float] | None = None,
    growth: float = 1.3,
    nodes: Sequence[float] = (),
) -> np.ndarray:
    """Node coordinates: spacing ≤ ``spacing`` on [low, high], growing by ``growth`` out to ``box``.

    ``nodes`` are coordinates that must be nodes (inside [low, high]); between two
    consecutive required nodes the spacing is uniform and at most ``spacing``.
    """
    spacing = real("spacing", spacing, minimum=0, strict=True, hint="nm")
    growth = real("growth", growth, minimum=1, hint=">= 1")
    fixed = sorted({float(low), float(high), *(float(x) for x in nodes if low <= x <= high)})
    axis = [fixed[0]]
    for left, right in itertools.pairwise(fixed):
        count = max(1, int(np.ceil((right - left) / spacing - 1e-9)))
        axis.extend(np.linspace(left, right, count + 1)[1:])
    axis = np.array(axis)
    if box is None:
        return axis
    box_low, box_high = box
    if box_low > low or box_high < high:
        raise ValueError(f"box={shown(box)} must contain the region [{low}, {high}] (nm)")

    def outward(start: float, end: float) -> list[float]:
        points, step, x = [], spacing, start
        sign = np.sign(end - start)
        while sign * (end - x) > 0:
            step *= growth
            x = x + sign * step
            if sign * (end - x) < step * 0.5:  # the last step lands on the box edge
                x = end
            points.append(x)
        return points

    below = outward(low, box_low)[::-1]
    above = outward(high, box_high)
    return np.concatenate([below, axis, above])


@dataclass(frozen=True)
class Grid:
    """The node coordinates of each axis (nm); the last axis is the height z."""

    axes: tuple[np.ndarray, ...]

    def __post_init__(self):
        axes = tuple(np.asarray(axis, dtype=float) for axis in self.axes)
        if len(axes) not in (2, 3):
            raise ValueError(f"a grid has 2 (x, z) or 3 (x, y, z) axes, got {len(axes)}")
        for k, axis in enumerate(axes):
            if axis.ndim != 1 or len(axis) < 3 or np.any(np.diff(axis) <= 0):
                raise ValueError(f"grid axis {k} must be >= 3 increasing coordinates (nm)")
        object.__setattr__(self, "axes", axes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Nodes along each axis."""
        return tuple(len(axis) for axis in self.axes)

    @property
    def size(self) -> int:
        """Number of nodes."""
        return int(np.prod(self.shape))

    def refined(self) -> Grid:
        """Every interval bisected: the spacing halves everywhere (a convergence study)."""
        axes = []
        for axis in self.axes:
            middle = (axis[:-1] + axis[1:]) / 2
            axes.append(np.sort(np.concatenate([axis, middle])))
        return Grid(tuple(axes))


def layout_grid(
    layout: Layout,
    region: Sequence[tuple[float, float]],
    spacing: float,
    *,
    box: Sequence[tuple[float, float]] | None = None,
    bottom: float | None = None,
    growth: float = 1.3,
) -> Grid:
    """A grid for ``layout``: uniform ``spacing`` (nm) over ``region``, graded out to ``box``.

    Parameters
    ----------
    layout
        The device.
    region
        In-plane extent ``[(x_min, x_max), (y_min, y_max)]`` (2D layout: ``[(x_min, x_max)]``)
        in nm of uniform spacing: the tight-binding sites and the gates' edges.
    spacing
        Node spacing in the region, nm; in z it applies from the top down to the gas.
    box
        In-plane extent of the whole box (nm), by default 10 × the largest of the
        region's extent and the depth of the gas on each side.
    bottom
        z of the bottom of the box (nm): the back gate if the layout has one,
        otherwise by default −10 × max(depth, region extent).
    growth
        Ratio of consecutive spacings outside the region.
    """
    if len(region) != layout.dimension - 1:
        raise ValueError(
            f"region={shown(region)} needs {layout.dimension - 1} (min, max) pairs for a "
            f"{layout.dimension}D layout"
        )
    extent = max([layout.depth, *(high - low for low, high in region)])
    if box is None:
        box = [(low - 10 * extent, high + 10 * extent) for low, high in region]
    gas = layout.gas_height
    if layout.back_gate is not None:
        bottom = gas - layout.back_gate
    elif bottom is None:
        bottom = gas - 10 * extent
    planes = [z for z in layout.planes() if z >= bottom]
    fine_bottom = max(bottom, gas - 2 * spacing)
    z = graded_axis(
        fine_bottom,
        layout.top,
        spacing,
        box=(bottom, layout.top),
        growth=growth,
        nodes=planes,
    )
    z = np.unique(np.concatenate([z, [p for p in planes if p < fine_bottom]]))
    edges = [[], []]
    for gate in layout.gates:
        if gate.dimension == 2:
            edges[0].extend(gate.shape)
    inplane = [
        graded_axis(low, high, spacing, box=tuple(limits), growth=growth, nodes=edges[k])
        for k, ((low, high), limits) in enumerate(zip(region, box, strict=True))
    ]
    return Grid((*inplane, z))
