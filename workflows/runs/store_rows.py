"""The rows of a results store: exact JSON, row checksums, and decoding that refuses damage.

:mod:`workflows.runs.store` keeps a scan's points in SQLite; this module says what a row
holds and how it is checked when it is read back.

Exact JSON
----------
Values are stored as JSON text (never pickle: reading a store runs no code).  Floats
are written with their shortest round-trip representation; complex numbers are
``{"__complex__": [re, im]}`` and NumPy arrays ``{"__ndarray__": [...], "dtype": ...,
"shape": [...]}`` with a plain dtype (a kind letter and a size, e.g. ``<f8``,
``<c16``, ``|b1``, ``<U5``, ``<M8[ns]``).  Before an array is allocated its declared
shape is checked against the nested lists actually stored, and its size against the
length of the stored text, so that a few crafted bytes cannot ask for gigabytes.

Row checksums
-------------
Every row of a format-2 store carries a checksum of its content in a ``checksum``
column (``meta``: a row with key ``checksum``): the BLAKE2b digest (16 bytes, hex) of
the table's name, a zero byte, and each column in table order (``checksum`` itself
excluded), serialized as ``N`` for NULL, ``I<decimal>;`` for an integer, ``R`` and the
8 big-endian IEEE-754 bytes for a real, and ``T<length>:<bytes>`` for text (its UTF-8
bytes) or a blob; for ``meta`` the columns are the key/value pairs sorted by key.  A
changed byte anywhere in a row (a bit flip on disk, a bad copy, an editor that saved a
value) no longer matches, and the row is reported as damaged instead of being read as
a different number.  This detects *damage*, not deliberate tampering: anyone who edits
a row can recompute its checksum (the algorithm is documented here, and no key is
involved).  A row that matches its checksum but does not decode (crafted, or written
by a broken tool) is reported the same way.

Damage is reported as :class:`StoreDamagedError` (a :class:`ValueError`: one line
naming the file, the point and what is wrong) or, where the rest of the store stays
usable, as a :class:`StoreWarning` naming the damaged points.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

__all__ = [
    "POINT_COLUMNS",
    "RUN_COLUMNS",
    "PointRow",
    "StoreDamagedError",
    "StoreWarning",
    "damaged_summary",
    "decode_json",
    "decode_meta",
    "decode_point_row",
    "decode_run_row",
    "encode_json",
    "meta_checksum",
    "row_checksum",
]

#: The columns of ``points`` and ``runs`` that a row checksum covers, in table order.
POINT_COLUMNS = (
    "idx",
    "params",
    "status",
    "observables",
    "error",
    "traceback",
    "started_at",
    "finished_at",
    "duration",
    "worker",
    "run",
)
RUN_COLUMNS = ("id", "started_at", "finished_at", "provenance", "summary")
STATUSES = ("pending", "done", "failed")


class StoreDamagedError(ValueError):
    """A results store, or one of its rows, is damaged (its message names file and point).

    Attributes ``path``, ``point`` (the point's index, or None for the whole store)
    and ``reason`` (what is wrong) are set when mesoflow raises it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        point: int | None = None,
        reason: str | None = None,
    ):
        super().__init__(message)
        self.path = path
        self.point = point
        self.reason = reason


class StoreWarning(UserWarning):
    """Something about a results store the user must know: damaged or unverified rows,
    or points left in its ``-wal`` file because another program held it open."""


class _Damage(Exception):
    """Internal: why one row cannot be used (turned into a report by the caller)."""


# -- exact JSON ------------------------------------------------------------------------------

# A kind letter, an item size and an optional datetime unit: '<f8', '|b1', '<U12', '<M8[ns]',
# '|O'.  No structured dtypes and no subarrays: '(1000000000,)<f8' would be 8 GB per item.
_PLAIN_DTYPE = re.compile(r"[<>|=]?[biufcUSOmM?][0-9]{0,6}(\[[0-9]{0,3}[a-zA-Z]{1,2}\])?")
_MAX_DIMENSIONS = 32
_pack_real = struct.Struct(">d").pack


def _encode_default(value: Any) -> Any:
    if isinstance(value, complex | np.complexfloating):
        return {"__complex__": [float(value.real), float(value.imag)]}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": value.shape}
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a value of type {type(value).__name__}: {value!r}")


def encode_json(value: Any) -> str:
    """Exact JSON text of numbers, strings, complex numbers and NumPy arrays (nested in dicts)."""
    return json.dumps(value, default=_encode_default, allow_nan=True)


def decode_json(text: str) -> Any:
    """Inverse of :func:`encode_json`.

    Raises
    ------
    ValueError
        If ``text`` is not JSON, or an array in it declares a dtype other than a plain
        one, a shape its stored values do not have, or more memory than the length of
        ``text`` can account for (checked before anything is allocated).
    TypeError
        If a complex number or an array holds values of the wrong type.
    """
    budget = 64 * len(text) + 2**20  # bytes: a stored value takes ≥ 1 character per 8 bytes
    return json.loads(text, object_hook=lambda obj: _decode_object(obj, budget))


