"""The results store: a crash-safe SQLite file holding a scan's points as they finish.

A run given ``RunOptions(store=PATH)`` (:func:`workflows.scan`,
:func:`workflows.adaptive_scan`, :func:`workflows.runs.window_scan`,
:func:`workflows.runs.study.run_study`: every sampler of the run driver) writes every finished point to PATH in its
own committed transaction, so a scan that is killed (Ctrl-C, SIGKILL, a job
hitting its wall-time limit, a node failure) loses at most the points that were
being computed.  Started again with the same store, the scan computes only the
missing points.  A store belongs to one scan: opening it for a different point
function or a different grid is refused rather than mixing results.

One store, one writer
---------------------
While a scan works on a store it holds an exclusive lock on the file
``PATH.lock`` beside it (``flock``; the file names the holder's host, pid and
start time).  A second scan on the same store is refused at once with
:class:`StoreBusyError` naming that host and pid, so no point is ever computed
twice; run it again when the first has finished (it then finds the points
done).  The operating system releases the lock when its process dies, however
it dies, so a lock left by a killed scan never blocks a resume (the stale
``.lock`` file is harmless and reused).  ``flock`` works across the machines
of a cluster on NFS (Linux ≥ 2.6.12) and on Lustre/GPFS mounted with locking;
on a platform without :mod:`fcntl` (Windows) no lock is taken.

The file after a crash
----------------------
During a run the store uses SQLite's write-ahead log: points committed since
the last checkpoint live in ``PATH-wal`` beside the store.  The log is folded
into the main file when the store is opened (so the file alone always holds the
metadata and the grid), every :data:`CHECKPOINT_COMMITS` points or
:data:`CHECKPOINT_SECONDS` seconds, and when the scan ends; on a clean end (also
after an exception or Ctrl-C) the store leaves WAL mode: the ``.sqlite`` file
alone is then self-contained, and :func:`read_store` reads it in a read-only
directory.  After a hard kill (SIGKILL, node failure) the ``-wal`` file holds the
last points: keep it next to the store (a resume folds it in); the main file
alone holds every point up to the last checkpoint.  Either way only the points
in flight are lost.

Other programs reading the store
--------------------------------
Any SQLite client may read the store while a scan writes it (a database
browser, a notebook, :func:`read_store`).  A client that keeps a read
transaction open pins the log: SQLite cannot fold into the main file what was
written after that transaction began.  The scan never waits for such a reader
while it runs (its checkpoints are passive, and back off while they cannot
progress, so the growing log costs no repeated work: see
``benchmarks/bench_store.py``).  At the end of the scan it retries the final
checkpoint for up to a tenth of the session's duration (at most
:data:`CONSOLIDATE_SECONDS`); if the reader still holds its transaction, the
last points stay in ``PATH-wal`` and a one-line :class:`StoreWarning` says so,
naming that file: copy it together with the store, or close the reader (SQLite
then folds the log in) or resume the scan.

Damage
------
Every row carries a checksum of its content (BLAKE2b, see
:mod:`workflows.runs.store_rows`), checked whenever the row is read.  A row
that is damaged (a changed byte, text that is not UTF-8, JSON that does not
decode, a timestamp that does not parse, an array whose declared size its
stored values do not have) is never used: :func:`read_store` shows it with
status ``damaged`` and no values and warns naming it (or raises
:class:`StoreDamagedError` with ``on_damage="raise"``), and a resume recomputes
it, with a warning.  Damage to the file's structure or to its metadata is a
one-line :class:`StoreDamagedError`.  Checksums detect damage, not deliberate
tampering: whoever edits a row can recompute its checksum.  Stores hold JSON
only, never pickle: reading one runs no code.

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

import contextlib
import json
import math
import os
import socket
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from systems.validation import choice
from workflows.runs.store_rows import (
    POINT_COLUMNS,
    RUN_COLUMNS,
    PointRow,
    StoreDamagedError,
    StoreWarning,
    damaged_summary,
    decode_json,
    decode_meta,
    decode_point_row,
    decode_run_row,
    encode_json,
    meta_checksum,
    row_checksum,
)

__all__ = [
    "PointOutcome",
    "ResultsStore",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreMismatchError",
    "StoreWarning",
    "decode_json",
    "encode_json",
    "read_store",
]

FORMAT = "mesoflow-results-store"
FORMAT_VERSION = "2"
#: Format 1: the stores of mesoflow before row checksums (read unverified, upgraded on resume).
READABLE_VERSIONS = ("1", FORMAT_VERSION)
KINDS = ("grid", "adaptive")

_SCHEMA = """
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
_POINTS = ", ".join(POINT_COLUMNS)
_INSERT_POINT = (
    f"INSERT OR REPLACE INTO points ({_POINTS}, checksum) VALUES ({', '.join('?' * 12)})"
)
_UPDATE_POINT = (
    f"UPDATE points SET {' = ?, '.join([*POINT_COLUMNS[1:], 'checksum'])} = ? WHERE idx = ?"
)
_RUNS = ", ".join(RUN_COLUMNS)

