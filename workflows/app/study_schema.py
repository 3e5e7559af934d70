"""The schema of a TOML study file: its tables, keys and value types, checked by msgspec.

A study file is parsed with :mod:`tomllib` and converted to the typed
:class:`StudyEntry` by :func:`msgspec.convert`: unknown keys, missing keys,
values of the wrong TOML type and the observable kinds (a tagged union on
``kind``) are refused by the schema.  :func:`schema_error` turns msgspec's
message into the study's one-line form, naming the file and the entry
(``study.toml: [grid] energy.num: must be an integer, got float 7.5``).  What
the schema cannot know (parameter names of the system, lead indices, the
trust rule) is checked by :mod:`workflows.app.study_file`.

msgspec was chosen over pydantic: its tagged unions (``kind``) and
``forbid_unknown_fields`` say exactly what this format needs, it is one
compiled module without dependencies (pydantic needs pydantic-core,
annotated-types and typing-inspection), and it imports in about half the time
(measured with ``python -X importtime``, best of five on a loaded 2-core
machine: ``import msgspec`` 0.10–0.27 s, ``from pydantic import BaseModel``
0.42 s).  Either cost is paid only when a study is loaded, never by
``mesoflow --help``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

import msgspec

from systems.validation import shown

__all__ = [
    "OBSERVABLE_KINDS",
    "ConductanceEntry",
    "ExecutorEntry",
    "HarmonicsEntry",
    "OutputEntry",
    "PlotEntry",
    "RangeEntry",
    "ResistanceEntry",
    "StudyEntry",
    "StudyError",
    "TransmissionEntry",
    "convert",
    "parse_study",
]


class StudyError(ValueError):
    """A study file is invalid; the message names the file, the entry and what is valid."""


_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
_Lead = Annotated[int, msgspec.Meta(ge=0)]
#: A fixed or scanned value as TOML gives it: a number, or a string (``salt``).
Value = int | float | str


class RangeEntry(msgspec.Struct, forbid_unknown_fields=True):
    """``{start, stop, num}``: ``num`` values from ``start`` to ``stop`` inclusive."""

    start: float
    stop: float
    num: int


#: A grid axis: a range or a list of values.
Axis = RangeEntry | list[Value]


class _Entry(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    """An ``[[observables]]`` entry; its ``kind`` selects the subclass."""


class ConductanceEntry(_Entry, tag="conductance"):
    """Two-terminal conductance (e²/h), every other lead floating."""

    name: _NonEmpty = "G"
    source: _Lead = 0
    sink: _Lead = 1


class TransmissionEntry(_Entry, tag="transmission"):
    """Coherent transmission T = −G[sink, source]."""

    name: _NonEmpty = "T"
    source: _Lead = 0
    sink: _Lead = 1


class ResistanceEntry(_Entry, tag="four_terminal_resistance"):
    """Four-terminal resistance R_ij,kl (h/e²), other leads floating."""

    current: tuple[_Lead, _Lead]
    voltage: tuple[_Lead, _Lead]
    name: _NonEmpty = "R"


class HarmonicsEntry(_Entry, tag="flux_harmonics"):
    """Post-processing: flux harmonics of observable ``of`` along grid axis ``axis``."""

    of: _NonEmpty
    axis: _NonEmpty = "phi"
    orders: list[Annotated[int, msgspec.Meta(ge=1)]] = msgspec.field(default_factory=lambda: [1, 2])
    period: Annotated[float, msgspec.Meta(gt=0)] | None = None
    name: _NonEmpty | None = None


ObservableEntry = ConductanceEntry | TransmissionEntry | ResistanceEntry | HarmonicsEntry
#: All observable kinds a study may declare.
OBSERVABLE_KINDS = tuple(entry.__struct_config__.tag for entry in ObservableEntry.__args__)


class ExecutorEntry(msgspec.Struct, forbid_unknown_fields=True):
    """``[executor]``: local workers, or a dask scheduler, and a time limit per point."""

    workers: Annotated[int, msgspec.Meta(ge=1)] | None = None
    address: _NonEmpty | None = None
    scheduler_file: _NonEmpty | None = None
    timeout: float | None = None


class PlotEntry(msgspec.Struct, forbid_unknown_fields=True):
    """``[output] plot = {x = ..., y = [...]}``."""

    x: _NonEmpty | None = None
    y: _NonEmpty | list[str] | None = None


class OutputEntry(msgspec.Struct, forbid_unknown_fields=True):
    """``[output]``: the default plot (never the directory: that is the caller's)."""

    plot: PlotEntry = msgspec.field(default_factory=PlotEntry)


class StudyEntry(msgspec.Struct, forbid_unknown_fields=True):
    """A study file as typed by the schema (values of ``[params]``, ``[grid]`` still raw)."""

    system: dict[str, Any]
    name: str | None = None
    description: str = ""
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    grid: dict[str, Any] = msgspec.field(default_factory=dict)
    observables: list[ObservableEntry] = msgspec.field(default_factory=list)
    executor: ExecutorEntry = msgspec.field(default_factory=ExecutorEntry)
    output: OutputEntry = msgspec.field(default_factory=OutputEntry)


# -- messages ----------------------------------------------------------------------------------

#: msgspec's type names -> what a study file must give, and TOML's names for what it gave.
_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "float | null": "a number",
    "int | null": "an integer",
    "str": "a string",
    "str | null": "a string",
    "bool": "true or false",
    "object": "a table",
    "array": "a list",
    "int | float | str": "a number",
    "object | array": "a list of values or a range {start, stop, num}",
    "str | array | null": "an observable name or a list of them",
}
_TOML_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}
_SCHEMAS = {
    "": StudyEntry,
    "executor": ExecutorEntry,
    "output": OutputEntry,
    "output.plot": PlotEntry,
}
_PATH = re.compile(r"\.(\w+)|\[(\d+)\]")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")


