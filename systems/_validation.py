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
check :func:`check_connected` are built on the same messages.
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from collections.abc import Iterable
from typing import Any

import kwant

#: Largest number of sites a builder makes unless the caller raises ``max_sites``.
MAX_SITES = 1_000_000


def _range(minimum: Any, maximum: Any, strict: bool) -> str:
    """' >= 1', ' > 0', ' in [0, 1]', ' in (0, 1)' or '' for the bounds given."""
    if minimum is not None and maximum is not None:
        left, right = ("(", ")") if strict else ("[", "]")
        return f" in {left}{minimum}, {maximum}{right}"
    if minimum is not None:
        return f" {'>' if strict else '>='} {minimum}"
    if maximum is not None:
        return f" {'<' if strict else '<='} {maximum}"
    return ""


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
        raise TypeError(f"{name} must be {requirement}, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {requirement}, got {value!r}")
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
        raise TypeError(f"{name} must be {requirement}, got {value!r}")
    number = float(value)
    below = minimum is not None and (number <= minimum if strict else number < minimum)
    above = maximum is not None and (number >= maximum if strict else number > maximum)
    if math.isnan(number) or (finite and math.isinf(number)) or below or above:
        raise ValueError(f"{name} must be {requirement}, got {value!r}")
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
        raise ValueError(f"{name} must be {listed}{_hint(hint)}, got {value!r}")
    return value


def _equal(value: Any, option: Any) -> bool:
    if isinstance(value, bool) != isinstance(option, bool):  # True is not 1 here
        return False
    try:
        return bool(value == option)
    except (TypeError, ValueError):  # e.g. an array compared with a string
        return False


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
        raise TypeError(f"{name} must be a {of} index (an integer; {valid}), got {value!r}")
    if not 0 <= value < count:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return int(value)


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not a number of sites >= ``minimum``."""
    return integer(name, value, minimum=minimum, what="an integer number of sites")


def positive_real(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number > 0."""
    return real(name, value, minimum=0, strict=True)


def check_size(builder: str, estimate: float, max_sites: Any) -> None:
    """Refuse, before building, a system whose estimated site count exceeds ``max_sites``.

    ``max_sites=None`` lifts the limit (the caller says they mean it).
    """
    if max_sites is None:
        return
    integer("max_sites", max_sites, minimum=0, hint="number of sites, or None for no limit")
    if estimate > max_sites:
        raise ValueError(
            f"{builder} would have about {estimate:.3g} sites, more than max_sites={max_sites:,}; "
            "building it would take very long and much memory. Pass a larger max_sites "
            "(or max_sites=None) if you mean it"
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