#: Seconds between checkpoints that fold the write-ahead log into the store file.
CHECKPOINT_SECONDS = 30.0
#: Points recorded between checkpoints (SQLite's automatic checkpoint is off: while a
#: reader pins the log, this interval doubles after each checkpoint that cannot progress).
CHECKPOINT_COMMITS = 500
#: Longest wait (seconds) at the end of a scan for other programs' read transactions.
CONSOLIDATE_SECONDS = 5.0
_BUSY_MS = 60_000  # waiting for the write lock (only our own checkpoints hold it)
_JOURNAL_SIZE_LIMIT = 64 * 2**20  # bytes: a log emptied by a checkpoint is cut back to this


class StoreMismatchError(ValueError):
    """A results store was opened for a scan other than the one that created it."""


class StoreBusyError(RuntimeError):
    """A results store is in use by another scan (its host and pid are in the message)."""


class _StoreLock:
    """An exclusive ``flock`` on ``PATH.lock``, held while a scan works on the store at PATH."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    def acquire(self, store: Path) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ValueError(
                f"store={str(store)!r}: cannot create its lock file {str(self.path)!r} "
                f"({exc.strerror}); the store's directory must be writable"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreBusyError(
                f"results store {str(store)!r} is in use by another scan ({holder}); "
                "two scans on one store would compute the same points twice: wait until it "
                "has finished and run this scan again (it resumes), or use another store"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ).encode(),
            0,
        )
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"host {holder['host']}, pid {holder['pid']}, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "host and pid unknown"


@dataclass(frozen=True)
class PointOutcome:
    """What one evaluation of a point function produced.

    Attributes
    ----------
    index
        Position of the point in grid order.
    observables
        The observables (name -> value) or None if the point failed.
    error
        ``"ExceptionType: message"`` if the point failed, else None.
    traceback
        The formatted traceback of a failure, else None.
    started
        Start time, seconds since the epoch.
    duration
        Wall time of the evaluation in seconds.
    worker
        ``host:pid`` of the process that evaluated the point.
    persist
        False for failures of the executor rather than of the point (a worker
        process died, a task was cancelled): those are reported but not stored,
        so a rerun retries them.
    """

    index: int
    observables: dict[str, Any] | None
    error: str | None
    traceback: str | None
    started: float
    duration: float
    worker: str
    persist: bool = True


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _storable(text: str | None) -> str | None:
    """Text SQLite can hold: lone surrogates (from undecodable OS data) escaped."""
    if text is None or text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _seconds(duration: float) -> float | None:
    duration = float(duration) + 0.0  # -0.0 would not survive SQLite
    return duration if math.isfinite(duration) else None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=_BUSY_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise ValueError(f"store={str(path)!r} cannot be opened ({exc})") from exc
    connection.text_factory = bytes  # text decoded (and damage reported) row by row
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: every commit survives the death of the process (SIGKILL); after a
        # power loss the last commits may be rolled back, never corrupted (they are recomputed).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")  # ResultsStore.checkpoint instead
        connection.execute(f"PRAGMA journal_size_limit={_JOURNAL_SIZE_LIMIT}")
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise _damaged(path, exc) from exc
    return connection


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {
        name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        for (name,) in rows
    }


def _read_meta(connection: sqlite3.Connection, path: Path) -> dict[str, str]:
    """The store's metadata, checked: format, a version this mesoflow reads, checksum."""
    if "meta" not in _tables(connection):
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


