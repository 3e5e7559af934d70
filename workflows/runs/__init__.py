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
(:mod:`workflows.app.study_file`).  Their public names are
exported by :mod:`workflows`.
"""
