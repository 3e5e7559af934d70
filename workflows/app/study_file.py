"""Parameter-scan studies declared in TOML: ``mesoflow scan STUDY.toml``.

A study names a system (a builder of :mod:`systems` and its arguments,
optionally with a dephasing probe on every site), fixed parameters, a grid,
the observables to compute at every point, and optional post-processing.
:func:`load_study` validates the whole file — builder, arguments, parameter
names (against the finalized system), types, grid, observables — before any
computation: the file's structure and types through the schema of
:mod:`workflows.app.study_schema`, the rest (the trust rule, parameter names,
leads, band edges) here.  :func:`workflows.app.study_run.run_study` runs the
scan with a results store (so an interrupted study resumes) and writes the
table, a plot and the provenance.

Format
------
::

    name = "qpc_steps"                   # optional; default: the file name (a file
                                         # name: letters, digits, _ - ., no path)
    description = "..."                  # optional

    [system]
    builder = "qpc"                      # chain, wire, qpc, hall_bar, cross, ab_ring,
                                         # an installed builder (entry point), or
                                         # "package.module:function" of a module you
                                         # trust outside the file (--allow-module)
    length = 30                          # the builder's arguments
    width = 16
    dephasing_probes = false             # optional: a probe on every site (parameter eta)

    [params]                             # fixed values
    energy = 0.6                         # Fermi energy (units of t): here or in [grid]
    B = 0.0                              # Kwant parameters of the system

    [grid]                               # scanned: the outer product of the axes
    V_gate = {start = 0.0, stop = 3.0, num = 31}   # inclusive linspace
    # or a list:  V_gate = [0.0, 0.5, 1.0]

    [[observables]]
    kind = "conductance"                 # two-terminal, all other leads floating
    name = "G"                           # column name (optional)
    source = 0
    sink = 1

    [executor]                           # optional
    workers = 2                          # local processes (1: serial, in this process)
    # address = "tcp://scheduler:8786"   # or a dask.distributed scheduler: only with
    # scheduler_file = "scheduler.json"  # --allow-remote-scheduler (see Trust below)
    # timeout = 600                      # seconds per point: a hung point fails, the rest go on

    [output]                             # optional
    plot = {x = "V_gate", y = ["G"]}     # the default plot (the directory is not chosen
                                         # here: --output, else beside the study file)

Observable kinds (G is the conductance matrix over all leads; with
``dephasing_probes = true`` the probes are eliminated first by
:func:`workflows.dephased_transport`, which picks the linear method for many probes):

``conductance`` (``source``, ``sink``; default 0, 1; name ``G``)
    Two-terminal conductance in e²/h with every other lead floating
    (:func:`analysis.two_terminal_conductance`).  With dephasing probes this
    is the probe-eliminated conductance.
``transmission`` (``source``, ``sink``; name ``T``)
    The coherent transmission T = −G[sink, source] from lead ``source`` into
    lead ``sink`` (without the current that goes through the probes).
``four_terminal_resistance`` (``current = [i, j]``, ``voltage = [k, l]``; name ``R``)
    R_ij,kl in h/e², other leads floating (:func:`analysis.four_terminal_resistance`).
``flux_harmonics`` (``of``, ``axis`` = ``"phi"``, ``orders`` = ``[1, 2]``, ``period`` = 1)
    ``period`` is the flux period in the unit of the axis: 1 for mesoflow's
    ``phi`` (h/e); for your own system's flux, its own (e.g. 6.283185 for radians).
    Post-processing of observable ``of`` along the grid axis ``axis``, for every
    combination of the other axes (:func:`analysis.flux_harmonics`): mean,
    amplitude, phase and visibility of each order, in ``harmonics.csv``.

Outputs (in the output directory): ``results.csv`` (the table),
``results.sqlite`` (the results store: rerunning resumes), ``plot.png``,
``provenance.json``, ``study.json`` (which study the directory belongs to: its
name, file and fingerprint), with harmonics ``harmonics.csv``, and on request
(``--format netcdf`` or ``zarr``) the results as a labelled N-d dataset,
``results.nc`` or ``results.zarr`` (:mod:`workflows.runs.labelled_data`).  The output
directory is ``--output`` (``run_study(output=...)``), else ``<name>/`` beside
the study file; a study file cannot choose it (``[output] directory`` is
refused).  A directory holding the results of a *different* study (another
fingerprint: name, system, parameters, grid or observables changed) is not
touched unless ``--force`` (``force=True``), which removes the old results
first; the same study resumes.

Trust
-----
A study file is data, not code (see :mod:`workflows.runs.recipes`): its builder
is one of mesoflow's, an installed entry point of ``mesoflow.builders``, or a
function of a module named with ``--allow-module`` (``allow_modules=``); any
other ``"module:function"`` is refused before anything is imported.  A dask
scheduler (``address``, ``scheduler_file``) receives and sends pickled objects,
so the study file may name one only when the run allows it
(``--allow-remote-scheduler``, ``allow_remote_scheduler=True``); a scheduler
file that is missing or not a scheduler file is a one-line error at once.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems.parameters import parameter_owners, resolve_params
from systems.validation import real
from workflows.app.study_point import Harmonics, Observable, StudyPoint
from workflows.app.study_schema import (
    OBSERVABLE_KINDS,
    Axis,
    HarmonicsEntry,
    RangeEntry,
    ResistanceEntry,
    StudyError,
    Value,
    convert,
    parse_study,
    wrong_type,
)
from workflows.runs.grids import grid_points
from workflows.runs.recipes import (
    BUILDERS,
    SystemRecipe,
    builder_function,
    finalized_system,
    trusted_modules,
)
from workflows.scattering.band_edges import BandEdgeError, check_energy

__all__ = [
    "MAX_POINTS",
    "OBSERVABLE_KINDS",
    "Harmonics",
    "Observable",
    "Study",
    "StudyError",
    "StudyPoint",
    "fingerprint",
    "load_study",
]

#: A study's name: a file name (word characters, then also . and -), no path, no "..".
_NAME = re.compile(r"\w[\w.-]{0,99}")
#: The most points a study's grid may have (per axis and in all): a larger grid is a typo
#: (num = 1e9 would allocate gigabytes before any work), or a job for workflows.scan.
MAX_POINTS = 1_000_000
#: Units of the observables a study computes.
UNITS = {"conductance": "e²/h", "transmission": "e²/h", "four_terminal_resistance": "h/e²"}


@dataclass(frozen=True)
class Study:
    """A validated study (see the module documentation for the file format)."""

    name: str
    description: str
    path: Path
    source: str
    recipe: SystemRecipe
    fixed: Mapping[str, Any]
    grid: Mapping[str, tuple[Any, ...]]
    observables: tuple[Observable, ...]
    harmonics: tuple[Harmonics, ...]
    workers: int | None
    timeout: float | None
    address: str | None
    scheduler_file: str | None
    fingerprint: str
    plot_x: str
    plot_y: tuple[str, ...]

    def point(self) -> StudyPoint:
        """The study's point function."""
        return StudyPoint(self.recipe, tuple(sorted(self.fixed.items())), self.observables)

    def grid_frame(self) -> pd.DataFrame:
        """The grid's points in scan order (first axis slowest)."""
        return grid_points({name: list(values) for name, values in self.grid.items()})


