"""Physical units: from a device in nm, meV, T, K and Ω to the lattice units of the solver.

mesoflow's builders and workflows work in lattice units (docs/architecture.md): energies in
the hopping t, lengths in the lattice constant a, magnetic flux per plaquette in
h/e, temperature as k_B T in t, conductance in e²/h and resistance in h/e² *per
spin channel*.  :class:`Units` fixes a and t for a device and converts both ways;
it never changes what the solver sees.

The hopping of a square lattice that discretizes a two-dimensional electron gas
with effective mass m* is t = ħ²/(2 m* a²) (finite differences of −ħ²∇²/2m*), so
that E = 2t(2 − cos k_x a − cos k_y a) ≈ ħ²k²/2m* near the band bottom (the
builders' on-site 4t puts that bottom at E = 0).  For a = 10 nm and m* = 0.067 mₑ
(GaAs) t ≈ 5.687 meV, and 1 T gives a flux B a² = 0.02418 h/e per plaquette.

The lattice approximates the continuum only at long wavelengths and weak
fields; :meth:`Units.fermi_energy` and :meth:`Units.flux_per_plaquette` warn with a
:class:`ContinuumWarning` (and suggest a smaller lattice constant) outside it.

All constants are CODATA values from :mod:`scipy.constants`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.constants as sc

from .validation import choice, integer, positive_real, real_array, shown

__all__ = [
    "MATERIALS",
    "MAX_CONTINUUM_ENERGY",
    "MAX_CONTINUUM_FLUX",
    "ContinuumWarning",
    "Material",
    "Units",
]

#: e²/h in siemens and h/e² (the von Klitzing constant R_K = 25 812.807… Ω) in ohms.
CONDUCTANCE_QUANTUM_S = sc.e**2 / sc.h
VON_KLITZING_OHM = sc.h / sc.e**2
#: The flux quantum h/e in webers (T·m²).
FLUX_QUANTUM_WB = sc.h / sc.e

#: Largest energy above the band bottom (units of t) counted as continuum-like: at E = 0.5 t
#: the lattice wave number arccos(1 − E/2t) exceeds the continuum one √(E/t) by 2 %
#: (λ_F ≈ 8.7 a).
MAX_CONTINUUM_ENERGY = 0.5
#: Largest flux per plaquette (h/e) counted as continuum-like: at φ = 0.05 (magnetic length
#: l_B = a/√(2πφ) ≈ 1.8 a) the lowest Landau level of the lattice (Harper's equation) lies
#: 4 % below the continuum ħω_c/2 = 2πφ t, the second 6 % below 3ħω_c/2; beyond it the
#: Landau levels turn into Hofstadter bands.
MAX_CONTINUUM_FLUX = 0.05


class ContinuumWarning(UserWarning):
    """A physical input falls where the lattice no longer approximates the continuum."""


@dataclass(frozen=True)
class Material:
    """Band parameters of a two-dimensional electron gas.

    Attributes
    ----------
    name
        Short name, e.g. ``"GaAs"``.
    effective_mass
        Conduction-band effective mass m*/mₑ.
    degeneracy
        Spin × valley degeneracy g of each simulated channel (conductance
        steps of g e²/h).
    source
        Where the numbers come from.
    """

    name: str
    effective_mass: float
    degeneracy: int
    source: str


#: Presets for common 2DEGs (use :meth:`Units.for_material`).
MATERIALS: Mapping[str, Material] = MappingProxyType(
    {
        "GaAs": Material(
            "GaAs",
            0.067,
            2,
            "m* = 0.067 mₑ: I. Vurgaftman, J. R. Meyer, L. R. Ram-Mohan, "
            "J. Appl. Phys. 89, 5815 (2001), Table III; spin-degenerate (g = 2)",
        ),
        "InAs": Material(
            "InAs",
            0.026,
            2,
            "m* = 0.026 mₑ: I. Vurgaftman, J. R. Meyer, L. R. Ram-Mohan, "
            "J. Appl. Phys. 89, 5815 (2001), Table III (band-edge mass); spin-degenerate (g = 2)",
        ),
        "Si": Material(
            "Si",
            0.19,
            4,
            "Si(100) inversion layer, transverse mass m* = 0.19 mₑ, two valleys: T. Ando, "
            "A. B. Fowler, F. Stern, Rev. Mod. Phys. 54, 437 (1982), Sec. III; g = 2 × 2 = 4",
        ),
    }
)


def _array(name: str, value: Any) -> Any:
    """A float or a float array, so that every conversion works on scalars and arrays.

    Only real numbers (a bool or a string is refused; NaN, a failed point of a table, passes).
    """
    return real_array(name, value, missing=True)


@dataclass(frozen=True, init=False)
class Units:
    """The physical scale of a lattice model: lattice constant a and hopping t.

    Give the lattice constant and either the effective mass (t = ħ²/(2 m* a²))
    or the hopping itself (``t_meV``, e.g. for graphene, whose t ≈ 2.7 eV is
    not a discretization of a parabolic band).

    Parameters
    ----------
    lattice_constant_nm
        Lattice constant a in nm.
    effective_mass
        Effective mass m*/mₑ (in units of the free-electron mass).
    t_meV
        The hopping t in meV, instead of ``effective_mass``.
    degeneracy
        Spin × valley degeneracy g of each simulated channel: mesoflow's
        conductances are per spin channel, so a spin-degenerate GaAs device
        has g = 2 (steps of 2e²/h) and a Si(100) MOSFET g = 4.  Default 1 (a
        spin-resolved or spinful model).

    Examples
    --------
    >>> units = Units(lattice_constant_nm=10, effective_mass=0.067)
    >>> round(units.t_meV, 3)
    5.687
    >>> round(units.flux_per_plaquette(1.0), 5)
    0.02418
    """

    lattice_constant_nm: float
    effective_mass: float | None = None
    t_meV: float | None = None
    degeneracy: int = 1

    def __init__(
        self,
        lattice_constant_nm: float,
        effective_mass: float | None = None,
        *,
        t_meV: float | None = None,
        degeneracy: int = 1,
    ):
        a = positive_real("lattice_constant_nm", lattice_constant_nm)
        if (effective_mass is None) == (t_meV is None):
            raise ValueError(
                "give exactly one of effective_mass (m*/mₑ, then t = ħ²/(2m*a²)) and t_meV "
                f"(the hopping in meV), got effective_mass={shown(effective_mass)}, "
                f"t_meV={shown(t_meV)}"
            )
        if effective_mass is not None:
            mass = positive_real("effective_mass", effective_mass)
            t = sc.hbar**2 / (2 * mass * sc.m_e * (a * 1e-9) ** 2) / sc.e * 1e3
        else:
            mass = None
            t = positive_real("t_meV", t_meV)
        degeneracy = integer("degeneracy", degeneracy, minimum=1, hint="spin × valley")
        object.__setattr__(self, "lattice_constant_nm", a)
        object.__setattr__(self, "effective_mass", mass)
        object.__setattr__(self, "t_meV", float(t))
        object.__setattr__(self, "degeneracy", int(degeneracy))

    @classmethod
    def for_material(cls, material: str, lattice_constant_nm: float) -> Units:
        """Units of a 2DEG preset (:data:`MATERIALS`: ``"GaAs"``, ``"InAs"``, ``"Si"``).

        The effective mass and the degeneracy come from the preset (sources in
        :attr:`Material.source`); the lattice constant is the modeller's choice.
        """
        choice(
            "material",
            material,
            MATERIALS,
            hint="for another, give Units(lattice_constant_nm, effective_mass, degeneracy=...)",
        )
        preset = MATERIALS[material]
        return cls(lattice_constant_nm, preset.effective_mass, degeneracy=preset.degeneracy)

    # --- energies -------------------------------------------------------------------------

    def energy_in_t(self, meV):
        """An energy in meV, in units of t."""
        return _array("meV", meV) / self.t_meV

    def energy_meV(self, energy):
        """An energy in units of t, in meV."""
        return _array("energy", energy) * self.t_meV

    def fermi_energy(self, meV, *, max_energy: float = MAX_CONTINUUM_ENERGY):
        """A Fermi energy above the band bottom in meV, in units of t; warns outside the continuum.

        Warns with :class:`ContinuumWarning` if it exceeds ``max_energy`` (units
        of t), where the square-lattice band E = 2t(2 − cos k_x a − cos k_y a)
        is no longer parabolic, and suggests the lattice constant that would
        bring it to ``max_energy`` (t ∝ 1/a²).
        """
        energy = self.energy_in_t(meV)
        largest = float(np.max(energy))
        if largest > max_energy:
            suggested = self.lattice_constant_nm * math.sqrt(max_energy / largest)
            warnings.warn(
                f"a Fermi energy of {largest * self.t_meV:.4g} meV is {largest:.3g} t, above "
                f"{max_energy} t where the lattice band is no longer parabolic; use a lattice "
                f"constant <= {suggested:.3g} nm (now {self.lattice_constant_nm:.4g} nm)",
                ContinuumWarning,
                stacklevel=2,
            )
        return energy

    def fermi_energy_from_density(self, density_per_cm2):
        """Fermi energy E_F = 2πħ²n/(g m*) of a 2DEG of sheet density n (cm⁻²), in meV.

        Uses the degeneracy g and needs the effective mass.
        """
        if self.effective_mass is None:
            raise ValueError("fermi_energy_from_density needs Units(effective_mass=...)")
        n = _array("density_per_cm2", density_per_cm2) * 1e4  # m⁻²
        mass = self.effective_mass * sc.m_e
        return 2 * np.pi * sc.hbar**2 * n / (self.degeneracy * mass) / sc.e * 1e3

    # --- lengths --------------------------------------------------------------------------

    def length_in_a(self, nm):
        """A length in nm, in lattice constants (not rounded)."""
        return _array("nm", nm) / self.lattice_constant_nm

    def length_nm(self, sites):
        """A length in lattice constants, in nm."""
        return _array("sites", sites) * self.lattice_constant_nm

    def sites(self, nm) -> int:
        """A length in nm as a whole number of lattice sites (rounded, at least 1)."""
        return max(1, round(float(self.length_in_a(nm))))

    # --- magnetic field and flux ----------------------------------------------------------

    def flux_per_plaquette(self, tesla, *, max_flux: float = MAX_CONTINUUM_FLUX):
        """A magnetic field in tesla as the flux B a² per plaquette in h/e (builders' ``B``).

        Warns with :class:`ContinuumWarning` if |flux| exceeds ``max_flux``
        (Hofstadter regime: the magnetic length a/√(2π|φ|) is only a few
        lattice constants), suggesting a smaller lattice constant (φ ∝ a²).
        """
        flux = _array("tesla", tesla) * (self.lattice_constant_nm * 1e-9) ** 2 / FLUX_QUANTUM_WB
        largest = float(np.max(np.abs(flux)))
        if largest > max_flux:
            suggested = self.lattice_constant_nm * math.sqrt(max_flux / largest)
            warnings.warn(
                f"a field of {float(np.max(np.abs(_array('tesla', tesla)))):.4g} T "
                f"gives {largest:.3g} h/e per plaquette, above {max_flux} (Hofstadter regime, "
                f"magnetic length {1 / math.sqrt(2 * math.pi * largest):.2g} a); use a lattice "
                f"constant <= {suggested:.3g} nm (now {self.lattice_constant_nm:.4g} nm)",
                ContinuumWarning,
                stacklevel=2,
            )
        return flux

    def field_tesla(self, flux_per_plaquette):
        """A flux per plaquette in h/e as a magnetic field in tesla."""
        return (
            _array("flux_per_plaquette", flux_per_plaquette)
            * FLUX_QUANTUM_WB
            / (self.lattice_constant_nm * 1e-9) ** 2
        )

    def ring_flux(self, tesla, area_nm2):
        """The flux B·A through a ring of area ``area_nm2`` (nm²), in h/e (the ``phi`` of ab_ring).

        For :func:`systems.ab_ring` a natural area is that of the mean radius,
        ``math.pi * units.length_nm((r_in + r_out) / 2) ** 2``.
        """
        return _array("tesla", tesla) * _array("area_nm2", area_nm2) * 1e-18 / FLUX_QUANTUM_WB

    def magnetic_length_nm(self, tesla):
        """The magnetic length l_B = √(ħ/eB) in nm."""
        return np.sqrt(sc.hbar / (sc.e * np.abs(_array("tesla", tesla)))) * 1e9

    # --- temperature ----------------------------------------------------------------------

    def temperature_in_t(self, kelvin):
        """A temperature in K as k_B T in units of t (the workflows' ``temperature``)."""
        return _array("kelvin", kelvin) * sc.k / sc.e * 1e3 / self.t_meV

    def temperature_kelvin(self, temperature):
        """k_B T in units of t as a temperature in K."""
        return _array("temperature", temperature) * self.t_meV * 1e-3 * sc.e / sc.k

    # --- conductance and resistance -------------------------------------------------------

    def conductance_siemens(self, conductance):
        """A conductance per spin channel in e²/h as the device's conductance in S (× g)."""
        return _array("conductance", conductance) * self.degeneracy * CONDUCTANCE_QUANTUM_S

    def conductance_in_e2h(self, siemens):
        """A device conductance in S as the conductance per channel in e²/h (÷ g)."""
        return _array("siemens", siemens) / (self.degeneracy * CONDUCTANCE_QUANTUM_S)

    def resistance_ohm(self, resistance):
        """A resistance per spin channel in h/e² as the device's resistance in Ω (÷ g).

        h/e² = 25 812.807 Ω (the von Klitzing constant); a spin-degenerate
        Hall plateau ν = 1 per channel reads h/(2e²) = 12 906.4 Ω.
        """
        return _array("resistance", resistance) * VON_KLITZING_OHM / self.degeneracy

    def resistance_in_h_e2(self, ohm):
        """A device resistance in Ω as the resistance per channel in h/e² (× g)."""
        return _array("ohm", ohm) * self.degeneracy / VON_KLITZING_OHM

    # --- tables ---------------------------------------------------------------------------

    def physical_columns(self, frame, columns: Mapping[str, str] | None = None):
        """A copy of a results table with physical columns added next to the lattice ones.

        Parameters
        ----------
        frame
            A :class:`pandas.DataFrame` of results in lattice units.
        columns
            Column name -> kind, the kind one of ``"energy"`` (adds ``<name>_meV``),
            ``"flux"`` (``<name>_T``), ``"temperature"`` (``<name>_K``),
            ``"length"`` (``<name>_nm``), ``"conductance"`` (``<name>_S``) and
            ``"resistance"`` (``<name>_ohm``).  Default: the standard names that
            are present among ``energy``, ``mu``, ``E`` (energy), ``B`` (flux),
            ``temperature`` (temperature), ``G`` (conductance) and ``R``,
            ``R_xx``, ``R_xy`` (resistance).

        Returns
        -------
        pandas.DataFrame
            The table with the new columns; ``attrs["units"]`` (column → unit)
            gains their units and keeps the table's own, ``attrs["physical_units"]``
            records the lattice constant, t, the effective mass and the degeneracy.
        """
        converters = {
            "energy": ("meV", self.energy_meV),
            "flux": ("T", self.field_tesla),
            "temperature": ("K", self.temperature_kelvin),
            "length": ("nm", self.length_nm),
            "conductance": ("S", self.conductance_siemens),
            "resistance": ("ohm", self.resistance_ohm),
        }
        if columns is None:
            standard = {
                "energy": "energy",
                "mu": "energy",
                "E": "energy",
                "B": "flux",
                "temperature": "temperature",
                "G": "conductance",
                "R": "resistance",
                "R_xx": "resistance",
                "R_xy": "resistance",
            }
            columns = {name: kind for name, kind in standard.items() if name in frame.columns}
        out = frame.copy()
        for name, kind in columns.items():
            if name not in frame.columns:
                raise ValueError(f"columns names {shown(name)}, which is not a column of the table")
            if kind not in converters:
                raise ValueError(
                    f"columns[{shown(name)}]={shown(kind)} is not a kind of quantity; use one of "
                    f"{sorted(converters)}"
                )
            suffix, convert = converters[kind]
            out[f"{name}_{suffix}"] = convert(frame[name].to_numpy(dtype=float))
        out.attrs["units"] = {  # column -> unit, as every table has it
            **frame.attrs.get("units", {}),
            **{
                f"{name}_{converters[kind][0]}": converters[kind][0]
                for name, kind in columns.items()
            },
        }
        out.attrs["physical_units"] = {
            "lattice_constant_nm": self.lattice_constant_nm,
            "t_meV": self.t_meV,
            "effective_mass": self.effective_mass,
            "degeneracy": self.degeneracy,
        }
        return out
