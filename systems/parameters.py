"""Kwant parameter names: who reads them, their neutral values, and their checks.

Every builder in :mod:`systems` exposes its physical quantities as Kwant
``params`` names.  The standard names and units (see docs/architecture.md) are

============ ====================================================== =======
name         meaning                                                neutral
============ ====================================================== =======
``t``        nearest-neighbour hopping (the energy unit)            1
``V``        electrostatic potential energy, number or ``V(*pos)``  0
``B``        magnetic flux per lattice plaquette, in h/e            0
``phi``      Aharonov–Bohm flux through a ring, in h/e              0
``disorder`` width W of the uniform on-site disorder [−W/2, W/2]    0
``salt``     disorder seed (a string passed to :mod:`kwant.digest`) ``"0"``
``eta``      dephasing-probe coupling Γ = η (self-energy −iη/2)     0
============ ====================================================== =======

Who owns a parameter
--------------------
A finalized Kwant system keeps, for every site, hopping and lead, the value
function Kwant calls and the parameter names it reads.  A name is **owned by
mesoflow** in a system when it is read by a value function defined in
:mod:`systems` (the functions its builders put into systems, e.g.
:func:`systems.hamiltonian.square_onsite` or a dephasing probe), and **owned by
the user** when it is read by any other value function, whatever the name.

* A neutral value (table above) is filled in only for a name that mesoflow's
  value functions alone read.  A name that a user's function reads gets no
  default: if it is missing, :func:`resolve_params` raises, as Kwant does.
* A name owned by mesoflow is checked (finite, in range: ``t > 0``,
  ``disorder >= 0``, ``eta >= 0``, energies within ±1e15 so that a unit hopping
  keeps digits in E − H, ...; a field ``B`` or ``phi`` whose Peierls phase on some hopping
  exceeds 1e8 rad is refused where the phase is computed, see
  :mod:`systems.fields`).  A name only the user's functions read
  accepts any value Kwant accepts (arrays, matrices, functions, negative or
  complex numbers).
* A name that the system does not know at all is an error listing the known
  names (typo protection).  To use **one params dict across a family of
  systems** (with and without dephasing probes, a system and its leads alone),
  wrap it in :class:`SharedParams`: names that a system does not read are then
  ignored for that system, and ``SharedParams(params, family=[...])`` checks
  once that every name is read by some member of the family.
"""

from __future__ import annotations

import inspect
import math
import numbers
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import kwant

from .validation import MAX_ENERGY, MAX_PHASE, lead_index, real, shown

__all__ = [
    "NEUTRAL_PARAMS",
    "ParameterOwners",
    "SharedParams",
    "check_swept_param",
    "parameter_names",
    "parameter_owners",
    "resolve_params",
    "updated_params",
]

NEUTRAL_PARAMS: Mapping[str, Any] = MappingProxyType(
    {"t": 1.0, "V": 0.0, "B": 0.0, "phi": 0.0, "disorder": 0.0, "salt": "0", "eta": 0.0}
)

#: The module (package) whose value functions count as mesoflow's own.
_OWN_PACKAGE = "systems"


class SharedParams(dict):
    """A ``params`` dict shared by a family of systems: names a system does not read are ignored.

    By default every workflow refuses a name that the system does not know
    (typo protection).  A :class:`SharedParams` turns that check off for each
    single system, so that one dict can serve a system with and without
    dephasing probes, or a system and its leads alone.  Give ``family`` to
    keep the typo protection at the level of the family: every name must then
    be read by at least one of its systems.

    Parameters
    ----------
    params
        The parameters (a mapping, or None).
    family
        Optional finalized systems or leads; if given, a name that none of
        them reads is an error listing the names they know.
    **values
        More parameters, as keywords.

    Examples
    --------
    >>> params = SharedParams({"t": 1.0, "eta": 0.1}, family=[fsyst, fsyst_with_probes])
    >>> conductance_matrix(fsyst, 1.0, params=params)  # "eta" ignored: no probes here
    """

    def __init__(self, params: Mapping[str, Any] | None = None, *, family=None, **values):
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(
                f"params must be a mapping of names to values, got {type(params).__name__}"
            )
        super().__init__({**(params or {}), **values})
        if family is not None:
            members = [family] if not isinstance(family, Iterable) else list(family)
            known: set[str] = set()
            for member in members:
                names = parameter_names(member)
                if names is None:  # Kwant cannot tell for this member: no family check
                    return
                known |= names
            unknown = sorted(set(self) - known)
            if unknown:
                raise ValueError(
                    f"unknown parameter name(s) {unknown}: no system of the family reads them; "
                    f"the family knows {sorted(known) or 'no parameters'}"
                )

    def __or__(self, other):
        return SharedParams({**self, **other})

    def __repr__(self) -> str:
        return f"SharedParams({dict.__repr__(self)})"


