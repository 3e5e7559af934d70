"""Electron densities of lattice models at zero temperature: the Thomas–Fermi input.

Each model gives, per tight-binding site and including the degeneracy g (spin × valley,
:attr:`systems.Units.degeneracy`), the number of electrons n(E) of a band filled up to
the energy E above its bottom, and the density of states dn/dE, both in eV units:

* :func:`square_lattice` — the band E = 2t(2 − cos k_x − cos k_y) of mesoflow's 2D
  builders: per spin, n(E) = (1/π²)∫₀^{k_m} arccos(1 − (E − ε_x)/2t) dk_x with
  ε_x = 2t(1 − cos k_x), k_m = arccos(1 − E/2t), for E ≤ 4t, and n(E) = 1 − n(8t − E)
  above (particle–hole symmetry); ρ(E) = K(1 − ((E − 4t)/4t)²)/(2π²t), K the complete
  elliptic integral of the first kind (E. N. Economou, *Green's Functions in Quantum
  Physics*, 3rd ed., Springer 2006, Sec. 5.3).  ρ(0⁺) = 1/(4πt): the 2D continuum value
  m*a²/(2πħ²) per spin.
* :func:`parabolic_2d` — the continuum band: n = E/(4πt) per spin, ρ constant.
* :func:`chain` — the 1D chain E = 2t(1 − cos k): n = arccos(1 − E/2t)/π per spin,
  ρ = 1/(π√(E(4t − E))).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.special

from systems.units import Units

__all__ = ["BandDensity", "chain", "parabolic_2d", "square_lattice"]

# Gauss–Legendre nodes for the k_x integral; the substitution k_x = k_m(1 − u²) makes the
# integrand smooth (the square-root edge at k_x = k_m becomes linear in u), so 48 nodes give
# the integral to rounding (checked against the elliptic-integral DOS in the tests).
_U, _W = np.polynomial.legendre.leggauss(48)
_U, _W = (_U + 1) / 2, _W / 2


@dataclass(frozen=True)
class BandDensity:
    """A band's electrons per site n(E) and states per site and eV dn/dE (E above its bottom).

    Attributes
    ----------
    name
        The model.
    hopping
        t in eV.
    degeneracy
        g, included in both functions.
    count
        E (eV, array) -> electrons per site.
    dos
        E (eV, array) -> states per site per eV.
    """

    name: str
    hopping: float
    degeneracy: int
    count: Callable[[np.ndarray], np.ndarray]
    dos: Callable[[np.ndarray], np.ndarray]


def _square_count_lower(x: np.ndarray) -> np.ndarray:
    """Electrons per site and spin of the square lattice, x = E/t in [0, 4]."""
    k_max = np.arccos(np.clip(1 - x / 2, -1, 1))
    k_x = k_max[..., None] * (1 - _U**2)
    eps_x = 2 * (1 - np.cos(k_x))
    inner = np.arccos(np.clip(1 - (x[..., None] - eps_x) / 2, -1, 1))
    return (inner * 2 * k_max[..., None] * _U) @ _W / np.pi**2


def square_lattice(units: Units) -> BandDensity:
    """The 2D square lattice of hopping t = ``units.t_meV`` (module docstring)."""
    t = units.t_meV * 1e-3
    g = units.degeneracy

    def count(energy):
        x = np.clip(np.asarray(energy, dtype=float) / t, 0, 8)
        lower = np.minimum(x, 8 - x)
        n = _square_count_lower(lower)
        return g * np.where(x <= 4, n, 1 - n)

    def dos(energy):
        x = np.asarray(energy, dtype=float) / t
        inside = (x > 0) & (x < 8)
        m = 1 - ((np.clip(x, 0, 8) - 4) / 4) ** 2
        with np.errstate(divide="ignore"):
            rho = scipy.special.ellipk(np.where(inside, m, 0.0)) / (2 * np.pi**2 * t)
        return g * np.where(inside, rho, 0.0)

    return BandDensity("square lattice", t, g, count, dos)


def parabolic_2d(units: Units) -> BandDensity:
    """The 2D continuum band of the same mass: constant DOS g/(4πt) per site (module docstring)."""
    t = units.t_meV * 1e-3
    g = units.degeneracy

    def count(energy):
        return g * np.maximum(np.asarray(energy, dtype=float), 0) / (4 * np.pi * t)

    def dos(energy):
        return g * np.where(np.asarray(energy, dtype=float) > 0, 1 / (4 * np.pi * t), 0.0)

    return BandDensity("parabolic 2D", t, g, count, dos)


def chain(units: Units) -> BandDensity:
    """The 1D chain of hopping t (module docstring)."""
    t = units.t_meV * 1e-3
    g = units.degeneracy

    def count(energy):
        x = np.clip(np.asarray(energy, dtype=float) / t, 0, 4)
        return g * np.arccos(1 - x / 2) / np.pi

    def dos(energy):
        x = np.asarray(energy, dtype=float) / t
        inside = (x > 0) & (x < 4)
        xs = np.where(inside, x, 1.0)
        return g * np.where(inside, 1 / (np.pi * t * np.sqrt(xs * (4 - xs))), 0.0)

    return BandDensity("chain", t, g, count, dos)
