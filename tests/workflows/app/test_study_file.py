"""TOML studies: validation messages, outputs, resume, the shipped examples."""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import signal
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import workflows
from analysis import chain_barrier_transmission
from workflows.app.study_file import StudyError, load_study
from workflows.app.study_run import run_study
from workflows.runs.options import RunOptions

CHAIN_STUDY = """
name = "barrier"
description = "one-site barrier"

[system]
builder = "chain"
length = 1

[params]
V = 1.0

[grid]
energy = {start = 0.5, stop = 3.5, num = 7}

[[observables]]
kind = "conductance"
name = "G"

[[observables]]
kind = "transmission"
name = "T"
source = 1
sink = 0
"""


def write(tmp_path, text: str, name: str = "study.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def edited(old: str, new: str) -> str:
    assert old in CHAIN_STUDY
    return CHAIN_STUDY.replace(old, new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            edited('builder = "chain"', 'builder = "chian"'),
            r"\[system\] builder: unknown builder 'chian'; choose one of chain, wire, qpc",
        ),
        (
            edited("length = 1", "length = 1\nlenght = 2"),
            r"\[system\]: unknown argument\(s\) 'lenght' for builder 'chain'; it accepts length",
        ),
        (
            edited("length = 1", 'length = "1"'),
            r"\[system\] chain: length must be an integer number of sites >= 1, got '1'",
        ),
        (
            edited("V = 1.0", "V = 1.0\nB = 0.1"),
            r"unknown parameter name\(s\) \['B'\] for this system; it knows \['V', 'disorder'",
        ),
        (edited("V = 1.0", 'V = "high"'), r"\[params\] V: must be a number, got string 'high'"),
        (edited("V = 1.0", "V = [1.0]"), r"\[params\] V: must be a number, got array"),
        (edited("energy = {start = 0.5, stop = 3.5, num = 7}", ""), r"\[grid\]: the grid is empty"),
        (
            edited("energy = {start = 0.5, stop = 3.5, num = 7}", "energy = []"),
            r"\[grid\] energy: the list of values is empty",
        ),
        (edited("num = 7", "num = 0"), r"\[grid\] energy: num must be >= 1, got 0"),
        (edited("num = 7", "num = 7.5"), r"\[grid\] energy.num: must be an integer, got float"),
        (
            edited("energy = {start", "V_gate = [1.0]\nenergy = {start"),
            r"unknown parameter name\(s\) \['V_gate'\]",
        ),
        (edited("V = 1.0", "energy = 1.0"), r"'energy' is both fixed in \[params\] and scanned"),
        (
            edited('kind = "transmission"', 'kind = "noise"'),
            r"observable 2: unknown observable kind 'noise'; choose one of conductance, "
            r"transmission, four_terminal_resistance, flux_harmonics",
        ),
        (
            edited("sink = 0", "sink = 2"),
            r"observable 2 \(transmission\) sink: lead 2 does not exist: the system has "
            r"terminals 0..1",
        ),
        (edited('name = "T"', 'name = "G"'), r"'G' is used by another observable"),
        (edited('name = "T"', 'name = "energy"'), r"'energy' is already a parameter name"),
        (
            edited('kind = "transmission"', 'kind = "flux_harmonics"\nof = "G"'),
            r"observable 2 \(flux_harmonics\): unknown key\(s\) 'source', 'sink'",
        ),
        (edited("[params]", "[parms]"), r"top level: unknown key\(s\) 'parms'; valid keys:"),
        (edited("[params]", "[params"), "not valid TOML"),
        (CHAIN_STUDY + "\n[executor]\nworkers = 0\n", r"\[executor\] workers: must be >= 1"),
        (CHAIN_STUDY + '\n[output]\nplot = {x = "V"}\n', r"'V' is not a grid axis"),
        # the schema's own refusals, in the same one-line form
        (
            edited("num = 7", "num = 7, step = 1"),
            r"\[grid\] energy: unknown key\(s\) 'step'; valid keys: num, start, stop",
        ),
        (edited('kind = "conductance"\n', ""), r"observable 1: unknown observable kind None"),
        (
            CHAIN_STUDY + '\n[executor]\naddress = ""\n',
            r"\[executor\] address: must be a non-empty",
        ),
        (
            edited("sink = 0", "sink = [0]"),
            r"observable 2 \(transmission\) sink: must be an integer, got array \[0\]",
        ),
        (CHAIN_STUDY + "\n[output]\nplot = 5\n", r"\[output\] plot: must be a table, got integer"),
    ],
)
def test_invalid_studies_are_refused_with_a_clear_message(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(StudyError, match=message) as info:
        load_study(path)
    assert str(info.value).startswith("study.toml: ")


def test_missing_energy_and_missing_files(tmp_path):
    text = edited("energy = {start = 0.5, stop = 3.5, num = 7}", "V_dummy = [1]").replace(
        "V = 1.0", ""
    )
    with pytest.raises(StudyError, match="no energy: give the Fermi energy"):
        load_study(write(tmp_path, text))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_study(tmp_path / "absent.toml")
    with pytest.raises(ValueError, match="workers must be an integer number of processes >= 1"):
        run_study(write(tmp_path, CHAIN_STUDY), output=tmp_path / "out", workers=0)


def test_run_study_writes_table_store_plot_and_provenance_and_resumes(tmp_path):
    path = write(tmp_path, CHAIN_STUDY)
    output = tmp_path / "out"
    table = run_study(path, output=output, workers=1, progress=False)
    expected = chain_barrier_transmission(table["energy"].to_numpy(), 1.0)
    np.testing.assert_allclose(table["G"], expected, atol=1e-10)
    np.testing.assert_allclose(table["T"], expected, atol=1e-10)  # two leads: T_10 = T_01 = G
    for name in ("results.csv", "results.sqlite", "plot.png", "provenance.json"):
        assert (output / name).is_file()
    csv = pd.read_csv(output / "results.csv")
    np.testing.assert_allclose(csv["G"], table["G"], rtol=1e-12)
    provenance = json.loads((output / "provenance.json").read_text())
    assert provenance["study"]["source"] == path.read_text()
    assert provenance == json.loads(json.dumps(table.attrs["provenance"], default=str))
    assert provenance["environment"]["kwant"] == "1.5.0"
    assert table.attrs["output"] == str(output)

    again = run_study(path, output=output, workers=1, progress=False)
    assert again.attrs["provenance"]["n_computed"] == 0
    pd.testing.assert_frame_equal(again, table)

    path.write_text(CHAIN_STUDY.replace("V = 1.0", "V = 2.0"))
    with pytest.raises(StudyError, match=r"holds the results of a different study.*--force"):
        run_study(path, output=output, workers=1, progress=False)
    assert pd.read_csv(output / "results.csv")["G"].tolist() == csv["G"].tolist()  # untouched
    forced = run_study(path, output=output, workers=1, progress=False, force=True)
    assert forced.attrs["provenance"]["n_computed"] == len(forced)  # the old store was removed
    np.testing.assert_allclose(
        forced["G"], chain_barrier_transmission(forced["energy"].to_numpy(), 2.0), atol=1e-10
    )


def test_default_output_directory_is_named_after_the_study_beside_its_file(tmp_path, monkeypatch):
    folder = tmp_path / "studies"
    folder.mkdir()
    path = write(folder, CHAIN_STUDY.replace("num = 7", "num = 2"), name="elsewhere.toml")
    monkeypatch.chdir(tmp_path)  # not the current directory: beside the study file
    table = run_study(path, workers=1, progress=False)
    assert (folder / "barrier" / "results.csv").is_file()
    assert table.attrs["output"] == str(folder / "barrier")
    assert not (tmp_path / "barrier").exists()


def test_a_study_runs_on_a_dask_scheduler(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    import dask

    workflows.runs.executors.worker_context()  # a fork server with mesoflow imported
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        text = CHAIN_STUDY + f'\n[executor]\naddress = "{cluster.scheduler_address}"\n'
        table = run_study(
            write(tmp_path, text),
            output=tmp_path / "out",
            progress=False,
            allow_remote_scheduler=True,
        )
    assert "ClientExecutor (2 workers)" in table.attrs["provenance"]["executor"]
    expected = chain_barrier_transmission(table["energy"].to_numpy(), 1.0)
    np.testing.assert_allclose(table["G"], expected, atol=1e-10)


RING_STUDY = """
[system]
builder = "ab_ring"
r_in = 3.0
r_out = 5.0
lead_width = 3

[params]
energy = 1.0

[grid]
phi = {start = 0.0, stop = 0.875, num = 8}

[[observables]]
kind = "conductance"

[[observables]]
kind = "flux_harmonics"
of = "G"
orders = [1, 2]
"""


def test_flux_harmonics_post_processing_respects_phase_rigidity(tmp_path):
    output = tmp_path / "ring"
    table = run_study(write(tmp_path, RING_STUDY), output=output, workers=1, progress=False)
    harmonics = pd.read_csv(output / "harmonics.csv")
    assert len(harmonics) == 1 and table.attrs["harmonics"][0]["G_amplitude_1"] > 1e-3
    # two-terminal Onsager: G(φ) = G(−φ), so every harmonic is a pure cosine (phase 0 or π)
    for n in (1, 2):
        phase = harmonics[f"G_phase_{n}"].iloc[0]
        assert min(abs(phase), abs(abs(phase) - np.pi)) < 1e-8
    assert harmonics["G_mean"].iloc[0] == pytest.approx(table["G"].mean(), rel=1e-12)


def shipped_studies():
    return sorted(
        p.name
        for p in importlib.resources.files("workflows").joinpath("app", "examples").iterdir()
        if p.name.endswith(".toml")
    )


def test_shipped_examples_are_package_data_and_valid():
    names = shipped_studies()
    assert {"qpc_steps.toml", "ab_ring_flux.toml", "hall_plateaus.toml"} <= set(names)
    for name in names:
        with importlib.resources.as_file(
            importlib.resources.files("workflows").joinpath("app", "examples", name)
        ) as path:
            study = load_study(path)
            assert len(study.grid_frame()) <= 200


def test_hall_plateaus_example_shows_quantized_resistances(tmp_path):
    with importlib.resources.as_file(
        importlib.resources.files("workflows").joinpath("app", "examples", "hall_plateaus.toml")
    ) as path:
        table = run_study(path, output=tmp_path, workers=1, progress=False)
    assert table["error"].isna().all()
    nu = table["G"].round()
    plateau = (table["G"] - nu).abs() < 1e-3
    assert plateau.sum() >= 10 and set(nu[plateau]) >= {1.0, 2.0}
    # on a plateau: two-terminal G = ν, |R_xy| = 1/ν and R_xx = 0 (h/e²)
    np.testing.assert_allclose(table["R_xy"][plateau].abs(), 1 / nu[plateau], atol=2e-3)
    np.testing.assert_allclose(table["R_xx"][plateau], 0.0, atol=2e-3)


def test_a_study_takes_a_time_limit_per_point(tmp_path):
    with pytest.raises(StudyError, match=r"\[executor\] timeout: must be > 0 seconds, got 0.0"):
        load_study(write(tmp_path, CHAIN_STUDY + "\n[executor]\ntimeout = 0\n"))
    path = write(
        tmp_path, CHAIN_STUDY.replace("num = 7", "num = 2") + "\n[executor]\ntimeout = 30\n"
    )
    assert load_study(path).timeout == 30.0
    table = run_study(path, output=tmp_path / "out", workers=1, progress=False, timeout=1e-9)
    # the argument overrides the file: no point solves in a nanosecond
    assert table["error"].str.startswith("TimeoutError").all()


DISORDERED_RING_STUDY = """
name = "disordered_ring"

[system]
builder = "ab_ring"
r_in = 3.0
r_out = 5.0
lead_width = 3

[params]
energy = 1.0
disorder = 1.0

[grid]
salt = ["1", "2"]
phi = {start = 0.0, stop = 0.875, num = 8}

[[observables]]
kind = "transmission"
name = "T"

[[observables]]
kind = "conductance"
name = "G"
"""


def test_a_flux_axis_is_dispatched_to_one_sweep_with_the_per_point_result(tmp_path):
    """The phi axis goes to workflows.sweep (one solve per salt); every row must equal
    plain Kwant at that point: Dyson update against a direct LU solve, rounding only
    (1e-9 on transmissions of order 1)."""
    import kwant

    import systems

    path = write(tmp_path, DISORDERED_RING_STUDY)
    table = run_study(path, output=tmp_path / "out", workers=1, progress=False)
    assert table.attrs["provenance"]["sweep_axis"] == "phi"
    assert len(table) == 16 and table["error"].isna().all()
    fsyst = systems.ab_ring(3.0, 5.0, 3).finalized()
    for row in table.itertuples():
        params = {**systems.NEUTRAL_PARAMS, "disorder": 1.0, "salt": row.salt, "phi": row.phi}
        expected = kwant.smatrix(fsyst, 1.0, params=params).transmission(1, 0)
        assert row.T == pytest.approx(expected, abs=1e-9)
        assert row.G == pytest.approx(expected, abs=1e-9)  # two terminals: G = T


def test_a_dispatched_scan_resumes_the_missing_groups_only(tmp_path, interrupt_after):
    study = load_study(write(tmp_path, DISORDERED_RING_STUDY))
    grid = {name: list(values) for name, values in study.grid.items()}
    store = tmp_path / "ring.sqlite"
    with pytest.raises(KeyboardInterrupt):  # the first salt's group finishes, then Ctrl-C
        workflows.scan(
            study.point(),
            grid,
            run=RunOptions(executor=interrupt_after(1), store=store),
        )
    resumed = workflows.scan(
        study.point(),
        grid,
        run=RunOptions(store=store, executor=workflows.SerialExecutor()),
    )
    provenance = resumed.attrs["provenance"]
    assert provenance["n_from_store"] == 8 and provenance["n_computed"] == 8
    per_point = workflows.scan(
        study.point().__call__,
        grid,
        run=RunOptions(executor=workflows.SerialExecutor(), progress=False),
    )  # a plain function: no sweep_axis, one conductance matrix per point
    assert per_point.attrs["provenance"]["sweep_axis"] is None
    np.testing.assert_allclose(resumed["T"], per_point["T"], rtol=0, atol=1e-9)


def test_a_field_on_every_hopping_is_solved_point_by_point(tmp_path):
    """B enters every hopping of a Hall bar: the reduced sweep does not pay, no dispatch."""
    text = """
    name = "bar"

    [system]
    builder = "hall_bar"
    length = 12
    width = 6
    lead_width = 2

    [params]
    energy = 0.5

    [grid]
    B = [0.01, 0.02]

    [[observables]]
    kind = "transmission"
    name = "T"
    """
    table = run_study(write(tmp_path, text), output=tmp_path / "bar", workers=1, progress=False)
    assert table.attrs["provenance"]["sweep_axis"] is None
    assert table["error"].isna().all()


# -- trust: a study file is data, not code --------------------------------------------------


SPY_SCRIPT = "import pathlib\npathlib.Path(__file__).with_suffix('.ran').touch()\n"


def untrusted_studies(tmp_path):
    """Study files whose builder would run a command, a script or delete a folder."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("data")
    script = tmp_path / "script.py"
    script.write_text(SPY_SCRIPT)
    (tmp_path / "mf_unimported_spy.py").write_text(SPY_SCRIPT)
    marker = tmp_path / "ran"
    return {
        "os:system": f'command = "touch {marker}"',
        "subprocess:getoutput": f'cmd = "touch {marker}"',
        "runpy:run_path": f'path_name = "{script}"',
        "shutil:rmtree": f'path = "{victim}"',
        "mf_unimported_spy:anything": f'path = "{marker}"',
    }


def nothing_happened(tmp_path):
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "script.ran").exists()
    assert not (tmp_path / "mf_unimported_spy.ran").exists()
    assert (tmp_path / "victim" / "keep.txt").read_text() == "data"
    assert "mf_unimported_spy" not in sys.modules


@pytest.mark.parametrize(
    "builder",
    [
        "os:system",
        "subprocess:getoutput",
        "runpy:run_path",
        "shutil:rmtree",
        "mf_unimported_spy:anything",
    ],
)
def test_a_study_naming_an_untrusted_module_imports_and_calls_nothing(
    tmp_path, monkeypatch, builder
):
    monkeypatch.syspath_prepend(str(tmp_path))
    arguments = untrusted_studies(tmp_path)[builder]
    text = edited('builder = "chain"\nlength = 1', f'builder = "{builder}"\n{arguments}')
    path = write(tmp_path, text)
    before = set(sys.modules)
    with pytest.raises(StudyError, match="is not trusted, so nothing was imported") as info:
        load_study(path)
    assert "--allow-module" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(StudyError, match="is not trusted"):
        run_study(path, output=tmp_path / "out", workers=1, progress=False)
    assert set(sys.modules) == before
    nothing_happened(tmp_path)
    assert not (tmp_path / "out").exists()  # refused before the output directory is made


def test_a_module_trusted_outside_the_file_runs(tmp_path, monkeypatch):
    (tmp_path / "mf_my_builders.py").write_text(
        textwrap.dedent(
            """
            import systems

            def barrier_chain(length):
                return systems.chain(length)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = edited('builder = "chain"', 'builder = "mf_my_builders:barrier_chain"')
    path = write(tmp_path, text)
    with pytest.raises(StudyError, match="--allow-module mf_my_builders"):
        load_study(path)
    table = run_study(
        path, output=tmp_path / "out", workers=1, progress=False, allow_modules=["mf_my_builders"]
    )
    expected = chain_barrier_transmission(table["energy"].to_numpy(), 1.0)  # closed form
    np.testing.assert_allclose(table["G"], expected, atol=1e-10)
    sys.modules.pop("mf_my_builders", None)


# -- outputs stay where they belong ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../x", "/tmp/abs", "a/b", "a\\\\b", "..", ".hidden", "", "a..b", "-rf", "x" * 101, "a b"],
)
def test_a_study_name_is_a_file_name(tmp_path, name):
    path = write(tmp_path, edited('name = "barrier"', f'name = "{name}"'))
    with pytest.raises(StudyError, match="name: must be a file name of letters") as info:
        load_study(path)
    assert "\n" not in str(info.value)
    with pytest.raises(StudyError, match="name: must be a file name"):
        run_study(path, workers=1, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.toml"]  # nothing written


def test_a_study_file_does_not_choose_the_output_directory(tmp_path):
    for directory in ("/tmp/elsewhere", "../up", "results"):
        text = CHAIN_STUDY + f'\n[output]\ndirectory = "{directory}"\n'
        with pytest.raises(StudyError, match=r"\[output\] directory: .*--output DIR"):
            load_study(write(tmp_path, text))


def test_results_of_a_different_study_are_not_overwritten_without_force(tmp_path):
    output = tmp_path / "shared"
    output.mkdir()
    (output / "results.csv").write_text("precious,table\n1,2\n")  # someone else's results
    path = write(tmp_path, CHAIN_STUDY.replace("num = 7", "num = 2"))
    with pytest.raises(StudyError, match=r"holds the results of a different study \(results.csv"):
        run_study(path, output=output, workers=1, progress=False)
    assert (output / "results.csv").read_text() == "precious,table\n1,2\n"
    assert sorted(p.name for p in output.iterdir()) == ["results.csv"]

    other = write(tmp_path, CHAIN_STUDY.replace('name = "barrier"', 'name = "other"'), "o.toml")
    run_study(other, output=tmp_path / "o", workers=1, progress=False)
    with pytest.raises(StudyError, match="a different study"):  # another study's directory
        run_study(path, output=tmp_path / "o", workers=1, progress=False)
    # edits that do not change the results are the same study: it resumes
    path.write_text(path.read_text().replace("one-site barrier", "renamed") + "\n# note\n")
    run_study(path, output=output, workers=1, progress=False, force=True)
    again = run_study(path, output=output, workers=1, progress=False)
    assert again.attrs["provenance"]["n_computed"] == 0
    marker = json.loads((output / "study.json").read_text())
    assert marker["fingerprint"] == again.attrs["provenance"]["study"]["fingerprint"]


def test_results_written_before_study_json_are_recognised_from_their_provenance(tmp_path):
    path = write(tmp_path, CHAIN_STUDY.replace("num = 7", "num = 2"))
    output = tmp_path / "out"
    run_study(path, output=output, workers=1, progress=False)
    (output / "study.json").unlink()  # as written by mesoflow before this marker existed
    again = run_study(path, output=output, workers=1, progress=False)
    assert again.attrs["provenance"]["n_computed"] == 0


# -- dask schedulers: only when the run allows it, errors at once --------------------------


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail instead of hanging (a missing scheduler file used to wait for minutes)."""

    def expire(*_):
        raise AssertionError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_scheduler_named_by_the_study_needs_the_runs_permission(tmp_path):
    path = write(tmp_path, CHAIN_STUDY + '\n[executor]\naddress = "tcp://192.0.2.1:8786"\n')
    with time_limit(20), pytest.raises(StudyError, match="--allow-remote-scheduler") as info:
        run_study(path, output=tmp_path / "out", progress=False)
    assert "'tcp://192.0.2.1:8786'" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "scheduler.json' does not exist: start the scheduler first"),
        (b"\x00\xffgarbage", r"is not a dask scheduler file \(not JSON\)"),
        (b'{"type": "Scheduler"}', r"is not a dask scheduler file \(no 'address'"),
        (b'["tcp://x:1"]', r"is not a dask scheduler file \(no 'address'"),
        (b'{"address": 8786}', r"is not a dask scheduler file \(no 'address'"),
    ],
)
def test_a_missing_or_invalid_scheduler_file_is_one_line_at_once(tmp_path, content, message):
    if content is not None:
        (tmp_path / "scheduler.json").write_bytes(content)
    path = write(tmp_path, CHAIN_STUDY + '\n[executor]\nscheduler_file = "scheduler.json"\n')
    with time_limit(20), pytest.raises(StudyError, match=message) as info:
        run_study(path, output=tmp_path / "out", progress=False, allow_remote_scheduler=True)
    assert "\n" not in str(info.value)


# -- fuzz: random and adversarial study files -----------------------------------------------

ADVERSARIAL_STRINGS = [
    "../../x",
    "/etc/passwd",
    "..",
    ".hidden",
    "a/b",
    "C:\\\\x",
    "\u202e\u0000",
    "é" * 50,
    "os:system",
    "subprocess:getoutput",
    "shutil:rmtree",
    "runpy:run_path",
    "builtins:eval",
    "importlib:import_module",
    "chain",
    "ab_ring",
    "mf_fuzz_absent:f",
    "nan",
    "x" * 1000,
    "tcp://192.0.2.1:8786",
]
KNOWN_KEYS = [
    "name", "description", "system", "params", "grid", "observables", "executor", "output",
    "builder", "length", "width", "dephasing_probes", "energy", "V", "B", "phi", "salt",
    "start", "stop", "num", "kind", "source", "sink", "current", "voltage", "of", "axis",
    "orders", "period", "workers", "address", "scheduler_file", "timeout", "directory",
    "plot", "x", "y",
]  # fmt: skip
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 10**7, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, 5e-324, 1e-14]),
    st.text(max_size=12),
    st.sampled_from(ADVERSARIAL_STRINGS),
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=8,
)


def toml_value(value) -> str:
    """A value in TOML syntax: inline tables and arrays (every key quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # inf, -inf, nan and 1e+300 are TOML floats
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped, the rest as is."""
    escaped = (
        f"\\u{ord(c):04x}" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return '"' + "".join(escaped) + '"'


def toml_document(document: dict) -> str:
    return "\n".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in document.items())


def base_study() -> dict:
    return {
        "name": "barrier",
        "system": {"builder": "chain", "length": 1},
        "params": {"V": 1.0},
        "grid": {"energy": {"start": 0.5, "stop": 3.5, "num": 3}},
        "observables": [{"kind": "conductance"}, {"kind": "transmission", "source": 1, "sink": 0}],
    }


@st.composite
def study_documents(draw) -> dict:
    """The valid chain study with a few random edits: set, replace or delete an entry."""
    document = base_study()
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from([None, "system", "params", "grid", "observables",
                                        "executor", "output"]))  # fmt: skip
        action = draw(st.sampled_from(["set", "replace", "delete"]))
        if section is None or action == "replace":
            key = section or draw(KEYS)
            if action == "delete":
                document.pop(key, None)
            else:
                document[key] = draw(VALUES)
            continue
        table = document.setdefault(section, {})
        if section == "observables" and isinstance(table, list) and table:
            table = table[draw(st.integers(0, len(table) - 1))]
        if not isinstance(table, dict):
            continue
        if action == "delete" and table:
            table.pop(draw(st.sampled_from(sorted(table))), None)
        else:
            table[draw(KEYS)] = draw(VALUES)
    return document


def loads_or_refuses_in_one_line(path) -> None:
    try:
        load_study(path)
    except (StudyError, ValueError, TypeError) as exc:  # StudyError is the documented class
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        assert "Traceback" not in message


@given(document=study_documents())
def test_fuzzed_study_files_load_or_are_refused_in_one_line(tmp_path, document):
    before = set(sys.modules)
    path = tmp_path / "fuzz.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    loads_or_refuses_in_one_line(path)
    assert "mf_fuzz_absent" not in sys.modules
    assert not {name for name in set(sys.modules) - before if not name.startswith("kwant")}


@given(
    text=st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.sampled_from(["[" * 5000, "a = " + "[" * 5000, "a = 1\n" * 3, "[[observables]]\n"]),
    )
)
def test_arbitrary_text_is_valid_toml_or_one_line(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    loads_or_refuses_in_one_line(path)
