"""Names that moved out of :mod:`analysis` (they solve), and the error that says where to."""

from __future__ import annotations

#: Old ``analysis`` name -> its new home (a name of :mod:`workflows`).
MOVED = {
    "open_modes": "workflows.open_modes",
    "lead_velocities": "workflows.lead_velocities",
    "propagating_modes": "workflows.open_modes",
    "lead_system": "workflows.open_modes",
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
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
