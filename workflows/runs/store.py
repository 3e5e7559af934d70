"""The results store: a crash-safe SQLite file holding a scan's points as they finish.

A scan given ``store=PATH`` (:func:`workflows.scan`, :func:`workflows.adaptive_scan`,
:func:`workflows.runs.study.run_study`) writes every finished point to PATH in its
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
metadata and the grid), every :data:`CHECKPOINT_SECONDS` seconds, and when the
scan ends, and on a clean end (also after an exception or Ctrl-C) the store leaves
WAL mode: the ``.sqlite`` file alone is then self-contained, and
:func:`read_store` reads it in a read-only directory.  After a hard kill
(SIGKILL, node failure) the ``-wal`` file holds the last points: keep it next
to the store (a resume folds it in); the main file alone holds every point up
to the last checkpoint.  Either way only the points in flight are lost.

Format (SQLite 3, WAL journal; readable with any SQLite client)
---------------------------------------------------------------
``meta(key, value)``
    ``format`` = ``mesoflow-results-store``, ``format_version`` = ``1``, ``kind``
    (``grid`` or ``adaptive``), ``point_name`` and ``point_sha256`` (the point
    function's qualified name and the hash of its source and bound data, see
    :func:`workflows.runs.provenance.callable_fingerprint`), ``scan_sha256`` (hash
    of the grid, or of the adaptive domain), ``parameters`` (JSON list of the
    scanned names), ``description``, ``created``.
``points``
    Columns ``idx, params, status, observables, error, traceback, started_at,
    finished_at, duration, worker, run``.  One row per point: ``idx`` its
    position in grid order (adaptive scans: evaluation order), ``params`` a
    JSON object, ``status`` one of ``pending``/``done``/``failed``,
    ``observables`` a JSON object (``done``), ``error``
    ``"ExceptionType: message"`` and ``traceback`` (``failed``), UTC
    timestamps, ``duration`` in seconds, ``worker`` as ``host:pid``, and the
    ``run`` that computed it.
``runs(id, started_at, finished_at, provenance, summary)``
    One row per session that worked on the store; ``provenance`` and
    ``summary`` are JSON (versions, solver, git revision, host, executor; points
    computed and failed).

JSON values are exact: floats are written with their shortest round-trip
representation; complex numbers are ``{"__complex__": [re, im]}`` and NumPy
arrays ``{"__ndarray__": [...], "dtype": ..., "shape": [...]}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems._validation import choice

__all__ = [
    "PointOutcome",
    "ResultsStore",
    "StoreBusyError",
    "StoreMismatchError",
    "decode_json",
    "encode_json",
    "read_store",
]

FORMAT = "mesoflow-results-store"
FORMAT_VERSION = "1"
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
    run INTEGER
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    provenance TEXT NOT NULL,
    summary TEXT
);
"""


#: Seconds between checkpoints that fold the write-ahead log into the store file.
CHECKPOINT_SECONDS = 30.0


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


def _encode_default(value: Any) -> Any:
    if isinstance(value, complex | np.complexfloating):
        return {"__complex__": [float(value.real), float(value.imag)]}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": value.shape}
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a value of type {type(value).__name__}: {value!r}")


def _decode_hook(obj: dict[str, Any]) -> Any:
    if "__complex__" in obj and len(obj) == 1:
        real, imag = obj["__complex__"]
        return complex(real, imag)
    if "__ndarray__" in obj and set(obj) == {"__ndarray__", "dtype", "shape"}:
        return np.array(obj["__ndarray__"], dtype=np.dtype(obj["dtype"])).reshape(obj["shape"])
    return obj


def encode_json(value: Any) -> str:
    """Exact JSON text of numbers, strings, complex numbers and NumPy arrays (nested in dicts)."""
    return json.dumps(value, default=_encode_default, allow_nan=True)


def decode_json(text: str) -> Any:
    """Inverse of :func:`encode_json`."""
    return json.loads(text, object_hook=_decode_hook)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise ValueError(f"store={str(path)!r} cannot be opened ({exc})") from exc
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: every commit survives the death of the process (SIGKILL); after a
        # power loss the last commits may be rolled back, never corrupted (they are recomputed).
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise ValueError(
            f"store={str(path)!r} is damaged or not a SQLite results store ({exc}); "
            "use another path, or delete the file to start afresh"
        ) from exc
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
    return {name for (name,) in rows}


