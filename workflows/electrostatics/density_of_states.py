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

:func:`thermal_band` gives any of them at a temperature T > 0: n(μ) = ∫ ρ(E) f(E − μ) dE
(module docstring of :func:`thermal_band`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.interpolate
import scipy.special

from systems.units import Units
from systems.validation import real

__all__ = ["BandDensity", "chain", "parabolic_2d", "square_lattice", "thermal_band"]

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


#: Energies kept on each side of the thermal window, in k_B T: −f′ beyond 30 k_B T weighs
#: e^{−30} ≈ 1e-13 of the band.
_WINDOW = 30.0
#: Nodes of the count per k_B T (module docstring of :func:`thermal_band`).
_NODES_PER_KT = 16
#: Gauss–Legendre nodes of the integral of each hat function against −f′.
_HAT_U, _HAT_W = np.polynomial.legendre.leggauss(12)


def _hat_weights(step: float, temperature: float) -> np.ndarray:
    """c_m = ∫ hat(E/h − m) (−f′)(E/k_BT) dE/k_BT: the weight of the count at node m."""
    reach = int(np.ceil(_WINDOW * temperature / step)) + 1
    offsets = np.arange(-reach, reach + 1)
    weights = np.zeros(len(offsets))
    # the hat of node m is linear on [m − 1, m] and [m, m + 1] (units of h): integrate each side
    for side in (-1, 1):
        u = (_HAT_U + 1) / 2  # in [0, 1] from the node outwards
        energies = (offsets[:, None] + side * u[None, :]) * step / temperature
        kernel = 1 / (4 * np.cosh(energies / 2) ** 2)
        weights += ((1 - u) * kernel) @ (_HAT_W / 2) * step / temperature
    return weights


def thermal_band(band: BandDensity, temperature: float) -> BandDensity:
    """The band at temperature T: n(μ) = ∫ ρ(E) f(E − μ) dE and its derivative dn/dμ.

    Parameters
    ----------
    band
        The band at zero temperature (:func:`square_lattice`, :func:`chain`,
        :func:`parabolic_2d` or a user's :class:`BandDensity` whose count is constant
        below 0 and above 8t or linear above 8t).
    temperature
        k_B T in eV, > 0.

    Returns
    -------
    BandDensity
        ``count(μ)``: electrons per site at chemical potential μ (eV above the band
        bottom); ``dos(μ)``: dn/dμ, the thermally smeared density of states.  Pass it to
        :func:`~workflows.electrostatics.thomas_fermi` as ``band``.

    Notes
    -----
    Integrating by parts, n(μ) = ∫ N(E) (−∂f/∂E)(E − μ) dE with N the zero-temperature
    count: N is continuous (the van Hove singularities of ρ, log at E = 4t on the square
    lattice and inverse square root at the chain's edges, are integrable and leave only
    kinks and weaker singularities in N), and the kernel −f′(x) = 1/(4 cosh²(x/2k_BT))/k_BT
    is smooth.  N is sampled on nodes of spacing h ≤ k_BT/16 that include every multiple
    of t (the band bottom, the van Hove energy 4t, the top 8t), and the integral of its
    piecewise-linear interpolant against −f′ is exact up to the 12-point Gauss–Legendre
    rule of each hat function (a discrete convolution, :func:`scipy.signal.fftconvolve`).
    Between the nodes the error of the interpolant is h²N″/8 on smooth stretches, and
    N″ = ρ′ integrates to a logarithm at the singularities, so the result is accurate to
    a few 1e-4 of the thermal correction (π²/6)(k_BT)²ρ′ (Sommerfeld; N. W. Ashcroft and
    N. D. Mermin, *Solid State Physics*, Saunders 1976, eq. (2.70)) and exact for a
    linear N (the parabolic band: n = g k_BT ln(1 + e^{μ/k_BT})/(4πt), checked in the
    tests).  n(μ) on the nodes is interpolated by a cubic spline (its derivative is
    ``dos``); outside the table, μ < −30 k_BT or μ > 8t + 30 k_BT, n = N(μ) to e^{−30}.
    """
    if not isinstance(band, BandDensity):
        raise TypeError(f"band must be a BandDensity, got {type(band).__name__}")
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in eV")
    t = band.hopping
    per_t = int(np.ceil(_NODES_PER_KT * t / temperature))
    if per_t > 200_000:
        raise ValueError(
            f"temperature={temperature!r} eV is below 8e-5 of the hopping t = {t} eV: the table "
            "of n(μ) would exceed 1.6e6 nodes; use the zero-temperature band"
        )
    step = t / per_t
    reach = int(np.ceil(_WINDOW * temperature / step)) + 1
    low = -2 * reach
    high = 8 * per_t + 2 * reach
    nodes = np.arange(low, high + 1) * step
    # in chunks: the square lattice's count holds 48 quadrature nodes per energy
    counts = np.concatenate(
        [
            np.asarray(band.count(chunk), dtype=float)
            for chunk in np.split(nodes, range(0, len(nodes), 2**15)[1:])
        ]
    )
    weights = _hat_weights(step, temperature)
    import scipy.signal  # here: importing it costs ~1 s, and only a finite temperature needs it

    smeared = scipy.signal.fftconvolve(counts, weights[::-1], mode="valid")
    table = nodes[reach : len(nodes) - reach]
    spline = scipy.interpolate.CubicSpline(table, smeared)
    slope = spline.derivative()
    inside = (table[0], table[-1])

    def count(energy):
        energy = np.asarray(energy, dtype=float)
        within = (energy >= inside[0]) & (energy <= inside[1])
        clipped = np.clip(energy, *inside)
        return np.where(within, spline(clipped), band.count(energy))

    def dos(energy):
        energy = np.asarray(energy, dtype=float)
        within = (energy >= inside[0]) & (energy <= inside[1])
        clipped = np.clip(energy, *inside)
        return np.where(within, slope(clipped), band.dos(energy))

    return BandDensity(
        f"{band.name} at k_B T = {temperature:.3g} eV", t, band.degeneracy, count, dos
    )
