"""read_store: a results store read back as a table, read-only, e.g. while a scan runs."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import workflows
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.store import decode_json, read_store


def other(x):
    return {"y": x}


def test_read_store_shows_progress_and_provenance(tmp_path):
    store = tmp_path / "s.sqlite"
    workflows.scan(
        other,
        {"x": [1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )
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


def test_read_store_refuses_a_file_that_is_not_sqlite(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database " * 100)
    with pytest.raises(ValueError, match="not a SQLite results store"):
        read_store(text)


def test_read_store_never_writes(tmp_path):
    store = tmp_path / "s.sqlite"
    workflows.scan(
        other,
        {"x": [1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
    )
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()}
    assert read_store(store)["y"].tolist() == [1, 2]
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()}
    assert after == before  # no -wal/-shm/journal created, nothing modified


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="reads as an unprivileged user: needs root and setpriv",
)
def test_read_store_reads_a_finished_store_in_a_read_only_directory():
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="mesoflow-ro-"))
    try:
        store, old = directory / "s.sqlite", directory / "old.sqlite"
        workflows.scan(
            other,
            {"x": [1, 2]},
            run=RunOptions(executor=SerialExecutor(), store=store),
        )
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
