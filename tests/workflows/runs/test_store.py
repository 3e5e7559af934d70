"""The results store: kill-and-resume, refusal of a different scan, exact values."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workflows
import workflows.runs.store
from workflows.runs.executors import SerialExecutor
from workflows.runs.store import (
    ResultsStore,
    StoreBusyError,
    StoreMismatchError,
    decode_json,
    encode_json,
    read_store,
)

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
        table = workflows.scan(point, GRID, executor=executor, store=store, progress=False)
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
            module.point, module.GRID, executor=SerialExecutor(), progress=False
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
    run = functools.partial(workflows.scan, executor=SerialExecutor(), store=store, progress=False)
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
        workflows.scan(other, {"x": [1]}, executor=SerialExecutor(), store=text, progress=False)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (a)")
    connection.close()
    with pytest.raises(ValueError, match="not a results store"):
        workflows.scan(other, {"x": [1]}, executor=SerialExecutor(), store=foreign, progress=False)


def test_failed_points_are_stored_and_retried_only_on_request(tmp_path):
    store = tmp_path / "s.sqlite"
    log: list[int] = []
    point = functools.partial(flaky, log=log)
    first = workflows.scan(
        point, {"x": [0, 1, 2]}, executor=SerialExecutor(), store=store, progress=False
    )
    assert log == [0, 1, 2]
    assert first["error"].tolist() == [None, "RuntimeError: no convergence", None]
    stored = read_store(store)
    assert stored["status"].tolist() == ["done", "failed", "done"]
    log.clear()
    second = workflows.scan(
        point, {"x": [0, 1, 2]}, executor=SerialExecutor(), store=store, progress=False
    )
    assert log == []
    pd.testing.assert_frame_equal(second, first)
    third = workflows.scan(
        point,
        {"x": [0, 1, 2]},
        executor=SerialExecutor(),
        store=store,
        progress=False,
        retry_failed=True,
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
            executor=SerialExecutor(),
            store=store,
            progress=False,
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


def test_read_store_shows_progress_and_provenance(tmp_path):
    store = tmp_path / "s.sqlite"
    workflows.scan(other, {"x": [1, 2]}, executor=SerialExecutor(), store=store, progress=False)
    frame = read_store(store)
    assert frame["status"].tolist() == ["done", "done"]
    assert frame.attrs["store"]["point_name"].endswith(".other")
    assert frame.attrs["runs"][0]["summary"] == {"computed": 2, "failed": 0}
    with sqlite3.connect(store) as connection:
        (journal,) = connection.execute("PRAGMA journal_mode").fetchone()
        provenance = decode_json(connection.execute("SELECT provenance FROM runs").fetchone()[0])
    connection.close()
    # a finished scan leaves WAL mode: the .sqlite file alone holds everything
    assert journal == "delete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite", "s.sqlite.lock"]
    assert provenance["environment"]["kwant"] == "1.5.0"
    assert provenance["environment"]["solver"] in ("MUMPS", "SciPy")


def potential_point(x, V):
    return {"y": V(x)}


def with_potential(height):
    """A point function binding a locally defined potential, as in a notebook."""
    return functools.partial(potential_point, V=lambda x: height * x)


def test_a_point_binding_a_lambda_resumes_and_a_changed_closure_is_refused(tmp_path):
    store = tmp_path / "s.sqlite"
    run = functools.partial(workflows.scan, executor=SerialExecutor(), store=store, progress=False)
    # equal but distinct lambdas (both alive, so at different addresses, as in two processes)
    point, same_point = with_potential(2.0), with_potential(2.0)
    first = run(point, {"x": [1.0, 2.0]})
    again = run(same_point, {"x": [1.0, 2.0]})
    assert again.attrs["provenance"]["n_computed"] == 0
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(StoreMismatchError, match=r"code or bound arguments\) changed"):
        run(with_potential(3.0), {"x": [1.0, 2.0]})


def test_read_store_refuses_a_file_that_is_not_sqlite(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database " * 100)
    with pytest.raises(ValueError, match="not a SQLite results store"):
        read_store(text)


def test_a_second_scan_on_a_store_in_use_is_refused_naming_the_first(tmp_path):
    store = tmp_path / "s.sqlite"
    grid = {"x": [1, 2, 3]}
    log: list[int] = []
    point = functools.partial(flaky, log=log)
    with ResultsStore.open(
        store,
        kind="grid",
        point_name="first",
        point_sha256="0",
        scan_sha256="0",
        parameters=["x"],
        description="the first scan",
        points=[{"x": x} for x in grid["x"]],
    ):
        with pytest.raises(StoreBusyError) as busy:
            workflows.scan(point, grid, executor=SerialExecutor(), store=store, progress=False)
        assert f"host {socket.gethostname()}, pid {os.getpid()}, since " in str(busy.value)
        assert log == []  # refused before any work
    # the first scan ended: its lock is gone and the store is open again
    with pytest.raises(StoreMismatchError):
        workflows.scan(point, grid, executor=SerialExecutor(), store=store, progress=False)


def test_a_stale_lock_file_does_not_block_a_resume(tmp_path):
    store = tmp_path / "s.sqlite"
    # as left by a scan killed with SIGKILL on another node: the file stays, its flock is gone
    (tmp_path / "s.sqlite.lock").write_text('{"host": "gone", "pid": 1, "since": "then"}')
    table = workflows.scan(other, {"x": [1, 2]}, executor=SerialExecutor(), store=store)
    assert table["error"].isna().all()


def copy_store_at(x, store, copy):
    """Copy the store's main file alone (not its -wal) while the scan runs, at point 3."""
    if x == 3:
        shutil.copyfile(store, copy)
    return {"y": x}


