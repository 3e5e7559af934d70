"""The Ohmic line through a resistance against length, R(L) = R_c (1 + L/λ).

With dephasing probes of coupling η on every site, the two-terminal resistance
of a wire grows linearly with its length once L exceeds the backscattering
length λ; R_c = (h/e²)/N is the contact (Sharvin) resistance of N open modes
and l_φ = λ/2 the phase-coherence length (derived in
:mod:`workflows.studies.coherence`, which measures R(L)).  :func:`fit_ohmic`
fits the line by least squares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from systems.validation import real_array

__all__ = ["OhmicFit", "fit_ohmic"]


@dataclass(frozen=True)
class OhmicFit:
    """Straight-line fit R(L) = R_c + ρL = R_c (1 + L/λ).

    Attributes
    ----------
    contact_resistance
        Intercept R_c in h/e² (1/N for N ideal modes).
    slope
        Ohmic slope ρ = dR/dL in h/e² per lattice constant.
    backscattering_length
        λ = R_c/ρ in lattice constants.
    coherence_length
        l_φ = λ/2 = ħ⟨v⟩/η in lattice constants (see
        :mod:`workflows.studies.coherence`).
    max_residual
        Largest |R − fit| over the fitted points, h/e² (a measure of linearity).
    """

    contact_resistance: float
    slope: float
    backscattering_length: float
    coherence_length: float
    max_residual: float

    def resistance(self, length):
        """The fitted R(L) in h/e²."""
        return self.contact_resistance + self.slope * np.asarray(length, dtype=float)


def fit_ohmic(lengths, resistances) -> OhmicFit:
    """Least-squares line through R(L); λ and l_φ from its intercept and slope.

    Parameters
    ----------
    lengths
        Lengths L (lattice constants), at least two distinct values.
    resistances
        R(L) in h/e², same size.

    Returns
    -------
    OhmicFit
    """
    lengths = np.asarray(real_array("lengths", lengths)).ravel()
    resistances = np.asarray(real_array("resistances", resistances, missing=True)).ravel()
    if lengths.size != resistances.size:
        raise ValueError(
            f"lengths and resistances must have the same size, got {lengths.size} and "
            f"{resistances.size}"
        )
    if np.unique(lengths).size < 2:
        raise ValueError(f"need at least two distinct lengths to fit R(L), got {lengths}")
    if not (np.all(np.isfinite(lengths)) and np.all(np.isfinite(resistances))):
        raise ValueError("lengths and resistances must be finite")
    slope, intercept = np.polyfit(lengths, resistances, 1)
    residual = np.abs(resistances - (intercept + slope * lengths)).max()
    lam = intercept / slope if slope > 0 else np.inf
    return OhmicFit(
        contact_resistance=float(intercept),
        slope=float(slope),
        backscattering_length=float(lam),
        coherence_length=float(lam / 2),
        max_residual=float(residual),
    )
