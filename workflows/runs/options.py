"""How a run is carried out, as one object: executor, store, progress, time limit.

Every scan and every study takes its run options as one keyword, ``run``::

    from workflows.runs import RunOptions, process_pool

    run = RunOptions(executor=process_pool(2), store="qpc.sqlite", progress=True)
    table = workflows.qpc_conductance(recipe, energy, gate_voltages, run=run)

The options say *how* points are computed, never *what* is computed: two runs
that differ only in their options give the same numbers (a store written under
one executor is resumed under another).  They are documented here once; the
studies refer to this page.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
from dataclasses import dataclass
from pathlib import Path

from systems.validation import boolean, real, shown

__all__ = ["RunOptions", "run_options"]


@dataclass(frozen=True)
class RunOptions:
    """How to run the points of a scan or study.

    Parameters
    ----------
    executor
        Any :class:`concurrent.futures.Executor`: a local process pool
        (:func:`workflows.runs.executors.process_pool`), a
        ``dask.distributed.Client.get_executor()``, an
        ``mpi4py.futures.MPIPoolExecutor``, or
        :class:`workflows.runs.executors.SerialExecutor`.  None: the caller's
        default (``scan`` uses a local pool sized to the machine; a study runs
        its points in this process).
    store
        Path of the SQLite results store: every finished point is committed as
        it arrives and running the same scan again computes only the missing
        points.  None: nothing is kept on disk.
    progress
        Show a progress bar (points done, failed, rate).  None: the caller's
        default (``scan`` shows one, a study does not).
    timeout
        Per-point wall-clock limit in seconds; a point past it is recorded as
        failed with ``TimeoutError`` (its worker is replaced on a local pool).
        None: no limit.
    retry_failed
        Recompute the points that the store holds as failed (by default a
        failed point is kept like any finished point).
    """

    executor: concurrent.futures.Executor | None = None
    store: str | os.PathLike | None = None
    progress: bool | None = None
    timeout: float | None = None
    retry_failed: bool = False

    def __post_init__(self) -> None:
        if self.executor is not None and not isinstance(self.executor, concurrent.futures.Executor):
            raise TypeError(
                f"executor={shown(self.executor)} is not a concurrent.futures.Executor "
                "(use process_pool(n), SerialExecutor(), a dask Client's get_executor(), or None)"
            )
        if self.store is not None and not isinstance(self.store, str | os.PathLike):
            raise TypeError(f"store={shown(self.store)} is not a path (str or os.PathLike) or None")
        if self.store is not None and str(Path(self.store)) in ("", "."):
            raise ValueError(f"store={shown(self.store)} is not a file path")
        if self.progress is not None:
            boolean("progress", self.progress)
        if self.timeout is not None:
            timeout = real("timeout", self.timeout, hint="seconds per point, or None for no limit")
            if not timeout > 0 or math.isinf(timeout):
                raise ValueError(
                    f"timeout={shown(self.timeout)} must be a positive finite number of "
                    "seconds, or None for no limit"
                )
        boolean("retry_failed", self.retry_failed)

    def show_progress(self, default: bool) -> bool:
        """Whether to show a progress bar, ``default`` where the options leave it open."""
        return default if self.progress is None else self.progress


def run_options(run: RunOptions | None) -> RunOptions:
    """``run`` checked, or the default options where it is None.

    Raises
    ------
    TypeError
        If ``run`` is neither a :class:`RunOptions` nor None (a dict, or the
        old ``executor=``/``store=`` keywords passed positionally).
    """
    if run is None:
        return RunOptions()
    if not isinstance(run, RunOptions):
        raise TypeError(
            f"run={shown(run)} is not a RunOptions; pass "
            "run=RunOptions(executor=..., store=..., progress=..., timeout=...)"
        )
    return run