def updated_params(
    params: Mapping[str, Any] | None, values: Mapping[str, Any]
) -> dict[str, Any] | SharedParams:
    """``params`` with ``values`` set; a :class:`SharedParams` stays shared."""
    merged = {**(params or {}), **values}
    return SharedParams(merged) if isinstance(params, SharedParams) else merged


@dataclass(frozen=True)
class ParameterOwners:
    """Which value functions of a finalized system read which parameter names.

    Attributes
    ----------
    names
        Every name read by the system (and its leads), or None when Kwant
        could not tell (a value function with ``*args``).
    mesoflow
        Names read by mesoflow's own value functions (those of :mod:`systems`),
        each mapped to the standard name whose meaning it has (a renamed or
        custom probe coupling such as ``eta_probe`` maps to ``"eta"``).
    user
        Names read by any other value function (the user's own).
    """

    names: frozenset[str] | None
    mesoflow: Mapping[str, str]
    user: frozenset[str]


def _positional_parameters(func: Any) -> tuple[str, ...]:
    """Names of a value function's positional parameters, as Kwant reads them.

    Kwant's rule (its private ``kwant._common.get_parameters``, not reused
    here): positional parameters without defaults; a default, a keyword-only
    parameter, ``*args`` or ``**kwargs`` is a ``ValueError``.
    """
    kinds = inspect.Parameter
    names = []
    for name, parameter in inspect.signature(func).parameters.items():
        if parameter.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD):
            if parameter.default is not kinds.empty:
                raise ValueError("arguments of value functions must not have default values")
            names.append(name)
        else:
            raise ValueError("value functions take only positional parameters")
    return tuple(names)


def _is_own(func: Any) -> bool:
    module = getattr(func, "__module__", None) or ""
    return module == _OWN_PACKAGE or module.startswith(_OWN_PACKAGE + ".")


def _value_functions(syst: Any):
    """Yield ``(function, names, meanings)`` for every value function of ``syst`` (not its leads).

    ``names`` is the tuple of parameter names Kwant passes, or an exception
    when Kwant could not determine them; ``meanings`` the function's own
    names for them (they differ after :meth:`kwant.Builder.substituted`).
    """
    if isinstance(syst, kwant.builder.SelfEnergyLead):
        func = syst.selfenergy_func
        own_name = getattr(func, "param", None)
        meanings = tuple("eta" if name == own_name else name for name in syst.parameters)
        yield func, tuple(syst.parameters), meanings
        return
    if isinstance(syst, kwant.builder.ModesLead):
        yield syst.modes_func, tuple(syst.parameters), tuple(syst.parameters)
        return
    onsites = getattr(syst, "onsites", None)
    hoppings = getattr(syst, "hoppings", None)
    if onsites is None or hoppings is None:  # a system Kwant's builder did not make
        names = getattr(syst, "parameters", None)
        if names is None:
            yield None, ValueError("unknown parameters"), ()
        else:
            yield None, tuple(names), tuple(names)
        return
    seen = set()
    for strip, pairs in ((1, onsites), (2, hoppings)):
        for value, names in pairs:
            if names is None or id(value) in seen:  # a constant, or done
                continue
            seen.add(id(value))
            if isinstance(names, Exception):
                yield value, names, ()
                continue
            try:
                meanings = _positional_parameters(value)[strip:]
            except (ValueError, TypeError):
                meanings = tuple(names)
            if len(meanings) != len(names):
                meanings = tuple(names)
            yield value, tuple(names), meanings


def _parts(syst: Any) -> list:
    """The system itself and, for a finite system, each of its leads."""
    return (
        [syst, *getattr(syst, "leads", ())]
        if isinstance(syst, kwant.system.FiniteSystem)
        else [syst]
    )


