"""The run layer: parallel, persistent, resumable scans and where they run.

:mod:`.scans` (``scan``: grid in, table out, store and session), built on
:mod:`.grids` (grids checked, points in order), :mod:`.point_runner` (points
submitted with their time limits, every failure recorded), :mod:`.evaluation`
(a point evaluated in its worker) and :mod:`.payloads` (the point function sent
to each worker once); where points run: :mod:`.executors` (``SerialExecutor``,
``process_pool``), :mod:`.workers` (the supervised process pool: a dead or hung
worker costs only its point) and :mod:`.main_guard`; :mod:`.store` (the
crash-safe SQLite results store), :mod:`.provenance`, :mod:`.recipes`
(picklable system descriptions, finalized once per worker),
:mod:`.adaptive_sampling`, :mod:`.study` (TOML studies; examples in
``examples/``) and :mod:`.environment` (solver and thread settings).
The run options are one object, :class:`.options.RunOptions`.  The public names
are exported here; the everyday ones (``scan``, ``adaptive_scan``,
``process_pool``, ``SerialExecutor``, ``SystemRecipe``, ``RunOptions``,
``read_store``) also by :mod:`workflows`.
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
    "environment_info": "workflows.runs.environment",
    "finalized_system": "workflows.runs.recipes",
    "kwant_solver": "workflows.runs.environment",
    "process_pool": "workflows.runs.scans",
    "read_store": "workflows.runs.store",
    "scan": "workflows.runs.scans",
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
    "environment_info",
    "finalized_system",
    "kwant_solver",
    "process_pool",
    "read_store",
    "scan",
]


def __getattr__(name: str):
    return exported_attribute(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__
