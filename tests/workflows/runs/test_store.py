"""The results store: kill-and-resume, refusal of a different scan, exact values, damage
detected (and fuzzed), and a reader that cannot keep results out of the file."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import workflows
import workflows.runs.store
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.store import (
    ResultsStore,
    StoreDamagedError,
    StoreMismatchError,
    StoreWarning,
    decode_json,
    encode_json,
    read_store,
)
from workflows.runs.store_rows import POINT_COLUMNS, row_checksum

SLOW_SCAN = textwrap.dedent(
    """
    import os
    import sys
    import time

    import workflows

    GRID = {"x": list(range(4)), "y": [0.0, 0.5, 1.0]}


    def point(x, y):
        with open(os.environ["SCAN_CALLS"], "a") as calls:
            calls.write(f"{x} {y}\\n")
        time.sleep(float(os.environ.get("SCAN_SLEEP", "0")))
        return {"f": 10 * x + y, "g": x / (1.0 + y), "label": f"p{x}"}


    if __name__ == "__main__":
        store, output, mode = sys.argv[1:4]
        executor = workflows.SerialExecutor() if mode == "serial" else None
        run = workflows.RunOptions(executor=executor, store=store, progress=False)
        table = workflows.scan(point, GRID, run=run)
        table.to_pickle(output)
    """
)


def _calls(path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    return [(int(x), float(y)) for x, y in (line.split() for line in path.read_text().splitlines())]


def test_a_scan_killed_with_sigkill_resumes_with_only_the_missing_points(tmp_path):
    script = tmp_path / "slow_scan.py"
    script.write_text(SLOW_SCAN)
    store = tmp_path / "scan.sqlite"
    first_calls, second_calls = tmp_path / "calls1.txt", tmp_path / "calls2.txt"
    env = {**os.environ, "SCAN_SLEEP": "0.2"}

    # 1. the default process pool, killed (driver, fork server and workers) with SIGKILL
    process = subprocess.Popen(
        [sys.executable, str(script), str(store), str(tmp_path / "never.pkl"), "pool"],
        env={**env, "SCAN_CALLS": str(first_calls)},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        done = 0
        while done < 4:
            assert process.poll() is None, "the scan finished before it could be killed"
            assert time.monotonic() < deadline, "the scan stored no points within 60 s"
            time.sleep(0.05)
            if store.exists():
                try:
                    done = int((read_store(store)["status"] == "done").sum())
                except (ValueError, sqlite3.OperationalError):
                    done = 0  # the store is being created
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert (tmp_path / "scan.sqlite.lock").exists()  # left by the killed scan: stale
    stored = read_store(store)
    finished = {(int(r.x), float(r.y)) for r in stored.itertuples() if r.status == "done"}
    assert 4 <= len(finished) < 12
    assert set(stored["status"]) <= {"done", "pending"}

    # 2. run again on the same store: only the missing points are computed
    output = tmp_path / "resumed.pkl"
    subprocess.run(
        [sys.executable, str(script), str(store), str(output), "serial"],
        env={**env, "SCAN_CALLS": str(second_calls), "SCAN_SLEEP": "0"},
        check=True,
        timeout=120,
    )
    recomputed = _calls(second_calls)
    everything = {(x, y) for x in range(4) for y in (0.0, 0.5, 1.0)}
    assert len(recomputed) == len(set(recomputed))  # no point computed twice
    assert set(recomputed) == everything - finished
    resumed = pd.read_pickle(output)
    assert resumed.attrs["provenance"]["n_from_store"] == len(finished)
    assert len(resumed.attrs["provenance"]["runs"]) == 2

    # 3. the same table as an uninterrupted run
    spec = importlib.util.spec_from_file_location("slow_scan", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.environ["SCAN_CALLS"] = os.devnull
    try:
        uninterrupted = workflows.scan(
            module.point,
            module.GRID,
            run=RunOptions(executor=SerialExecutor(), progress=False),
        )
    finally:
        del os.environ["SCAN_CALLS"]
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    assert resumed["error"].isna().all()


def scaled(x, factor):
    return {"y": factor * x}


def other(x):
    return {"y": x}


def flaky(x, log):
    log.append(x)
    if x == 1:
        raise RuntimeError("no convergence")
    return {"y": x}


def test_a_store_refuses_a_different_scan(tmp_path):
    store = tmp_path / "s.sqlite"
    run = functools.partial(
        workflows.scan, run=RunOptions(executor=SerialExecutor(), store=store, progress=False)
    )
    run(functools.partial(scaled, factor=2.0), {"x": [1, 2, 3]})
    with pytest.raises(StoreMismatchError, match=r"made by point function .*scaled.*uses .*other"):
        run(other, {"x": [1, 2, 3]})
    with pytest.raises(StoreMismatchError, match=r"code or bound arguments\) changed"):
        run(functools.partial(scaled, factor=3.0), {"x": [1, 2, 3]})
    with pytest.raises(StoreMismatchError, match=r"its grid is '3 points over \(x\)', this scan's"):
        run(functools.partial(scaled, factor=2.0), {"x": [1, 2, 3, 4]})
    with pytest.raises(StoreMismatchError, match="same shape but different parameter values"):
        run(functools.partial(scaled, factor=2.0), {"x": [1, 2, 5]})
    again = run(functools.partial(scaled, factor=2.0), {"x": [1, 2, 3]})
    assert again["y"].tolist() == [2.0, 4.0, 6.0]
    assert again.attrs["provenance"]["n_computed"] == 0


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database " * 100)
    with pytest.raises(ValueError, match="not a SQLite results store"):
        workflows.scan(
            other,
            {"x": [1]},
            run=RunOptions(executor=SerialExecutor(), store=text, progress=False),
        )
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (a)")
    connection.close()
    with pytest.raises(ValueError, match="not a results store"):
        workflows.scan(
            other,
            {"x": [1]},
            run=RunOptions(executor=SerialExecutor(), store=foreign, progress=False),
        )


def test_failed_points_are_stored_and_retried_only_on_request(tmp_path):
    store = tmp_path / "s.sqlite"
    log: list[int] = []
    point = functools.partial(flaky, log=log)
    first = workflows.scan(
        point,
        {"x": [0, 1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )
    assert log == [0, 1, 2]
    assert first["error"].tolist() == [None, "RuntimeError: no convergence", None]
    stored = read_store(store)
    assert stored["status"].tolist() == ["done", "failed", "done"]
    log.clear()
    second = workflows.scan(
        point,
        {"x": [0, 1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )
    assert log == []
    pd.testing.assert_frame_equal(second, first)
    third = workflows.scan(
        point,
        {"x": [0, 1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False, retry_failed=True),
    )
    assert log == [1] and third.attrs["failed"] == 1


def interrupted_at_three(x):
    if x == 3:
        raise KeyboardInterrupt  # as Ctrl-C while the point runs
    return {"y": 2 * x}


def test_ctrl_c_keeps_the_finished_points(tmp_path):
    store = tmp_path / "s.sqlite"
    with pytest.raises(KeyboardInterrupt):
        workflows.scan(
            interrupted_at_three,
            {"x": range(6)},
            run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
        )
    stored = read_store(store)
    assert stored["status"].tolist() == ["done"] * 3 + ["pending"] * 3
    assert stored["y"].iloc[:3].tolist() == [0, 2, 4]
    assert stored.attrs["runs"][0]["finished"] is not None  # the session was closed cleanly
    assert stored.attrs["runs"][0]["summary"] == {"computed": 3, "failed": 0}


def test_store_values_are_exact():
    values = {
        "third": 1 / 3,
        "tiny": 5e-324,
        "nan": float("nan"),
        "inf": -float("inf"),
        "big": 2**70,
        "z": 1 / 3 + 2j / 7,
        "matrix": np.array([[1 / 3, -0.0], [1e-300, 7.0]]),
        "complex_array": np.array([1j / 3, 2.0]),
        "flags": np.array([True, False]),
        "text": "ν = 2",
        "none": None,
    }
    decoded = decode_json(encode_json(values))
    for key, value in values.items():
        if isinstance(value, np.ndarray):
            assert decoded[key].dtype == value.dtype
            np.testing.assert_array_equal(decoded[key], value)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(decoded[key])
        else:
            assert decoded[key] == value and type(decoded[key]) is type(value)


def potential_point(x, V):
    return {"y": V(x)}


def with_potential(height):
    """A point function binding a locally defined potential, as in a notebook."""
    return functools.partial(potential_point, V=lambda x: height * x)


def test_a_point_binding_a_lambda_resumes_and_a_changed_closure_is_refused(tmp_path):
    store = tmp_path / "s.sqlite"
    run = functools.partial(
        workflows.scan, run=RunOptions(executor=SerialExecutor(), store=store, progress=False)
    )
    # equal but distinct lambdas (both alive, so at different addresses, as in two processes)
    point, same_point = with_potential(2.0), with_potential(2.0)
    first = run(point, {"x": [1.0, 2.0]})
    again = run(same_point, {"x": [1.0, 2.0]})
    assert again.attrs["provenance"]["n_computed"] == 0
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(StoreMismatchError, match=r"code or bound arguments\) changed"):
        run(with_potential(3.0), {"x": [1.0, 2.0]})


def copy_store_at(x, store, copy):
    """Copy the store's main file alone (not its -wal) while the scan runs, at point 3."""
    if x == 3:
        shutil.copyfile(store, copy)
    return {"y": x}


