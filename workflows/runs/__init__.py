"""The run layer: parallel, persistent, resumable runs and where they run (no physics).

One driver, :mod:`.driver` (``drive``: store, session, provenance, failures),
asks a sampler of :mod:`.samplers` which points to run and tells it each
result: :mod:`.scans` (``scan``: every point of a grid, grouped along a sweep
axis where the point function offers one), :mod:`.adaptive_sampling`
(``adaptive_scan``: python-adaptive's ``Learner1D``) and :mod:`.energy_windows`
(``window_scan``: the energies of thermal windows).  How points run is one
object, :mod:`.options` (``RunOptions``).  Underneath: :mod:`.grids` (grids
checked, points in order), :mod:`.point_runner` (points submitted with their
time limits, every failure recorded), :mod:`.evaluation` (a point evaluated in
its worker) and :mod:`.payloads` (the point function sent to each worker
once); where points run: :mod:`.executors` (``SerialExecutor``,
``process_pool``), :mod:`.workers` (the supervised process pool: a dead or hung
worker costs only its point) and :mod:`.main_guard`; the crash-safe SQLite
results store :mod:`.store` (with :mod:`.store_schema`, :mod:`.store_lock`,
:mod:`.store_reader`, :mod:`.store_rows` and :mod:`.outcome`),
:mod:`.provenance`, :mod:`.recipes` (picklable system descriptions, finalized
once per worker), :mod:`.labelled_data` (a grid scan's table as an
``xarray.Dataset``; NetCDF and zarr) and :mod:`.environment` (solver and
thread settings).  TOML studies are the application's
(:mod:`workflows.app.study_file`).  The public names are exported here; the
everyday ones (``scan``, ``adaptive_scan``, ``process_pool``,
``SerialExecutor``, ``SystemRecipe``, ``RunOptions``, ``read_store``) also by
:mod:`workflows`.
"""

from workflows.exports import exported_attribute

#: Public name -> the module that defines it (imported on first use).
_EXPORTS = {
    "RunOptions": "workflows.runs.options",
    "SerialExecutor": "workflows.runs.scans",
    "StoreBusyError": "workflows.runs.store",
    "StoreDamagedError": "workflows.runs.store",
    "StoreMismatchError": "workflows.runs.store",
    "StoreWarning": "workflows.runs.store",
    "SystemRecipe": "workflows.runs.recipes",
    "WorkerDied": "workflows.runs.workers",
    "adaptive_scan": "workflows.runs.adaptive_sampling",
    "drive": "workflows.runs.driver",
    "environment_info": "workflows.runs.environment",
    "finalized_system": "workflows.runs.recipes",
    "kwant_solver": "workflows.runs.environment",
    "process_pool": "workflows.runs.scans",
    "read_store": "workflows.runs.store",
    "scan": "workflows.runs.scans",
    "from_dataset": "workflows.runs.labelled_data",
    "read_dataset": "workflows.runs.labelled_data",
    "to_dataset": "workflows.runs.labelled_data",
    "window_scan": "workflows.runs.energy_windows",
    "window_values": "workflows.runs.energy_windows",
    "write_dataset": "workflows.runs.labelled_data",
}

__all__ = [
    "RunOptions",
    "SerialExecutor",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreMismatchError",
    "StoreWarning",
    "SystemRecipe",
    "WorkerDied",
    "adaptive_scan",
    "drive",
    "environment_info",
    "finalized_system",
    "from_dataset",
    "kwant_solver",
    "process_pool",
    "read_dataset",
    "read_store",
    "scan",
    "to_dataset",
    "window_scan",
    "window_values",
    "write_dataset",
]


def __getattr__(name: str):
    return exported_attribute(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__
