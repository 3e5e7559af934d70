"""The project's argument checks: every type and range check of mesoflow goes through these.

Each checker names the argument, shows the value it got and says what would be
valid, in one line, and returns the value converted to a plain Python type::

    length = integer("length", length, minimum=1, what="an integer number of sites")
    temperature = real("temperature", temperature, minimum=0, hint="k_B T in t")
    model = choice("model", model, ("dephasing", "voltage", "hot"))
    lead = lead_index("lead", lead, len(fsyst.leads), of="lead")

A value of the wrong kind (a float where an integer is needed, a string, a
bool, a complex number) raises :class:`TypeError`; a value of the right kind
outside the valid range (negative, NaN, infinite, not among the options)
raises :class:`ValueError`.  ``bool`` is never accepted as a number although
Python counts it as one.  The builders' shortcuts :func:`positive_int` and
:func:`positive_real`, the size guard :func:`check_size` and the connectivity
check :func:`check_connected` are built on the same messages, as are
:func:`boolean` (only ``True``/``False``, never a truthy string),
:func:`energy` (a real number within ±:data:`MAX_ENERGY`), :func:`real_array` (one
real or an array of them), :func:`iterable` (a collection,
not None or a string) and :func:`check_phase` (a Peierls phase with digits
left, :data:`MAX_PHASE`).

The checks shared by the solvers and the Kwant-free algebra live here too: a
finalized system with leads (:func:`check_system`), a conductance matrix
(:func:`check_conductance_matrix`), terminal indices and set-points
(:func:`terminal_index`, :func:`check_source_sink`, :func:`terminal_setpoints`) and a
flux period (:func:`flux_period`).
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import kwant
import numpy as np

#: Largest number of sites a builder makes unless the caller raises ``max_sites``.
MAX_SITES = 1_000_000
#: Hard limit on the sites of any system, whatever ``max_sites`` says: Kwant numbers sites
#: and hoppings with C ``int`` (32-bit) indices (``kwant.graph.defs.gint``), so a system of
#: more than 2³¹ − 1 sites cannot be finalized at all.
KWANT_MAX_SITES = 2**31 - 1
#: Largest |energy|, |hopping| or |potential| accepted (units of t; a user's system: its own
#: energy unit).  Double precision keeps ~16 digits, so beyond 1e15 a unit hopping is lost in
#: E − H (|E| ≥ 1e16 swamps 1) and the answer is rounding; further out Kwant's lead modes fail
#: (measured on a 3×3 wire: correct G = 0 up to E = 1e20 t, LinAlgWarning at 1e50, LinAlgError
#: at 1e100), and products of two such numbers overflow beyond 1e154.
MAX_ENERGY = 1e15
#: Largest Peierls (or Aharonov–Bohm) phase in radians accepted on any hopping: at 1e8 rad a
#: double (53 bits, ~16 digits) keeps fewer than 8 digits of the phase's fractional part,
#: beyond it exp(iθ) is rounding noise.
MAX_PHASE = 1e8


def _bound(value: Any) -> str:
    """A bound as written: 1, 0.5, 1e+15 (large floats in exponent form)."""
    return f"{value:.6g}" if isinstance(value, float) and abs(value) >= 1e6 else str(value)


def _range(minimum: Any, maximum: Any, strict: bool) -> str:
    """' >= 1', ' > 0', ' in [0, 1]', ' in (0, 1)' or '' for the bounds given."""
    minimum = None if minimum is None else _bound(minimum)
    maximum = None if maximum is None else _bound(maximum)
    if minimum is not None and maximum is not None:
        left, right = ("(", ")") if strict else ("[", "]")
        return f" in {left}{minimum}, {maximum}{right}"
    if minimum is not None:
        return f" {'>' if strict else '>='} {minimum}"
    if maximum is not None:
        return f" {'<' if strict else '<='} {maximum}"
    return ""


def shown(value: Any) -> str:
    """``repr(value)`` on one line and at most 80 characters (arrays, long lists)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else f"{text[:77]}..."


def _hint(hint: str | None) -> str:
    return f" ({hint})" if hint else ""


def integer(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    what: str = "an integer",
    hint: str | None = None,
) -> int:
    """Return ``value`` as an ``int``, or raise if it is not an integer within the bounds.

    Parameters
    ----------
    name
        The argument's name, as the caller wrote it (``"width"``, ``"orders[2]"``).
    value
        What the caller passed.  Any :class:`numbers.Integral` except ``bool``
        (Python ints, NumPy integers).
    minimum, maximum
        Inclusive bounds; None for none.
    what
        What kind of integer, for the message (``"an integer number of sites"``).
    hint
        What the number means or its unit, shown in parentheses
        (``"h/e harmonic order"``).

    Raises
    ------
    TypeError
        ``value`` is not an integer (e.g. ``10.0``, ``True``, ``"3"``).
    ValueError
        ``value`` is outside ``[minimum, maximum]``.
    """
    requirement = f"{what}{_range(minimum, maximum, False)}{_hint(hint)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {requirement}, got {shown(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {requirement}, got {shown(value)}")
    return int(value)


