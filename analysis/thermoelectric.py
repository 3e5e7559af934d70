"""Linear-response thermoelectric coefficients from Landauer moments, Kwant-free.

Landauer moments of a transmission 𝒯(E) (per spin channel)

    L_n(μ, T) = ∫ 𝒯(E) (E − μ)ⁿ (−∂f/∂E) dE        (units tⁿ, 𝒯 in e²/h)

give, for electrons of charge −e between two reservoirs (Sivan & Imry,
Phys. Rev. B 33, 551 (1986); Butcher, J. Phys. Condens. Matter 2, 4869 (1990);
see also Esposito, Lindenberg & Van den Broeck, EPL 85, 60010 (2009)),
with θ = k_B T in units of t:

===========  ===================================  ========
quantity     formula                              unit
===========  ===================================  ========
G            L_0                                  e²/h
S (Seebeck)  −L_1 / (θ L_0)                       k_B/e
Π (Peltier)  −L_1 / L_0  = T·S                    t/e
κ            (L_2 − L_1²/L_0) / θ                 k_B·t/h
lorenz       κ/(T G) = (L_2 − L_1²/L_0)/(θ² L_0)  (k_B/e)²
ZT           S² G T / (κ + κ_ph)                  1
===========  ===================================  ========

κ is the electronic heat conductance at zero electric current.  Sign: S < 0
when 𝒯 grows with energy (electron-like transport), as for a metal; the
Sommerfeld expansion gives the Mott formula S ≈ −(π²/3) θ ∂ln𝒯/∂E and the
Wiedemann–Franz law lorenz → π²/3 when 𝒯 is smooth on the scale θ.

The limit k_B T → 0.  Below θ = :data:`analysis.thermal.SOMMERFELD_FLOOR` ·
max(1, |μ|) a quadrature over the window μ ± 25 θ loses its digits (the
window is a few hundred ulp of μ wide; measured in :mod:`analysis.thermal`),
so :func:`landauer_moments` takes the leading Sommerfeld terms instead
(Ashcroft & Mermin, *Solid State Physics* (1976), Eq. (2.70);
∫ xⁿ(−∂f/∂x) dx = 2(1 − 2^{1−n}) n! ζ(n) θⁿ for even n, 0 for odd n):

    L_n ≈ 𝒯(μ) mₙ + 𝒯′(μ) mₙ₊₁,   m₀ = 1, m₂ = (π²/3) θ², …

so G = 𝒯(μ) (never above the open modes: an interpolation of samples), the
Mott formula S = −(π²/3) θ 𝒯′(μ)/𝒯(μ) (Cutler & Mott, Phys. Rev. 181, 1336
(1969)), κ = (π²/3) θ G and the Wiedemann–Franz Lorenz number π²/3 exactly.
𝒯(μ) and 𝒯′(μ) come from the samples next to μ (a central difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import zeta

from analysis.thermal import TAIL_TOLERANCE, fermi, fermi_window, sommerfeld_floor
from systems.validation import integer, real, real_array

#: Gauss–Legendre nodes per grid interval in :func:`landauer_moments`.
_GAUSS_POINTS = 12

__all__ = [
    "ThermoelectricCoefficients",
    "landauer_moments",
    "mott_seebeck",
    "thermoelectric_coefficients",
]


@dataclass(frozen=True)
class ThermoelectricCoefficients:
    """Two-terminal linear-response thermoelectric coefficients (per spin channel).

    Attributes
    ----------
    G
        Conductance, e²/h.
    S
        Seebeck coefficient (thermopower), k_B/e, for electrons of charge −e.
    Pi
        Peltier coefficient, t/e; Π = T·S (Onsager–Kelvin).
    kappa
        Electronic heat conductance at zero current, k_B·t/h.
    lorenz
        κ/(T G), (k_B/e)²; π²/3 ≈ 3.29 for the Wiedemann–Franz law.
    ZT
        Figure of merit S²GT/(κ + κ_ph) (κ_ph = 0 unless passed).
    mu, temperature
        Chemical potential (t) and k_B T (t) of the point.
    """

    G: float
    S: float
    Pi: float
    kappa: float
    lorenz: float
    ZT: float
    mu: float
    temperature: float


def _check_positive_temperature(temperature) -> float:
    return real(
        "temperature",
        temperature,
        minimum=0,
        strict=True,
        hint="k_B T in t; linear-response thermoelectric coefficients need T > 0",
    )


def landauer_moments(
    energies: ArrayLike,
    transmission: ArrayLike,
    mu: float,
    temperature: float,
    orders: tuple[int, ...] = (0, 1, 2),
) -> np.ndarray:
    """L_n = ∫ 𝒯(E) (E − μ)ⁿ (−∂f/∂E) dE for each n in ``orders``, 𝒯 sampled on a grid.

    𝒯 is taken as the piecewise-linear interpolant of the samples (a repeated
    energy marks a jump), and each interval's integral against the smooth
    weight (E − μ)ⁿ(−∂f/∂E) is done by 12-point Gauss–Legendre quadrature,
    exact to rounding for intervals up to a few k_BT wide; so the only error is
    that of interpolating 𝒯, which :func:`analysis.energy_grid.window_grid`
    controls.  The weight outside the sampled range must be negligible.

    Parameters
    ----------
    energies
        Sorted energies (t) spanning μ ± ~25 k_BT.
    transmission
        𝒯(E_k) (e²/h), or an array (n, ...) of them (e.g. conductance matrices).
    mu
        Chemical potential (t).
    temperature
        k_B T (t), > 0.  Below :func:`analysis.thermal.sommerfeld_floor` (μ)
        the moments are the Sommerfeld limit from the samples next to μ
        (module docstring), which must then bracket μ.
    orders
        The moments to compute.

    Returns
    -------
    numpy.ndarray
        Shape (len(orders), ...): L_n in (e²/h)·tⁿ.
    """
    temperature = _check_positive_temperature(temperature)
    mu = real("mu", mu, hint="units of t")
    orders = [integer(f"orders[{i}]", n, minimum=0) for i, n in enumerate(orders)]
    e = np.asarray(energies, dtype=float)
    values = np.asarray(transmission, dtype=float)
    if e.ndim != 1 or e.size < 2 or values.shape[:1] != e.shape:
        raise ValueError(
            f"transmission must have one entry per energy (at least 2): shapes "
            f"{values.shape} and {e.shape}"
        )
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(values))):
        raise ValueError("energies and transmission must be finite")
    if np.any(np.diff(e) < 0):
        raise ValueError("energies must be sorted in non-decreasing order")
    flat = values.reshape(e.size, -1)
    if temperature < sommerfeld_floor(mu):
        result = _sommerfeld_moments(e, flat, mu, temperature, orders)
        return result.reshape((len(orders), *values.shape[1:]))
    outside = fermi(e[-1], mu, temperature) + 1 - fermi(e[0], mu, temperature)
    if outside > TAIL_TOLERANCE:
        raise ValueError(
            f"the thermal window mu={mu} ± 25 k_BT (k_BT={temperature}) does not fit in the "
            f"sampled energies [{e[0]}, {e[-1]}]: sample a wider range"
        )
    nodes, weights = np.polynomial.legendre.leggauss(_GAUSS_POINTS)
    a, b = e[:-1, None], e[1:, None]
    width = b - a
    x = a + 0.5 * width * (nodes + 1)  # (intervals, nodes)
    fraction = 0.5 * (nodes + 1)  # position inside each interval, 0 … 1
    window = fermi_window(x, mu, temperature) * 0.5 * width * weights  # dE (−∂f/∂E)
    # ∫ (−∂f/∂E) dE <= 1: where rounding makes the discrete weights sum above 1, they are
    # scaled back, so that G is a weighted mean of samples and never exceeds the open modes.
    window /= max(1.0, float(np.sum(window)))
    result = np.empty((len(orders), flat.shape[1]))
    for i, n in enumerate(orders):
        w = window * (x - mu) ** n  # (intervals, nodes)
        # ∫ over interval of (T_a (1 − s) + T_b s) w: two weight sums per interval.
        w_a = np.sum(w * (1 - fraction), axis=1)
        w_b = np.sum(w * fraction, axis=1)
        result[i] = w_a @ flat[:-1] + w_b @ flat[1:]
    return result.reshape((len(orders), *values.shape[1:]))


def _window_moment(n: int, temperature: float) -> float:
    """∫ xⁿ (−∂f/∂x) dx = 2(1 − 2^{1−n}) n! ζ(n) θⁿ (n even >= 2), 1 (n = 0), 0 (n odd)."""
    if n == 0:
        return 1.0
    if n % 2:
        return 0.0
    with np.errstate(under="ignore"):
        return 2 * (1 - 2.0 ** (1 - n)) * math.factorial(n) * float(zeta(n)) * temperature**n


def _sommerfeld_moments(e, flat, mu, temperature, orders) -> np.ndarray:
    """L_n ≈ 𝒯(μ) mₙ + 𝒯′(μ) mₙ₊₁ from the samples next to μ (see the module docstring)."""
    if not e[0] <= mu <= e[-1]:
        raise ValueError(f"mu={mu} lies outside the sampled energies [{e[0]}, {e[-1]}]")
    at = e == mu
    below = np.flatnonzero(e < mu)
    above = np.flatnonzero(e > mu)
    lo = below[-1] if below.size else None
    hi = above[0] if above.size else None
    if np.any(at):  # a sample at μ (a jump there: the mean of both sides, the T → 0 limit)
        value = flat[at].mean(axis=0)
    else:
        share = (mu - e[lo]) / (e[hi] - e[lo])
        value = (1 - share) * flat[lo] + share * flat[hi]
    left = (e[lo], flat[lo]) if lo is not None else (mu, value)
    right = (e[hi], flat[hi]) if hi is not None else (mu, value)
    slope = (right[1] - left[1]) / (right[0] - left[0]) if right[0] > left[0] else 0 * value
    return np.array(
        [
            value * _window_moment(n, temperature) + slope * _window_moment(n + 1, temperature)
            for n in orders
        ]
    )


def thermoelectric_coefficients(
    moments: ArrayLike, mu: float, temperature: float, *, phonon_kappa: float = 0.0
) -> ThermoelectricCoefficients:
    """Coefficients from the moments (L_0, L_1, L_2) at (μ, k_B T); see the module table.

    Parameters
    ----------
    moments
        L_0 (e²/h), L_1 ((e²/h)·t), L_2 ((e²/h)·t²).
    mu, temperature
        Chemical potential and k_B T in t (T > 0).
    phonon_kappa
        Phonon heat conductance in k_B·t/h added in ZT's denominator (>= 0).

    Returns
    -------
    ThermoelectricCoefficients
        S, Π, lorenz and ZT are NaN when L_0 = 0 (no transmission in the window).
        Below the Sommerfeld floor (module docstring) κ = (π²/3) θ L_0 and
        lorenz = π²/3, their T → 0 limits.
    """
    temperature = _check_positive_temperature(temperature)
    mu = real("mu", mu, hint="units of t")
    phonon_kappa = real("phonon_kappa", phonon_kappa, minimum=0, hint="k_B t/h")
    moments = np.asarray(moments, dtype=float)
    if moments.shape[:1] != (3,) and not (moments.ndim == 1 and moments.size >= 3):
        raise ValueError(f"moments must be (L_0, L_1, L_2), got shape {moments.shape}")
    l0, l1, l2 = (float(x) for x in moments[:3])
    sommerfeld = temperature < sommerfeld_floor(mu)
    if sommerfeld:  # κ = (π²/3) θ G: the limit, without θ² underflowing in L_2
        kappa = (np.pi**2 / 3) * temperature * l0
    else:
        kappa = (l2 - (l1 * l1 / l0 if l0 > 0 else 0.0)) / temperature
    if l0 > 0:
        seebeck = -l1 / (temperature * l0)
        lorenz = np.pi**2 / 3 if sommerfeld else kappa / (temperature * l0)
        denominator = kappa + phonon_kappa
        zt = seebeck * seebeck * l0 * temperature / denominator if denominator > 0 else np.inf
    else:
        seebeck = lorenz = zt = float("nan")
    return ThermoelectricCoefficients(
        G=l0,
        S=seebeck,
        Pi=temperature * seebeck,
        kappa=kappa,
        lorenz=lorenz,
        ZT=float(zt),
        mu=float(mu),
        temperature=temperature,
    )


def mott_seebeck(
    energies: ArrayLike, transmission: ArrayLike, mu, temperature: float
) -> float | np.ndarray:
    """Mott's low-temperature thermopower S = −(π²/3) k_BT ∂ln𝒯/∂E at μ, in k_B/e.

    ∂ln𝒯/∂E from the sampled 𝒯(E) by second-order finite differences
    (:func:`numpy.gradient`), interpolated at ``mu`` (scalar or array).
    Valid when 𝒯 is smooth on the scale k_BT (Cutler & Mott, Phys. Rev. 181,
    1336 (1969); for mesoscopic conductors e.g. Lunde & Flensberg, J. Phys.
    Condens. Matter 17, 3879 (2005)).
    """
    temperature = _check_positive_temperature(temperature)
    e = np.asarray(real_array("energies", energies, hint="units of t"))
    t = np.asarray(real_array("transmission", transmission, missing=True))
    mu = real_array("mu", mu, hint="units of t")
    with np.errstate(divide="ignore", invalid="ignore"):
        derivative = np.gradient(np.log(t), e)
    return -(np.pi**2 / 3) * temperature * np.interp(mu, e, derivative)
