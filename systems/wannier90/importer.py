"""``from_wannier90``: Wannier90 files to a Kwant-ready crystal in one call."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import validation
from .crystal import Wannier90Crystal
from .files import read_wannier90


def read_atoms(xyz_file: str | Path) -> np.ndarray:
    """Cartesian atom positions (Å) of a ``_centres.xyz`` file (its rows not labelled ``X``)."""
    rows = Path(xyz_file).read_text().splitlines()[2:]
    atoms = [
        [float(x) for x in row.split()[1:4]]
        for row in rows
        if row.split() and row.split()[0] != "X"
    ]
    return np.array(atoms).reshape(-1, 3)


def from_wannier90(
    hr_file: str | Path,
    *,
    win_file: str | Path,
    xyz_file: str | Path,
    wsvec_file: str | Path | None = None,
    spinors: str | None = None,
    sites: str = "atoms",
    atoms=None,
    tolerance: float = 0.5,
    energy_cutoff: float = 0.0,
    distance_cutoff: float = np.inf,
) -> Wannier90Crystal:
    """Read a Wannier90 model and map it onto a Kwant lattice of atoms.

    Parameters
    ----------
    hr_file, win_file, xyz_file, wsvec_file, spinors
        As :func:`systems.wannier90.read_wannier90` (``spinors``: ``"blocks"`` or
        ``"interleaved"`` for a spinor model, which is refused without it).
    sites
        ``"atoms"``: each Wannier function on its nearest atom (``atoms``, or the
        atoms of ``xyz_file``); ``"centres"``: Wannier centres within
        ``tolerance`` (Å) of each other form one site.
    atoms
        Cartesian atom positions (Å, one row each), overriding those of ``xyz_file``.
    energy_cutoff
        Drop matrix elements with ``|H_mn(R)| < energy_cutoff`` (eV); 0 keeps all.
    distance_cutoff
        Drop matrix elements between Wannier centres farther apart than this (Å).

    Returns
    -------
    Wannier90Crystal
        ``crystal.model.cutoff`` reports what the cutoff removed
        (:class:`systems.wannier90.CutoffReport`, with a bound on the band error).

    Examples
    --------
    >>> crystal = from_wannier90("si_hr.dat", win_file="si.win", xyz_file="si_centres.xyz",
    ...                          wsvec_file="si_wsvec.dat", energy_cutoff=1e-3)  # doctest: +SKIP
    """
    validation.choice("sites", sites, ("atoms", "centres"))
    tolerance = validation.positive_real("tolerance", tolerance)
    energy_cutoff = validation.real("energy_cutoff", energy_cutoff, minimum=0, hint="eV")
    distance_cutoff = validation.real(
        "distance_cutoff", distance_cutoff, minimum=0, strict=True, finite=False, hint="Å"
    )
    model = read_wannier90(
        hr_file, win_file=win_file, xyz_file=xyz_file, wsvec_file=wsvec_file, spinors=spinors
    )
    model = model.cut(energy=energy_cutoff, distance=distance_cutoff)
    if sites == "centres":
        return Wannier90Crystal(model, tolerance=tolerance)
    if atoms is None:
        atoms = read_atoms(xyz_file)
        if len(atoms) == 0:
            raise ValueError(
                f"xyz_file {str(xyz_file)!r} lists no atoms: pass atoms= or sites='centres'"
            )
    return Wannier90Crystal(model, atoms=atoms)
