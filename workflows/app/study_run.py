"""Running a TOML study: ``mesoflow scan STUDY.toml`` (the format: :mod:`.study_file`).

:func:`run_study` validates the study (:func:`workflows.app.study_file.load_study`),
claims its output directory, runs the scan with a results store (an
interrupted study resumes) and writes the table, the plot, the provenance
and, on request, the results as a labelled N-d dataset (NetCDF or zarr,
:mod:`workflows.runs.labelled_data`; a resumed study appends to its zarr
store).  The trust rules (a dask scheduler only with
``allow_remote_scheduler``, the output directory only from the caller, another
study's results replaced only with ``force``) are in the documentation of
:mod:`workflows.app.study_file`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems.parameters import parameter_owners
from systems.validation import choice, integer
from workflows.app.study_file import UNITS, Study, StudyError, fingerprint, load_study
from workflows.runs.executors import SerialExecutor, available_cpus, process_pool
from workflows.runs.grids import grid_points, sweep_axis
from workflows.runs.labelled_data import FORMATS, append_zarr, to_dataset, write_dataset
from workflows.runs.options import RunOptions
from workflows.runs.point_runner import check_timeout
from workflows.runs.recipes import finalized_system
from workflows.runs.scans import scan
from workflows.runs.store import encode_json, read_store

__all__ = ["OUTPUT_FORMATS", "run_study"]

logger = logging.getLogger(__name__)

#: What ``run_study(format=...)`` (``mesoflow scan --format``) writes besides the CSV table.
OUTPUT_FORMATS = ("csv", *FORMATS)
#: The files a study writes into its output directory (study.json: whose they are).
_OUTPUT_FILES = (
    "results.csv",
    "results.sqlite",
    "results.sqlite-wal",
    "results.sqlite-shm",
    "plot.png",
    "provenance.json",
    "harmonics.csv",
    "results.nc",
    "results.zarr",
    "study.json",
)
#: The largest scheduler file read (bytes): dask writes a few hundred.
_SCHEDULER_FILE_BYTES = 1 << 20
#: Units of mesoflow's standard parameters (docs/architecture.md), by standard name.
_PARAMETER_UNITS = {
    "t": "t",
    "V": "t",
    "V_gate": "t",
    "disorder": "t",
    "eta": "t",
    "B": "h/e per plaquette",
    "phi": "h/e",
}


def _scheduler_address(study: Study, allowed: bool) -> str | None:
    """The dask scheduler the study names, if the run allows it; checked in one line."""
    if study.address is None and study.scheduler_file is None:
        return None
    named = study.address if study.address is not None else study.scheduler_file
    if not allowed:
        raise StudyError(
            f"{study.path.name}: [executor] names a dask scheduler ({named!r}), which exchanges "
            "pickled objects (code) with this process; connect only to a scheduler you "
            "trust: mesoflow scan --allow-remote-scheduler (Python: "
            "run_study(..., allow_remote_scheduler=True))"
        )
    if study.address is not None:
        return study.address
    where = f"{study.path.name}: [executor] scheduler_file {study.scheduler_file!r}"
    path = Path(study.scheduler_file)
    try:
        if path.stat().st_size > _SCHEDULER_FILE_BYTES:
            raise StudyError(f"{where}: is not a dask scheduler file (too large)")
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(
            f"{where} does not exist: start the scheduler first "
            "(dask scheduler --scheduler-file FILE) or fix the path"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = getattr(exc, "strerror", None) or "not JSON"
        raise StudyError(f"{where}: is not a dask scheduler file ({reason})") from None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or "://" not in address:
        raise StudyError(
            f"{where}: is not a dask scheduler file (no 'address' such as 'tcp://host:8786')"
        )
    return address


@contextlib.contextmanager
def _executor(study: Study, workers: int | None, points: int, address: str | None) -> Iterator[Any]:
    if address is not None:
        try:
            from dask.distributed import Client
        except ImportError:  # pragma: no cover - depends on the installation
            raise StudyError(
                f"{study.path.name}: [executor] a dask scheduler needs dask.distributed "
                "(install mesoflow[cluster])"
            ) from None
        with Client(address) as client:
            yield client.get_executor()
        return
    workers = workers if workers is not None else study.workers
    workers = min(workers if workers is not None else available_cpus(), points)
    if workers <= 1:
        yield SerialExecutor()
        return
    with process_pool(workers) as pool:
        yield pool


def _harmonics_table(table: pd.DataFrame, study: Study) -> pd.DataFrame:
    from analysis.harmonics import flux_harmonics

    frames = []
    for spec in study.harmonics:
        others = [axis for axis in study.grid if axis != spec.axis]
        groups = table.groupby(others, sort=False) if others else [((), table)]
        rows = []
        for key, group in groups:
            key = key if isinstance(key, tuple) else (key,)
            row = dict(zip(others, key, strict=True))
            group = group.sort_values(spec.axis)
            values = group[spec.of].to_numpy(dtype=float)
            columns = {}
            try:
                result = flux_harmonics(
                    group[spec.axis].to_numpy(dtype=float),
                    values,
                    spec.orders,
                    period=spec.period or 1.0,
                )
            except ValueError as exc:  # failed points (NaN) or a grid that cannot resolve them
                result, columns[f"{spec.name}_harmonics_error"] = None, str(exc)
            columns[f"{spec.name}_mean"] = result.mean if result else np.nan
            for n in spec.orders:
                for quantity in ("amplitude", "phase", "visibility"):
                    columns[f"{spec.name}_{quantity}_{n}"] = (
                        getattr(result, quantity)[n] if result else np.nan
                    )
            columns[f"{spec.name}_residual"] = result.residual if result else np.nan
            rows.append({**row, **columns})
        frames.append(pd.DataFrame(rows))
    if len(frames) == 1:
        return frames[0]
    merged = frames[0]
    others = [c for c in merged.columns if c in study.grid]
    for frame in frames[1:]:
        merged = merged.merge(frame, on=[c for c in others if c in frame.columns], how="outer")
    return merged


def _check_workers(workers: Any) -> int | None:
    if workers is None:
        return None
    return integer("workers", workers, minimum=1, what="an integer number of processes")


def run_study(
    path: str | os.PathLike,
    *,
    output: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: bool = True,
    timeout: float | None = None,
    allow_modules: str | Iterable[str] | None = None,
    allow_remote_scheduler: bool = False,
    force: bool = False,
    format: str = "csv",
) -> pd.DataFrame:
    """Validate and run a study; write the table, store, plot and provenance.

    Parameters
    ----------
    path
        The TOML study file.
    output
        Output directory; default ``<study name>/`` beside the study file.
        Created if needed.
    workers
        Local worker processes, overriding ``[executor] workers``; 1 runs the
        points serially in this process.  Default: the study's setting, else
        every CPU of the machine.  Not used when the study names a dask
        scheduler (``address`` or ``scheduler_file``): the cluster decides.
    progress
        Show a progress bar.
    timeout
        Per-point wall-clock limit in seconds (:func:`workflows.scan`),
        overriding ``[executor] timeout``.
    allow_modules
        Modules whose functions the study may name as its builder (see
        :func:`workflows.app.study_file.load_study`); the CLI's ``--allow-module``.
    allow_remote_scheduler
        Let the study connect to the dask scheduler its ``[executor]`` names
        (``address`` or ``scheduler_file``); refused otherwise.
    force
        Replace the results of a *different* study found in the output
        directory (they are removed first).  Without it such a directory is
        refused; the same study always resumes.
    format
        ``"csv"`` (the table only), ``"netcdf"`` (also ``results.nc``) or
        ``"zarr"`` (also ``results.zarr``): the results as a labelled N-d
        dataset over the grid's axes, with units and provenance
        (:func:`workflows.runs.labelled_data.to_dataset`).  An interrupted
        study writes the slabs of its first axis that are complete to its
        zarr store, and the resumed study appends the rest.

    Returns
    -------
    pandas.DataFrame
        The scan table (:func:`workflows.scan`): grid parameters, observables
        and ``error``.  ``attrs`` holds the provenance, the units, the output
        directory (``"output"``) and, with ``flux_harmonics``, the harmonics
        as records.

    Notes
    -----
    The results store ``results.sqlite`` in the output directory makes the
    study resumable: run it again after an interruption and only the missing
    points are computed.  A study whose name, system, parameters, grid or
    observables changed is a different study: its directory is refused
    unless ``force`` (or choose another directory).
    """
    if not isinstance(allow_remote_scheduler, bool) or not isinstance(force, bool):
        raise TypeError(
            "allow_remote_scheduler and force must be True or False, got "
            f"{allow_remote_scheduler!r} and {force!r}"
        )
    choice("format", format, OUTPUT_FORMATS)
    study = load_study(path, allow_modules=allow_modules)
    workers = _check_workers(workers)
    timeout = check_timeout(timeout) if timeout is not None else study.timeout
    address = _scheduler_address(study, allow_remote_scheduler)
    directory = Path(output) if output is not None else study.path.parent / study.name
    _output_directory(directory)
    _claim_output(directory, study, force)
    point = study.point()
    grid = {name: list(values) for name, values in study.grid.items()}
    frame = grid_points(grid)
    axis = sweep_axis(point, grid, frame)  # a flux or gate axis: one sweep per other point
    tasks = len(frame) if axis is None else len(frame) // len(grid[axis])
    try:
        with _executor(study, workers, tasks, address) as executor:
            table = scan(
                point,
                grid,
                run=RunOptions(
                    executor=executor,
                    store=directory / "results.sqlite",
                    progress=progress,
                    timeout=timeout,
                ),
                provenance={"study": _study_provenance(study)},
            )
    except KeyboardInterrupt:
        if format == "zarr":  # what is finished goes to the zarr store; the rest on resume
            _append_finished(study, directory)
        raise
    for observable in study.observables:  # every point failed: keep the columns, empty
        if observable.name not in table:
            table.insert(len(table.columns) - 1, observable.name, np.nan)
    table.to_csv(directory / "results.csv", index=False)
    table.attrs["units"] = _units(study)
    if format != "csv":
        dataset = to_dataset(table, axes=list(study.grid))
        if format == "zarr":
            append_zarr(dataset, directory / "results.zarr")
        else:
            write_dataset(dataset, directory / "results.nc", format)
    table.attrs["output"] = str(directory)
    harmonics = None
    if study.harmonics:
        harmonics = _harmonics_table(table, study)
        harmonics.to_csv(directory / "harmonics.csv", index=False)
        table.attrs["harmonics"] = harmonics.to_dict(orient="records")
    (directory / "provenance.json").write_text(  # the scan's provenance, as every study's
        json.dumps(json.loads(encode_json(table.attrs["provenance"])), indent=2) + "\n",
        encoding="utf-8",
    )
    _plot(study, table, directory / "plot.png")
    return table


def _study_provenance(study: Study) -> dict[str, Any]:
    return {
        "name": study.name,
        "description": study.description,
        "file": str(study.path),
        "source": study.source,
        "fingerprint": study.fingerprint,
    }


def _units(study: Study) -> dict[str, str]:
    """Units of the study's columns: its observables, energy and mesoflow's own parameters."""
    owners = parameter_owners(finalized_system(study.recipe))
    units = {"energy": "t"}
    for name in study.grid:
        meaning = owners.mesoflow.get(name)
        if meaning in _PARAMETER_UNITS and name not in owners.user:
            units[name] = _PARAMETER_UNITS[meaning]
    units.update({o.name: UNITS[o.kind] for o in study.observables})
    return units


def _append_finished(study: Study, directory: Path) -> None:
    """Append to ``results.zarr`` the finished slabs of the first axis (an interrupted run)."""
    try:
        stored = read_store(directory / "results.sqlite")
        first = next(iter(study.grid))
        finished = stored["status"].isin(["done", "failed"]).groupby(stored[first], sort=False)
        complete = finished.all().to_numpy()
        slabs = len(complete) if complete.all() else int(np.argmin(complete))
        if not slabs:
            return
        rows = stored[stored[first].isin(list(study.grid[first])[:slabs])].copy()
        rows.attrs = {
            "provenance": {
                "study": _study_provenance(study),
                "runs": stored.attrs["runs"],
                "interrupted": True,
            },
            "units": _units(study),
        }
        append_zarr(to_dataset(rows, axes=list(study.grid)), directory / "results.zarr")
    except Exception as exc:  # the interruption is what the caller must see
        logger.warning("could not write the finished points to results.zarr: %s", exc)


def _output_directory(directory: Path) -> None:
    """Create the output directory, or say in one line why it cannot be used."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(
            f"output {str(directory)!r} is a file, not a directory; give a directory "
            "(it is created if needed)"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"output directory {str(directory)!r} cannot be created ({exc.strerror})"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValueError(f"output directory {str(directory)!r} is not writable")


