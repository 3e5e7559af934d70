"""Studies run through workflows.scan: resumable from a store, the same table on a process pool."""

from __future__ import annotations

import kwant
import numpy as np
import pandas as pd
import pytest

import systems
import workflows
from workflows.runs.store import StoreMismatchError

FLUX = np.linspace(0, 1, 8, endpoint=False)
SALTS = [str(i) for i in range(6)]


@pytest.fixture(scope="module")
def ring():
    return systems.ab_ring(5, 8, 3).finalized()


@pytest.fixture(scope="module")
def serial_ensemble(ring):
    """The reference: the ensemble computed in process, without a store."""
    return workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX)


@pytest.fixture(scope="module")
def pool():
    with workflows.process_pool(2) as pool:
        yield pool


def test_study_provenance_is_the_scan_provenance(ring, serial_ensemble):
    provenance = serial_ensemble.attrs["provenance"]
    assert provenance["point"] == "workflows.studies.ring_points.flux_trace_point"
    assert provenance["parameters"] == ["salt"] and provenance["n_points"] == len(SALTS)
    assert provenance["study"]["name"] == "disorder_ensemble"
    assert provenance["study"]["settings"]["disorder"] == 1.0
    assert "SerialExecutor" in provenance["executor"]  # the studies' default executor
    assert serial_ensemble.attrs["failed"] == 0 and serial_ensemble.attrs["errors"] == []
    # each sample's trace is plain Kwant's transmission of that sample
    trace = serial_ensemble[serial_ensemble["salt"] == "3"]["G"].to_numpy()
    expected = [
        kwant.smatrix(
            ring, 1.1, params={**systems.NEUTRAL_PARAMS, "disorder": 1.0, "salt": "3", "phi": phi}
        ).transmission(1, 0)
        for phi in FLUX
    ]
    # reduced (Dyson) sweep against a direct solve: rounding only (conductances of order 1)
    np.testing.assert_allclose(trace, expected, rtol=0, atol=1e-8)


def test_a_study_resumes_from_its_store(ring, serial_ensemble, tmp_path, interrupt_after):
    store = tmp_path / "ensemble.sqlite"
    with pytest.raises(KeyboardInterrupt):
        workflows.disorder_ensemble(
            ring, 1.1, SALTS, disorder=1.0, flux=FLUX, store=store, executor=interrupt_after(2)
        )
    resumed = workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX, store=store)
    provenance = resumed.attrs["provenance"]
    assert provenance["n_from_store"] == 2 and provenance["n_computed"] == len(SALTS) - 2
    assert len(provenance["runs"]) == 2  # the interrupted session and this one
    pd.testing.assert_frame_equal(resumed, serial_ensemble, check_exact=False, rtol=1e-12)
    again = workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX, store=store)
    assert again.attrs["provenance"]["n_computed"] == 0
    with pytest.raises(StoreMismatchError):  # other settings: another study, refused
        workflows.disorder_ensemble(ring, 1.2, SALTS, disorder=1.0, flux=FLUX, store=store)


def test_a_study_on_a_two_worker_pool_gives_the_serial_table(ring, serial_ensemble, pool):
    """Workers pin BLAS to one thread; the driver may use more, which can reorder sums:
    equal to rounding (1e-12 on conductances of order 1)."""
    parallel = workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX, executor=pool)
    assert "SupervisedPool (2 workers)" in parallel.attrs["provenance"]["executor"]
    pd.testing.assert_frame_equal(parallel, serial_ensemble, check_exact=False, rtol=1e-12)
    # a study built from recipes (systems finalized once per worker)
    kwargs = dict(lengths=[3, 6], etas=[0.0, 0.1], energy=1.15, width=2)
    serial = workflows.ohmic_crossover_study(**kwargs)
    on_pool = workflows.ohmic_crossover_study(**kwargs, executor=pool)
    pd.testing.assert_frame_equal(on_pool, serial, check_exact=False, rtol=1e-12)


def test_a_failing_point_is_recorded_with_its_error(ring, monkeypatch):
    """A point that fails costs only itself (here a solver error injected at E = 2 t)."""
    original = workflows.studies.interference.flux_trace_point

    def failing_at_two(**kwargs):
        if kwargs.get("energy") == 2.0:
            raise ValueError("the solver did not converge")
        return original(**kwargs)

    monkeypatch.setattr(workflows.studies.interference, "flux_trace_point", failing_at_two)
    frame = workflows.visibility_vs_temperature(
        ring, 1.9, [0.0], energies=[1.8, 1.9, 2.0], flux=FLUX
    )
    assert frame.attrs["failed"] == 1
    assert frame.attrs["errors"][0]["energy"] == 2.0
    assert frame.attrs["errors"][0]["error"].startswith("ValueError")
    assert np.isfinite(frame["visibility"]).all()  # T = 0 needs only E = μ


def test_a_thermal_grid_node_on_a_band_edge_takes_the_limit_from_above(ring):
    """E = 2 t is a subband edge of the ring's 3-wide leads (2t(1 − cos(2π/4))): a node of
    the quadrature grid there is the one-sided limit from above, not a failed point."""
    frame = workflows.visibility_vs_temperature(
        ring, 2.0, [0.0, 0.003], energies=np.linspace(1.95, 2.05, 11), flux=FLUX
    )
    assert frame.attrs["failed"] == 0
    assert np.isfinite(frame["visibility"]).all()


def test_public_studies_follow_the_api_style():
    """params keyword-only; the Fermi energy is `energy` (never `mu`); `probes` is not a
    site selection or a side here (`probe_sites`, `side`) — docs/architecture.md, API style."""
    import importlib
    import inspect

    modules = [
        "coherence",
        "current_voltage",
        "dephasing_studies",
        "hall",
        "heat",
        "interference",
        "point_contact",
        "thermoelectric",
    ]
    checked = 0
    for name in modules:
        module = importlib.import_module(f"workflows.studies.{name}")
        for public in module.__all__:
            function = getattr(module, public)
            if isinstance(function, type) or not callable(function):
                continue
            parameters = inspect.signature(function).parameters
            where = f"workflows.studies.{name}.{public}"
            assert "mu" not in parameters and "mus" not in parameters, where
            assert "probes" not in parameters, where
            if "params" in parameters:
                assert parameters["params"].kind is inspect.Parameter.KEYWORD_ONLY, where
                checked += 1
            if "fsyst" in parameters and "energy" in parameters:
                assert list(parameters).index("energy") == 1, where
    assert checked >= 15