def real(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    finite: bool = True,
    hint: str | None = None,
) -> float:
    """Return ``value`` as a ``float``, or raise if it is not a real number within the bounds.

    Parameters
    ----------
    name
        The argument's name.
    value
        What the caller passed.  Any :class:`numbers.Real` except ``bool``
        (Python ints and floats, NumPy scalars); complex numbers are refused.
    minimum, maximum
        Bounds; None for none.
    strict
        Exclusive bounds (``minimum=0, strict=True``: > 0) instead of
        inclusive ones (>= 0).
    finite
        Refuse ±inf (default).  With ``finite=False`` an infinite value within
        the bounds is accepted (e.g. no time limit); NaN is always refused.
    hint
        What the number means or its unit, shown in parentheses (``"k_B T in t"``).

    Raises
    ------
    TypeError
        ``value`` is not a real number.
    ValueError
        ``value`` is NaN, infinite (unless ``finite=False``) or out of bounds.
    """
    kind = "a finite real number" if finite else "a real number"
    requirement = f"{kind}{_range(minimum, maximum, strict)}{_hint(hint)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {requirement}, got {shown(value)}")
    number = float(value)
    below = minimum is not None and (number <= minimum if strict else number < minimum)
    above = maximum is not None and (number >= maximum if strict else number > maximum)
    if math.isnan(number) or (finite and math.isinf(number)) or below or above:
        raise ValueError(f"{name} must be {requirement}, got {shown(value)}")
    return number


def choice(name: str, value: Any, options: Iterable[Any], *, hint: str | None = None) -> Any:
    """Return ``value`` if it is one of ``options``, else raise a ValueError listing them.

    Parameters
    ----------
    name
        The argument's name.
    value
        What the caller passed.
    options
        The valid values (compared with ``==``; strings, numbers, None).
    hint
        What the options mean, shown in parentheses.
    """
    options = tuple(options)
    if not any(value is option or _equal(value, option) for option in options):
        listed = ", ".join(repr(option) for option in options[:-1])
        listed = f"{listed} or {options[-1]!r}" if listed else repr(options[-1])
        raise ValueError(f"{name} must be {listed}{_hint(hint)}, got {shown(value)}")
    return value


def _equal(value: Any, option: Any) -> bool:
    if isinstance(value, bool) != isinstance(option, bool):  # True is not 1 here
        return False
    try:
        return bool(value == option)
    except (TypeError, ValueError):  # e.g. an array compared with a string
        return False


def boolean(name: str, value: Any) -> bool:
    """Return ``value`` as a ``bool`` if it is ``True`` or ``False`` (or a NumPy bool), else raise.

    A string (``"false"`` is truthy), a number or None is a :class:`TypeError`:
    a switch is set only by a bool.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {shown(value)}")


def energy(name: str, value: Any, *, hint: str = "units of t") -> float:
    """Return ``value`` as a float if it is a real number with |value| <= :data:`MAX_ENERGY`.

    Used for energies, hoppings and potentials: beyond 1e15 (in the system's
    energy unit) a unit hopping has no digits left in E − H and the solver's
    answer (or failure) means nothing.
    """
    return real(name, value, minimum=-MAX_ENERGY, maximum=MAX_ENERGY, hint=hint)


def hopping(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a hopping (the energy unit) in [1e-15, 1e15].

    A subnormal or tiny hopping divides by zero in E/t and in a lead's modes;
    beyond :data:`MAX_ENERGY` nothing keeps its digits (see there).
    """
    return real(name, value, minimum=1 / MAX_ENERGY, maximum=MAX_ENERGY, hint="the hopping")


def iterable(name: str, value: Any, *, what: str = "values") -> list:
    """Return ``value`` as a list if it is a finite iterable (not None, a string or a mapping).

    Raises
    ------
    TypeError
        ``value`` is None, a string, a mapping, a scalar or a one-shot iterator
        that fails while being read.
    """
    if value is None or isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a sequence (a list or array) of {what}, got {shown(value)}"
        )
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise TypeError(
            f"{name} must be a sequence (a list or array) of {what}, got a scalar {shown(value)}"
        )
    return list(value)