def _owner(directory: Path) -> str | None:
    """The fingerprint of the study whose results are in ``directory``, if it can be told."""
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError, RecursionError):
        return str(json.loads((directory / "study.json").read_text("utf-8"))["fingerprint"])
    with contextlib.suppress(
        OSError, ValueError, AttributeError, TypeError, KeyError, RecursionError
    ):  # results of mesoflow before study.json: the study's source in the provenance
        study = json.loads((directory / "provenance.json").read_text("utf-8"))["study"]
        return fingerprint(study["name"], tomllib.loads(study["source"]))
    return None


def _claim_output(directory: Path, study: Study, force: bool) -> None:
    """Refuse (or with ``force`` clear) another study's results; mark the directory ours."""
    found = [name for name in _OUTPUT_FILES if (directory / name).exists()]
    if found and _owner(directory) != study.fingerprint:
        # without --force, a store alone is left to the store: it refuses a different scan
        if not force and any(not name.startswith("results.sqlite") for name in found):
            raise StudyError(
                f"{study.path.name}: output directory {str(directory)!r} holds the results "
                f"of a different study ({', '.join(found)}); choose another with --output, or "
                "replace them with --force (Python: run_study(..., force=True))"
            )
        if not force:  # the store decides; the directory is not marked ours
            return
        for name in found:
            try:
                if (directory / name).is_dir():  # a zarr store
                    shutil.rmtree(directory / name)
                else:
                    (directory / name).unlink()
            except OSError as exc:
                raise ValueError(
                    f"cannot remove {str(directory / name)!r} ({exc.strerror})"
                ) from None
    marker = {"name": study.name, "file": str(study.path), "fingerprint": study.fingerprint}
    (directory / "study.json").write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _plot(study: Study, table: pd.DataFrame, path: Path) -> None:
    from analysis.plots import scan_figure

    others = [axis for axis in study.grid if axis != study.plot_x and len(study.grid[axis]) > 1]
    labels = {o.name: f"{o.name} ({UNITS[o.kind]})" for o in study.observables}
    figure = scan_figure(
        table,
        study.plot_x,
        list(study.plot_y),
        hue=others,
        title=study.description or study.name,
        labels=labels,
    )
    figure.savefig(path, dpi=120)
