"""Benchmarks of the results store: a reader's stall of the writer, the cost of checksums.

1. **A reader holding a transaction.**  The same scan of many trivial points (serial
   executor, results store, no progress bar) twice in one run: alone, and while another
   process holds a read transaction on the store from the first point to after the end
   (``BEGIN; SELECT ...``, as a database browser or a notebook does).  Reported as the ratio
   of the wall times (target: at most 1.5×), with the WAL size at the end, and whether the
   ``.sqlite`` file alone (copied without its ``-wal``) holds every point once the reader
   has gone.
2. **The store's own cost per point.**  ``ResultsStore.record`` of trivial points (one
   committed transaction each), and the share of it spent on the row checksum
   (``workflows.runs.store_rows.row_checksum``), measured by timing the checksum alone.
3. **The scan's own CPU time per point** (``time.process_time``, so that other jobs on a
   shared machine count less): a scan of trivial points, serial, with a store.  To compare
   with an older commit, run this script against that commit's tree (``git archive
   <commit> | tar -x -C /tmp/old`` and ``PYTHONPATH=/tmp/old``), interleaved.

Usage (from the repository root)::

    uv run python benchmarks/bench_store.py              # 5000 points, best of 3
    uv run python benchmarks/bench_store.py --points 1000 --repeat 1   # quicker

The load average of the machine is printed first: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import workflows
from workflows.runs.options import RunOptions
from workflows.runs.scans import SerialExecutor
from workflows.runs.store import ResultsStore

READER = r"""
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN")
connection.execute("SELECT count(*) FROM points").fetchall()
print("ready", flush=True)
sys.stdin.readline()  # hold the read transaction until told to stop
connection.execute("COMMIT")
"""

_reader: list[subprocess.Popen] = []
_store: list[Path] = []
_waited: list[float] = []


def _timed_consolidation(original):
    """ResultsStore._consolidate, timed: the end-of-scan wait for the reader, shown apart."""

    def consolidate(self):
        start = time.perf_counter()
        try:
            original(self)
        finally:
            _waited.append(time.perf_counter() - start)

    return consolidate


def trivial_point(x: float) -> dict:
    """A point that does no work; the first one starts the reader when asked to."""
    if x == 0.0 and _store:
        process = subprocess.Popen(
            [sys.executable, "-c", READER, str(_store[0])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout.readline().strip() == "ready"
        _reader.append(process)
    return {"y": 2.0 * x}


def one_scan(directory: Path, n: int, *, reader: bool) -> tuple[float, int, int, float]:
    """Wall time of one scan, WAL bytes left at its end, points in the copied main file,
    and the time spent consolidating the store at the end."""
    store = directory / f"scan-{reader}-{time.monotonic_ns()}.sqlite"
    _store[:] = [store] if reader else []
    _waited.clear()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "points only in -wal" message, counted below
        workflows.scan(
            trivial_point,
            {"x": np.arange(n, dtype=float)},
            run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
        )
    elapsed = time.perf_counter() - start
    wal = store.with_name(store.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    copy = directory / "copy.sqlite"
    shutil.copyfile(store, copy)  # the main file alone, as a user copying "the results"
    for process in _reader:
        process.communicate("stop\n", timeout=60)
    _reader.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = int((workflows.read_store(copy)["status"] == "done").sum())
    copy.unlink()
    return elapsed, wal_bytes, done, sum(_waited)


def reader_stall(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        alone, pinned = [], []
        for _ in range(repeat):  # interleaved: the load drifts
            alone.append(one_scan(directory, n, reader=False))
            pinned.append(one_scan(directory, n, reader=True))
    t_alone = min(t for t, *_ in alone)
    t_pinned = min(t for t, *_ in pinned)
    print(f"\n1. A scan of {n} trivial points (serial, store), best of {repeat}")
    print(f"   alone                          {t_alone:6.2f} s  ({1e3 * t_alone / n:.3f} ms/point)")
    print(
        f"   a reader holds a transaction   {t_pinned:6.2f} s  ({1e3 * t_pinned / n:.3f} ms/point)"
        f"   ratio {t_pinned / t_alone:.2f}×"
    )
    for label, runs in (("alone", alone), ("with reader", pinned)):
        print(
            f"   {label:12s} WAL left at the end: {max(r[1] for r in runs) / 1e6:.1f} MB; "
            f"points in the .sqlite alone: {min(r[2] for r in runs)} of {n}; "
            f"end-of-scan consolidation {min(r[3] for r in runs):.2f} s"
        )


def checksum_cost(n: int, repeat: int) -> None:
    from workflows.runs import store as store_module

    try:
        from workflows.runs.store_rows import row_checksum as checksum
    except ImportError:  # a commit before row checksums
        checksum = None
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "record.sqlite"
        points = [{"x": float(x)} for x in range(n)]
        times = []
        for _ in range(repeat):
            path.unlink(missing_ok=True)
            with store_module.ResultsStore.open(
                path,
                kind="grid",
                point_name="bench",
                point_sha256="0",
                scan_sha256="0",
                parameters=["x"],
                description="bench",
                points=points,
            ) as results:
                start = time.perf_counter()
                for i in range(n):
                    results.record(
                        store_module.PointOutcome(i, {"y": 2.0 * i}, None, None, 1e9, 1e-5, "h:1")
                    )
                times.append(time.perf_counter() - start)
    t_record = min(times) / n
    print(f"\n2. ResultsStore.record, {n} trivial points: {1e3 * t_record:.3f} ms/point")
    if checksum is None:
        print("   (no row checksums in this version)")
        return
    row = (
        7,
        '{"x": 7.0}',
        "done",
        '{"y": 14.0}',
        None,
        None,
        "2026-12-06T01:00:00.000+00:00",
        "2026-12-06T01:00:00.000+00:00",
        1e-5,
        "host:123",
        1,
    )
    rounds = 20_000
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(rounds):
            checksum("points", row)
        best = min(best, (time.perf_counter() - start) / rounds)
    print(
        f"   of which the row checksum (BLAKE2b of the row): {1e6 * best:.1f} µs/point "
        f"({100 * best / t_record:.1f} %)"
    )


def scan_cpu(n: int, repeat: int) -> None:
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as name:
            start = time.process_time()
            workflows.scan(
                _plain_point,
                {"x": np.arange(n, dtype=float)},
                run=RunOptions(
                    executor=SerialExecutor(), store=Path(name) / "cpu.sqlite", progress=False
                ),
            )
            best = min(best, time.process_time() - start)
    print(f"\n3. The scan's own CPU time, {n} trivial points: {1e3 * best / n:.3f} ms/point")


def _plain_point(x: float) -> dict:
    return {"y": 2.0 * x}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=5000, help="trivial points per scan")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    ResultsStore._consolidate = _timed_consolidation(ResultsStore._consolidate)
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")
    reader_stall(args.points, args.repeat)
    checksum_cost(args.points, args.repeat)
    scan_cpu(args.points, args.repeat)


if __name__ == "__main__":
    main()