# -- validation ------------------------------------------------------------------------------


def _fail(path: Path, where: str, message: str) -> StudyError:
    return StudyError(f"{path.name}: {where}: {message}")


def _value(path: Path, name: str, value: Any, where: str) -> Any:
    """A fixed or scanned value: ``salt`` a string (or integer), anything else a real number."""
    value = convert(path, value, Value, where)
    if name == "salt":
        if isinstance(value, int):
            return str(value)
        if not isinstance(value, str) or not value:
            raise _fail(path, where, wrong_type("a non-empty string", value))
        return value
    if isinstance(value, str):
        raise _fail(path, where, wrong_type("a number", value))
    try:  # the one validator; the value keeps its TOML type (it is part of the scan's grid)
        real(where, value)
    except ValueError:
        raise _fail(path, where, f"must be a finite number, got {value!r}") from None
    return value


def _axis(path: Path, name: str, spec: Any) -> tuple[Any, ...]:
    where = f"[grid] {name}"
    axis = convert(path, spec, Axis, where)
    if isinstance(axis, RangeEntry):
        for key in ("start", "stop"):
            _value(path, name, getattr(axis, key), f"{where}.{key}")
        if axis.num < 1:
            raise _fail(path, where, f"num must be >= 1, got {axis.num}: the grid would be empty")
        if axis.num > MAX_POINTS:
            raise _fail(path, where, f"num must be <= {MAX_POINTS:,}, got {axis.num:,}")
        values = tuple(float(v) for v in np.linspace(axis.start, axis.stop, axis.num))
    else:
        if not axis:
            raise _fail(path, where, "the list of values is empty: give at least one value")
        if len(axis) > MAX_POINTS:
            raise _fail(path, where, f"at most {MAX_POINTS:,} values, got {len(axis):,}")
        values = tuple(axis)
    return tuple(_value(path, name, v, f"{where}[{i}]") for i, v in enumerate(values))