def toml_type(value: Any) -> str:
    """TOML's name for the type of a parsed value (``string``, ``table``, ...)."""
    return _TOML_TYPES.get(type(value), type(value).__name__)


def wrong_type(expected: str, value: Any) -> str:
    """``must be a number, got string 'high'``."""
    return f"must be {expected}, got {toml_type(value)} {shown(value)}"


def _steps(path: str) -> list[str | int]:
    return [key if key else int(index) for key, index in _PATH.findall(path)]


def _value_at(data: Any, steps: list[str | int]) -> Any:
    for step in steps:
        data = data[step]
    return data


def _where(base: str, data: Any, steps: list[str | int]) -> str:
    """The entry a path names, as the study's messages write it."""
    if base:  # a value converted on its own: [grid] energy, then .num
        return base + "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in steps)
    if not steps:
        return "top level"
    head, rest = steps[0], steps[1:]
    if head == "observables" and rest:
        number = rest[0] + 1
        entry = data["observables"][rest[0]]
        kind = entry.get("kind") if isinstance(entry, dict) else None
        where = f"observable {number}" + (f" ({kind})" if kind in OBSERVABLE_KINDS else "")
        rest = rest[1:]
    elif head in ("name", "description"):
        where = head
    else:
        where = f"[{head}]"
    words = [str(s) if isinstance(s, str) else f"[{s}]" for s in rest]
    return " ".join([where, *words]).replace(" [", "[") if words else where


def _unknown_keys(table: dict[str, Any], steps: list[str | int], base: str) -> str:
    if base:  # a grid axis, converted on its own
        valid = set(RangeEntry.__struct_fields__)
    elif steps[:1] == ["observables"] and len(steps) == 2:
        kind = table.get("kind")
        valid = set(next(e for e in ObservableEntry.__args__ if e.__struct_config__.tag == kind)
                    .__struct_fields__) | {"kind"}  # fmt: skip
    else:
        valid = set(_SCHEMAS[".".join(map(str, steps))].__struct_fields__)
    unknown = [key for key in table if key not in valid]
    return f"unknown key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(sorted(valid))}"


def schema_error(
    path: Path, error: msgspec.ValidationError, data: Any, base: str = ""
) -> StudyError:
    """msgspec's ``error`` about ``data`` as a :class:`StudyError` naming the file and entry.

    ``base`` names the entry when ``data`` is one value converted on its own
    (``"[grid] energy"``); otherwise ``data`` is the whole file.
    """
    match = _AT.match(str(error))
    message, steps = match["message"], _steps(match["path"] or "")
    where = _where(base, data, steps)
    value = _value_at(data, steps)
    if message.startswith("Object contains unknown field"):
        text = _unknown_keys(value, steps, base)
    elif message.startswith("Object missing required field"):
        key = message.split("`")[1]
        if key == "kind":
            text = f"unknown observable kind None; choose one of {', '.join(OBSERVABLE_KINDS)}"
        else:
            text = f"missing {key!r}"
    elif message.startswith("Invalid value") and steps[-1:] == ["kind"]:
        where = _where(base, data, steps[:-1]).split(" (")[0]
        text = f"unknown observable kind {value!r}; choose one of {', '.join(OBSERVABLE_KINDS)}"
    elif message.startswith("Expected `array` of length"):
        text = f"must be a pair of lead indices [i, j], got {shown(value)}"
    elif message.startswith("Expected `str` of length >= 1"):
        text = f"must be a non-empty string, got {shown(value)}"
    elif (bound := re.fullmatch(r"Expected `\w+` (.+)", message)) and "got" not in message:
        text = f"must be {bound[1]}, got {shown(value)}"
    elif expected := re.match(r"Expected `([^`]+)`", message):
        text = wrong_type(_EXPECTED.get(expected[1], f"of type {expected[1]}"), value)
    else:  # pragma: no cover - a message msgspec may add in a later version
        text = message
    return StudyError(f"{path.name}: {where}: {text}")


def convert(path: Path, data: Any, kind: Any, base: str = "") -> Any:
    """``data`` converted to the schema type ``kind``; a :class:`StudyError` if it does not fit."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as error:
        raise schema_error(path, error, data, base) from None


def parse_study(path: Path, source: str) -> tuple[dict[str, Any], StudyEntry]:
    """The TOML document and its typed form; a one-line :class:`StudyError` if either fails."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path.name}: not valid TOML: {exc}") from None
    except RecursionError:  # deeply nested arrays or tables
        raise StudyError(f"{path.name}: not valid TOML: nested too deeply") from None
    output = data.get("output")
    if isinstance(output, dict) and "directory" in output:
        raise StudyError(
            f"{path.name}: [output] directory: a study file does not choose where results are "
            "written: give the directory on the command line, mesoflow scan --output DIR "
            "(Python: run_study(output=...)); the default is the study's name beside the "
            "study file"
        )
    if "system" not in data:
        raise StudyError(f"{path.name}: [system]: missing table")
    return data, convert(path, data, StudyEntry)
