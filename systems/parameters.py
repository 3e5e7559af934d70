"""Standard Kwant parameter names, their neutral values, and their validation.

Every builder in :mod:`systems` exposes its physical quantities as Kwant
``params`` names.  The standard names and units (see DESIGN.md) are

========== ======================================================== ==========
name       meaning                                                  neutral
========== ======================================================== ==========
``t``      nearest-neighbour hopping (the energy unit)              1
``V``      electrostatic potential energy, number or ``V(*pos)``    0
``B``      magnetic flux per lattice plaquette, in h/e              0
``phi``    Aharonov–Bohm flux through a ring, in h/e                0
``disorder`` width W of the uniform on-site disorder [−W/2, W/2]    0
``salt``   disorder seed (a string passed to :mod:`kwant.digest`)   ``"0"``
``eta``    dephasing-probe coupling Γ = η (self-energy −iη/2)       0
========== ======================================================== ==========

Workflows call :func:`resolve_params` so that a caller may omit any standard
name (it takes its neutral value) while a misspelt or unknown name is an error.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import kwant

__all__ = ["NEUTRAL_PARAMS", "parameter_names", "resolve_params"]

NEUTRAL_PARAMS: Mapping[str, Any] = MappingProxyType(
    {"t": 1.0, "V": 0.0, "B": 0.0, "phi": 0.0, "disorder": 0.0, "salt": "0", "eta": 0.0}
)

_REAL_NAMES = frozenset({"t", "B", "phi", "disorder"})
_REAL_OR_FUNCTION_NAMES = frozenset({"V", "eta"})


def parameter_names(fsyst: kwant.system.FiniteSystem) -> frozenset[str] | None:
    """Names of all Kwant parameters used by a finalized system and its leads.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.

    Returns
    -------
    frozenset of str, or None
        The union of the parameter names of the scattering region and of every
        lead, or None when Kwant could not determine them (a value function
        with ``*args`` or ``**kwargs``).
    """
    names = fsyst.parameters
    if names is None:
        return None
    names = set(names)
    for lead in fsyst.leads:
        lead_names = getattr(lead, "parameters", frozenset())
        if lead_names is None:
            return None
        names |= set(lead_names)
    return frozenset(names)


def _check_value(name: str, value: Any) -> Any:
    """Type-check one standard parameter value; return it, normalised."""
    if name in _REAL_NAMES or (name in _REAL_OR_FUNCTION_NAMES and not callable(value)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            kind = (
                "a real number or a function of position"
                if name in (_REAL_OR_FUNCTION_NAMES)
                else "a real number"
            )
            raise TypeError(f"parameter {name!r} must be {kind}, got {value!r}")
    if name == "salt":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise TypeError(f"parameter 'salt' must be a string (a disorder seed), got {value!r}")
    if name == "disorder" and value < 0:
        raise ValueError(f"parameter 'disorder' must be >= 0, got {value!r}")
    if name == "eta" and not callable(value) and value < 0:
        raise ValueError(
            f"parameter 'eta' (dephasing coupling) must be >= 0, got {value!r}: a negative "
            "coupling would be a source of particles, not a probe"
        )
    return value


def resolve_params(
    fsyst: kwant.system.FiniteSystem, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Complete and check the ``params`` of a finalized system before solving.

    Standard names that the system uses and the caller omits take their
    neutral value (:data:`NEUTRAL_PARAMS`).  A name the system does not use is
    an error, as is a non-standard name the system needs and the caller omits.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    params
        The caller's parameters, or None.

    Returns
    -------
    dict
        The parameters to pass to Kwant: the caller's plus the neutral
        defaults the system needs.

    Raises
    ------
    TypeError
        If ``params`` is not a mapping, or a standard parameter has the wrong type.
    ValueError
        If a name is unknown to the system, or a needed non-standard name is missing.
    """
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of names to values, got {type(params).__name__}")
    known = parameter_names(fsyst)
    given = {str(name): value for name, value in params.items()}
    if known is None:  # Kwant could not tell; fill what we can, check nothing more
        resolved = {**{k: v for k, v in NEUTRAL_PARAMS.items() if k not in given}, **given}
        return {name: _check_value(name, value) for name, value in resolved.items()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(
            f"unknown parameter name(s) {unknown} for this system; "
            f"it knows {sorted(known) or 'no parameters'}"
        )
    missing = sorted(name for name in known - set(given) if name not in NEUTRAL_PARAMS)
    if missing:
        raise ValueError(
            f"missing value(s) for parameter(s) {missing}: they have no neutral default; "
            f"pass them in params (the system's parameters are {sorted(known)})"
        )
    resolved = {name: NEUTRAL_PARAMS[name] for name in known - set(given)}
    resolved.update(given)
    return {name: _check_value(name, value) for name, value in resolved.items()}
