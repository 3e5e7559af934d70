"""The main demo and the command line, run as a user would (quick sizes)."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from workflows.app.cli import main


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, svg_backend):
    output = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), svg_backend() as backend:
        assert main(["demo", "--quick", "--output", str(output)]) == 0
    return output, printed.getvalue(), backend["after"]


@pytest.fixture(scope="module")
def demo_output(demo_run):
    return demo_run[0]


def test_demo_writes_tables_figure_and_provenance(demo_output):
    for name in ("qpc_conductance.csv", "hall_bar.csv", "demo.png", "provenance.json"):
        assert (demo_output / name).stat().st_size > 0
    provenance = json.loads((demo_output / "provenance.json").read_text())
    # both studies run through workflows.scan: one provenance format
    for study in ("qpc", "hall_bar"):
        assert provenance[study]["provenance"]["environment"]["kwant"] == "1.5.0"
    assert provenance["qpc"]["provenance"]["study"]["name"] == "qpc_conductance"


def test_demo_qpc_opens_to_the_lead_modes_and_pinches_off(demo_output):
    qpc = pd.read_csv(demo_output / "qpc_conductance.csv")
    assert qpc["G"].iloc[0] == pytest.approx(qpc["N_leads"].iloc[0], abs=1e-9)
    assert qpc["G"].iloc[-1] < 1e-3


def test_demo_hall_bar_is_quantized_at_strong_field(demo_output):
    hall = pd.read_csv(demo_output / "hall_bar.csv")
    strong = hall[(hall["B"] > 0.05) & (hall["nu"] > 0)]
    assert len(strong) >= 2
    assert np.abs(strong["R_xy"] + 1 / strong["nu"]).max() < 1e-6
    assert np.abs(strong["R_xx"]).max() < 1e-6


def test_demo_leaves_the_matplotlib_backend_alone(demo_run):
    assert demo_run[2] == "svg"


def test_demo_prints_a_table(demo_run):
    printed = demo_run[1]
    assert "Quantum point contact" in printed
    assert "Hall bar" in printed


def test_info_names_solver_and_versions(capsys):
    assert main(["info"]) == 0
    printed = capsys.readouterr().out
    assert "kwant" in printed
    assert "solver" in printed


def test_cli_reports_bad_input_without_a_traceback(capsys, tmp_path):
    assert main(["scan", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