def real_array(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    hint: str | None = None,
    missing: bool = False,
) -> Any:
    """A real number (as :func:`real`) or an array of them, every entry within the bounds.

    A scalar comes back as a ``float``; a list, tuple or array-like (NumPy,
    pandas) as a float array of the same shape.  Entries that are bools,
    strings, complex numbers or None are a :class:`TypeError` (a list is
    checked entry by entry, so ``[True, 0.1]`` is refused too); NaN, ±inf and
    entries out of bounds a :class:`ValueError`.  With ``missing=True`` NaN
    and ±inf pass (data columns, where NaN marks a failed point).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    scalar = not isinstance(value, (list, tuple)) and not hasattr(value, "__array__")
    if scalar and missing and isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(value):
            return float(value)
    if scalar:
        return real(name, value, minimum=minimum, maximum=maximum, strict=strict, hint=hint)
    kind = "real numbers" if missing else "finite real numbers"
    requirement = f"{kind}{_range(minimum, maximum, strict)}{_hint(hint)}"
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ValueError(f"{name} must be a regular array of {requirement}") from None
    if isinstance(value, (list, tuple)):  # entry by entry: [True, 0.1] is not [1.0, 0.1]
        for index, entry in enumerate(np.ravel(np.asarray(value, dtype=object))):
            real_array(
                f"{name}[{index}]",
                entry,
                minimum=minimum,
                maximum=maximum,
                strict=strict,
                missing=missing,
            )
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of {requirement}, got dtype {array.dtype}")
    array = array.astype(float)
    low = (array <= minimum if strict else array < minimum) if minimum is not None else False
    high = (array >= maximum if strict else array > maximum) if maximum is not None else False
    bad = (np.zeros(array.shape, bool) if missing else ~np.isfinite(array)) | low | high
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = index[0] if len(index) == 1 else index
        raise ValueError(
            f"{name} must be an array of {requirement}, got {float(array[index])!r} at {where}"
        )
    return array


def check_phase(name: str, value: Any, phase: float, where: str, period: str) -> None:
    """Refuse a field whose phase ``phase`` (radians) on one hopping exceeds :data:`MAX_PHASE`.

    Parameters
    ----------
    name, value
        The field parameter (``"B"``, ``"phi"``) and its value.
    phase
        The phase it gives at ``where``, in radians (may be inf).
    where
        The hopping, for the message (``"the hopping (3, 4) -> (3, 5)"``).
    period
        What the field is periodic in, for the advice (``"1 (h/e per plaquette)"``).
    """
    if not abs(phase) <= MAX_PHASE:  # also NaN
        raise ValueError(
            f"{name}={shown(value)} gives a Peierls phase of {phase:.3g} rad on {where}, more "
            f"than {MAX_PHASE:.0e} rad: fewer than 8 digits of its fractional part survive in "
            f"double precision. A large flux is physical but periodic: pass {name} modulo {period}"
        )


def lead_index(name: str, value: Any, count: int, *, of: str = "lead") -> int:
    """Return ``value`` as an ``int`` if it indexes one of ``count`` leads (0 … count − 1).

    Negative indices are refused: a lead or terminal is named by its position.

    Parameters
    ----------
    name
        The argument's name (``"lead"``, ``"reference"``, ``"voltage[1]"``).
    value
        What the caller passed.
    count
        How many leads (terminals, rows of a conductance matrix) there are.
    of
        What is indexed, for the message (``"lead"``, ``"terminal"``).
    """
    valid = f"valid {of} indices are 0..{count - 1}" if count > 0 else f"there are no {of}s"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a {of} index (an integer; {valid}), got {shown(value)}")
    if not 0 <= value < count:
        raise ValueError(f"{name}={shown(value)} is out of range: {valid}")
    return int(value)


def terminal_index(name: str, value: Any, count: int) -> int:
    """Return ``value`` as an ``int`` if it indexes one of ``count`` terminals (rows of G)."""
    return lead_index(name, value, count, of="terminal")


def check_source_sink(source: Any, sink: Any, count: int) -> tuple[int, int]:
    """``(source, sink)`` as two distinct terminal indices among ``count``, or a one-line error."""
    source = terminal_index("source", source, count)
    sink = terminal_index("sink", sink, count)
    if source == sink:
        raise ValueError(f"source and sink must differ, both are {source}")
    return source, sink


def terminal_setpoints(name: str, values: Mapping | None, count: int) -> dict[int, float]:
    """Set-points ``{terminal: value}`` (voltages or currents) as ``{int: float}``.

    Parameters
    ----------
    name
        The argument's name (``"voltages"``, ``"currents"``), for the message.
    values
        A mapping of terminal index to a real number, or None (no set-points).
    count
        How many terminals there are.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a mapping of terminal index to value, got {values!r}")
    checked = {}
    for key, value in values.items():
        terminal = terminal_index(f"terminal in {name}", key, count)
        if terminal in checked:
            raise ValueError(f"terminal {terminal} is named twice in {name}")
        checked[terminal] = real(f"{name}[{terminal}]", value)
    return checked


