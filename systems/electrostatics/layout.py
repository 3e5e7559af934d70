"""A device layout for electrostatics: gates, dielectric layers, fixed charges, boundaries.

Coordinates are in nm.  The last coordinate ``z`` is the height: the semiconductor
surface is the plane ``z = 0`` and the electron gas lies at ``z = −depth``.  A 3D
layout has coordinates (x, y, z) and gates are polygons in a plane of constant z; a 2D
layout is a cross-section (x, z) of a device that is uniform along y, and a gate is an
interval ``(x_min, x_max)`` (a strip gate).

Boundaries of the box (see :class:`Layout`): the top is the pinned surface (Dirichlet:
gates at their voltages, the bare surface at ``surface_potential``) or a free surface
(Neumann, zero normal field); the bottom is a grounded back gate (Dirichlet at
``back_gate_potential``) or free; the sides are grounded (Dirichlet at 0 V) or free,
``far_field``.  Voltages are in V, measured from the Fermi level of the electron gas
(the reference of every potential of :mod:`systems.electrostatics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..validation import choice, iterable, real, shown

__all__ = ["Dielectric", "Gate", "Layout", "SheetCharge"]


@dataclass(frozen=True)
class Gate:
    """A metallic gate: an equipotential sheet held at a voltage.

    Parameters
    ----------
    name
        The name of its voltage (a key of the ``voltages`` mapping).
    shape
        3D layouts: the polygon's vertices ``[(x, y), ...]`` in nm (at least three);
        2D layouts: the interval ``(x_min, x_max)`` in nm.
    height
        The plane of the gate, z in nm (0: on the surface).
    """

    name: str
    shape: Sequence
    height: float = 0.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Gate name must be a non-empty string, got {shown(self.name)}")
        shape = np.asarray(self.shape, dtype=float)
        if not (
            shape.shape == (2,) or (shape.ndim == 2 and shape.shape[1] == 2 and len(shape) >= 3)
        ):
            raise ValueError(
                f"Gate {self.name!r} shape={shown(self.shape)} is neither an interval "
                "(x_min, x_max) nor a polygon [(x, y), ...] of at least 3 vertices (nm)"
            )
        if not np.all(np.isfinite(shape)) or (shape.shape == (2,) and shape[0] >= shape[1]):
            raise ValueError(
                f"Gate {self.name!r} shape={shown(self.shape)} must be finite, an interval "
                "with x_min < x_max"
            )
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "height", real("height", self.height, hint="nm"))

    @property
    def dimension(self) -> int:
        """2 for an interval (a 2D layout), 3 for a polygon."""
        return 2 if self.shape.shape == (2,) else 3


@dataclass(frozen=True)
class Dielectric:
    """A dielectric layer ``bottom < z < top`` (nm) of relative permittivity ``eps_r``."""

    bottom: float
    top: float
    eps_r: float

    def __post_init__(self):
        bottom = real("bottom", self.bottom, hint="nm")
        top = real("top", self.top, minimum=bottom, strict=True, hint="nm, above bottom")
        object.__setattr__(self, "bottom", bottom)
        object.__setattr__(self, "top", top)
        object.__setattr__(
            self, "eps_r", real("eps_r", self.eps_r, minimum=0, strict=True, hint="ε_r")
        )


@dataclass(frozen=True)
class SheetCharge:
    """A fixed sheet of charge at height ``height`` (nm): ionized donors, surface states.

    ``density`` is in cm⁻² of elementary charges, positive for ionized donors (+e each)
    and negative for electrons trapped in surface states.
    """

    height: float
    density: float

    def __post_init__(self):
        object.__setattr__(self, "height", real("height", self.height, hint="nm"))
        object.__setattr__(self, "density", real("density", self.density, hint="cm⁻²"))


@dataclass(frozen=True)
class Layout:
    """The electrostatic description of a gated heterostructure (lengths in nm, voltages in V).

    Parameters
    ----------
    gates
        The :class:`Gate` s; their names key the ``voltages`` of a solve.
    depth
        Depth of the electron gas below the surface, nm (> 0): the plane
        ``z = −depth`` where the tight-binding sites are.
    eps_r
        Relative permittivity wherever no :class:`Dielectric` layer says otherwise
        (12.9: GaAs).
    layers
        :class:`Dielectric` layers (later ones win where they overlap).
    charges
        Fixed :class:`SheetCharge` s (donor layers, surface charge).
    surface
        ``"pinned"``: the plane z = 0 is an equipotential at ``surface_potential``
        except under the gates on it (Fermi-level pinning by surface states; the
        boundary of Davies, Larkin & Sukhorukov); ``"free"``: the top of the box
        has zero normal field.
    surface_potential
        Potential of the pinned bare surface, V.
    back_gate
        Depth (nm, below the electron gas) of a grounded back gate at the bottom of
        the box, or None: the bottom has zero normal field.
    back_gate_potential
        Voltage of the back gate, V.
    far_field
        Sides of the box: ``"grounded"`` (0 V, the far field of an unbiased
        surface) or ``"free"`` (zero normal field: a device that repeats
        mirror-symmetrically, e.g. a uniform parallel-plate capacitor).
    """

    gates: Sequence[Gate] = ()
    depth: float = 50.0
    eps_r: float = 12.9
    layers: Sequence[Dielectric] = ()
    charges: Sequence[SheetCharge] = ()
    surface: str = "pinned"
    surface_potential: float = 0.0
    back_gate: float | None = None
    back_gate_potential: float = 0.0
    far_field: str = "grounded"
    dimension: int = field(init=False)

    def __post_init__(self):
        gates = tuple(iterable("gates", self.gates, what="Gate objects"))
        for gate in gates:
            if not isinstance(gate, Gate):
                raise TypeError(f"gates must hold Gate objects, got {shown(gate)}")
        names = [gate.name for gate in gates]
        if len(set(names)) != len(names):
            raise ValueError(f"gates have repeated names {names}; each voltage needs its own")
        dimensions = {gate.dimension for gate in gates}
        if len(dimensions) > 1:
            raise ValueError("gates mix intervals (2D layout) and polygons (3D layout); use one")
        layers = tuple(iterable("layers", self.layers, what="Dielectric objects"))
        charges = tuple(iterable("charges", self.charges, what="SheetCharge objects"))
        if not all(isinstance(layer, Dielectric) for layer in layers):
            raise TypeError(f"layers must hold Dielectric objects, got {shown(layers)}")
        if not all(isinstance(charge, SheetCharge) for charge in charges):
            raise TypeError(f"charges must hold SheetCharge objects, got {shown(charges)}")
        object.__setattr__(self, "gates", gates)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "charges", charges)
        object.__setattr__(self, "dimension", dimensions.pop() if dimensions else 3)
        depth = real("depth", self.depth, minimum=0, strict=True, hint="nm below the surface")
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "eps_r", real("eps_r", self.eps_r, minimum=0, strict=True))
        choice("surface", self.surface, ("pinned", "free"))
        choice("far_field", self.far_field, ("grounded", "free"))
        for name in ("surface_potential", "back_gate_potential"):
            object.__setattr__(self, name, real(name, getattr(self, name), hint="V"))
        if self.back_gate is not None:
            object.__setattr__(
                self,
                "back_gate",
                real("back_gate", self.back_gate, minimum=0, strict=True, hint="nm below the gas"),
            )
        if self.surface == "pinned":
            above = [gate.name for gate in gates if gate.height > 0]
            if above:
                raise ValueError(
                    f"gates {above} lie above a pinned surface (height > 0); put them at "
                    "height <= 0 or use surface='free'"
                )

    @property
    def gas_height(self) -> float:
        """z of the electron gas, nm (−depth)."""
        return -self.depth

    @property
    def top(self) -> float:
        """z of the top of the box: the surface, or the highest gate above a free surface."""
        return max([0.0, *(gate.height for gate in self.gates)])

    def eps_at(self, z) -> np.ndarray:
        """Relative permittivity at heights ``z`` (nm)."""
        z = np.asarray(z, dtype=float)
        eps = np.full(z.shape, self.eps_r)
        for layer in self.layers:
            eps[(z > layer.bottom) & (z < layer.top)] = layer.eps_r
        return eps

    def planes(self) -> list[float]:
        """Heights (nm) the grid must contain: surface, gates, interfaces, charges, gas."""
        heights = {0.0, self.gas_height, self.top}
        heights |= {gate.height for gate in self.gates}
        heights |= {charge.height for charge in self.charges}
        for layer in self.layers:
            heights |= {layer.bottom, layer.top}
        if self.back_gate is not None:
            heights.add(self.gas_height - self.back_gate)
        return sorted(heights)
