"""Shared fixture of the application tests: a user's session on another matplotlib backend."""

from __future__ import annotations

import contextlib

import matplotlib
import pytest


@contextlib.contextmanager
def _svg_backend():
    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    seen = {}
    try:
        yield seen
        seen["after"] = matplotlib.get_backend()
    finally:
        matplotlib.use(previous)


@pytest.fixture(scope="session")
def svg_backend():
    """A context manager that runs its block under the non-GUI 'svg' backend (as a user's
    session that is not on Agg) and records the backend left behind in ``seen["after"]``."""
    return _svg_backend


#: The gallery is built in three parts, one per test file, so that ``pytest -n 2 --dist
#: loadfile`` runs them on both workers (one file of ~70 s held a worker alone):
#: tests/workflows/app/test_figures_<part>.py build and check these figures, and
#: tests/workflows/app/test_figures.py builds all the others (a new recipe lands there).
GALLERY_PARTS = {
    "interference": ("ab_oscillations", "ab_disorder_average", "ab_ring_currents"),
    "transport": ("qpc_steps", "qpc_thermopower", "wiedemann_franz", "fano_crossover"),
    # built once from the tables its tests compute (test_electrostatics_figures.py)
    "electrostatics": ("qpc_self_consistent_potential", "iv_self_consistency"),
}


@pytest.fixture(scope="session")
def build_gallery(tmp_path_factory, study_stores, study_store_lock):
    """``build_gallery(names)``: the named figures in quick mode, under the 'svg' backend;
    returns the output directory and the backend left behind."""
    from workflows.app.figures import make_figures

    def build(names):
        output = tmp_path_factory.mktemp("figures")
        with _svg_backend() as backend:
            for name in names:
                if name == "ab_disorder_average":
                    # The run's AAS ensemble (150 rings), shared with test_interference.py
                    # and the Aharonov–Bohm notebook: computed once per test run.
                    with study_store_lock("aas_ensemble-150.sqlite"):
                        make_figures([name], output, quick=True, stores=study_stores)
                else:
                    make_figures([name], output, quick=True, stores=study_stores)
        return output, backend["after"]

    return build


@pytest.fixture(scope="module")
def gallery_names(request):
    """The figures a gallery test file builds: ``GALLERY_PARTS[PART]`` of a module that sets
    ``PART``, else (test_figures.py) every figure of the gallery that no part names."""
    from workflows.app.figures import FIGURES

    part = getattr(request.module, "PART", None)
    if part is not None:
        return list(GALLERY_PARTS[part])
    return [name for name in FIGURES if not any(name in names for names in GALLERY_PARTS.values())]


@pytest.fixture(scope="module")
def gallery_run(build_gallery, gallery_names):
    """The test file's part of the gallery, built once: (output directory, backend after)."""
    return build_gallery(gallery_names)


@pytest.fixture(scope="module")
def gallery(gallery_run):
    """The output directory of the test file's part of the gallery."""
    return gallery_run[0]


@pytest.fixture(scope="session")
def gallery_parts():
    """:data:`GALLERY_PARTS`: the figures that each test_figures_<part>.py builds."""
    return GALLERY_PARTS


@pytest.fixture(scope="session")
def check_files_and_provenance():
    """:func:`_check_files_and_provenance`, for the gallery's test files."""
    return _check_files_and_provenance


def _check_files_and_provenance(gallery, names) -> None:
    """Every named figure has a PNG, its data (CSV) and a provenance record of a quick run."""
    import json

    for name in names:
        assert (gallery / f"{name}.png").stat().st_size > 0
        assert list(gallery.glob(f"{name}*.csv"))
        record = json.loads((gallery / f"{name}.json").read_text())
        assert record["quick"] is True
        assert record["environment"]["kwant"] == "1.5.0"
        assert record["environment"]["solver"] in ("MUMPS", "SciPy")
        assert record["parameters"]