def test_checkpoints_keep_the_store_file_complete_during_a_run(tmp_path, monkeypatch):
    store, copy = tmp_path / "s.sqlite", tmp_path / "copy.sqlite"
    monkeypatch.setattr(workflows.runs.store, "CHECKPOINT_SECONDS", 0.0)  # after every point
    point = functools.partial(copy_store_at, store=str(store), copy=str(copy))
    workflows.scan(
        point,
        {"x": range(5)},
        run=RunOptions(executor=SerialExecutor(), store=store),
    )
    # the main file copied mid-run, without its write-ahead log, holds points 0, 1, 2
    assert read_store(copy)["status"].tolist() == ["done"] * 3 + ["pending"] * 2


def copy_store_at_start(x, store, copy):
    if x == 0:
        shutil.copyfile(store, copy)
    return {"y": x}


def test_the_store_file_alone_is_a_store_from_the_start(tmp_path):
    # copied (without its -wal) before the first checkpoint of points: still this scan's store
    store, copy = tmp_path / "s.sqlite", tmp_path / "copy.sqlite"
    point = functools.partial(copy_store_at_start, store=str(store), copy=str(copy))
    workflows.scan(
        point,
        {"x": range(3)},
        run=RunOptions(executor=SerialExecutor(), store=store),
    )
    assert read_store(copy)["status"].tolist() == ["pending"] * 3


