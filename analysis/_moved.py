"""Names that left :mod:`analysis` (they solve) or were renamed, and the error saying where to."""

from __future__ import annotations

#: Old ``analysis`` name -> its new home (a name of :mod:`workflows`).
MOVED = {
    "open_modes": "workflows.open_modes",
    "lead_velocities": "workflows.lead_velocities",
    "propagating_modes": "workflows.open_modes",
    "lead_system": "workflows.open_modes",
}


#: Old ``analysis`` name -> its new name: two different functions had one name,
#: one in ``analysis`` (on numbers) and one in ``workflows`` (solving a system).
RENAMED = {
    "noise_matrix": (
        "analysis.noise_from_scattering_matrix",
        "workflows.noise_matrix(fsyst, energy, ...) solves a system",
    ),
    "onsager_matrix": (
        "analysis.onsager_from_conductances",
        "workflows.onsager_matrix(fsyst, energy, temperature) solves a system",
    ),
}


def moved_attribute(module: str, name: str):
    """Raise the ``AttributeError`` of a module-level ``__getattr__`` for ``module.name``.

    A moved name gets a message naming its new home: ``analysis`` is Kwant-free
    mathematics on numbers it receives and never solves a lead's modes.
    """
    if name in MOVED:
        raise AttributeError(
            f"analysis.{name} moved to {MOVED[name]} (it solves the lead's modes); "
            f"use {MOVED[name]}(fsyst, energy, lead=..., params=...)"
        )
    if name in RENAMED:
        new, other = RENAMED[name]
        raise AttributeError(f"{module}.{name} was renamed {new} (from numbers); {other}")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