def check_conductance_matrix(G: Any) -> np.ndarray:
    """Return ``G`` as a real square array of at least 2 terminals whose rows and columns sum to 0.

    The Landauer–Büttiker conductance matrix (e²/h) conserves current and is
    gauge invariant: every row and column sums to zero (to 1e-6 of its largest
    entry, or of 1 e²/h).
    """
    G = np.asarray(real_array("G", G, missing=True, hint="a real (M, M) conductance matrix"))
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] < 2:
        raise ValueError(
            f"G must be a square conductance matrix of at least 2 terminals, got shape {G.shape}"
        )
    if not np.all(np.isfinite(G)):
        raise ValueError("G contains NaN or infinite entries")
    scale = max(1.0, float(np.abs(G).max()))
    deviation = max(np.abs(G.sum(axis=0)).max(), np.abs(G.sum(axis=1)).max())
    if deviation > 1e-6 * scale:
        raise ValueError(
            f"G is not a conductance matrix: its rows and columns must sum to zero "
            f"(largest sum {deviation:.3g})"
        )
    return G


def check_system(fsyst: Any) -> None:
    """Refuse anything but a finalized Kwant system with at least one lead.

    An unfinalized :class:`kwant.Builder` gets the advice to finalize it once
    and reuse it.
    """
    if isinstance(fsyst, kwant.Builder):
        raise TypeError("expected a finalized system: call builder.finalized() once and reuse it")
    if not isinstance(fsyst, kwant.system.FiniteSystem):
        raise TypeError(f"expected a finalized kwant system, got {type(fsyst).__name__}")
    if not fsyst.leads:
        raise ValueError("the system has no leads: a conductance matrix needs at least one lead")


def flux_period(name: str, value: Any) -> float:
    """Return a flux period (> 0, in the flux's own unit) as a float."""
    return real(
        name,
        value,
        minimum=0,
        strict=True,
        hint="the flux period in the flux's unit, 1 for h/e, 2π for radians",
    )


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not a number of sites >= ``minimum``."""
    return integer(name, value, minimum=minimum, what="an integer number of sites")


def positive_real(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number > 0."""
    return real(name, value, minimum=0, strict=True)


def _count(estimate: float) -> str:
    return f"about {estimate:.3g}" if math.isfinite(estimate) else "more than 1e308"


def check_size(builder: str, estimate: float, max_sites: Any) -> None:
    """Refuse, before building, a system whose estimated site count exceeds ``max_sites``.

    ``max_sites=None`` lifts the limit (the caller says they mean it) up to
    :data:`KWANT_MAX_SITES`, beyond which Kwant cannot number the sites at all.
    """
    if max_sites is not None:
        integer("max_sites", max_sites, minimum=0, hint="number of sites, or None for no limit")
        if estimate > max_sites:
            raise ValueError(
                f"{builder} would have {_count(estimate)} sites, more than "
                f"max_sites={max_sites:,}; building it would take very long and much memory. "
                "Pass a larger max_sites (or max_sites=None) if you mean it"
            )
    if estimate > KWANT_MAX_SITES:
        raise ValueError(
            f"{builder} would have {_count(estimate)} sites, more than any Kwant system can "
            f"hold ({KWANT_MAX_SITES:,}: sites are numbered with 32-bit integers); make it smaller"
        )


def check_connected(syst: kwant.Builder, builder: str, fix: str) -> None:
    """Refuse a scattering region in pieces, or leads that are not connected to each other."""
    sites = list(syst.sites())
    if not sites:
        raise ValueError(f"{builder} has no lattice sites; {fix}")
    start = sites[0]
    seen = {start}
    todo = deque([start])
    while todo:
        for neighbor in syst.neighbors(todo.popleft()):
            if neighbor not in seen:
                seen.add(neighbor)
                todo.append(neighbor)
    if len(seen) < len(sites):
        raise ValueError(
            f"{builder}: its {len(sites)} lattice sites do not form one connected region "
            f"(the piece containing the site at {_position(start)} has {len(seen)} sites), so no "
            f"current could flow between its leads; {fix}"
        )


def _position(site: Any) -> tuple[float, ...]:
    return tuple(float(c) for c in site.pos)
