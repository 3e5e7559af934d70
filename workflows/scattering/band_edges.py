"""Energies exactly at a band edge of a lead: a clear error instead of a singular solve.

At an energy where a lead's mode opens or closes (a band edge: the mode's
group velocity vanishes), the number of open channels N(E) jumps and the
scattering problem is singular.  Kwant then either fails deep inside SciPy
or NumPy (``ValueError: Expected square matrix``, ``LinAlgError: singular
matrix``) or returns a result decided by rounding (the mode counted or not).
A failure is reported as a band edge when the lead's modes fail at the energy
but not 1e-7 beside it.  mesoflow's convention: an energy within
rounding of a band edge is refused with :class:`BandEdgeError`, naming the
lead and the edge; evaluate just above or below it.  :func:`analysis.mode_count`
follows the same convention for the analytic strip subbands.

"Within rounding" is judged from the group velocities Kwant reports: a
propagating mode slower than :data:`EDGE_VELOCITY` times the largest
inter-cell hopping of its lead (Kwant's units: energy × lattice constant).
Near a band bottom of a square-lattice subband, v = 2√(t δ) with δ = E − E_n,
so this refuses energies within δ ≈ 1e-12 t of an edge — the same window as
:data:`analysis.modes.EDGE_TOLERANCE`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "EDGE_VELOCITY",
    "BandEdgeError",
    "band_edges_reported",
    "check_lead_velocities",
    "lead_modes",
]

#: Modes slower than this (relative to the lead's largest inter-cell hopping) sit at a band edge.
EDGE_VELOCITY = 2e-6


class BandEdgeError(ValueError):
    """The energy is exactly at a band edge of a lead (a mode with zero velocity)."""


def _message(energy: float, lead: int | None) -> str:
    where = f"lead {lead}" if lead is not None else "one of the leads"
    return (
        f"energy={energy!r} is exactly at a band edge of {where}: a mode opens or closes "
        f"there (zero group velocity), N(E) jumps and the scattering problem is singular; "
        f"evaluate just above or below the edge, e.g. energy={energy!r} ± 1e-9"
    )


def _fails(lead: Any, energy: float, params: Mapping[str, Any]) -> bool:
    try:
        lead.modes(energy, params=params)
    except ValueError:  # numpy.linalg.LinAlgError included
        return True
    return False


def _edge_lead(fsyst: Any, energy: float, params: Mapping[str, Any]) -> int | None:
    """The first lead whose modes fail at ``energy`` but not just beside it, if any."""
    step = 1e-7 * max(1.0, abs(energy))
    for index, lead in enumerate(fsyst.leads):
        if not hasattr(lead, "modes") or not _fails(lead, energy, params):
            continue
        if not _fails(lead, energy - step, params) and not _fails(lead, energy + step, params):
            return index
    return None


@contextlib.contextmanager
def band_edges_reported(fsyst: Any, energy: float, params: Mapping[str, Any]) -> Iterator[None]:
    """Turn Kwant's failure at an exact band edge into a :class:`BandEdgeError` naming the lead."""
    try:
        yield
    except ValueError as exc:  # Kwant fails with ValueError or numpy.linalg.LinAlgError
        if isinstance(exc, BandEdgeError):
            raise
        lead = _edge_lead(fsyst, energy, params)
        if lead is None:  # not a band edge: the original error stands
            raise
        raise BandEdgeError(_message(energy, lead)) from exc


def check_lead_velocities(
    fsyst: Any, energy: float, params: Mapping[str, Any], lead_info: Sequence[Any]
) -> None:
    """Raise :class:`BandEdgeError` if a propagating mode of a lead is slower than the edge limit.

    ``lead_info`` is :attr:`kwant.solvers.common.SMatrix.lead_info` (the
    propagating modes of every lead, with their velocities).
    """
    for index, info in enumerate(lead_info):
        velocities = getattr(info, "velocities", None)
        if velocities is None or np.size(velocities) == 0:
            continue
        lead = fsyst.leads[index]
        if not hasattr(lead, "inter_cell_hopping"):
            continue
        scale = float(np.max(np.abs(lead.inter_cell_hopping(params=params)), initial=0.0))
        if scale > 0 and np.min(np.abs(velocities)) < EDGE_VELOCITY * scale:
            raise BandEdgeError(_message(energy, index))


def lead_modes(fsyst: Any, lead: int, energy: float, params: Mapping[str, Any]) -> tuple[Any, Any]:
    """The modes of lead ``lead`` of ``fsyst`` at ``energy``, through the band-edge guard.

    The one place in mesoflow that asks a Kwant lead for its modes: every
    self-energy, mode count and velocity comes from here, so that an energy
    at a band edge is refused the same way everywhere.

    Returns
    -------
    tuple
        Kwant's (:class:`kwant.physics.PropagatingModes`,
        :class:`kwant.physics.StabilizedModes`) of the lead.
    """
    the_lead = fsyst.leads[lead]
    with band_edges_reported(fsyst, energy, params):
        propagating, stabilized = the_lead.modes(energy, params=params)
    info: list[Any] = [None] * len(fsyst.leads)
    info[lead] = propagating
    check_lead_velocities(fsyst, energy, params, info)
    return propagating, stabilized