def _pending_row(index: int, params_text: str) -> tuple[Any, ...]:
    """The columns of a point not computed yet, and its checksum, ready for INSERT."""
    values = (index, params_text, "pending", *[None] * (len(POINT_COLUMNS) - 3))
    return (*values, row_checksum("points", values))


def _point_rows(
    connection: sqlite3.Connection, *, verify: bool, size: int | None
) -> list[PointRow]:
    """Every row of ``points``, checked; for a grid of ``size`` points, exactly one per index.

    A grid's row that is missing, stored twice, or outside the grid (what a damaged
    b-tree page can do) is reported as damaged too, so that no point is dropped
    silently.
    """
    columns = f"{_POINTS}, checksum" if verify else f"{_POINTS}, NULL"
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


def _grid_size(meta: Mapping[str, str]) -> int | None:
    size = meta.get("points")
    return int(size) if meta.get("kind") == "grid" and size and size.isdigit() else None


def _run_rows(connection: sqlite3.Connection, *, verify: bool) -> list[dict[str, Any]]:
    columns = f"{_RUNS}, checksum" if verify else f"{_RUNS}, NULL"
    rows = connection.execute(f"SELECT {columns} FROM runs ORDER BY id").fetchall()
    return [decode_run_row(row[:-1], row[-1], verify=verify) for row in rows]


def _upgrade(connection: sqlite3.Connection, meta: dict[str, str], size: int | None) -> int:
    """Give a format-1 store its checksums (format 2); returns its number of finished points.

    Rows that do not decode get no checksum, so that they are found damaged and
    recomputed like any other damaged row.
    """
    connection.execute("ALTER TABLE points ADD COLUMN checksum TEXT")
    connection.execute("ALTER TABLE runs ADD COLUMN checksum TEXT")
    finished = 0
    for row in connection.execute(f"SELECT {_POINTS} FROM points").fetchall():
        status = decode_point_row(row, None, verify=False).status
        if status != "damaged":
            finished += status != "pending"
            connection.execute(
                "UPDATE points SET checksum = ? WHERE idx = ?",
                (row_checksum("points", row), row[0]),
            )
    for row in connection.execute(f"SELECT {_RUNS} FROM runs").fetchall():
        if "damage" not in decode_run_row(row, None, verify=False):
            connection.execute(
                "UPDATE runs SET checksum = ? WHERE id = ?", (row_checksum("runs", row), row[0])
            )
    meta.update(format_version=FORMAT_VERSION, checksums_since=_now())
    if size is not None:
        meta["points"] = str(size)
    meta["checksum"] = meta_checksum(meta)
    connection.execute("DELETE FROM meta")
    connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    return finished


