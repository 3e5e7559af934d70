"""Studies run through workflows.scan: resumable from a store, the same table on a process pool."""

from __future__ import annotations

import kwant
import numpy as np
import pandas as pd
import pytest

import systems
import workflows
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe
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


def _narrow_wire(length: int) -> SystemRecipe:
    """Recipe factory of a two-site-wide wire (the dephasing studies add the probes)."""
    return SystemRecipe("wire", {"length": length, "width": 2})


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
            ring,
            1.1,
            SALTS,
            disorder=1.0,
            flux=FLUX,
            run=RunOptions(store=store, executor=interrupt_after(2)),
        )
    resumed = workflows.disorder_ensemble(
        ring, 1.1, SALTS, disorder=1.0, flux=FLUX, run=RunOptions(store=store)
    )
    provenance = resumed.attrs["provenance"]
    assert provenance["n_from_store"] == 2 and provenance["n_computed"] == len(SALTS) - 2
    assert len(provenance["runs"]) == 2  # the interrupted session and this one
    pd.testing.assert_frame_equal(resumed, serial_ensemble, check_exact=False, rtol=1e-12)
    again = workflows.disorder_ensemble(
        ring, 1.1, SALTS, disorder=1.0, flux=FLUX, run=RunOptions(store=store)
    )
    assert again.attrs["provenance"]["n_computed"] == 0
    with pytest.raises(StoreMismatchError):  # other settings: another study, refused
        workflows.disorder_ensemble(
            ring, 1.2, SALTS, disorder=1.0, flux=FLUX, run=RunOptions(store=store)
        )


def test_a_study_on_a_two_worker_pool_gives_the_serial_table(ring, serial_ensemble, pool):
    """Workers pin BLAS to one thread; the driver may use more, which can reorder sums:
    equal to rounding (1e-12 on conductances of order 1)."""
    parallel = workflows.disorder_ensemble(
        ring, 1.1, SALTS, disorder=1.0, flux=FLUX, run=RunOptions(executor=pool)
    )
    assert "SupervisedPool (2 workers)" in parallel.attrs["provenance"]["executor"]
    pd.testing.assert_frame_equal(parallel, serial_ensemble, check_exact=False, rtol=1e-12)
    # a study built from recipes (systems finalized once per worker)
    kwargs = dict(device=_narrow_wire, lengths=[3, 6], etas=[0.0, 0.1], energy=1.15)
    serial = workflows.ohmic_crossover_study(**kwargs)
    on_pool = workflows.ohmic_crossover_study(**kwargs, run=RunOptions(executor=pool))
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
        "finite_bias",
        "hall",
        "heat",
        "interference",
        "point_contact",
        "thermoelectric",
    ]
    checked, studies = 0, []
    for name in modules:
        module = importlib.import_module(f"workflows.studies.{name}")
        for public in module.__all__:
            function = getattr(module, public)
            if isinstance(function, type) or not callable(function):
                continue
            parameters = inspect.signature(function).parameters
            where = f"workflows.studies.{name}.{public}"
            assert "mu" not in parameters and "mus" not in parameters, where
            if name != "finite_bias":  # there `probes` are lead indices of probe leads, as allowed
                assert "probes" not in parameters, where
            if "params" in parameters:
                assert parameters["params"].kind is inspect.Parameter.KEYWORD_ONLY, where
                checked += 1
            if "fsyst" in parameters and "energy" in parameters:
                assert list(parameters).index("energy") == 1, where
            if "run" in parameters:  # a study: its system first, energy second, one run keyword
                studies.append(where)
                assert parameters["run"].kind is inspect.Parameter.KEYWORD_ONLY, where
                assert parameters["run"].default is None, where
                assert not {"executor", "store", "progress", "timeout"} & set(parameters), where
                assert next(iter(parameters)) in ("fsyst", "system", "rings", "device"), where
                if "energy" in parameters:
                    assert list(parameters).index("energy") == 1, where
    assert checked >= 15
    assert len(studies) == 14, studies


@pytest.mark.parametrize("old", ["executor", "store", "progress", "timeout"])
def test_the_old_run_keywords_are_refused(ring, old):
    """The run keywords of the last release are gone: Python's TypeError names the keyword."""
    with pytest.raises(TypeError, match=old):
        workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX, **{old: None})


def test_run_must_be_run_options_and_is_checked_before_any_solve(ring, monkeypatch):
    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the run options were checked")

    monkeypatch.setattr(kwant, "smatrix", no_solve)
    for run in ({"store": "ensemble.sqlite"}, "ensemble.sqlite", workflows.SerialExecutor()):
        with pytest.raises(TypeError, match=r"^run=.* is not a RunOptions; pass run=RunOptions"):
            workflows.disorder_ensemble(ring, 1.1, SALTS, disorder=1.0, flux=FLUX, run=run)
    with pytest.raises(TypeError, match="run="):
        workflows.qpc_conductance(
            SystemRecipe("qpc", {"length": 8, "width": 5}), 0.5, [0.0], run={}
        )


def test_a_study_takes_a_recipe_or_its_finalized_system_with_the_same_numbers():
    """Two ways to give one system, one answer: the recipe is finalized (once) by the study."""
    recipe = SystemRecipe("hall_bar", {"length": 12, "width": 6, "lead_width": 4})
    fields, energies = [0.02, 0.05], [0.5]
    from_recipe = workflows.quantum_hall_scan(recipe, fields, energies)
    from_system = workflows.quantum_hall_scan(recipe.build().finalized(), fields, energies)
    pd.testing.assert_frame_equal(from_recipe, from_system, check_exact=True)
    assert np.isfinite(from_recipe["R_xy"]).all()
    chain = SystemRecipe("chain", {"length": 3})
    table = workflows.thermoelectric_table(chain, [0.8], [0.02], params={"V": 0.5}, tol=1e-3)
    again = workflows.thermoelectric_table(
        systems.chain(3).finalized(), [0.8], [0.02], params={"V": 0.5}, tol=1e-3
    )
    pd.testing.assert_frame_equal(table, again, check_exact=True)


def test_a_study_refuses_a_system_it_cannot_use():
    builder = systems.chain(3)
    with pytest.raises(
        TypeError,
        match=r"fsyst=.* is not a finalized Kwant system or a Sys.*"
        r"\(call \.finalized\(\) on it once\)",
    ):
        workflows.quantum_hall_scan(builder, [0.02], [0.5])
    with pytest.raises(TypeError, match=r"system=.*not a finalized Kwant system or a SystemRecipe"):
        workflows.qpc_conductance((60, 30), 0.3, [0.0])
    with pytest.raises(TypeError, match="must be a function length -> SystemRecipe"):
        workflows.ohmic_crossover_study(SystemRecipe("chain", {"length": 3}), 1.0, [3], [0.1])
    with pytest.raises(TypeError, match=r"device\(3\) returned .*it must return a SystemRecipe"):
        workflows.resistance_vs_length(systems.chain, 1.0, [3])
