"""Dissipation of a Büttiker bias solution: terminal powers, Joule heat, entropy production.

Units.  Conductances g_ij are in e²/h and voltages v_i in t/e (the energy unit
t per electron charge), so a current i = g·v is in units of (e²/h)(t/e) = e t/h,
and a power p = i·v in units of (e t/h)(t/e) = **t²/h** (energy t per time h/t).
Temperatures θ are in units of t/k_B, so the entropy production rate
Ṡ = P/T = (t²/h) p / (θ t/k_B) = (p/θ) · k_B t/h, i.e. in units of **k_B t/h**
(k_B per time h/t).  If the voltages were set in another unit u/e instead of
t/e, powers are in u²/h and Ṡ in k_B u²/(h t).

Physics (linear response, all reservoirs at the same temperature T).  The
source at terminal i delivers the power P_i = I_i V_i to the device.  The
individual P_i depend on the zero of voltage; their sum does not (Σ_i I_i = 0):

    P = Σ_i I_i V_i = Vᵀ G V = Vᵀ (G + Gᵀ)/2 V  ≥ 0,

the Joule heat, dissipated in the reservoirs (the scatterer itself is elastic).
It is non-negative for every bias because the symmetric part of a conductance
matrix whose rows and columns sum to zero, with non-negative transmissions, is
a weighted graph Laplacian (positive semi-definite), also at B ≠ 0 where G is
not symmetric.  The entropy production rate is Ṡ = P/T ≥ 0.  A floating
terminal (voltage probe) has I_i = 0, so its net power is exactly zero: it
takes in as much current as it re-emits, at its own electrochemical potential.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.bias import BiasSolution
from systems.validation import real

__all__ = ["dissipation_table", "entropy_production_rate", "joule_heat", "terminal_powers"]


def _check_solution(solution) -> BiasSolution:
    if not isinstance(solution, BiasSolution):
        raise TypeError(
            f"solution must be a BiasSolution (from analysis.solve_bias), "
            f"got {type(solution).__name__}"
        )
    return solution


def terminal_powers(solution: BiasSolution) -> np.ndarray:
    """Power P_i = I_i V_i delivered to the device by the source at each terminal.

    Parameters
    ----------
    solution
        A solved bias problem (:func:`analysis.solve_bias`), voltages in t/e.

    Returns
    -------
    numpy.ndarray
        P_i in t²/h (positive: the source feeds power in).  Exactly 0 at floating
        terminals and at decoupled ones (zero current, voltage NaN).  Individual
        values depend on the voltage reference; their sum does not.
    """
    solution = _check_solution(solution)
    currents = np.asarray(solution.currents, dtype=float)
    voltages = np.asarray(solution.voltages, dtype=float)
    carries = currents != 0
    powers = np.zeros_like(currents)
    powers[carries] = currents[carries] * voltages[carries]
    return powers


def joule_heat(solution: BiasSolution) -> float:
    """Total dissipated power P = Σ_i I_i V_i = Vᵀ G V ≥ 0, in t²/h.

    Independent of the voltage reference; zero only if no current flows.
    Non-negative up to rounding (of order 1e-16 of the largest I_i V_i).
    """
    return float(np.sum(terminal_powers(solution)))


def _check_temperature(temperature) -> float:
    return real(
        "temperature",
        temperature,
        minimum=0,
        strict=True,
        hint="t/k_B; the entropy production P/T diverges at T = 0",
    )


def entropy_production_rate(solution: BiasSolution, temperature: float) -> float:
    """Entropy production rate Ṡ = P/T ≥ 0 of a bias solution, in k_B t/h.

    Parameters
    ----------
    solution
        A solved bias problem, voltages in t/e.
    temperature
        Common temperature T of the reservoirs, in t/k_B (> 0).

    Returns
    -------
    float
        Ṡ in units of k_B t/h (k_B per time h/t): the Joule heat (t²/h)
        divided by T (t/k_B).
    """
    temperature = _check_temperature(temperature)
    return joule_heat(solution) / temperature


def dissipation_table(solution: BiasSolution, temperature: float | None = None) -> pd.DataFrame:
    """Per-terminal voltages, currents and powers of a bias solution.

    Parameters
    ----------
    solution
        A solved bias problem, voltages in t/e.
    temperature
        Optional reservoir temperature (t/k_B); adds the column ``entropy_rate``.

    Returns
    -------
    pandas.DataFrame
        One row per terminal: ``terminal``, ``kind`` (voltage / current /
        floating), ``voltage`` (t/e), ``current`` (e t/h), ``power`` (t²/h) and,
        with a temperature, ``entropy_rate`` = power/T (k_B t/h); the column sums
        of ``power`` and ``entropy_rate`` are the Joule heat and Ṡ.
    """
    solution = _check_solution(solution)
    powers = terminal_powers(solution)
    frame = pd.DataFrame(
        {
            "terminal": np.arange(powers.size),
            "kind": list(solution.kinds),
            "voltage": solution.voltages,
            "current": solution.currents,
            "power": powers,
        }
    )
    if temperature is not None:
        frame["entropy_rate"] = powers / _check_temperature(temperature)
    frame.attrs["units"] = {
        "voltage": "t/e",
        "current": "e t/h",
        "power": "t^2/h",
        "entropy_rate": "k_B t/h",
    }
    return frame
