"""How a study runs: its point function over its grid, through :func:`workflows.scan`.

Every study of :mod:`workflows.studies` is a module-level (picklable) point
function plus a grid; :func:`run_study_grid` runs it with :func:`workflows.scan`,
so every study accepts the same run options — one keyword ``run``, a
:class:`workflows.runs.options.RunOptions` (executor, store to resume,
progress, timeout) — and records its provenance one way:
``attrs["provenance"]`` is the scan's provenance (point function and
fingerprint, grid, versions, solver, git revision, host, executor, timestamps,
store sessions) with a ``study`` entry holding the study's name and settings.

A study takes its system one way, as its first argument: a finalized Kwant
system or a :class:`workflows.SystemRecipe` (:func:`study_system`; the recipe
is handed to the point function and finalized once per worker), with its
Fermi energy second.  A study over device lengths takes a recipe factory,
``device(length) -> SystemRecipe`` (:func:`workflows.studies.coherence.device_recipe`).

Default executor: :class:`workflows.SerialExecutor` (in this process).  A
study's points take milliseconds to seconds, so starting worker processes
(importing Kwant in each) and sending them the system would cost more than
small studies take; pass ``run=RunOptions(executor=workflows.process_pool(n))``
(or any :class:`concurrent.futures.Executor`) for large ones.  No progress bar
unless ``RunOptions(progress=True)``.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from systems.validation import shown
from workflows.runs.options import RunOptions, run_options
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.runs.scans import SerialExecutor, scan

__all__ = [
    "StudySystem",
    "observable",
    "plain_settings",
    "run_study_grid",
    "study_attrs",
    "study_system",
]

#: What a study takes as its system (first argument): a finalized Kwant system or a recipe.
StudySystem = kwant.system.FiniteSystem | SystemRecipe


def plain_settings(value: Any) -> Any:
    """A JSON-serialisable form of a study setting (functions by name, arrays as lists)."""
    if isinstance(value, Mapping):
        return {str(k): plain_settings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_settings(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain_settings(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if np.isfinite(value) else repr(value)
    if isinstance(value, numbers.Complex):
        return repr(complex(value))
    if callable(value):
        module = getattr(value, "__module__", None) or "?"
        name = getattr(value, "__qualname__", None) or type(value).__qualname__
        return f"{module}.{name}"
    return repr(value)


def study_system(system: Any, name: str = "fsyst") -> kwant.system.FiniteSystem:
    """The finalized system of a study's first argument: a Kwant system or a recipe.

    Parameters
    ----------
    system
        A finalized Kwant system (returned as it is) or a
        :class:`workflows.SystemRecipe` (built and finalized at most once per
        process, :func:`workflows.finalized_system`).  A study hands the
        recipe itself to its point function, so that every worker finalizes
        it once instead of receiving the pickled system.
    name
        The argument's name, for the error message.

    Raises
    ------
    TypeError
        If ``system`` is neither (an unfinalized builder, a geometry tuple, ...).
    """
    if isinstance(system, SystemRecipe):
        return finalized_system(system)
    if isinstance(system, kwant.system.FiniteSystem):
        return system
    hint = " (call .finalized() on it once)" if isinstance(system, kwant.Builder) else ""
    raise TypeError(
        f"{name}={shown(system)} is not a finalized Kwant system or a SystemRecipe{hint}"
    )


def run_study_grid(
    study: str,
    point: Callable[..., Mapping[str, Any]],
    grid: Mapping[str, Any] | pd.DataFrame,
    *,
    settings: Mapping[str, Any],
    run: RunOptions | None,
) -> pd.DataFrame:
    """Run a study's point function over its grid with :func:`workflows.scan`.

    Parameters
    ----------
    study
        The study's name (e.g. ``"disorder_ensemble"``).
    point, grid
        The point function (picklable, module level; fixed arguments bound with
        :func:`functools.partial`) and the grid, as for :func:`workflows.scan`.
    settings
        The study's fixed settings, recorded in the provenance (made
        JSON-serialisable with :func:`plain_settings`).
    run
        How the points run (:class:`workflows.runs.options.RunOptions`); None,
        or ``executor=None``, runs them in this process
        (:class:`workflows.SerialExecutor`), and no progress bar is shown
        unless ``progress=True``.

    Returns
    -------
    pandas.DataFrame
        The scan's table (parameters, observables, ``error``).
    """
    run = run_options(run)
    run = dataclasses.replace(
        run,
        executor=SerialExecutor() if run.executor is None else run.executor,
        progress=run.show_progress(False),
    )
    return scan(
        point,
        grid,
        run=run,
        provenance={"study": {"name": study, "settings": plain_settings(settings)}},
    )


def study_attrs(table: pd.DataFrame, parameters: list[str], **results: Any) -> dict[str, Any]:
    """The ``attrs`` of a study's table: the scan's provenance, its failures, and ``results``.

    ``attrs["provenance"]`` and ``attrs["failed"]`` (number of failed points)
    come from the scan; ``attrs["errors"]`` lists each failed point's
    ``parameters`` with its ``error`` (their observables are NaN in the
    study's table; tracebacks are in the store).  ``results`` are entries
    that belong to the results rather than to the run (units, flux period,
    a conductance).
    """
    failed = table[table["error"].notna()]
    errors = [
        {**{name: row[name] for name in parameters}, "error": row["error"]}
        for _, row in failed.iterrows()
    ]
    return {
        "provenance": table.attrs["provenance"],
        "failed": table.attrs["failed"],
        "errors": errors,
        **results,
    }


def observable(table: pd.DataFrame, name: str, index: int, default: Any = np.nan) -> Any:
    """The value of observable ``name`` at row ``index`` of a scan table (``default`` if failed)."""
    if name not in table.columns or pd.notna(table["error"].iat[index]):
        return default
    value = table[name].iat[index]
    return default if value is None else value