def _system(path: Path, table: dict[str, Any], allow_modules: tuple[str, ...]) -> SystemRecipe:
    if "builder" not in table:
        raise _fail(path, "[system]", f"missing 'builder'; choose one of {', '.join(BUILDERS)}")
    builder = convert(path, table["builder"], str, "[system] builder")
    try:  # the trust rule first: an untrusted module is neither imported nor called
        function = builder_function(builder, allow_modules=allow_modules)
    except (TypeError, ValueError) as exc:
        raise _fail(path, "[system] builder", str(exc)) from None
    probes = convert(path, table.get("dephasing_probes", False), bool, "[system] dephasing_probes")
    arguments = {k: v for k, v in table.items() if k not in ("builder", "dephasing_probes")}
    try:
        # names (mesoflow's, entry points) stay names; a trusted module's function is passed
        # itself, so the recipe (and the workers that unpickle it) need no allow-list
        recipe = SystemRecipe(
            function if ":" in builder else builder, arguments, dephasing_probes=probes
        )
    except (TypeError, ValueError) as exc:
        raise _fail(path, "[system]", str(exc)) from None
    try:
        finalized_system(recipe)
    except (TypeError, ValueError) as exc:
        raise _fail(path, f"[system] {builder}", str(exc)) from None
    return recipe


def _lead(path: Path, index: int, where: str, terminals: int) -> int:
    if index >= terminals:
        raise _fail(
            path, where, f"lead {index} does not exist: the system has terminals 0..{terminals - 1}"
        )
    return index


def _point_observable(path: Path, entry: Any, where: str, terminals: int) -> Observable:
    kind = entry.__struct_config__.tag
    if isinstance(entry, ResistanceEntry):
        pairs = {}
        for key in ("current", "voltage"):
            pair = tuple(
                _lead(path, v, f"{where} {key}[{i}]", terminals)
                for i, v in enumerate(getattr(entry, key))
            )
            if pair[0] == pair[1]:
                raise _fail(path, f"{where} {key}", f"needs two different leads, got {list(pair)}")
            pairs[key] = pair
        return Observable(kind, entry.name, **pairs)
    source = _lead(path, entry.source, f"{where} source", terminals)
    sink = _lead(path, entry.sink, f"{where} sink", terminals)
    if source == sink:
        raise _fail(path, where, f"source and sink must differ, both are {source}")
    return Observable(kind, entry.name, source=source, sink=sink)


def _harmonics(path: Path, entry: HarmonicsEntry, where: str, grid: Mapping[str, Any]) -> Harmonics:
    if entry.axis not in grid:
        raise _fail(
            path,
            f"{where} axis",
            f"{entry.axis!r} is not a grid axis; the grid scans {', '.join(grid)}",
        )
    if not entry.orders or len(set(entry.orders)) != len(entry.orders):
        raise _fail(
            path,
            f"{where} orders",
            f"must be a list of different positive integers, got {entry.orders!r}",
        )
    if entry.period is not None and not math.isfinite(entry.period):
        raise _fail(
            path,
            f"{where} period",
            f"must be a number > 0 (the flux period in the axis' unit), got {entry.period!r}",
        )
    return Harmonics(
        entry.name or entry.of, entry.of, entry.axis, tuple(entry.orders), entry.period
    )


def _observables(path: Path, entries: list[Any], terminals: int, parameters, grid):
    if not entries:
        raise _fail(
            path,
            "[[observables]]",
            'declare at least one observable, e.g. [[observables]] kind = "conductance"',
        )
    point: list[Observable] = []
    post: list[Harmonics] = []
    for number, entry in enumerate(entries, start=1):
        where = f"observable {number} ({entry.__struct_config__.tag})"
        if isinstance(entry, HarmonicsEntry):
            spec = _harmonics(path, entry, where, grid)
            taken = {h.name for h in post}
            post.append(spec)
        else:
            spec = _point_observable(path, entry, where, terminals)
            taken = {o.name for o in point}
            if spec.name in parameters:
                raise _fail(path, f"{where} name", f"{spec.name!r} is already a parameter name")
            point.append(spec)
        if spec.name in taken:
            raise _fail(path, f"{where} name", f"{spec.name!r} is used by another observable")
    point_kinds = [kind for kind in OBSERVABLE_KINDS if kind != "flux_harmonics"]
    if not point:
        raise _fail(
            path,
            "[[observables]]",
            f"declare at least one observable computed per point ({', '.join(point_kinds)})",
        )
    per_point = {o.name for o in point}
    for spec in post:
        if spec.of not in per_point:
            raise _fail(
                path,
                f"flux_harmonics of {spec.of!r}",
                f"no per-point observable is named {spec.of!r}; the study computes "
                f"{', '.join(sorted(per_point))}",
            )
    return tuple(point), tuple(post)


