"""DFT-derived tight-binding models (Wannier90) as Kwant systems (issue 24).

:func:`from_wannier90` reads ``seedname_hr.dat`` with its ``_wsvec.dat``,
``_centres.xyz`` and ``.win`` (through TBmodels), optionally cuts the hoppings,
and maps the model onto a Kwant lattice whose sites are atoms
(:class:`Wannier90Crystal`); :func:`wannier90_device` cuts a scattering region
of any shape from it with leads along a lattice direction.  Energies in eV,
lengths in Å, magnetic field in tesla.
"""

from .crystal import HERMITICITY_TOLERANCE, HoppingBlock, Wannier90Crystal
from .devices import PeierlsMatrix, wannier90_device
from .files import SPINOR_ORDERINGS, from_tbmodels, read_wannier90, write_wannier90
from .importer import from_wannier90, read_atoms
from .indexed_builder import IndexedBuilder
from .model import CutoffReport, TightBindingModel

__all__ = [
    "HERMITICITY_TOLERANCE",
    "SPINOR_ORDERINGS",
    "CutoffReport",
    "HoppingBlock",
    "IndexedBuilder",
    "PeierlsMatrix",
    "TightBindingModel",
    "Wannier90Crystal",
    "from_tbmodels",
    "from_wannier90",
    "read_atoms",
    "read_wannier90",
    "wannier90_device",
    "write_wannier90",
]