class ResultsStore:
    """One scan's results on disk (see the module documentation for the format).

    Use :meth:`open` to create a store or reopen it for the same scan; the
    scan driver is its only writer.  A context manager: ``with
    ResultsStore.open(...) as store: ...`` closes the connection.
    """

    def __init__(
        self,
        path: Path,
        connection: sqlite3.Connection,
        meta: Mapping[str, str],
        lock: _StoreLock | None = None,
        points: Sequence[Mapping[str, Any]] | None = None,
        params_text: list[str] | None = None,
    ):
        self.path = path
        self._connection = connection
        self.meta = dict(meta)
        self._run: int | None = None
        self._run_row: tuple[int, str, str] | None = None  # id, started_at, provenance
        self._lock = lock
        self._grid = points
        # a store just created holds no finished point: nothing to read back or verify;
        # and it knows its points' JSON (written once more with each point, checksummed)
        self._fresh = params_text is not None
        self._params_text = params_text
        self._opened = time.monotonic()
        self._interval = CHECKPOINT_COMMITS
        self._commits = 0  # points recorded since the last checkpoint
        self._unconsolidated = 0  # points recorded since the last complete checkpoint
        self.checkpoint()  # the file alone holds the metadata and the grid from the start

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        kind: str,
        point_name: str,
        point_sha256: str,
        scan_sha256: str,
        parameters: Sequence[str],
        description: str,
        points: Sequence[Mapping[str, Any]] | None = None,
    ) -> ResultsStore:
        """Create the store at ``path``, or reopen it for the same scan.

        Parameters
        ----------
        path
            File name of the SQLite store; its directory must exist.
        kind
            ``"grid"`` (all points known in advance, given in ``points``) or
            ``"adaptive"`` (points added as they are evaluated).
        point_name, point_sha256
            Fingerprint of the point function
            (:func:`workflows.runs.provenance.callable_fingerprint`).
        scan_sha256
            Fingerprint of the grid (or of the adaptive domain).
        parameters
            Names of the scanned parameters.
        description
            A human-readable description of the scan, used in error messages.
        points
            For a grid store, the parameters of every point in grid order.

        Raises
        ------
        StoreMismatchError
            If the store exists and was made for another point function or grid.
        StoreBusyError
            If another scan is working on the store (see "One store, one writer").
        StoreDamagedError
            If the file's structure or the store's metadata are damaged.
        ValueError
            If the file exists but is not a mesoflow results store, if ``path``
            is a directory, or if its directory is missing or not writable.

        Warns
        -----
        StoreWarning
            If the store was written by mesoflow before row checksums (format 1):
            its rows are then used unverified, and it is upgraded to format 2.
        """
        choice("kind", kind, KINDS)
        if (kind == "grid") != (points is not None):
            raise ValueError("points are required for a grid store and not allowed otherwise")
        path = Path(path)
        if not path.parent.is_dir():
            raise ValueError(f"store={str(path)!r}: directory {str(path.parent)!r} does not exist")
        if path.is_dir():
            raise ValueError(
                f"store={str(path)!r} is a directory; give the path of a file, e.g. "
                f"{str(path / 'results.sqlite')!r}"
            )
        lock = _StoreLock(path)
        lock.acquire(path)
        try:
            connection = _connect(path)
        except BaseException:
            lock.release()
            raise
        upgraded = params_text = None
        try:
            wanted = {
                "kind": kind,
                "point_name": point_name,
                "point_sha256": point_sha256,
                "scan_sha256": scan_sha256,
            }
            with _damage_reported(path), _transaction(connection):
                if "meta" not in _tables(connection) and _tables(connection):
                    raise ValueError(f"{str(path)!r} is an SQLite file but not a results store")
                if "meta" not in _tables(connection):
                    params_text = [encode_json(dict(p)) for p in points or ()]
                    meta = cls._create(connection, wanted, parameters, description, params_text)
                else:
                    meta = _read_meta(connection, path)
                    cls._check_identity(path, meta, wanted, description)
                    if meta["format_version"] == "1":
                        upgraded = _upgrade(
                            connection, meta, None if points is None else len(points)
                        )
            with _damage_reported(path):
                store = cls(path, connection, meta, lock, points, params_text)
        except BaseException:
            connection.close()
            lock.release()
            raise
        if upgraded is not None:
            warnings.warn(
                f"results store {str(path)!r} was written by an earlier mesoflow without "
                f"checksums (format 1): its {upgraded} finished points are used unverified; "
                "every row now carries a checksum (format 2, which older mesoflow refuses)",
                StoreWarning,
                stacklevel=3,
            )
        return store

    @staticmethod
    def _create(connection, wanted, parameters, description, params_text) -> dict[str, str]:
        # statement by statement: executescript() would commit the open transaction
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **wanted,
            "parameters": json.dumps(list(parameters)),
            "description": description,
            "created": _now(),
        }
        if wanted["kind"] == "grid":
            meta["points"] = str(len(params_text))
        meta["checksum"] = meta_checksum(meta)
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        connection.executemany(
            _INSERT_POINT,
            (_pending_row(i, text) for i, text in enumerate(params_text)),
        )
        return meta

    def _check_identity(
        path: Path, meta: Mapping[str, str], wanted: Mapping[str, str], description: str
    ) -> None:
        different = [key for key, value in wanted.items() if meta.get(key) != value]
        if not different:
            return
        reasons = []
        if "kind" in different:
            reasons.append(f"it holds a {meta.get('kind')} scan, not a {wanted['kind']} scan")
        if "point_name" in different:
            reasons.append(
                f"it was made by point function {meta.get('point_name')!r}, "
                f"this scan uses {wanted['point_name']!r}"
            )
        elif "point_sha256" in different:
            reasons.append(
                f"the point function {wanted['point_name']!r} (its code or bound arguments) "
                "changed since the store was made"
            )
        if "scan_sha256" in different:
            reasons.append(
                f"its grid is {meta.get('description')!r}, this scan's is {description!r}"
                if meta.get("description") != description
                else "its grid has the same shape but different parameter values"
            )
        raise StoreMismatchError(
            f"results store {str(path)!r} belongs to a different scan: "
            + "; ".join(reasons)
            + ". Mixing results is refused: use a new store path, or delete the file to "
            "start this scan afresh."
        )

    # -- reading and writing ---------------------------------------------------------------

    def _verified_points(self) -> list[PointRow]:
        """Every usable row, checked; damaged rows are reset for recomputation, with a warning.

        A grid store gets a damaged point back as pending (its parameters from the
        grid); an adaptive store loses it (the sampler chooses its points again).
        """
        if self._fresh:
            return []
        with _damage_reported(self.path):
            rows = _point_rows(self._connection, verify=True, size=_grid_size(self.meta))
        damaged = [row for row in rows if row.status == "damaged"]
        if not damaged:
            return rows
        with _damage_reported(self.path), _transaction(self._connection) as connection:
            connection.executemany(
                "DELETE FROM points WHERE idx = ?", [(row.index,) for row in damaged]
            )
            if self._grid is not None:
                present = {idx for (idx,) in connection.execute("SELECT idx FROM points")}
                connection.executemany(
                    f"INSERT INTO points ({_POINTS}, checksum) VALUES ({', '.join('?' * 12)})",
                    (
                        _pending_row(i, encode_json(dict(p)))
                        for i, p in enumerate(self._grid)
                        if i not in present
                    ),
                )
        again = "recomputed" if self._grid is not None else "dropped (sampled again as needed)"
        warnings.warn(
            f"results store {str(self.path)!r}: {len(damaged)} damaged "
            f"{'row' if len(damaged) == 1 else 'rows'} not used, {again}: "
            f"{damaged_summary(damaged)}",
            StoreWarning,
            stacklevel=4,
        )
        return [row for row in rows if row.status != "damaged"]

    def finished(self, *, include_failed: bool = True) -> dict[int, PointOutcome]:
        """The stored points that are done (and, by default, failed), by grid index.

        Each row is checked against its checksum first; a damaged one is not
        returned (so it is computed again) and a :class:`StoreWarning` names it.
        """
        statuses = ("done", "failed") if include_failed else ("done",)
        return {
            row.index: PointOutcome(
                index=row.index,
                observables=row.observables,
                error=row.error,
                traceback=row.traceback,
                started=row.started,
                duration=row.duration,
                worker=row.worker,
            )
            for row in self._verified_points()
            if row.status in statuses
        }

    def point_parameters(self) -> dict[int, dict[str, Any]]:
        """The parameters of every stored point (pending ones included), by index.

        Damaged rows are left out (and reset) as in :meth:`finished`.
        """
        return {row.index: row.params for row in self._verified_points()}

    def record(self, outcome: PointOutcome, params: Mapping[str, Any] | None = None) -> None:
        """Persist one finished point, with its checksum, in its own committed transaction.

        ``params`` is required for adaptive stores (their rows are created
        here) and ignored for grid stores (their rows exist from creation).
        """
        if self._grid is not None:
            if not 0 <= outcome.index < len(self._grid):
                raise KeyError(f"point index {outcome.index} is not in the store's grid")
            params = self._grid[outcome.index]
        elif params is None:
            raise ValueError("params are required to record a point of an adaptive scan")
        values = (
            outcome.index,
            self._params_text[outcome.index] if self._params_text else encode_json(dict(params)),
            "failed" if outcome.error is not None else "done",
            encode_json(outcome.observables) if outcome.observables is not None else None,
            _storable(outcome.error),
            _storable(outcome.traceback),
            _iso(outcome.started),
            _iso(outcome.started + outcome.duration),
            _seconds(outcome.duration),
            _storable(outcome.worker),
            self._run,
        )
        with _transaction(self._connection) as connection:
            if self._grid is None:
                connection.execute(_INSERT_POINT, (*values, row_checksum("points", values)))
            else:  # the row exists: updated in place (a REPLACE would delete and insert)
                cursor = connection.execute(
                    _UPDATE_POINT, (*values[1:], row_checksum("points", values), values[0])
                )
                if cursor.rowcount != 1:  # its row was lost to damage since the store opened
                    connection.execute(_INSERT_POINT, (*values, row_checksum("points", values)))
        self._fresh = False
        self._commits += 1
        self._unconsolidated += 1
        if (
            self._commits >= self._interval
            or time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS
        ):
            self.checkpoint()

    def begin_run(self, provenance: Mapping[str, Any]) -> int:
        """Record the start of a session working on this store; returns its id."""
        started, text = _now(), encode_json(dict(provenance))
        with _transaction(self._connection) as connection:
            cursor = connection.execute(
                "INSERT INTO runs (started_at, provenance) VALUES (?, ?)", (started, text)
            )
            run = int(cursor.lastrowid)
            connection.execute(
                "UPDATE runs SET checksum = ? WHERE id = ?",
                (row_checksum("runs", (run, started, None, text, None)), run),
            )
        self._run, self._run_row = run, (run, started, text)
        return run

    def end_run(self, summary: Mapping[str, Any]) -> None:
        """Record the end of the current session, with a summary (points computed, failed)."""
        if self._run_row is None:
            return
        run, started, provenance = self._run_row
        values = (run, started, _now(), provenance, encode_json(dict(summary)))
        with _transaction(self._connection) as connection:
            connection.execute(
                "UPDATE runs SET finished_at = ?, summary = ?, checksum = ? WHERE id = ?",
                (*values[2::2], row_checksum("runs", values), run),
            )

    def runs(self) -> list[dict[str, Any]]:
        """Every session recorded in the store, oldest first.

        A damaged row comes with an empty ``provenance``, no ``summary`` and
        ``damage`` saying what is wrong (and a :class:`StoreWarning`).
        """
        with _damage_reported(self.path):
            runs = _run_rows(self._connection, verify=True)
        _warn_damaged_runs(self.path, runs)
        return runs

    def checkpoint(self) -> bool:
        """Fold what the write-ahead log holds into the store file, without waiting.

        Done every :data:`CHECKPOINT_COMMITS` points and :data:`CHECKPOINT_SECONDS`
        seconds.  Returns whether the file now holds everything; when a reader's
        transaction keeps it from completing, the next attempt comes after twice as
        many points (the log then only grows, and each attempt would sort it again).
        """
        complete = self._checkpoint("PASSIVE", busy_ms=0)
        self._interval = CHECKPOINT_COMMITS if complete else min(2 * self._interval, 2**24)
        return complete

    def _checkpoint(self, mode: str, *, busy_ms: int) -> bool:
        self._commits = 0
        self._checkpointed = time.monotonic()
        try:
            self._connection.execute(f"PRAGMA busy_timeout={busy_ms}")
            busy, log, done = self._connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.OperationalError:  # locked: a reader is starting up
            return False
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._connection.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        complete = busy == 0 and log == done  # (0, -1, -1) outside WAL mode
        if complete:
            self._unconsolidated = 0
        return complete

    def _wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def _consolidate(self) -> None:
        """Fold the whole log into the file and leave WAL mode, retrying while a reader holds it.

        Tries for a tenth of the session's duration (at least 0.1 s, at most
        :data:`CONSOLIDATE_SECONDS`), so the waiting costs the scan at most 10 %: a
        reader that only glances at the store (a query, :func:`read_store`) is waited
        for, one that keeps its transaction open cannot be.  If the log is still
        needed by a reader, warns naming the ``-wal`` file.
        """
        budget = min(CONSOLIDATE_SECONDS, max(0.1, 0.1 * (time.monotonic() - self._opened)))
        deadline = time.monotonic() + budget
        delay = 0.01
        while not self._checkpoint("TRUNCATE", busy_ms=20):
            if time.monotonic() + delay > deadline:
                wal = self.path.with_name(self.path.name + "-wal")
                warnings.warn(
                    f"results store {str(self.path)!r}: another program (a database browser, a "
                    f"notebook) holds a read transaction on it, so the last "
                    f"{self._unconsolidated} points recorded and this session's summary are "
                    f"only in {str(wal)!r}: copy that file with the store (SQLite folds it in "
                    "when the other program closes the store, and so does a resume)",
                    StoreWarning,
                    stacklevel=4,
                )
                return
            self._wait(delay)
            delay = min(2 * delay, 0.5)
        with contextlib.suppress(sqlite3.OperationalError):  # a reader came: the file is whole
            self._connection.execute("PRAGMA busy_timeout=20")
            self._connection.execute("PRAGMA journal_mode=DELETE")

    def close(self) -> None:
        """Consolidate the store into its file (:meth:`_consolidate`), close it, unlock it."""
        try:
            with contextlib.suppress(sqlite3.Error):
                self._consolidate()
            self._connection.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _warn_damaged_runs(path: Path, runs: Sequence[Mapping[str, Any]]) -> None:
    damaged = [run for run in runs if "damage" in run]
    if damaged:
        warnings.warn(
            f"results store {str(path)!r}: the records of {len(damaged)} sessions are damaged "
            f"(their provenance is not shown): {damaged_summary(damaged, what='session')}",
            StoreWarning,
            stacklevel=3,
        )


