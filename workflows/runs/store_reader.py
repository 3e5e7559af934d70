"""Reading a results store back as a table, read-only, e.g. to watch a running scan."""

from __future__ import annotations

import json
import os
import sqlite3
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from systems.validation import choice
from workflows.runs.store_rows import (
    PointRow,
    StoreDamagedError,
    StoreWarning,
    damaged_summary,
)
from workflows.runs.store_schema import (
    damage_reported,
    grid_size,
    point_rows,
    read_meta,
    run_rows,
    warn_damaged_runs,
)

__all__ = ["read_store"]


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
    with damage_reported(path):
        connection = _read_only(path)
    try:
        with damage_reported(path):
            meta = read_meta(connection, path)
            verify = meta["format_version"] != "1"
            points = point_rows(connection, verify=verify, size=grid_size(meta))
            runs = run_rows(connection, verify=verify)
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
    warn_damaged_runs(path, runs)
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
