"""Reading and writing Wannier90's tight-binding files.

Reading goes through TBmodels (D. Gresch et al., Phys. Rev. Materials 2, 103805
(2018)), ``tbmodels.Model.from_wannier_files``: it divides each ``_hr.dat`` entry
by its Wigner–Seitz degeneracy, spreads it over the ``_wsvec.dat``
minimal-distance replicas (each with weight 1/N of its N replicas), keeps
complex matrix elements at full precision and applies no cutoff by default
(``h_cutoff=0``).  sisl was the alternative; it does not read ``_wsvec.dat``,
and its defaults (real float64, a 1e-5 eV cutoff) lose the imaginary parts that
spin–orbit models carry.  TBmodels stores half of the hoppings (positive R, the
R = 0 term halved); :func:`read_wannier90` rebuilds the full H(R) for every R.

Writing (:func:`write_wannier90`) produces ``_hr.dat`` (format of the Wannier90
User Guide, section "seedname_hr.dat": a header line, num_wann, nrpts, the
degeneracies 15 per line, then ``R1 R2 R3 m n Re Im`` with m running fastest),
``_centres.xyz`` and a ``.win`` holding the unit cell, with ``%.17g`` numbers,
so that a model written and read back is the same to rounding.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from .. import validation
from .model import TightBindingModel

#: NumPy 2's DeprecationWarning for TBmodels' sparse matrices (harmless, see read_wannier90).
NUMPY2_ARRAY_WARNING = "__array__ implementation doesn't accept a copy keyword"

#: Orbital orderings of a spinor model (see :class:`TightBindingModel`).
SPINOR_ORDERINGS = (None, "blocks", "interleaved")


def _win_spinors(win_file: str | Path) -> bool:
    """The ``spinors`` flag of a ``.win`` file (False when absent)."""
    for line in Path(win_file).read_text().splitlines():
        line = line.split("!")[0].split("#")[0].strip().lower()
        key, *value = re.split(r"[\s:=]+", line, maxsplit=1)
        if key == "spinors" and value:
            return value[0].strip().startswith((".t", "t"))
    return False


def read_wannier90(
    hr_file: str | Path,
    *,
    win_file: str | Path,
    xyz_file: str | Path,
    wsvec_file: str | Path | None = None,
    spinors: str | None = None,
) -> TightBindingModel:
    """Read a Wannier90 model (``_hr.dat`` with ``.win``, ``_centres.xyz`` and ``_wsvec.dat``).

    Parameters
    ----------
    hr_file
        ``seedname_hr.dat``: H(R) in eV with the Wigner–Seitz degeneracies.
    win_file
        ``seedname.win``: the unit cell (Å or Bohr) and the ``spinors`` flag.
    xyz_file
        ``seedname_centres.xyz``: the Wannier centres (Å).
    wsvec_file
        ``seedname_wsvec.dat`` of a run with ``use_ws_distance = .true.``; without
        it every hopping sits on its Wigner–Seitz vector R only.
    spinors
        Orbital ordering of a spinor model, ``"blocks"`` (all up, then all down)
        or ``"interleaved"`` (up, down, up, ...).  ``_hr.dat`` does not record it:
        a ``.win`` with ``spinors = true`` and no ordering given is refused.

    Returns
    -------
    TightBindingModel
        Full H(R) for every R and -R; positions mapped into the home cell by
        TBmodels (the hoppings shifted to match).
    """
    validation.choice(
        "spinors", spinors, SPINOR_ORDERINGS, hint="orbital ordering of a spinor model"
    )
    for name, path in (("hr_file", hr_file), ("win_file", win_file), ("xyz_file", xyz_file)):
        if not Path(path).is_file():
            raise ValueError(f"{name} must be an existing file, got {str(path)!r}")
    if wsvec_file is not None and not Path(wsvec_file).is_file():
        raise ValueError(f"wsvec_file must be an existing file or None, got {str(wsvec_file)!r}")
    if spinors is None and _win_spinors(win_file):
        raise ValueError(
            f"spinors must be 'blocks' or 'interleaved' for {str(win_file)!r} (spinors = true): "
            "the spinor orbital ordering is not recorded in _hr.dat"
        )
    import tbmodels  # deferred: imports pymatgen and friends, ~1 s

    with warnings.catch_warnings():
        # TBmodels 1.4.3's sparse matrices predate NumPy 2's __array__(copy=) protocol;
        # NumPy warns and falls back to a copy, which is what TBmodels wants.
        warnings.filterwarnings("ignore", NUMPY2_ARRAY_WARNING, DeprecationWarning)
        tb = tbmodels.Model.from_wannier_files(
            hr_file=str(hr_file),
            wsvec_file=None if wsvec_file is None else str(wsvec_file),
            xyz_file=str(xyz_file),
            win_file=str(win_file),
        )
    model = from_tbmodels(tb, spinors=spinors)
    if spinors is not None and model.num_orbitals % 2:
        raise ValueError(
            f"spinors={spinors!r} needs an even number of Wannier functions, "
            f"got {model.num_orbitals}"
        )
    return model


def from_tbmodels(tb, *, spinors: str | None = None) -> TightBindingModel:
    """A :class:`TightBindingModel` from a ``tbmodels.Model`` (full H(R) for +R, -R)."""
    validation.choice(
        "spinors", spinors, SPINOR_ORDERINGS, hint="orbital ordering of a spinor model"
    )
    if tb.uc is None:
        raise ValueError("tb must have a unit cell (tbmodels.Model.uc), got None")
    zero = np.zeros((tb.size, tb.size), dtype=complex)
    half = {
        tuple(int(r) for r in R): np.asarray(h.toarray() if hasattr(h, "toarray") else h, complex)
        for R, h in tb.hop.items()
    }
    vectors = set(half) | {tuple(-r for r in R) for R in half}
    hoppings = {}
    for R in sorted(vectors):
        minus = tuple(-r for r in R)
        hoppings[R] = half.get(R, zero) + half.get(minus, zero).conj().T
    uc = np.asarray(tb.uc, dtype=float)
    return TightBindingModel(uc, np.asarray(tb.pos) @ uc, hoppings, spinors)


def write_wannier90(model: TightBindingModel, seedname: str | Path) -> dict[str, Path]:
    """Write ``seedname_hr.dat``, ``seedname_centres.xyz`` and ``seedname.win`` at full precision.

    Every R is written with degeneracy 1, numbers with ``%.17g``.  Returns the
    paths by keyword of :func:`read_wannier90` (``hr_file``, ``xyz_file``, ``win_file``).
    """
    seed = Path(seedname)
    fmt = "%.17g"
    n = model.num_orbitals
    vectors = list(model.hoppings)
    lines = ["written by mesoflow (systems.wannier90.write_wannier90)", str(n), str(len(vectors))]
    ones = ["1"] * len(vectors)
    lines += [" ".join(ones[i : i + 15]) for i in range(0, len(ones), 15)]
    for R in vectors:
        h = model.hoppings[R]
        r = " ".join(str(int(c)) for c in R)
        for col in range(n):
            for row in range(n):
                value = h[row, col]
                lines.append(f"{r} {row + 1} {col + 1} {fmt % value.real} {fmt % value.imag}")
    hr = seed.with_name(seed.name + "_hr.dat")
    hr.write_text("\n".join(lines) + "\n")
    xyz = seed.with_name(seed.name + "_centres.xyz")
    centres = [" ".join(["X"] + [fmt % c for c in p]) for p in model.positions]
    xyz.write_text("\n".join([str(n), "Wannier centres", *centres]) + "\n")
    win = seed.with_name(seed.name + ".win")
    cell = [" ".join(fmt % c for c in a) for a in model.lattice_vectors]
    spin = [f"spinors = {'true' if model.spinors else 'false'}"]
    win.write_text(
        "\n".join(
            [f"num_wann = {n}", *spin, "begin unit_cell_cart", "ang", *cell, "end unit_cell_cart"]
        )
        + "\n"
    )
    return {"hr_file": hr, "xyz_file": xyz, "win_file": win}
