"""The run layer: parallel, persistent, resumable scans and where they run.

:mod:`.scans` (``scan`` on any executor), :mod:`.workers` (the supervised
process pool: a dead or hung worker costs only its point), :mod:`.store` (the
crash-safe SQLite results store), :mod:`.provenance`, :mod:`.recipes`
(picklable system descriptions, finalized once per worker),
:mod:`.adaptive_sampling`, :mod:`.study` (TOML studies; examples in
``examples/``) and :mod:`.environment` (solver and thread settings).
Their public names are exported by :mod:`workflows`.
"""