def _decode_object(obj: dict[str, Any], budget: int) -> Any:
    if "__complex__" in obj and len(obj) == 1:
        real, imag = obj["__complex__"]
        return complex(real, imag)
    if "__ndarray__" in obj and set(obj) == {"__ndarray__", "dtype", "shape"}:
        return _decode_array(obj["__ndarray__"], obj["dtype"], obj["shape"], budget)
    return obj


def _decode_array(data: Any, dtype_text: Any, shape: Any, budget: int) -> np.ndarray:
    if not (isinstance(dtype_text, str) and _PLAIN_DTYPE.fullmatch(dtype_text)):
        raise ValueError(f"an array's dtype {str(dtype_text)[:40]!r} is not a plain NumPy dtype")
    try:
        dtype = np.dtype(dtype_text)
    except TypeError as exc:
        raise ValueError(f"an array's dtype {dtype_text!r} is not a NumPy dtype") from exc
    if not (
        isinstance(shape, list)
        and len(shape) <= _MAX_DIMENSIONS
        and all(type(n) is int and 0 <= n < 2**40 for n in shape)
    ):
        raise ValueError(f"an array's shape {str(shape)[:60]} is not a list of sizes")
    needed = math.prod(shape) * dtype.itemsize
    if needed > budget:
        raise ValueError(
            f"an array declares {needed} bytes (shape {shape}, dtype {dtype_text}), more "
            "than its stored text can hold"
        )
    _check_nesting(data, shape)
    if math.prod(shape) == 0:
        return np.empty(shape, dtype=dtype)
    try:
        array = np.array(data, dtype=dtype)
    except OverflowError as exc:
        raise ValueError(f"an array's values do not fit its dtype {dtype_text} ({exc})") from None
    if array.shape != tuple(shape):
        raise ValueError(f"an array's values do not have its declared shape {shape}")
    return array


def _check_nesting(data: Any, shape: Sequence[int]) -> None:
    """The nested lists ``data`` have exactly ``shape`` (before anything is allocated)."""
    level = [data]
    for size in shape:
        inner: list[Any] = []
        for item in level:
            if not isinstance(item, list) or len(item) != size:
                raise ValueError(f"an array's stored values do not have its declared shape {shape}")
            inner.extend(item)
        level = inner
    if any(isinstance(item, list) for item in level):
        raise ValueError(f"an array's stored values are nested deeper than its shape {shape}")


# -- checksums --------------------------------------------------------------------------------


def row_checksum(table: str, values: Iterable[Any]) -> str:
    """The checksum of one row: BLAKE2b (16 bytes, hex) of its serialized columns.

    Parameters
    ----------
    table
        ``"points"``, ``"runs"`` or ``"meta"``.
    values
        The row's columns in table order (:data:`POINT_COLUMNS`, :data:`RUN_COLUMNS`):
        None, int, float, str or bytes (text as read with ``text_factory=bytes``).

    Raises
    ------
    TypeError
        For a value SQLite cannot hold.
    """
    parts = [table.encode(), b"\0"]
    append = parts.append
    for value in values:  # by exact type: this runs for every point recorded and read
        kind = type(value)
        if kind is str:
            raw = value.encode()
            append(b"T%d:%b" % (len(raw), raw))
        elif value is None:
            append(b"N")
        elif kind is bytes:
            append(b"T%d:%b" % (len(value), value))
        elif kind is int:
            append(b"I%d;" % value)
        elif kind is float:
            append(b"R" + _pack_real(value))
        else:
            raise TypeError(f"a store row cannot hold a {kind.__name__}")
    return hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()


def meta_checksum(meta: Mapping[str, str]) -> str:
    """The checksum of the ``meta`` table (all keys but ``checksum``, sorted by key)."""
    items = sorted((key, value) for key, value in meta.items() if key != "checksum")
    return row_checksum("meta", [part for item in items for part in item])


def _verify(table: str, values: Sequence[Any], checksum: Any) -> None:
    if checksum is None:
        raise _Damage("its checksum is missing")
    try:
        expected = row_checksum(table, values)
    except TypeError as exc:
        raise _Damage(str(exc)) from None
    if not (isinstance(checksum, bytes | str) and _as_text(checksum) == expected):
        raise _Damage("checksum mismatch (the row changed after it was written)")


def _as_text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


# -- decoding rows ------------------------------------------------------------------------------


def _text(value: Any, column: str, *, optional: bool = True) -> str | None:
    if value is None:
        if optional:
            return None
        raise _Damage(f"its {column} column is missing")
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Damage(f"its {column} column is not UTF-8 text (byte {exc.start})") from None
    raise _Damage(f"its {column} column is a number, not text")