#: Memo of :func:`parameter_owners` per finalized system (a finalized system does not change;
#: entries go when the system is garbage collected).
_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def parameter_owners(syst: Any) -> ParameterOwners:
    """Who reads which parameter in a finalized system (scattering region and every lead).

    Parameters
    ----------
    syst
        A finalized Kwant system (:class:`kwant.system.FiniteSystem`, its
        leads included) or a finalized lead (:class:`kwant.system.InfiniteSystem`).

    Returns
    -------
    ParameterOwners
        Computed once per system (memoized while the system lives).
    """
    try:
        return _OWNERS[syst]
    except (KeyError, TypeError):
        pass
    owners = _parameter_owners(syst)
    try:
        _OWNERS[syst] = owners
    except TypeError:  # not weakly referenceable: just do not memoize
        pass
    return owners


def _parameter_owners(syst: Any) -> ParameterOwners:
    names: set[str] | None = set()
    mesoflow: dict[str, str] = {}
    user: set[str] = set()
    for part in _parts(syst):
        for func, part_names, meanings in _value_functions(part):
            if isinstance(part_names, Exception):
                names = None
                continue
            if names is not None:
                names |= set(part_names)
            if func is not None and _is_own(func):
                mesoflow.update(zip(part_names, meanings, strict=True))
            else:
                user |= set(part_names)
    return ParameterOwners(
        names=None if names is None else frozenset(names),
        mesoflow=MappingProxyType(mesoflow),
        user=frozenset(user),
    )


def parameter_names(syst: Any) -> frozenset[str] | None:
    """Names of all Kwant parameters used by a finalized system and its leads.

    Parameters
    ----------
    syst
        A finalized Kwant system, or a finalized lead.

    Returns
    -------
    frozenset of str, or None
        The union of the parameter names of the scattering region and of every
        lead, or None when Kwant could not determine them (a value function
        with ``*args`` or ``**kwargs``).
    """
    return parameter_owners(syst).names


#: Checks of mesoflow's own parameters: meaning -> (bounds for :func:`real`, the
#: function of position accepted instead of a number or None, what the value means).
#: Energies are bounded by ±MAX_ENERGY and the hopping t, the energy unit, to
#: [1/MAX_ENERGY, MAX_ENERGY] (a subnormal t divides by zero in the lead modes); the fields
#: B and phi by ±MAX_PHASE/2π here, and by the phase they give on each hopping where it is computed
#: (systems.fields: at most MAX_PHASE rad, naming the hopping).
_ENERGY = {"minimum": -MAX_ENERGY, "maximum": MAX_ENERGY}
#: A flux beyond MAX_PHASE / 2π gives a phase beyond MAX_PHASE on any hopping it reaches.
_FLUX = {"minimum": -round(MAX_PHASE / (2 * math.pi)), "maximum": round(MAX_PHASE / (2 * math.pi))}
_CHECKS: dict[str, tuple[dict[str, Any], str | None, str]] = {
    "t": ({"minimum": 1 / MAX_ENERGY, "maximum": MAX_ENERGY}, None, "the hopping, the energy unit"),
    "V": (_ENERGY, "V(*pos)", "units of t"),
    "B": (_FLUX, None, "flux per plaquette in h/e, periodic with period 1: pass B modulo 1"),
    "phi": (_FLUX, None, "flux through the ring in h/e, periodic with period 1: pass phi modulo 1"),
    "disorder": ({"minimum": 0, "maximum": MAX_ENERGY}, None, "disorder width, units of t"),
    "eta": ({"minimum": 0, "maximum": MAX_ENERGY}, "eta(*pos)", "dephasing coupling, units of t"),
    "V_gate": (_ENERGY, None, "gate potential energy, units of t"),
}


def check_swept_param(syst: Any, param: Any, params: Mapping[str, Any] | None) -> None:
    """Refuse ``param`` as the swept parameter unless it is a name the system reads.

    A swept parameter is a Kwant ``params`` name (a Python identifier) that the
    system or its leads read (when that can be told, see
    :func:`parameter_names`), and is not also fixed in ``params`` (the sweep
    sets it).
    """
    if not isinstance(param, str) or not param.isidentifier():
        raise TypeError(f"param must be a parameter name (str), got {param!r}")
    known = parameter_names(syst)
    if known is not None and param not in known:
        raise ValueError(
            f"param={param!r} is not a parameter of this system; it knows {sorted(known)}"
        )
    if params is not None and param in params:
        raise ValueError(
            f"param={param!r} is also given in params; the sweep sets it: remove it from params"
        )