def _damaged(path: Path, exc: sqlite3.Error) -> StoreDamagedError:
    reason = " ".join(str(exc).split())  # one line: SQLite may quote a damaged schema
    reason = reason if len(reason) <= 160 else reason[:157] + "..."
    return StoreDamagedError(
        f"store={str(path)!r} is damaged or not a SQLite results store ({reason}); "
        "use another path, or delete the file to start afresh",
        path=str(path),
        reason=reason,
    )


@contextmanager
def _damage_reported(path: Path) -> Iterator[None]:
    """Turn SQLite's errors about the file ("not a database", "malformed", "no such
    table") into a one-line :class:`StoreDamagedError`; a busy or locked store is not damage."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            raise
        raise _damaged(path, exc) from exc


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; a store left in WAL mode without its log is read as is."""
    uri = path.resolve().as_uri()
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.OperationalError:
        # A store still in WAL mode (its scan was killed, a reader held it at the end, an
        # older mesoflow made it) needs a -shm file, which a read-only directory cannot
        # hold, and a copy of the store alone has no -wal: read the main file as it is
        # (points since the last checkpoint, in a -wal file, are then not shown).
        connection.close()
        wal = path.with_name(path.name + "-wal")
        if os.access(path.parent, os.W_OK) and wal.exists():
            raise
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    connection.text_factory = bytes
    return connection