def _grid(path: Path, fixed: dict[str, Any], table: dict[str, Any]) -> dict[str, tuple]:
    if not table:
        raise _fail(
            path,
            "[grid]",
            "the grid is empty: scan at least one parameter, e.g. "
            "energy = {start = 0.1, stop = 1.0, num = 10}",
        )
    grid = {key: _axis(path, key, spec) for key, spec in table.items()}
    points = math.prod(len(values) for values in grid.values())
    if points > MAX_POINTS:
        raise _fail(
            path,
            "[grid]",
            f"the grid has {points:,} points, more than {MAX_POINTS:,}; scan fewer values "
            "(or run workflows.scan from Python)",
        )
    both = sorted(set(fixed) & set(grid))
    if both:
        raise _fail(
            path,
            "[grid]",
            f"{', '.join(map(repr, both))} is both fixed in [params] and scanned in [grid]; "
            "keep one",
        )
    if "energy" not in fixed and "energy" not in grid:
        raise _fail(
            path,
            "[params]",
            "no energy: give the Fermi energy (units of t) in [params] or scan it in [grid]",
        )
    return grid


def _check_names(path: Path, fsyst: Any, fixed: dict[str, Any], grid: dict[str, tuple]) -> None:
    """The names against the finalized system, then every scanned value (types, signs)."""
    first_point = {k: v for k, v in fixed.items() if k != "energy"}
    first_point.update({k: values[0] for k, values in grid.items() if k != "energy"})
    variations = [{}] + [
        {key: value} for key, values in grid.items() if key != "energy" for value in values[1:]
    ]
    for variation in variations:
        try:
            resolve_params(fsyst, {**first_point, **variation})
        except (TypeError, ValueError) as exc:
            raise _fail(path, "[params]/[grid]", str(exc)) from None


def _executor(path: Path, executor: Any) -> dict[str, Any]:
    timeout = executor.timeout
    if timeout is not None:
        timeout = float(timeout)
        if not (timeout > 0 and math.isfinite(timeout)):
            raise _fail(path, "[executor] timeout", f"must be > 0 seconds, got {timeout!r}")
    scheduler_file = executor.scheduler_file
    if scheduler_file is not None:  # relative to the study file, like the output directory
        scheduler_file = str(path.parent / scheduler_file)
    if executor.address is not None and scheduler_file is not None:
        raise _fail(path, "[executor]", "give either address or scheduler_file, not both")
    return {
        "workers": executor.workers,
        "timeout": timeout,
        "address": executor.address,
        "scheduler_file": scheduler_file,
    }


def _plot(path: Path, plot: Any, grid: Mapping[str, tuple], point) -> tuple[str, tuple[str, ...]]:
    varying = [k for k, v in grid.items() if len(v) > 1] or list(grid)
    plot_x = plot.x if plot.x is not None else varying[0]
    if plot_x not in grid:
        raise _fail(
            path,
            "[output] plot x",
            f"{plot_x!r} is not a grid axis; the grid scans {', '.join(grid)}",
        )
    plot_y = plot.y if plot.y is not None else [o.name for o in point]
    if isinstance(plot_y, str):
        plot_y = [plot_y]
    if not plot_y:
        raise _fail(path, "[output] plot y", f"must be a list of observable names, got {plot_y!r}")
    for y in plot_y:
        if y not in {o.name for o in point}:
            raise _fail(
                path,
                "[output] plot y",
                f"{y!r} is not an observable of this study; "
                f"it computes {', '.join(o.name for o in point)}",
            )
    return plot_x, tuple(plot_y)