def _check_value(name: str, meaning: str, value: Any) -> Any:
    """Check one parameter read by mesoflow's value functions; return it, normalised."""
    if meaning == "salt":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise TypeError(
                f"parameter 'salt' must be a string (a disorder seed), got {shown(value)}"
            )
        return value
    if meaning not in _CHECKS:
        return value
    bounds, function, hint = _CHECKS[meaning]
    if function is not None:
        if callable(value):
            return value
        hint = f"or a function {function} of position; {hint}"
    real(f"parameter {name!r}", value, hint=hint, **bounds)
    return value


def resolve_params(
    syst: Any, params: Mapping[str, Any] | None = None, *, lead: int | None = None
) -> dict[str, Any]:
    """Complete and check the ``params`` of a finalized system before solving.

    Kwant's rules, plus neutral values for mesoflow's own parameters:

    * a name read only by mesoflow's value functions (those of :mod:`systems`)
      and omitted takes its neutral value (:data:`NEUTRAL_PARAMS`);
    * a name read by a user's value function must be given (whatever its
      name: no default is ever filled in for it), with any value;
    * names read by mesoflow's value functions are checked (finite, in range);
    * a name the system does not read is an error, unless ``params`` is a
      :class:`SharedParams` (then it is left out of the result).

    Parameters
    ----------
    syst
        A finalized Kwant system, or a finalized lead (``InfiniteSystem``).
    params
        The caller's parameters, or None.
    lead
        If given, resolve for lead ``lead`` of ``syst`` alone: only the names
        that lead reads are needed, while unknown names are still checked
        against the whole system.

    Returns
    -------
    dict
        The parameters to pass to Kwant: the caller's plus the neutral
        defaults that the system (or lead) needs.

    Raises
    ------
    TypeError
        If ``params`` is not a mapping, or a mesoflow parameter has the wrong type.
    ValueError
        If a name is unknown to the system, a needed name without a neutral
        default is missing, or a mesoflow parameter is out of range.
    """
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of names to values, got {type(params).__name__}")
    given = {str(name): value for name, value in params.items()}
    shared = isinstance(params, SharedParams)
    target = syst
    if lead is not None:
        if not isinstance(syst, kwant.system.FiniteSystem):
            raise TypeError("lead= needs a finalized system with leads")
        target = syst.leads[lead_index("lead", lead, len(syst.leads))]
    known = parameter_names(syst)
    if shared and known is not None:  # ignored for this system: left out of what Kwant gets
        given = {name: value for name, value in given.items() if name in known}
    if not shared and known is not None:
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"unknown parameter name(s) {unknown} for this system; "
                f"it knows {sorted(known) or 'no parameters'} (to share one params dict "
                "across several systems, pass systems.SharedParams(params))"
            )
    owners = parameter_owners(target)
    # A name the user reads anywhere in the system gets no default, in a lead alone too.
    user_names = owners.user | (parameter_owners(syst).user if target is not syst else set())
    defaulted = _defaulted(owners) - user_names
    needed = owners.names
    resolved = dict(given)
    if needed is not None:
        missing = sorted(needed - set(given) - defaulted)
        if missing:
            users = sorted(set(missing) & user_names)
            detail = (
                f"; {users} {'is' if len(users) == 1 else 'are'} read by your own value "
                "function(s), which get no default"
                if users
                else ""
            )
            raise ValueError(
                f"missing value(s) for parameter(s) {missing}: pass them in params{detail} "
                f"(the system's parameters are {sorted(needed)})"
            )
    for name in defaulted - set(given):
        resolved[name] = NEUTRAL_PARAMS[name]
    for name, meaning in owners.mesoflow.items():
        if name in resolved:
            resolved[name] = _check_value(name, meaning, resolved[name])
    return resolved


def _defaulted(owners: ParameterOwners) -> set[str]:
    """Names that get a neutral value when omitted: standard, and read by mesoflow alone."""
    return {
        name
        for name, meaning in owners.mesoflow.items()
        if name == meaning and name in NEUTRAL_PARAMS and name not in owners.user
    }