# -- damage: checksums, decoding, crafted sizes -------------------------------------------------


def measured(x, log):
    """A point whose observable has digits that appear nowhere else in the store file."""
    log.append(x)
    return {"G": [0.4641327, 1.2502119, 2.0871953][x]}


def _scan_measured(store, log):
    return workflows.scan(
        functools.partial(measured, log=log),
        {"x": [0, 1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )


def _flip(path: Path, old: bytes, new: bytes) -> None:
    """Change bytes inside the file, as a bit flip on disk or a bad copy does."""
    data = path.read_bytes()
    assert data.count(old) == 1 and len(old) == len(new)
    path.write_bytes(data.replace(old, new))


def test_one_changed_byte_in_a_stored_row_is_detected_and_recomputed(tmp_path):
    store = tmp_path / "s.sqlite"
    log: list[int] = []
    first = _scan_measured(store, log)
    _flip(store, b'{"G": 0.4641327}', b'{"G": 0.9641327}')
    with sqlite3.connect(store) as connection:  # SQLite sees nothing wrong
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()

    with pytest.warns(StoreWarning, match=r"s\.sqlite'.*1 damaged row.*point 0 \(checksum mis"):
        damaged = read_store(store)
    assert damaged["status"].tolist() == ["damaged", "done", "done"]
    assert np.isnan(damaged["G"].iloc[0]) and np.isnan(damaged["x"].iloc[0])
    assert damaged["error"].iloc[0].startswith("damaged: checksum mismatch")
    assert 0.9641327 not in damaged["G"].tolist()
    with pytest.raises(StoreDamagedError, match=r"s\.sqlite', point 0: checksum") as error:
        read_store(store, on_damage="raise")
    assert (error.value.point, str(error.value).count("\n")) == (0, 0)

    log.clear()
    with pytest.warns(StoreWarning, match=r"1 damaged row not used, recomputed: point 0 \(che"):
        resumed = _scan_measured(store, log)
    assert log == [0]  # only the damaged point, never its stored value
    pd.testing.assert_frame_equal(resumed, first)
    assert read_store(store)["G"].tolist() == [0.4641327, 1.2502119, 2.0871953]  # no warning


def _craft(store: Path, index: int, **expressions: str) -> None:
    """Set columns of a stored point by SQL and recompute its checksum: a crafted file that
    passes the checksum, so that only the decoding stands between it and the user."""
    connection = sqlite3.connect(store, isolation_level=None)
    connection.text_factory = bytes
    connection.execute("PRAGMA ignore_check_constraints = ON")
    for column, expression in expressions.items():
        connection.execute(f"UPDATE points SET {column} = {expression} WHERE idx = ?", (index,))
    _recompute_checksum(connection, index)
    connection.close()


def _recompute_checksum(connection: sqlite3.Connection, index: int) -> None:
    columns = ", ".join(POINT_COLUMNS)
    row = connection.execute(f"SELECT {columns} FROM points WHERE idx = ?", (index,)).fetchone()
    connection.execute(
        "UPDATE points SET checksum = ? WHERE idx = ?", (row_checksum("points", row), index)
    )


DECODING_DAMAGE = {
    "bad UTF-8": (
        {"observables": "CAST(x'7b2247223a20ff7d' AS TEXT)"},
        "observables column is not UTF-8 text",
    ),
    "bad JSON": ({"observables": "'{\"G\": 0.46'"}, "observables column is not valid stored JSON"),
    "bad timestamp": ({"started_at": "'yesterday'"}, "started_at column 'yesterday' is not an ISO"),
    "observables not an object": (
        {"observables": "'[1, 2]'"},
        "observables column is not a JSON object",
    ),
    "duration not a number": ({"duration": "'slow'"}, "duration column is text, not a number"),
    "params a blob": ({"params": "x'00ff'"}, "params column is not UTF-8 text"),
    "unknown status": ({"status": "'finished'"}, "status 'finished' is not one of"),
    "crafted dtype": (
        {
            "observables": '\'{"G": {"__ndarray__": [0], "dtype": "(1000000000,)<f8", '
            '"shape": [1]}}\''
        },
        "observables column is not valid stored JSON \\(an array's dtype",
    ),
}


@pytest.mark.parametrize("case", list(DECODING_DAMAGE))
def test_a_row_that_does_not_decode_is_a_one_line_error_and_recomputed(tmp_path, case):
    columns, reason = DECODING_DAMAGE[case]
    store = tmp_path / "s.sqlite"
    log: list[int] = []
    first = _scan_measured(store, log)
    _craft(store, 1, **columns)
    with pytest.raises(StoreDamagedError, match=rf"'{store}', point 1: its {reason}") as error:
        read_store(store, on_damage="raise")
    assert "\n" not in str(error.value)
    with pytest.warns(StoreWarning, match=rf"point 1 \(its {reason}"):
        assert read_store(store)["status"].tolist() == ["done", "damaged", "done"]
    log.clear()
    with pytest.warns(StoreWarning, match=rf"recomputed: point 1 \(its {reason}"):
        resumed = _scan_measured(store, log)
    assert log == [1]
    pd.testing.assert_frame_equal(resumed, first)


MEMORY_LIMITED_READ = textwrap.dedent(
    """
    import resource, sys
    import workflows

    # address space: what is mapped now, plus 1 GiB (the crafted row asks for 7.45 GiB)
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = size * 1024 + 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        workflows.read_store(sys.argv[1], on_damage="raise")
    except ValueError as exc:
        print(type(exc).__name__, exc)
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_crafted_array_size_is_refused_under_a_small_memory_limit(tmp_path):
    store = tmp_path / "s.sqlite"
    _scan_measured(store, [])
    _craft(store, 2, **DECODING_DAMAGE["crafted dtype"][0])
    reader = subprocess.run(
        [sys.executable, "-c", MEMORY_LIMITED_READ, str(store)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reader.returncode == 0, reader.stderr[-2000:]
    assert reader.stdout.startswith("StoreDamagedError results store")
    assert (
        "point 2: its observables column is not valid stored JSON (an array's dtype"
        in reader.stdout
    )


def test_damaged_metadata_or_a_missing_row_are_reported(tmp_path):
    store = tmp_path / "s.sqlite"
    _scan_measured(store, [])
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(store, copy)
    _flip(copy, b"3 points over (x)", b"3 points over (y)")
    with pytest.raises(StoreDamagedError, match="metadata do not match their checksum"):
        read_store(copy)
    with pytest.raises(StoreDamagedError, match="metadata do not match their checksum"):
        _scan_measured(copy, [])
    # a row gone (as when a damaged b-tree page loses a cell): named, never silently dropped
    with sqlite3.connect(store) as connection:
        connection.execute("DELETE FROM points WHERE idx = 1")
    connection.close()
    with pytest.warns(StoreWarning, match=r"point 1 \(its row is missing\)"):
        assert read_store(store)["status"].tolist() == ["done", "damaged", "done"]
    log: list[int] = []
    with pytest.warns(StoreWarning, match=r"recomputed: point 1 \(its row is missing\)"):
        _scan_measured(store, log)
    assert log == [1]


def resonance(energy):
    return {"T": 1 / (1 + 100 * (energy - 0.5) ** 2)}


def test_a_damaged_row_of_an_adaptive_store_is_dropped_and_sampled_again(tmp_path):
    store = tmp_path / "a.sqlite"
    run = functools.partial(
        workflows.adaptive_scan,
        resonance,
        "energy",
        (0.0, 1.0),
        observable="T",
        loss_goal=1e-9,
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )
    run(max_points=8)
    _craft(store, 5, observables="'{\"T\": 0.97'")
    with pytest.warns(
        StoreWarning, match=r"1 damaged row not used, dropped .*point 5 \(its observables column"
    ):
        resumed = run(max_points=12)
    assert resumed.attrs["provenance"]["n_from_store"] == 7
    assert len(resumed) == 12 and resumed["error"].isna().all()
    expected = [resonance(energy)["T"] for energy in resumed["energy"]]
    assert resumed["T"].tolist() == expected  # nothing read from the damaged row
    assert (read_store(store)["status"] == "done").sum() == 12  # and no warning


def _as_format_1(store: Path) -> None:
    """Turn a store into what mesoflow wrote before row checksums (format 1)."""
    with sqlite3.connect(store) as connection:
        connection.execute("ALTER TABLE points DROP COLUMN checksum")
        connection.execute("ALTER TABLE runs DROP COLUMN checksum")
        connection.execute("DELETE FROM meta WHERE key IN ('checksum', 'points')")
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    connection.close()


def test_a_store_of_format_1_is_read_unverified_and_upgraded_on_resume(tmp_path):
    store = tmp_path / "s.sqlite"
    log: list[int] = []
    first = _scan_measured(store, log)
    _as_format_1(store)
    with pytest.warns(StoreWarning, match=r"without checksums \(format 1\): its 3 rows are read"):
        old = read_store(store)
    assert old["G"].tolist() == first["G"].tolist()
    log.clear()
    with pytest.warns(StoreWarning, match="its 3 finished points are used unverified"):
        resumed = _scan_measured(store, log)
    assert log == []
    pd.testing.assert_frame_equal(resumed, first)
    upgraded = read_store(store)  # format 2 now: no warning
    assert upgraded.attrs["store"]["format_version"] == "2"
    assert "checksums_since" in upgraded.attrs["store"]
    _flip(store, b'{"G": 1.2502119}', b'{"G": 1.2502118}')  # and damage is now detected
    with pytest.raises(StoreDamagedError, match="point 1: checksum mismatch"):
        read_store(store, on_damage="raise")


# -- a reader holding a transaction across the end of a scan -----------------------------------

_readers: list[sqlite3.Connection] = []


def read_while_scanning(x, store):
    """At the first point, open a reader that holds a read transaction (a database browser)."""
    if x == 0:
        reader = sqlite3.connect(store, isolation_level=None, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM points").fetchall()
        _readers.append(reader)
    return {"y": 2 * x}


def _scan_with_reader(store: Path) -> list[str]:
    point = functools.partial(read_while_scanning, store=str(store))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = workflows.scan(
            point,
            {"x": range(60)},
            run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
        )
    assert table["error"].isna().all()
    return [str(w.message) for w in caught if issubclass(w.category, StoreWarning)]


def _done_in_file_alone(store: Path, copy: Path) -> int:
    shutil.copyfile(store, copy)  # without its -wal and -shm
    return int((read_store(copy)["status"] == "done").sum())


def test_a_reader_held_across_the_end_of_a_scan_is_reported_naming_the_wal_file(tmp_path):
    store = tmp_path / "s.sqlite"
    try:
        messages = _scan_with_reader(store)
        in_file = _done_in_file_alone(store, tmp_path / "copy.sqlite")
        # either the file alone is complete, or the user is told which file holds the rest
        assert in_file == 60 or any(f"'{store}-wal'" in m for m in messages)
        # here the reader's snapshot predates every point: SQLite cannot fold them in
        assert in_file == 0
        (message,) = messages
        assert "holds a read transaction" in message and "the last 60 points" in message
        assert "\n" not in message
    finally:
        for reader in _readers:
            reader.close()  # the last connection to close folds the log in
        _readers.clear()
    assert (read_store(store)["status"] == "done").sum() == 60


def test_a_reader_that_ends_during_the_retries_leaves_a_complete_file(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite"
    waited: list[float] = []

    def reader_finishes(self, seconds):
        waited.append(seconds)
        for reader in _readers:
            reader.execute("COMMIT")  # e.g. the browser's query returned

    monkeypatch.setattr(ResultsStore, "_wait", reader_finishes)
    try:
        assert _scan_with_reader(store) == []
        assert len(waited) == 1  # the first checkpoint was blocked, the second completed
        assert _done_in_file_alone(store, tmp_path / "copy.sqlite") == 60
        # the idle reader, still connected, keeps the store in WAL mode, with an empty log
        assert store.with_name("s.sqlite-wal").stat().st_size == 0
    finally:
        for reader in _readers:
            reader.close()
        _readers.clear()


# -- fuzz: random damage to a real store ---------------------------------------------------------


def varied(x):
    """Observables of every stored kind, and one failing point."""
    if x == 3:
        raise RuntimeError("no convergence at x = 3")
    return {
        "G": x / 7,
        "z": complex(x, -x / 3),
        "matrix": np.arange(4.0).reshape(2, 2) * x,
        "label": f"ν = {x}",
    }


class Reference(tuple):
    """A store's bytes, table and metadata (with a short repr for Hypothesis' reports)."""

    def __repr__(self) -> str:
        return f"<a results store of {len(self[0])} bytes>"


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory) -> Reference:
    """A real store (12 points, one failed), its bytes, its table and its metadata."""
    store = tmp_path_factory.mktemp("fuzz") / "reference.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failed point's warning
        workflows.scan(
            varied,
            {"x": range(12)},
            run=RunOptions(executor=SerialExecutor(), store=store),
        )
    table = read_store(store)
    return Reference((store.read_bytes(), table, table.attrs["store"]))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if a is None or b is None or pd.isna(a) or pd.isna(b):  # a column missing in a row
        return (a is None or pd.isna(a)) and (b is None or pd.isna(b))
    return a == b


def _check_against(frame: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Every point is there (grid order); each one is the reference's, or says it is damaged."""
    assert len(frame) >= len(reference)
    for i in range(len(reference)):
        row = frame.iloc[i]
        if row["status"] == "damaged":
            assert row["error"].startswith("damaged: ")
            continue
        for column in reference.columns:
            assert _same(row[column], reference[column].iloc[i]), (i, column)


def _read(path: Path) -> pd.DataFrame | None:
    """read_store's table, or None after a one-line ValueError (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreWarning)
        try:
            return read_store(path)
        except ValueError as exc:
            assert "\n" not in str(exc)
            return None


def _read_or_refuse(path: Path, reference: pd.DataFrame, meta: dict[str, str]) -> None:
    """read_store and a resume: a result matching the reference, or a one-line ValueError."""
    frame = _read(path)
    if frame is not None:
        _check_against(frame, reference)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreWarning)
        try:
            with ResultsStore.open(
                path,
                kind="grid",
                point_name=meta["point_name"],
                point_sha256=meta["point_sha256"],
                scan_sha256=meta["scan_sha256"],
                parameters=["x"],
                description=meta["description"],
                points=[{"x": x} for x in range(12)],
            ) as results:
                finished = results.finished()
        except ValueError as exc:
            assert "\n" not in str(exc)
        else:
            for index, outcome in finished.items():
                expected = reference.iloc[index]
                assert _same(outcome.error, expected["error"])
                for name, value in (outcome.observables or {}).items():
                    assert _same(value, expected[name])


@given(flips=st.lists(st.tuples(st.integers(0, 2**40), st.integers(1, 255)), max_size=8))
def test_fuzz_byte_flips_in_a_store_file(reference_store, flips):
    data, reference, meta = reference_store
    damaged = bytearray(data)
    for position, mask in flips:
        damaged[position % len(data)] ^= mask
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "damaged.sqlite"
        path.write_bytes(bytes(damaged))
        _read_or_refuse(path, reference, meta)


@given(fraction=st.floats(0, 1))
def test_fuzz_truncated_store_files(reference_store, fraction):
    data, reference, meta = reference_store
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "truncated.sqlite"
        path.write_bytes(data[: int(fraction * len(data))])
        _read_or_refuse(path, reference, meta)


stored_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.sampled_from(
        [
            '{"G": 1.0}',
            '{"x": 5}',
            "done",
            "failed",
            "pending",
            "2026-12-06T01:00:00.000+00:00",
            '{"G": {"__ndarray__": [0], "dtype": "(1000000000,)<f8", "shape": [1]}}',
            '{"G": {"__ndarray__": [], "dtype": "<f8", "shape": [4611686018427387904, 2]}}',
            '{"G": {"__complex__": "ab"}}',
            "[" * 100_000,
            '{"G": 1e999999}',
            '{"G": ' + "9" * 5000 + "}",
        ]
    ),
)


@given(
    row=st.fixed_dictionaries({column: stored_values for column in POINT_COLUMNS[1:]}),
    index=st.integers(0, 11),
    recompute_checksum=st.booleans(),
)
def test_fuzz_random_row_contents(reference_store, row, index, recompute_checksum):
    """Any values in a row, with or without a matching checksum (a crafted file)."""
    data, reference, meta = reference_store
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "crafted.sqlite"
        path.write_bytes(data)
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA writable_schema = ON")  # damage ignores NOT NULL too
        connection.execute("UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '')")
        connection.close()
        connection = sqlite3.connect(path, isolation_level=None)
        connection.text_factory = bytes
        connection.execute("PRAGMA ignore_check_constraints = ON")
        assignments = ", ".join(f"{column} = ?" for column in row)
        connection.execute(f"UPDATE points SET {assignments} WHERE idx = ?", (*row.values(), index))
        if recompute_checksum:
            _recompute_checksum(connection, index)
        connection.close()
        if not recompute_checksum:
            _read_or_refuse(path, reference, meta)
            return
        # the crafted row may decode: it is then what was written, not the reference's row
        frame = _read(path)
        if frame is not None:
            others = reference.drop(index=index).reset_index(drop=True)
            _check_against(frame.drop(index=index).reset_index(drop=True), others)
