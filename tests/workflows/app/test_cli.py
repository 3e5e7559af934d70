"""The command line: user errors are one line with exit code 2, never a traceback."""

from __future__ import annotations

import fcntl
import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from workflows.app.cli import main

STUDY = """
name = "barrier"

[system]
builder = "chain"
length = 1

[params]
V = 1.0

[grid]
energy = ENERGIES

[[observables]]
kind = "conductance"
name = "G"
"""


def study(tmp_path: Path, energies: str = "[0.5, 1.5]") -> Path:
    path = tmp_path / "study.toml"
    path.write_text(textwrap.dedent(STUDY.replace("ENERGIES", energies)))
    return path


def one_line_error(capsys, argv: list[str]) -> str:
    """Run the CLI; assert exit code 2 and a single line on stderr without a traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mesoflow scan: error: ")
    return lines[0]


def test_a_study_at_a_band_edge_is_refused_at_validation(tmp_path, capsys):
    # the chain's band is 0 < E < 4t (on-site 2t): both energies are exactly at a band edge,
    # refused before any point runs, in one line naming the energy and the lead
    path = study(tmp_path, "[0.0, 4.0]")
    output = tmp_path / "out"
    line = one_line_error(capsys, ["scan", str(path), "--output", str(output), "--workers", "1"])
    assert "energy = 0.0 is exactly at a band edge of lead 0" in line
    assert not output.exists()


def test_a_study_whose_points_all_fail_writes_its_table_and_says_so(tmp_path, capsys, monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("the solver did not converge")

    monkeypatch.setattr("workflows.app.study_point.conductance_matrix", failing)  # in-process run
    path = study(tmp_path)
    output = tmp_path / "out"
    assert main(["scan", str(path), "--output", str(output), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "all 2 points failed (first: ValueError: the solver did not converge" in err
    table = pd.read_csv(output / "results.csv")
    assert list(table.columns) == ["energy", "G", "error"]
    assert table["G"].isna().all()
    assert table["error"].str.contains("did not converge").all()
    assert (output / "plot.png").is_file() and (output / "provenance.json").is_file()


def test_output_that_is_a_file_or_cannot_be_created(tmp_path, capsys, monkeypatch):
    path = study(tmp_path)
    afile = tmp_path / "taken.txt"
    afile.write_text("")
    line = one_line_error(capsys, ["scan", str(path), "--output", str(afile)])
    assert f"output {str(afile)!r} is a file, not a directory" in line
    line = one_line_error(capsys, ["scan", str(path), "--output", str(afile / "sub")])
    assert "cannot be created (Not a directory)" in line

    def refuse(self, *args, **kwargs):  # a read-only parent directory (tests run as root)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    line = one_line_error(capsys, ["scan", str(path), "--output", str(tmp_path / "new")])
    assert "cannot be created (Permission denied)" in line


def test_a_store_that_is_a_directory_damaged_or_in_use(tmp_path, capsys):
    path = study(tmp_path)
    output = tmp_path / "out"
    (output / "results.sqlite").mkdir(parents=True)
    line = one_line_error(capsys, ["scan", str(path), "--output", str(output), "--workers", "1"])
    assert "results.sqlite' is a directory" in line

    (output / "results.sqlite").rmdir()
    (output / "results.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    line = one_line_error(capsys, ["scan", str(path), "--output", str(output), "--workers", "1"])
    assert "is damaged or not a SQLite results store" in line

    (output / "results.sqlite").unlink()
    with open(output / "results.sqlite.lock", "w") as lock:  # another scan holds the store
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write(json.dumps({"host": "node17", "pid": 4242, "since": "2026-01-01T00:00:00"}))
        lock.flush()
        line = one_line_error(
            capsys, ["scan", str(path), "--output", str(output), "--workers", "1"]
        )
    assert "is in use by another scan (host node17, pid 4242" in line
    # the lock released (its process gone), the same command runs
    assert main(["scan", str(path), "--output", str(output), "--workers", "1"]) == 0
    capsys.readouterr()

    store = output / "results.sqlite"  # a finished store, then damaged inside
    data = bytearray(store.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    store.write_bytes(bytes(data))
    line = one_line_error(capsys, ["scan", str(path), "--output", str(output), "--workers", "1"])
    assert "is damaged or not a SQLite results store (database disk image is malformed)" in line


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_non_finite_values_in_a_study_are_refused(tmp_path, capsys, bad):
    path = study(tmp_path, f"[0.5, {bad}]")
    line = one_line_error(capsys, ["scan", str(path), "--output", str(tmp_path / "o")])
    assert f"[grid] energy[1]: must be a finite number, got {bad}" in line


def test_a_bad_timeout_is_one_line(tmp_path, capsys):
    path = study(tmp_path)
    line = one_line_error(capsys, ["scan", str(path), "--output", str(tmp_path), "--timeout", "0"])
    assert "timeout must be a finite real number > 0 (seconds, or None), got 0.0" in line


def test_trust_and_output_mistakes_are_one_line(tmp_path, capsys):
    marker = tmp_path / "ran"
    path = study(tmp_path)
    text = path.read_text()
    path.write_text(
        text.replace(
            'builder = "chain"\nlength = 1', f'builder = "os:system"\ncommand = "touch {marker}"'
        )
    )
    line = one_line_error(capsys, ["scan", str(path), "--output", str(tmp_path / "o")])
    assert "builder 'os:system' is not trusted" in line and "--allow-module os" in line
    assert not marker.exists()

    path.write_text(text.replace('name = "barrier"', 'name = "../../x"'))
    line = one_line_error(capsys, ["scan", str(path)])
    assert "name: must be a file name" in line

    path.write_text(text + '\n[executor]\nscheduler_file = "absent.json"\n')
    line = one_line_error(capsys, ["scan", str(path), "--output", str(tmp_path / "o")])
    assert "--allow-remote-scheduler" in line
    line = one_line_error(
        capsys, ["scan", str(path), "--output", str(tmp_path / "o"), "--allow-remote-scheduler"]
    )
    assert "absent.json' does not exist" in line


def test_allow_module_and_force_on_the_command_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "mf_cli_builders.py").write_text(
        "import systems\n\ndef my_chain(length):\n    return systems.chain(length)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    path = study(tmp_path)
    path.write_text(path.read_text().replace('"chain"', '"mf_cli_builders:my_chain"'))
    output = tmp_path / "out"
    output.mkdir()
    (output / "results.csv").write_text("not,ours\n")
    argv = ["scan", str(path), "--output", str(output), "--workers", "1"]
    line = one_line_error(capsys, argv)
    assert "--allow-module mf_cli_builders" in line
    argv += ["--allow-module", "elsewhere", "--allow-module", "mf_cli_builders"]
    line = one_line_error(capsys, argv)
    assert "holds the results of a different study (results.csv)" in line
    assert main([*argv, "--force"]) == 0
    assert "2 points, 0 failed" in capsys.readouterr().out
    assert list(pd.read_csv(output / "results.csv").columns) == ["energy", "G", "error"]


HELP_IMPORTS = """
import json, sys
from workflows.app.cli import main
for argv in (["--help"], ["scan", "--help"], ["scan"], ["scan", "s.toml", "--format", "hdf"]):
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in ("kwant", "scipy", "workflows.api") if m in sys.modules)))
"""


def test_help_and_argument_errors_import_neither_kwant_nor_scipy():
    """``mesoflow --help`` answers without the solver stack (what makes it slow to start)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", HELP_IMPORTS], capture_output=True, text=True, timeout=120
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert "usage: mesoflow" in result.stdout and "invalid choice: 'hdf'" in result.stderr


def test_scan_writes_netcdf_on_request(tmp_path, capsys):
    from workflows.runs.labelled_data import read_dataset

    assert main(["scan", str(study(tmp_path)), "--output", str(tmp_path / "o"), "--format",
                 "netcdf", "--workers", "1"]) == 0  # fmt: skip
    dataset = read_dataset(tmp_path / "o" / "results.nc")
    assert dataset["G"].dims == ("energy",) and dataset["G"].attrs["units"] == "e²/h"
    assert dataset.attrs["provenance"]["study"]["name"] == "barrier"
    assert "2 points, 0 failed" in capsys.readouterr().out