def _read_meta(connection: sqlite3.Connection, path: Path) -> dict[str, str]:
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a mesoflow results store")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"results store {str(path)!r} has format version {meta.get('format_version')!r}; "
            f"this mesoflow reads version {FORMAT_VERSION}"
        )
    return meta


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
    ):
        self.path = path
        self._connection = connection
        self.meta = dict(meta)
        self._run: int | None = None
        self._lock = lock
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
        ValueError
            If the file exists but is not a mesoflow results store (or is
            damaged), if ``path`` is a directory, or if its directory is missing
            or not writable.
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
        try:
            with _damage_reported(path), _transaction(connection):
                if "meta" not in _tables(connection):
                    if _tables(connection):
                        raise ValueError(f"{str(path)!r} is an SQLite file but not a results store")
                    meta = cls._create(
                        connection,
                        kind,
                        point_name,
                        point_sha256,
                        scan_sha256,
                        parameters,
                        description,
                        points,
                    )
                else:
                    meta = _read_meta(connection, path)
            wanted = {
                "kind": kind,
                "point_name": point_name,
                "point_sha256": point_sha256,
                "scan_sha256": scan_sha256,
            }
            cls._check_identity(path, meta, wanted, description)
        except BaseException:
            connection.close()
            lock.release()
            raise
        return cls(path, connection, meta, lock)

    @staticmethod
    def _create(
        connection, kind, point_name, point_sha256, scan_sha256, parameters, description, points
    ) -> dict[str, str]:
        # statement by statement: executescript() would commit the open transaction
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "point_name": point_name,
            "point_sha256": point_sha256,
            "scan_sha256": scan_sha256,
            "parameters": json.dumps(list(parameters)),
            "description": description,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        if points is not None:
            connection.executemany(
                "INSERT INTO points (idx, params, status) VALUES (?, ?, 'pending')",
                ((i, encode_json(dict(p))) for i, p in enumerate(points)),
            )
        return meta

    @staticmethod
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

    def finished(self, *, include_failed: bool = True) -> dict[int, PointOutcome]:
        """The stored points that are done (and, by default, failed), by grid index."""
        statuses = ("done", "failed") if include_failed else ("done",)
        with _damage_reported(self.path):
            rows = self._connection.execute(
                "SELECT idx, observables, error, traceback, started_at, duration, worker "
                f"FROM points WHERE status IN ({', '.join('?' * len(statuses))}) ORDER BY idx",
                statuses,
            ).fetchall()
        outcomes = {}
        for idx, observables, error, traceback, started_at, duration, worker in rows:
            started = datetime.fromisoformat(started_at).timestamp() if started_at else 0.0
            outcomes[idx] = PointOutcome(
                index=idx,
                observables=decode_json(observables) if observables is not None else None,
                error=error,
                traceback=traceback,
                started=started,
                duration=duration or 0.0,
                worker=worker or "",
            )
        return outcomes

    def point_parameters(self) -> dict[int, dict[str, Any]]:
        """The parameters of every stored point (pending ones included), by index."""
        with _damage_reported(self.path):
            rows = self._connection.execute(
                "SELECT idx, params FROM points ORDER BY idx"
            ).fetchall()
        return {idx: decode_json(params) for idx, params in rows}

    def record(self, outcome: PointOutcome, params: Mapping[str, Any] | None = None) -> None:
        """Persist one finished point in its own committed transaction.

        ``params`` is required for adaptive stores (their rows are created
        here) and ignored for grid stores (their rows exist from creation).
        """
        status = "failed" if outcome.error is not None else "done"
        values = (
            encode_json(outcome.observables) if outcome.observables is not None else None,
            outcome.error,
            outcome.traceback,
            _iso(outcome.started),
            _iso(outcome.started + outcome.duration),
            outcome.duration,
            outcome.worker,
            self._run,
        )
        with _transaction(self._connection) as connection:
            if self.meta["kind"] == "grid":
                cursor = connection.execute(
                    "UPDATE points SET status = ?, observables = ?, error = ?, traceback = ?, "
                    "started_at = ?, finished_at = ?, duration = ?, worker = ?, run = ? "
                    "WHERE idx = ?",
                    (status, *values, outcome.index),
                )
                if cursor.rowcount != 1:
                    raise KeyError(f"point index {outcome.index} is not in the store's grid")
            else:
                if params is None:
                    raise ValueError("params are required to record a point of an adaptive scan")
                connection.execute(
                    "INSERT OR REPLACE INTO points (idx, params, status, observables, error, "
                    "traceback, started_at, finished_at, duration, worker, run) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (outcome.index, encode_json(dict(params)), status, *values),
                )
        if time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS:
            self.checkpoint()

    def begin_run(self, provenance: Mapping[str, Any]) -> int:
        """Record the start of a session working on this store; returns its id."""
        with _transaction(self._connection) as connection:
            cursor = connection.execute(
                "INSERT INTO runs (started_at, provenance) VALUES (?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    encode_json(dict(provenance)),
                ),
            )
        self._run = int(cursor.lastrowid)
        return self._run

    def end_run(self, summary: Mapping[str, Any]) -> None:
        """Record the end of the current session, with a summary (points computed, failed)."""
        if self._run is None:
            return
        with _transaction(self._connection) as connection:
            connection.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    encode_json(dict(summary)),
                    self._run,
                ),
            )

    def runs(self) -> list[dict[str, Any]]:
        """Every session recorded in the store, oldest first."""
        rows = self._connection.execute(
            "SELECT id, started_at, finished_at, provenance, summary FROM runs ORDER BY id"
        ).fetchall()
        return [
            {
                "id": run_id,
                "started": started,
                "finished": finished,
                "provenance": decode_json(provenance),
                "summary": decode_json(summary) if summary else None,
            }
            for run_id, started, finished, provenance, summary in rows
        ]

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the store file (done every CHECKPOINT_SECONDS)."""
        with contextlib.suppress(sqlite3.OperationalError):  # busy: a reader; next time
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._checkpointed = time.monotonic()

    def close(self) -> None:
        """Checkpoint, leave WAL mode (the file alone is then complete), close, unlock."""
        try:
            with contextlib.suppress(sqlite3.Error):
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._connection.execute("PRAGMA journal_mode=DELETE")
            self._connection.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@contextmanager
def _damage_reported(path: Path) -> Iterator[None]:
    """Turn SQLite's "file is not a database"/"malformed" errors into a one-line ValueError."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):  # locked, I/O: not a format problem
            raise
        raise ValueError(
            f"store={str(path)!r} is damaged or not a SQLite results store ({exc}); "
            "use another path, or delete the file to start afresh"
        ) from exc


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; a store left in WAL mode in a read-only directory is read as is."""
    uri = path.resolve().as_uri()
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.OperationalError:
        # A store still in WAL mode (its scan was killed, or an older mesoflow made it)
        # needs a -shm file, which a read-only directory cannot hold: read the main file
        # as it is (points since the last checkpoint, in a -wal file, are then not shown).
        connection.close()
        if os.access(path.parent, os.W_OK):
            raise
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    return connection


def read_store(path: str | os.PathLike) -> pd.DataFrame:
    """The contents of a results store as a table, e.g. to watch a running scan.

    Parameters
    ----------
    path
        An existing results store.  It is opened read-only and never written
        (a finished store can be read in a read-only directory).

    Returns
    -------
    pandas.DataFrame
        One row per point in grid order (adaptive stores: evaluation order):
        the parameters, the observables, ``error``, and ``status``
        (``pending``, ``done`` or ``failed``).  ``attrs["store"]`` holds the
        store's metadata and ``attrs["runs"]`` the recorded sessions.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no results store at {str(path)!r}")
    with _damage_reported(path):
        connection = _read_only(path)
    try:
        with _damage_reported(path):
            tables = _tables(connection)
            if "meta" not in tables:
                raise ValueError(f"{str(path)!r} is not a mesoflow results store")
            meta = _read_meta(connection, path)
            rows = connection.execute(
                "SELECT params, status, observables, error FROM points ORDER BY idx"
            ).fetchall()
            run_rows = connection.execute(
                "SELECT id, started_at, finished_at, summary FROM runs ORDER BY id"
            ).fetchall()
    finally:
        connection.close()
    parameters = json.loads(meta["parameters"])
    records = []
    for params, status, observables, error in rows:
        record = dict(decode_json(params))
        if observables is not None:
            record.update(decode_json(observables))
        record["error"] = error
        record["status"] = status
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[*parameters, "error", "status"])
    frame.attrs["store"] = {key: value for key, value in meta.items() if key != "format"}
    frame.attrs["runs"] = [
        {"id": i, "started": s, "finished": f, "summary": decode_json(m) if m else None}
        for i, s, f, m in run_rows
    ]
    return frame
