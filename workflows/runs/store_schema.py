"""The results store's file: its schema, connections, transactions, rows read and upgraded.

The store itself (:class:`workflows.runs.store.ResultsStore`) writes through
these; :func:`workflows.runs.store_reader.read_store` reads through them.

Format (SQLite 3, WAL journal; readable with any SQLite client)
---------------------------------------------------------------
``meta(key, value)``
    ``format`` = ``mesoflow-results-store``, ``format_version`` = ``2``, ``kind``
    (``grid`` or ``adaptive``), ``point_name`` and ``point_sha256`` (the point
    function's qualified name and the hash of its source and bound data, see
    :func:`workflows.runs.provenance.callable_fingerprint`), ``scan_sha256`` (hash
    of the grid, or of the adaptive domain), ``parameters`` (JSON list of the
    scanned names), ``description``, ``created``, ``points`` (grid stores: the
    number of points, so that a missing row is noticed), ``checksum`` (of the
    other entries) and, in a store upgraded from format 1, ``checksums_since``.
``points``
    Columns ``idx, params, status, observables, error, traceback, started_at,
    finished_at, duration, worker, run, checksum``.  One row per point: ``idx``
    its position in grid order (adaptive scans: evaluation order), ``params`` a
    JSON object, ``status`` one of ``pending``/``done``/``failed``,
    ``observables`` a JSON object (``done``), ``error``
    ``"ExceptionType: message"`` and ``traceback`` (``failed``), UTC
    timestamps, ``duration`` in seconds, ``worker`` as ``host:pid``, the
    ``run`` that computed it, and the row's ``checksum``.
``runs(id, started_at, finished_at, provenance, summary, checksum)``
    One row per session that worked on the store; ``provenance`` and
    ``summary`` are JSON (versions, solver, git revision, host, executor; points
    computed and failed).

JSON values are exact (:func:`encode_json`): floats are written with their
shortest round-trip representation; complex numbers are
``{"__complex__": [re, im]}`` and NumPy arrays ``{"__ndarray__": [...], "dtype":
..., "shape": [...]}``.

Stores of format 1 (mesoflow before checksums) have no ``checksum`` columns.
:func:`read_store` reads them, saying once in a :class:`StoreWarning` that their
rows are unverified; a scan resuming one upgrades it to format 2 (checksums for
the rows it holds, whose earlier history cannot be verified, recorded as
``checksums_since``), after which older mesoflow versions refuse to open it.
"""

from __future__ import annotations

import math
import sqlite3
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflows.runs.store_rows import (
    POINT_COLUMNS,
    RUN_COLUMNS,
    PointRow,
    StoreDamagedError,
    StoreWarning,
    damaged_summary,
    decode_meta,
    decode_point_row,
    decode_run_row,
    meta_checksum,
    row_checksum,
)

__all__ = [
    "BUSY_MS",
    "CHECKPOINT_COMMITS",
    "CHECKPOINT_SECONDS",
    "CONSOLIDATE_SECONDS",
    "FORMAT",
    "FORMAT_VERSION",
    "INSERT_POINT",
    "JOURNAL_SIZE_LIMIT",
    "KINDS",
    "POINT_FIELDS",
    "READABLE_VERSIONS",
    "RUN_FIELDS",
    "SCHEMA",
    "UPDATE_POINT",
    "connect_store",
    "damage_reported",
    "damaged_error",
    "grid_size",
    "iso_time",
    "now_iso",
    "pending_row",
    "point_rows",
    "read_meta",
    "run_rows",
    "storable_text",
    "stored_seconds",
    "table_names",
    "transaction",
    "upgrade_format",
    "warn_damaged_runs",
]