def read_store(path: str | os.PathLike, *, on_damage: str = "warn") -> pd.DataFrame:
    """The contents of a results store as a table, e.g. to watch a running scan.

    Parameters
    ----------
    path
        An existing results store.  It is opened read-only and never written
        (a finished store can be read in a read-only directory).
    on_damage
        What a damaged row does (one that does not match its checksum or does
        not decode): ``"warn"`` shows it with status ``damaged`` and a
        :class:`StoreWarning` naming it; ``"raise"`` raises
        :class:`StoreDamagedError` naming the first one.

    Returns
    -------
    pandas.DataFrame
        One row per point in grid order (adaptive stores: evaluation order):
        the parameters, the observables, ``error``, and ``status``
        (``pending``, ``done``, ``failed`` or ``damaged``).  A damaged row has
        no parameters or observables (they cannot be trusted) and says in
        ``error`` what is wrong; resuming the scan recomputes it.
        ``attrs["store"]`` holds the store's metadata and ``attrs["runs"]`` the
        recorded sessions.

    Raises
    ------
    StoreDamagedError
        If the file's structure or the store's metadata are damaged (or a row,
        with ``on_damage="raise"``).
    ValueError
        If there is no file at ``path``, or it is not a mesoflow results store.

    Warns
    -----
    StoreWarning
        Damaged rows (with ``on_damage="warn"``), or a store written by mesoflow
        before row checksums (format 1), whose rows are then read unverified.
    """
    choice("on_damage", on_damage, ("warn", "raise"))
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no results store at {str(path)!r}")
    with _damage_reported(path):
        connection = _read_only(path)
    try:
        with _damage_reported(path):
            meta = _read_meta(connection, path)
            verify = meta["format_version"] != "1"
            points = _point_rows(connection, verify=verify, size=_grid_size(meta))
            runs = _run_rows(connection, verify=verify)
    finally:
        connection.close()
    if not verify:
        warnings.warn(
            f"results store {str(path)!r} was written by an earlier mesoflow without checksums "
            f"(format 1): its {len(points)} rows are read unverified (resuming its scan adds "
            "checksums)",
            StoreWarning,
            stacklevel=2,
        )
    damaged = [row for row in points if row.status == "damaged"]
    if damaged and on_damage == "raise":
        raise StoreDamagedError(
            f"results store {str(path)!r}, point {damaged[0].index}: {damaged[0].damage} "
            f"({len(damaged)} damaged {'row' if len(damaged) == 1 else 'rows'} in all; "
            "resume the scan to recompute them)",
            path=str(path),
            point=damaged[0].index,
            reason=damaged[0].damage,
        )
    if damaged:
        warnings.warn(
            f"results store {str(path)!r}: {len(damaged)} damaged "
            f"{'row' if len(damaged) == 1 else 'rows'} shown with status 'damaged' and no "
            f"values (resume the scan to recompute them): {damaged_summary(damaged)}",
            StoreWarning,
            stacklevel=2,
        )
    _warn_damaged_runs(path, runs)
    return _table(path, meta, points, runs)


def _table(
    path: Path, meta: Mapping[str, str], points: Sequence[PointRow], runs: Sequence[dict]
) -> pd.DataFrame:
    try:
        parameters = json.loads(meta["parameters"])
        if not (isinstance(parameters, list) and all(isinstance(p, str) for p in parameters)):
            raise ValueError("not a list of names")
    except (KeyError, ValueError, RecursionError) as exc:
        raise StoreDamagedError(
            f"results store {str(path)!r} is damaged: its parameter names ({exc})",
            path=str(path),
            reason=f"metadata: parameters ({exc})",
        ) from None
    records = []
    for row in points:
        if row.status == "damaged":
            records.append({"error": f"damaged: {row.damage}", "status": "damaged"})
            continue
        record = dict(row.params)
        if row.observables is not None:
            record.update(row.observables)
        record["error"] = row.error
        record["status"] = row.status
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[*parameters, "error", "status"])
    frame.attrs["store"] = {key: value for key, value in meta.items() if key != "format"}
    frame.attrs["runs"] = [
        {key: run[key] for key in ("id", "started", "finished", "summary", "damage") if key in run}
        for run in runs
    ]
    return frame
