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
:mod:`.adaptive_sampling`, :mod:`.labelled_data` (a grid scan's table as an
``xarray.Dataset``; NetCDF and zarr) and :mod:`.environment` (solver and
thread settings).  TOML studies are the application's
(:mod:`workflows.app.study_file`).
Their public names are exported by :mod:`workflows`.
"""