FORMAT = "mesoflow-results-store"
FORMAT_VERSION = "2"
#: Format 1: the stores of mesoflow before row checksums (read unverified, upgraded on resume).
READABLE_VERSIONS = ("1", FORMAT_VERSION)
KINDS = ("grid", "adaptive")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE points (
    idx INTEGER PRIMARY KEY,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    observables TEXT,
    error TEXT,
    traceback TEXT,
    started_at TEXT,
    finished_at TEXT,
    duration REAL,
    worker TEXT,
    run INTEGER,
    checksum TEXT
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    provenance TEXT NOT NULL,
    summary TEXT,
    checksum TEXT
);
"""
POINT_FIELDS = ", ".join(POINT_COLUMNS)
INSERT_POINT = (
    f"INSERT OR REPLACE INTO points ({POINT_FIELDS}, checksum) VALUES ({', '.join('?' * 12)})"
)
UPDATE_POINT = (
    f"UPDATE points SET {' = ?, '.join([*POINT_COLUMNS[1:], 'checksum'])} = ? WHERE idx = ?"
)
RUN_FIELDS = ", ".join(RUN_COLUMNS)

#: Seconds between checkpoints that fold the write-ahead log into the store file.
CHECKPOINT_SECONDS = 30.0
#: Points recorded between checkpoints (SQLite's automatic checkpoint is off: while a
#: reader pins the log, this interval doubles after each checkpoint that cannot progress).
CHECKPOINT_COMMITS = 500
#: Longest wait (seconds) at the end of a scan for other programs' read transactions.
CONSOLIDATE_SECONDS = 5.0
BUSY_MS = 60_000  # waiting for the write lock (only our own checkpoints hold it)
JOURNAL_SIZE_LIMIT = 64 * 2**20  # bytes: a log emptied by a checkpoint is cut back to this


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def storable_text(text: str | None) -> str | None:
    """Text SQLite can hold: lone surrogates (from undecodable OS data) escaped."""
    if text is None or text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def stored_seconds(duration: float) -> float | None:
    duration = float(duration) + 0.0  # -0.0 would not survive SQLite
    return duration if math.isfinite(duration) else None


def connect_store(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise ValueError(f"store={str(path)!r} cannot be opened ({exc})") from exc
    connection.text_factory = bytes  # text decoded (and damage reported) row by row
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: every commit survives the death of the process (SIGKILL); after a
        # power loss the last commits may be rolled back, never corrupted (they are recomputed).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")  # ResultsStore.checkpoint instead
        connection.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise damaged_error(path, exc) from exc
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def table_names(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {
        name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        for (name,) in rows
    }


def read_meta(connection: sqlite3.Connection, path: Path) -> dict[str, str]:
    """The store's metadata, checked: format, a version this mesoflow reads, checksum."""
    if "meta" not in table_names(connection):
        raise ValueError(f"{str(path)!r} is not a mesoflow results store")
    meta = decode_meta(connection.execute("SELECT key, value FROM meta").fetchall(), str(path))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a mesoflow results store")
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ValueError(
            f"results store {str(path)!r} has format version {meta.get('format_version')!r}; "
            f"this mesoflow reads versions {', '.join(READABLE_VERSIONS)}"
        )
    if meta["format_version"] != "1" and meta.get("checksum") != meta_checksum(meta):
        raise StoreDamagedError(
            f"results store {str(path)!r} is damaged: its metadata do not match their checksum "
            "(the scan it belongs to cannot be told); it cannot be read or resumed",
            path=str(path),
            reason="metadata checksum mismatch",
        )
    return meta


def pending_row(index: int, params_text: str) -> tuple[Any, ...]:
    """The columns of a point not computed yet, and its checksum, ready for INSERT."""
    values = (index, params_text, "pending", *[None] * (len(POINT_COLUMNS) - 3))
    return (*values, row_checksum("points", values))