def _json_object(value: Any, column: str, *, optional: bool = True) -> dict[str, Any] | None:
    text = _text(value, column, optional=optional)
    if text is None:
        return None
    try:
        decoded = decode_json(text)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _Damage(f"its {column} column is not valid stored JSON ({reason[:120]})") from None
    if not isinstance(decoded, dict):
        raise _Damage(f"its {column} column is not a JSON object")
    return decoded


def _timestamp(value: Any, column: str) -> float | None:
    text = _text(value, column)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError, OSError):
        raise _Damage(f"its {column} column {text[:40]!r} is not an ISO timestamp") from None


def _number(value: Any, column: str) -> float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return None if value is None else float(value)
    raise _Damage(f"its {column} column is text, not a number")


@dataclass(frozen=True)
class PointRow:
    """One row of ``points``, checked and decoded.

    ``status`` is ``pending``, ``done``, ``failed`` or ``damaged``; a damaged row has
    only ``index`` (as stored, which may itself be the damaged part) and ``damage``
    (what is wrong).  ``started`` is seconds since the epoch (0 if not recorded).
    """

    index: int
    status: str
    params: dict[str, Any] | None = None
    observables: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    started: float = 0.0
    duration: float = 0.0
    worker: str = ""
    damage: str | None = None


def decode_point_row(values: Sequence[Any], checksum: Any, *, verify: bool) -> PointRow:
    """Check and decode one row of ``points`` (columns :data:`POINT_COLUMNS`).

    ``verify``: compare ``checksum`` with the row's content (False for a format-1
    store, whose rows have none).  Never raises: a row that cannot be used comes back
    with ``status="damaged"`` and the reason in ``damage``.
    """
    index = values[0]
    try:
        if verify:
            _verify("points", values, checksum)
        return _decode_point(values)
    except _Damage as damage:
        return PointRow(index=index, status="damaged", damage=str(damage))


def _decode_point(values: Sequence[Any]) -> PointRow:
    index, params, status, observables, error, traceback, started, _, duration, worker, _ = values
    if type(index) is not int:
        raise _Damage(f"its index is a {type(index).__name__}")
    status = _text(status, "status", optional=False)
    if status not in STATUSES:
        raise _Damage(f"its status {status[:20]!r} is not one of {', '.join(STATUSES)}")
    decoded_params = _json_object(params, "params", optional=False)
    decoded_observables = _json_object(observables, "observables")
    error = _text(error, "error")
    if (status == "done") != (decoded_observables is not None) or (status == "failed") != (
        error is not None
    ):
        raise _Damage(f"its status {status!r} does not match its observables and error")
    return PointRow(
        index=index,
        status=status,
        params=decoded_params,
        observables=decoded_observables,
        error=error,
        traceback=_text(traceback, "traceback"),
        started=_timestamp(started, "started_at") or 0.0,
        duration=_number(duration, "duration") or 0.0,
        worker=_text(worker, "worker") or "",
    )


def decode_run_row(values: Sequence[Any], checksum: Any, *, verify: bool) -> dict[str, Any]:
    """Check and decode one row of ``runs`` (columns :data:`RUN_COLUMNS`).

    Returns ``id``, ``started``, ``finished``, ``provenance`` (a dict) and ``summary``
    (a dict or None); a damaged row comes back with an empty provenance, no summary
    and ``damage`` saying what is wrong (never raises).
    """
    run_id = values[0]
    try:
        if verify:
            _verify("runs", values, checksum)
        return {
            "id": run_id,
            "started": _text(values[1], "started_at"),
            "finished": _text(values[2], "finished_at"),
            "provenance": _json_object(values[3], "provenance", optional=False),
            "summary": _json_object(values[4], "summary"),
        }
    except _Damage as damage:
        return {
            "id": run_id,
            "started": None,
            "finished": None,
            "provenance": {},
            "summary": None,
            "damage": str(damage),
        }


def decode_meta(rows: Iterable[Sequence[Any]], path: str) -> dict[str, str]:
    """The ``meta`` table as text; raises :class:`StoreDamagedError` if it does not decode."""
    meta = {}
    for row in rows:
        try:
            key, value = (_text(part, "key or value", optional=False) for part in row)
        except (_Damage, ValueError) as exc:  # ValueError: a row without two columns
            reason = f"a row of its metadata: {exc}".replace(": its ", ": ")
            raise StoreDamagedError(
                f"results store {path!r} is damaged ({reason}); the scan it belongs to cannot "
                "be told, so it cannot be read or resumed",
                path=path,
                reason=reason,
            ) from None
        meta[key] = value
    return meta


def damaged_summary(rows: Sequence[PointRow | dict[str, Any]], *, what: str = "point") -> str:
    """``point 3 (checksum mismatch ...), point 7 (...)`` for the first few damaged rows."""
    shown = [
        f"{what} {row.index if isinstance(row, PointRow) else row['id']} "
        f"({row.damage if isinstance(row, PointRow) else row['damage']})"
        for row in rows[:5]
    ]
    more = f", and {len(rows) - 5} more" if len(rows) > 5 else ""
    return ", ".join(shown) + more
