"""The results store: a crash-safe SQLite file holding a scan's points as they finish.

A run given ``RunOptions(store=PATH)`` (:func:`workflows.scan`,
:func:`workflows.adaptive_scan`, :func:`workflows.runs.energy_windows.window_scan`,
:func:`workflows.runs.study.run_study`: every sampler of the run driver) writes
every finished point to PATH in its own committed transaction, so a scan that is
killed (Ctrl-C, SIGKILL, a job hitting its wall-time limit, a node failure)
loses at most the points that were being computed.  Started again with the same
store, the scan computes only the missing points.  A store belongs to one scan:
opening it for a different point function or a different grid is refused rather
than mixing results.

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

The format of the file is described in :mod:`workflows.runs.store_schema`,
how it is read back in :mod:`workflows.runs.store_reader`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from systems.validation import choice
from workflows.runs.outcome import PointOutcome
from workflows.runs.store_lock import StoreBusyError, StoreLock
from workflows.runs.store_reader import read_store
from workflows.runs.store_rows import (
    PointRow,
    StoreDamagedError,
    StoreWarning,
    damaged_summary,
    decode_json,
    encode_json,
    meta_checksum,
    row_checksum,
)
from workflows.runs.store_schema import (
    BUSY_MS,
    CHECKPOINT_COMMITS,
    CHECKPOINT_SECONDS,
    CONSOLIDATE_SECONDS,
    FORMAT,
    FORMAT_VERSION,
    INSERT_POINT,
    KINDS,
    POINT_FIELDS,
    SCHEMA,
    UPDATE_POINT,
    connect_store,
    damage_reported,
    grid_size,
    iso_time,
    now_iso,
    pending_row,
    point_rows,
    read_meta,
    run_rows,
    storable_text,
    stored_seconds,
    table_names,
    transaction,
    upgrade_format,
    warn_damaged_runs,
)

# PointOutcome, StoreBusyError and read_store live in their own modules and are
# re-exported: the store's public names, imported from here by the run layer.
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


class StoreMismatchError(ValueError):
    """A results store was opened for a scan other than the one that created it."""


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
        lock: StoreLock | None = None,
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
        lock = StoreLock(path)
        lock.acquire(path)
        try:
            connection = connect_store(path)
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
            with damage_reported(path), transaction(connection):
                if "meta" not in table_names(connection) and table_names(connection):
                    raise ValueError(f"{str(path)!r} is an SQLite file but not a results store")
                if "meta" not in table_names(connection):
                    params_text = [encode_json(dict(p)) for p in points or ()]
                    meta = cls._create(connection, wanted, parameters, description, params_text)
                else:
                    meta = read_meta(connection, path)
                    cls._check_identity(path, meta, wanted, description)
                    if meta["format_version"] == "1":
                        upgraded = upgrade_format(
                            connection, meta, None if points is None else len(points)
                        )
            with damage_reported(path):
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
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **wanted,
            "parameters": json.dumps(list(parameters)),
            "description": description,
            "created": now_iso(),
        }
        if wanted["kind"] == "grid":
            meta["points"] = str(len(params_text))
        meta["checksum"] = meta_checksum(meta)
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        connection.executemany(
            INSERT_POINT,
            (pending_row(i, text) for i, text in enumerate(params_text)),
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
        with damage_reported(self.path):
            rows = point_rows(self._connection, verify=True, size=grid_size(self.meta))
        damaged = [row for row in rows if row.status == "damaged"]
        if not damaged:
            return rows
        with damage_reported(self.path), transaction(self._connection) as connection:
            connection.executemany(
                "DELETE FROM points WHERE idx = ?", [(row.index,) for row in damaged]
            )
            if self._grid is not None:
                present = {idx for (idx,) in connection.execute("SELECT idx FROM points")}
                connection.executemany(
                    f"INSERT INTO points ({POINT_FIELDS}, checksum) VALUES ({', '.join('?' * 12)})",
                    (
                        pending_row(i, encode_json(dict(p)))
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
            storable_text(outcome.error),
            storable_text(outcome.traceback),
            iso_time(outcome.started),
            iso_time(outcome.started + outcome.duration),
            stored_seconds(outcome.duration),
            storable_text(outcome.worker),
            self._run,
        )
        with transaction(self._connection) as connection:
            if self._grid is None:
                connection.execute(INSERT_POINT, (*values, row_checksum("points", values)))
            else:  # the row exists: updated in place (a REPLACE would delete and insert)
                cursor = connection.execute(
                    UPDATE_POINT, (*values[1:], row_checksum("points", values), values[0])
                )
                if cursor.rowcount != 1:  # its row was lost to damage since the store opened
                    connection.execute(INSERT_POINT, (*values, row_checksum("points", values)))
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
        started, text = now_iso(), encode_json(dict(provenance))
        with transaction(self._connection) as connection:
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
        values = (run, started, now_iso(), provenance, encode_json(dict(summary)))
        with transaction(self._connection) as connection:
            connection.execute(
                "UPDATE runs SET finished_at = ?, summary = ?, checksum = ? WHERE id = ?",
                (*values[2::2], row_checksum("runs", values), run),
            )

    def runs(self) -> list[dict[str, Any]]:
        """Every session recorded in the store, oldest first.

        A damaged row comes with an empty ``provenance``, no ``summary`` and
        ``damage`` saying what is wrong (and a :class:`StoreWarning`).
        """
        with damage_reported(self.path):
            runs = run_rows(self._connection, verify=True)
        warn_damaged_runs(self.path, runs)
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
                self._connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
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