def point_rows(connection: sqlite3.Connection, *, verify: bool, size: int | None) -> list[PointRow]:
    """Every row of ``points``, checked; for a grid of ``size`` points, exactly one per index.

    A grid's row that is missing, stored twice, or outside the grid (what a damaged
    b-tree page can do) is reported as damaged too, so that no point is dropped
    silently.
    """
    columns = f"{POINT_FIELDS}, checksum" if verify else f"{POINT_FIELDS}, NULL"
    rows = connection.execute(f"SELECT {columns} FROM points ORDER BY idx").fetchall()
    decoded = [decode_point_row(row[:-1], row[-1], verify=verify) for row in rows]
    if size is None:
        return decoded
    by_index: dict[int, PointRow] = {}
    outside = []
    for row in decoded:
        if not 0 <= row.index < size:
            outside.append(PointRow(row.index, "damaged", damage="not a point of the grid"))
        elif row.index in by_index:
            by_index[row.index] = PointRow(row.index, "damaged", damage="stored twice")
        else:
            by_index[row.index] = row
    for i in range(size):
        if i not in by_index:
            by_index[i] = PointRow(i, "damaged", damage="its row is missing")
    return [by_index[i] for i in range(size)] + outside


def grid_size(meta: Mapping[str, str]) -> int | None:
    size = meta.get("points")
    return int(size) if meta.get("kind") == "grid" and size and size.isdigit() else None


def run_rows(connection: sqlite3.Connection, *, verify: bool) -> list[dict[str, Any]]:
    columns = f"{RUN_FIELDS}, checksum" if verify else f"{RUN_FIELDS}, NULL"
    rows = connection.execute(f"SELECT {columns} FROM runs ORDER BY id").fetchall()
    return [decode_run_row(row[:-1], row[-1], verify=verify) for row in rows]


def upgrade_format(connection: sqlite3.Connection, meta: dict[str, str], size: int | None) -> int:
    """Give a format-1 store its checksums (format 2); returns its number of finished points.

    Rows that do not decode get no checksum, so that they are found damaged and
    recomputed like any other damaged row.
    """
    connection.execute("ALTER TABLE points ADD COLUMN checksum TEXT")
    connection.execute("ALTER TABLE runs ADD COLUMN checksum TEXT")
    finished = 0
    for row in connection.execute(f"SELECT {POINT_FIELDS} FROM points").fetchall():
        status = decode_point_row(row, None, verify=False).status
        if status != "damaged":
            finished += status != "pending"
            connection.execute(
                "UPDATE points SET checksum = ? WHERE idx = ?",
                (row_checksum("points", row), row[0]),
            )
    for row in connection.execute(f"SELECT {RUN_FIELDS} FROM runs").fetchall():
        if "damage" not in decode_run_row(row, None, verify=False):
            connection.execute(
                "UPDATE runs SET checksum = ? WHERE id = ?", (row_checksum("runs", row), row[0])
            )
    meta.update(format_version=FORMAT_VERSION, checksums_since=now_iso())
    if size is not None:
        meta["points"] = str(size)
    meta["checksum"] = meta_checksum(meta)
    connection.execute("DELETE FROM meta")
    connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    return finished


def warn_damaged_runs(path: Path, runs: Sequence[Mapping[str, Any]]) -> None:
    damaged = [run for run in runs if "damage" in run]
    if damaged:
        warnings.warn(
            f"results store {str(path)!r}: the records of {len(damaged)} sessions are damaged "
            f"(their provenance is not shown): {damaged_summary(damaged, what='session')}",
            StoreWarning,
            stacklevel=3,
        )


def damaged_error(path: Path, exc: sqlite3.Error) -> StoreDamagedError:
    reason = " ".join(str(exc).split())  # one line: SQLite may quote a damaged schema
    reason = reason if len(reason) <= 160 else reason[:157] + "..."
    return StoreDamagedError(
        f"store={str(path)!r} is damaged or not a SQLite results store ({reason}); "
        "use another path, or delete the file to start afresh",
        path=str(path),
        reason=reason,
    )


@contextmanager
def damage_reported(path: Path) -> Iterator[None]:
    """Turn SQLite's errors about the file ("not a database", "malformed", "no such
    table") into a one-line :class:`StoreDamagedError`; a busy or locked store is not damage."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            raise
        raise damaged_error(path, exc) from exc