def load_study(
    path: str | os.PathLike, *, allow_modules: str | Iterable[str] | None = None
) -> Study:
    """Read and validate a study file.

    Parameters
    ----------
    path
        A TOML study file (format in the module documentation).
    allow_modules
        Modules whose functions the study may name as its builder,
        ``"package.module:function"`` (the user's decision, outside the file;
        see "Trust" in the module documentation).  Default: none.

    Returns
    -------
    Study
        The validated study.  Its system has been built and finalized once to
        check the parameter names (in this process's memo, so running the
        study serially does not finalize it again).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    StudyError
        If the file is not valid TOML or the study is invalid: unknown or
        untrusted builder (refused before anything is imported), unknown or
        ill-typed builder argument, unknown parameter (checked
        against the finalized system), wrong value type, empty grid, unknown
        observable kind or lead, ...; the message names the entry.
    """
    path = Path(path)
    allowed = trusted_modules(allow_modules)
    if not path.is_file():
        raise FileNotFoundError(f"study file {str(path)!r} does not exist")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path.name}: not a UTF-8 text file ({exc.reason})") from None
    data, entry = parse_study(path, source)  # structure and types: the schema
    name = _name(path, entry.name if entry.name is not None else path.stem)
    # the parts that decide the results: a directory holding another fingerprint is not
    # overwritten (run_study)
    decisive = fingerprint(name, data)

    recipe = _system(path, entry.system, allowed)
    fsyst = finalized_system(recipe)
    fixed = {
        key: _value(path, key, value, f"[params] {key}") for key, value in entry.params.items()
    }
    grid = _grid(path, fixed, entry.grid)
    _check_names(path, fsyst, fixed, grid)
    _check_band_edges(path, fsyst, fixed, grid)

    point, post = _observables(
        path, entry.observables, recipe.terminals, set(fixed) | set(grid), grid
    )
    owners = parameter_owners(fsyst)
    for spec in post:
        own_flux = owners.mesoflow.get(spec.axis) == "phi" and spec.axis not in owners.user
        if spec.period is None and not own_flux:
            raise _fail(
                path,
                f"flux_harmonics of {spec.of!r} period",
                f"the axis {spec.axis!r} is not mesoflow's flux phi (in h/e, period 1) but "
                "the system's own: give its period in its own unit (e.g. period = 6.283185 "
                "for radians)",
            )
    plot_x, plot_y = _plot(path, entry.output.plot, grid, point)
    return Study(
        name=name,
        description=entry.description,
        path=path.resolve(),
        source=source,
        recipe=recipe,
        fixed=fixed,
        grid=grid,
        observables=point,
        harmonics=post,
        **_executor(path, entry.executor),
        fingerprint=decisive,
        plot_x=plot_x,
        plot_y=plot_y,
    )


def _name(path: Path, name: str) -> str:
    """The study's name: a file name (it names the default output directory)."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise _fail(
            path,
            "name",
            f"must be a file name of letters, digits, '_', '-' and '.' (not first, no '..'; "
            f"at most 100 characters), got {name[:120]!r}; the default is the study file's name",
        )
    return name


def fingerprint(name: str, data: Mapping[str, Any]) -> str:
    """SHA-256 of what decides a study's results: name, system, params, grid, observables.

    ``data`` is the parsed study file; a directory whose ``study.json`` holds
    another fingerprint belongs to a different study.
    """
    decisive = {key: data.get(key) for key in ("system", "params", "grid", "observables")}
    canonical = json.dumps([name, decisive], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


_EDGE_CHECK_LIMIT = 5000


def _check_band_edges(path: Path, fsyst: Any, fixed: dict, grid: dict) -> None:
    """Refuse an energy of the study at a band edge of a lead, before any point runs.

    Every energy is checked with every combination of the scanned values that
    the leads read (other parameters at their first value), as the solve's
    guard would (:mod:`workflows.scattering.band_edges`).
    """
    energies = grid["energy"] if "energy" in grid else (fixed["energy"],)
    read: set[str] = set()
    for lead in fsyst.leads:
        names = getattr(lead, "parameters", None)
        read |= set(grid) if names is None else set(names)
    axes = {name: values for name, values in grid.items() if name != "energy" and name in read}
    base = {k: v for k, v in fixed.items() if k != "energy"}
    base.update({k: values[0] for k, values in grid.items() if k != "energy"})
    combinations = grid_points(axes).to_dict("records") if axes else [{}]
    if len(energies) * len(combinations) > _EDGE_CHECK_LIMIT:
        combinations = combinations[:1]  # a very large grid: the solve's guard covers the rest
    for combination in combinations:
        params = resolve_params(fsyst, {**base, **combination})
        for energy in energies:
            try:
                check_energy(fsyst, float(energy), params)
            except BandEdgeError as error:
                where = "".join(f", {k} = {v!r}" for k, v in combination.items())
                raise _fail(
                    path,
                    "energy",
                    f"energy = {float(energy)!r}{where} is exactly at a band edge of lead "
                    f"{error.lead} (a mode with zero group velocity: the answer is undefined "
                    f"there); use {error.below!r} or {error.above!r} instead",
                ) from None