def test_checkpoints_keep_the_store_file_complete_during_a_run(tmp_path, monkeypatch):
    store, copy = tmp_path / "s.sqlite", tmp_path / "copy.sqlite"
    monkeypatch.setattr(workflows.runs.store, "CHECKPOINT_SECONDS", 0.0)  # after every point
    point = functools.partial(copy_store_at, store=str(store), copy=str(copy))
    workflows.scan(point, {"x": range(5)}, executor=SerialExecutor(), store=store)
    # the main file copied mid-run, without its write-ahead log, holds points 0, 1, 2
    assert read_store(copy)["status"].tolist() == ["done"] * 3 + ["pending"] * 2


def test_read_store_never_writes(tmp_path):
    store = tmp_path / "s.sqlite"
    workflows.scan(other, {"x": [1, 2]}, executor=SerialExecutor(), store=store, progress=False)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()}
    assert read_store(store)["y"].tolist() == [1, 2]
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()}
    assert after == before  # no -wal/-shm/journal created, nothing modified


def copy_store_at_start(x, store, copy):
    if x == 0:
        shutil.copyfile(store, copy)
    return {"y": x}


def test_the_store_file_alone_is_a_store_from_the_start(tmp_path):
    # copied (without its -wal) before the first checkpoint of points: still this scan's store
    store, copy = tmp_path / "s.sqlite", tmp_path / "copy.sqlite"
    point = functools.partial(copy_store_at_start, store=str(store), copy=str(copy))
    workflows.scan(point, {"x": range(3)}, executor=SerialExecutor(), store=store)
    assert read_store(copy)["status"].tolist() == ["pending"] * 3


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="reads as an unprivileged user: needs root and setpriv",
)
def test_read_store_reads_a_finished_store_in_a_read_only_directory():
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="mesoflow-ro-"))
    try:
        store, old = directory / "s.sqlite", directory / "old.sqlite"
        workflows.scan(other, {"x": [1, 2]}, executor=SerialExecutor(), store=store)
        shutil.copyfile(store, old)
        with sqlite3.connect(old) as connection:  # left in WAL mode, as older versions did
            connection.execute("PRAGMA journal_mode=WAL")
        connection.close()
        directory.chmod(0o555)  # read-only for everyone but root
        reader = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-c",
                "import sys, workflows; "
                "print([workflows.read_store(p)['y'].tolist() for p in sys.argv[1:]])",
                str(store),
                str(old),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if reader.returncode != 0 and "unable to open database" not in reader.stderr:
            if "Permission denied" in reader.stderr or "No module named" in reader.stderr:
                pytest.skip("the unprivileged user cannot run this Python environment")
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.strip() == "[[1, 2], [1, 2]]"
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)
