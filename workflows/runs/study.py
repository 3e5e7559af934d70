"""Parameter-scan studies declared in TOML: ``mesoflow scan STUDY.toml``.

A study names a system (a builder of :mod:`systems` and its arguments,
optionally with a dephasing probe on every site), fixed parameters, a grid,
the observables to compute at every point, and optional post-processing.
:func:`load_study` validates the whole file — builder, arguments, parameter
names (against the finalized system), types, grid, observables — before any
computation; :func:`run_study` runs the scan with a results store (so an
interrupted study resumes) and writes the table, a plot and the provenance.

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
    (:func:`workflows.two_terminal_conductance`).  With dephasing probes this
    is the probe-eliminated conductance.
``transmission`` (``source``, ``sink``; name ``T``)
    The coherent transmission T = −G[sink, source] from lead ``source`` into
    lead ``sink`` (without the current that goes through the probes).
``four_terminal_resistance`` (``current = [i, j]``, ``voltage = [k, l]``; name ``R``)
    R_ij,kl in h/e², other leads floating (:func:`workflows.four_terminal_resistance`).
``flux_harmonics`` (``of``, ``axis`` = ``"phi"``, ``orders`` = ``[1, 2]``, ``period`` = 1)
    ``period`` is the flux period in the unit of the axis: 1 for mesoflow's
    ``phi`` (h/e); for your own system's flux, its own (e.g. 6.283185 for radians).
    Post-processing of observable ``of`` along the grid axis ``axis``, for every
    combination of the other axes (:func:`analysis.flux_harmonics`): mean,
    amplitude, phase and visibility of each order, in ``harmonics.csv``.

Outputs (in the output directory): ``results.csv`` (the table),
``results.sqlite`` (the results store: rerunning resumes), ``plot.png``,
``provenance.json``, ``study.json`` (which study the directory belongs to: its
name, file and fingerprint) and, with harmonics, ``harmonics.csv``.  The output
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

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.bias import four_terminal_resistance, two_terminal_conductance
from systems.parameters import parameter_owners, resolve_params
from systems.validation import integer
from workflows.runs.executors import SerialExecutor, available_cpus, process_pool
from workflows.runs.grids import grid_points, sweep_axis
from workflows.runs.options import RunOptions
from workflows.runs.point_runner import check_timeout
from workflows.runs.recipes import (
    BUILDERS,
    SystemRecipe,
    builder_function,
    finalized_system,
    trusted_modules,
)
from workflows.runs.scans import scan
from workflows.runs.store import encode_json
from workflows.scattering import dephasing
from workflows.scattering.band_edges import BandEdgeError, check_energy
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.sweeps import reduces, sweep

__all__ = [
    "OBSERVABLE_KINDS",
    "Observable",
    "Study",
    "StudyError",
    "StudyPoint",
    "load_study",
    "run_study",
]

#: Observables computed at every point: kind -> (default name, allowed keys).
_POINT_KINDS = {
    "conductance": ("G", {"kind", "name", "source", "sink"}),
    "transmission": ("T", {"kind", "name", "source", "sink"}),
    "four_terminal_resistance": ("R", {"kind", "name", "current", "voltage"}),
}
_POST_KINDS = {"flux_harmonics": {"kind", "name", "of", "axis", "orders", "period"}}
#: All observable kinds a study may declare.
OBSERVABLE_KINDS = (*_POINT_KINDS, *_POST_KINDS)

_TOP_KEYS = ("name", "description", "system", "params", "grid", "observables", "executor", "output")
_RANGE_KEYS = {"start", "stop", "num"}
_EXECUTOR_KEYS = ("workers", "address", "scheduler_file", "timeout")
_OUTPUT_KEYS = ("plot",)
#: A study's name: a file name (word characters, then also . and -), no path, no "..".
_NAME = re.compile(r"\w[\w.-]{0,99}")
#: The files a study writes into its output directory (study.json: whose they are).
_OUTPUT_FILES = (
    "results.csv",
    "results.sqlite",
    "results.sqlite-wal",
    "results.sqlite-shm",
    "plot.png",
    "provenance.json",
    "harmonics.csv",
    "study.json",
)
#: The most points a study's grid may have (per axis and in all): a larger grid is a typo
#: (num = 1e9 would allocate gigabytes before any work), or a job for workflows.scan.
MAX_POINTS = 1_000_000
#: The largest scheduler file read (bytes): dask writes a few hundred.
_SCHEDULER_FILE_BYTES = 1 << 20


class StudyError(ValueError):
    """A study file is invalid; the message names the file, the entry and what is valid."""


@dataclass(frozen=True)
class Observable:
    """One observable evaluated from the conductance matrix of a point."""

    kind: str
    name: str
    source: int = 0
    sink: int = 1
    current: tuple[int, int] = (0, 1)
    voltage: tuple[int, int] = (0, 1)

    def evaluate(self, G: np.ndarray, coherent: np.ndarray | None = None) -> float:
        """The observable's value for conductance matrix ``G`` (e²/h, or h/e² for R).

        ``coherent``: the block of the full matrix between the terminals when ``G`` is
        the effective matrix with the dephasing probes eliminated (for ``transmission``).
        """
        if self.kind == "conductance":
            return float(two_terminal_conductance(G, self.source, self.sink))
        if self.kind == "transmission":
            return float(-(G if coherent is None else coherent)[self.sink, self.source])
        if self.kind == "four_terminal_resistance":
            return float(four_terminal_resistance(G, current=self.current, voltage=self.voltage))
        raise ValueError(f"unknown observable kind {self.kind!r}")


@dataclass(frozen=True)
class Harmonics:
    """Post-processing: flux harmonics of observable ``of`` along grid axis ``axis``."""

    name: str
    of: str
    axis: str
    orders: tuple[int, ...]
    period: float | None = None  # None: mesoflow's flux phi, period 1 (h/e)


@dataclass(frozen=True)
class StudyPoint:
    """The point function of a study: a picklable callable, one conductance matrix per point.

    The system comes from :func:`workflows.runs.recipes.finalized_system`, so each
    worker process finalizes it once and reuses it for every point.
    """

    recipe: SystemRecipe
    fixed: tuple[tuple[str, Any], ...]
    observables: tuple[Observable, ...]

    def __call__(self, **grid: Any) -> dict[str, float]:
        params = dict(self.fixed)
        params.update(grid)
        energy = params.pop("energy")
        fsyst = finalized_system(self.recipe)
        if self.recipe.dephasing_probes:  # probes eliminated; linear method for many probes
            solution = dephasing.dephased_transport(fsyst, energy, params=params)
            G, coherent = solution.conductance, solution.coherent_conductance
        else:
            G, coherent = conductance_matrix(fsyst, energy, params=params), None
        return {o.name: o.evaluate(G, coherent) for o in self.observables}

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """The grid axis to evaluate with one :func:`workflows.sweep`, or None.

        An axis of a Kwant parameter (not ``energy``, at least two values)
        along which the reduced sweep applies at the grid's first point
        (:func:`workflows.scattering.sweeps.reduces`: few changed matrix
        elements, e.g. a flux on a branch cut or a gate on a few sites); the
        innermost such axis.  Systems with dephasing probes are solved point
        by point (their probe elimination needs the full conductance matrix).
        """
        if self.recipe.dephasing_probes:
            return None
        return _sweep_axis(self, tuple((name, tuple(values)) for name, values in axes.items()))

    def sweep_points(self, axis: str, values: list[Any], **others: Any) -> list[dict[str, float]]:
        """The observables at every value of ``axis``, from one :func:`workflows.sweep`."""
        params = dict(self.fixed)
        params.update(others)
        energy = params.pop("energy")
        matrices = sweep(finalized_system(self.recipe), energy, axis, values, params=params)
        return [{o.name: o.evaluate(G) for o in self.observables} for G in matrices]


@functools.lru_cache(maxsize=8)
def _sweep_axis(point: StudyPoint, axes: tuple[tuple[str, tuple[Any, ...]], ...]) -> str | None:
    """:meth:`StudyPoint.sweep_axis`, memoized (``run_study`` and ``scan`` both ask)."""
    fsyst = finalized_system(point.recipe)
    params = dict(point.fixed)
    params.update({name: values[0] for name, values in axes})
    energy = params.pop("energy")
    for name, values in reversed(axes):
        if name == "energy" or len(values) < 2:
            continue
        others = {key: value for key, value in params.items() if key != name}
        if reduces(fsyst, energy, name, list(values), params=others):
            return name
    return None


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


class _Checker:
    """Raises :class:`StudyError` with the file name and the entry in every message."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str) -> StudyError:
        return StudyError(f"{self.path.name}: {where}: {message}")

    def table(self, data: Mapping[str, Any], key: str, *, required: bool) -> dict[str, Any]:
        if key not in data:
            if required:
                raise self.fail(f"[{key}]", "missing table")
            return {}
        value = data[key]
        if not isinstance(value, dict):
            raise self.fail(f"[{key}]", f"must be a table, got {_toml_type(value)} {value!r}")
        return value

    def keys(self, table: Mapping[str, Any], valid, where: str) -> None:
        unknown = [key for key in table if key not in valid]
        if unknown:
            raise self.fail(
                where,
                f"unknown key(s) {', '.join(map(repr, unknown))}; valid keys: "
                f"{', '.join(sorted(valid))}",
            )

    def integer(self, value: Any, where: str, *, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be an integer, got {_toml_type(value)} {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be >= {minimum}, got {value}")
        return value

    def real(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, got {_toml_type(value)} {value!r}")
        if not np.isfinite(value):
            raise self.fail(where, f"must be a finite number, got {value!r}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"must be a non-empty string, got {_toml_type(value)} {value!r}")
        return value

    def parameter(self, name: str, value: Any, where: str) -> Any:
        """A fixed or scanned value: ``salt`` a string (or integer), anything else a number."""
        if name == "salt":
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            return self.string(value, where)
        return self.real(value, where)


def _toml_type(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(value), type(value).__name__)


def _axis(check: _Checker, name: str, spec: Any) -> tuple[Any, ...]:
    where = f"[grid] {name}"
    if isinstance(spec, dict):
        check.keys(spec, _RANGE_KEYS, where)
        missing = sorted(_RANGE_KEYS - set(spec))
        if missing:
            raise check.fail(where, f"a range needs start, stop and num; missing {missing}")
        start = check.real(spec["start"], f"{where}.start")
        stop = check.real(spec["stop"], f"{where}.stop")
        num = check.integer(spec["num"], f"{where}.num")
        if num < 1:
            raise check.fail(where, f"num must be >= 1, got {num}: the grid would be empty")
        if num > MAX_POINTS:
            raise check.fail(where, f"num must be <= {MAX_POINTS:,}, got {num:,}")
        values = tuple(float(v) for v in np.linspace(start, stop, num))
    elif isinstance(spec, list):
        if not spec:
            raise check.fail(where, "the list of values is empty: give at least one value")
        if len(spec) > MAX_POINTS:
            raise check.fail(where, f"at most {MAX_POINTS:,} values, got {len(spec):,}")
        values = tuple(spec)
    else:
        raise check.fail(
            where,
            f"must be a list of values or a range {{start, stop, num}}, got "
            f"{_toml_type(spec)} {spec!r}",
        )
    return tuple(check.parameter(name, v, f"{where}[{i}]") for i, v in enumerate(values))


def _system(check: _Checker, table: dict[str, Any], allow_modules: tuple[str, ...]) -> SystemRecipe:
    if "builder" not in table:
        raise check.fail("[system]", f"missing 'builder'; choose one of {', '.join(BUILDERS)}")
    builder = check.string(table["builder"], "[system] builder")
    try:  # the trust rule first: an untrusted module is neither imported nor called
        function = builder_function(builder, allow_modules=allow_modules)
    except (TypeError, ValueError) as exc:
        raise check.fail("[system] builder", str(exc)) from None
    probes = table.get("dephasing_probes", False)
    if not isinstance(probes, bool):
        raise check.fail(
            "[system] dephasing_probes",
            f"must be true or false, got {_toml_type(probes)} {probes!r}",
        )
    arguments = {k: v for k, v in table.items() if k not in ("builder", "dephasing_probes")}
    try:
        # names (mesoflow's, entry points) stay names; a trusted module's function is passed
        # itself, so the recipe (and the workers that unpickle it) need no allow-list
        recipe = SystemRecipe(
            function if ":" in builder else builder, arguments, dephasing_probes=probes
        )
    except (TypeError, ValueError) as exc:
        raise check.fail("[system]", str(exc)) from None
    try:
        finalized_system(recipe)
    except (TypeError, ValueError) as exc:
        raise check.fail(f"[system] {builder}", str(exc)) from None
    return recipe


def _lead(check: _Checker, value: Any, where: str, terminals: int) -> int:
    index = check.integer(value, where, minimum=0)
    if index >= terminals:
        raise check.fail(
            where, f"lead {index} does not exist: the system has terminals 0..{terminals - 1}"
        )
    return index


def _lead_pair(check: _Checker, entry: dict, key: str, where: str, terminals: int):
    if key not in entry:
        raise check.fail(where, f"missing {key!r} (a pair of lead indices [i, j])")
    value = entry[key]
    if not isinstance(value, list) or len(value) != 2:
        raise check.fail(f"{where} {key}", f"must be a pair of lead indices, got {value!r}")
    pair = tuple(_lead(check, v, f"{where} {key}[{i}]", terminals) for i, v in enumerate(value))
    if pair[0] == pair[1]:
        raise check.fail(f"{where} {key}", f"needs two different leads, got {value}")
    return pair


def _point_observable(check: _Checker, kind: str, entry: dict, where: str, terminals: int):
    name = check.string(entry.get("name", _POINT_KINDS[kind][0]), f"{where} name")
    if kind == "four_terminal_resistance":
        current = _lead_pair(check, entry, "current", where, terminals)
        voltage = _lead_pair(check, entry, "voltage", where, terminals)
        return Observable(kind, name, current=current, voltage=voltage)
    source = _lead(check, entry.get("source", 0), f"{where} source", terminals)
    sink = _lead(check, entry.get("sink", 1), f"{where} sink", terminals)
    if source == sink:
        raise check.fail(where, f"source and sink must differ, both are {source}")
    return Observable(kind, name, source=source, sink=sink)


def _harmonics(check: _Checker, entry: dict, where: str, grid: Mapping[str, Any]) -> Harmonics:
    if "of" not in entry:
        raise check.fail(where, "missing 'of': the observable to analyse")
    of = check.string(entry["of"], f"{where} of")
    axis = check.string(entry.get("axis", "phi"), f"{where} axis")
    if axis not in grid:
        raise check.fail(
            f"{where} axis", f"{axis!r} is not a grid axis; the grid scans {', '.join(grid)}"
        )
    orders = entry.get("orders", [1, 2])
    if not isinstance(orders, list) or not orders or len(set(map(repr, orders))) != len(orders):
        raise check.fail(
            f"{where} orders", f"must be a list of different positive integers, got {orders!r}"
        )
    orders = tuple(check.integer(n, f"{where} orders", minimum=1) for n in orders)
    period = entry.get("period")
    if period is not None and (
        isinstance(period, bool)
        or not isinstance(period, int | float)
        or not (math.isfinite(period) and period > 0)
    ):
        raise check.fail(
            f"{where} period",
            f"must be a number > 0 (the flux period in the axis' unit), got {period!r}",
        )
    name = check.string(entry.get("name", of), f"{where} name")
    return Harmonics(name, of, axis, orders, None if period is None else float(period))


def _observables(check: _Checker, entries: Any, terminals: int, parameters, grid):
    if not isinstance(entries, list) or not entries:
        raise check.fail(
            "[[observables]]",
            'declare at least one observable, e.g. [[observables]] kind = "conductance"',
        )
    point: list[Observable] = []
    post: list[Harmonics] = []
    for number, entry in enumerate(entries, start=1):
        where = f"observable {number}"
        if not isinstance(entry, dict):
            raise check.fail(where, f"must be a table, got {_toml_type(entry)} {entry!r}")
        kind = entry.get("kind")
        if kind not in OBSERVABLE_KINDS:
            raise check.fail(
                where,
                f"unknown observable kind {kind!r}; choose one of {', '.join(OBSERVABLE_KINDS)}",
            )
        where = f"observable {number} ({kind})"
        check.keys(
            entry, _POINT_KINDS[kind][1] if kind in _POINT_KINDS else _POST_KINDS[kind], where
        )
        if kind in _POINT_KINDS:
            spec = _point_observable(check, kind, entry, where, terminals)
            taken = {o.name for o in point}
            if spec.name in parameters:
                raise check.fail(f"{where} name", f"{spec.name!r} is already a parameter name")
            point.append(spec)
        else:
            spec = _harmonics(check, entry, where, grid)
            taken = {h.name for h in post}
            post.append(spec)
        if spec.name in taken:
            raise check.fail(f"{where} name", f"{spec.name!r} is used by another observable")
    if not point:
        raise check.fail(
            "[[observables]]",
            f"declare at least one observable computed per point ({', '.join(_POINT_KINDS)})",
        )
    per_point = {o.name for o in point}
    for spec in post:
        if spec.of not in per_point:
            raise check.fail(
                f"flux_harmonics of {spec.of!r}",
                f"no per-point observable is named {spec.of!r}; the study computes "
                f"{', '.join(sorted(per_point))}",
            )
    return tuple(point), tuple(post)


#: At most this many (energy, lead parameters) combinations are checked for band edges.
_EDGE_CHECK_LIMIT = 5000


def _check_band_edges(check: _Checker, fsyst: Any, fixed: dict, grid: dict) -> None:
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
                raise check.fail(
                    "energy",
                    f"energy = {float(energy)!r}{where} is exactly at a band edge of lead "
                    f"{error.lead} (a mode with zero group velocity: the answer is undefined "
                    f"there); use {error.below!r} or {error.above!r} instead",
                ) from None


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

    check = _Checker(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path.name}: not a UTF-8 text file ({exc.reason})") from None
    data = _parse(check, source)
    check.keys(data, _TOP_KEYS, "top level")
    name = _name(check, data.get("name", path.stem))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise check.fail("description", f"must be a string, got {description!r}")
    # the parts that decide the results: a directory holding another fingerprint is not
    # overwritten (run_study)
    fingerprint = _fingerprint(name, data)

    recipe = _system(check, check.table(data, "system", required=True), allowed)
    fsyst = finalized_system(recipe)

    fixed = {
        key: check.parameter(key, value, f"[params] {key}")
        for key, value in check.table(data, "params", required=False).items()
    }
    grid_table = check.table(data, "grid", required=False)
    if not grid_table:
        raise check.fail(
            "[grid]",
            "the grid is empty: scan at least one parameter, e.g. "
            "energy = {start = 0.1, stop = 1.0, num = 10}",
        )
    grid = {key: _axis(check, key, spec) for key, spec in grid_table.items()}
    if math.prod(len(values) for values in grid.values()) > MAX_POINTS:
        raise check.fail(
            "[grid]",
            f"the grid has {math.prod(len(v) for v in grid.values()):,} points, more than "
            f"{MAX_POINTS:,}; scan fewer values (or run workflows.scan from Python)",
        )
    both = sorted(set(fixed) & set(grid))
    if both:
        raise check.fail(
            "[grid]",
            f"{', '.join(map(repr, both))} is both fixed in [params] and "
            "scanned in [grid]; keep one",
        )
    if "energy" not in fixed and "energy" not in grid:
        raise check.fail(
            "[params]",
            "no energy: give the Fermi energy (units of t) in [params] or scan it in [grid]",
        )
    # the names against the finalized system, then every scanned value (types, signs)
    first_point = {k: v for k, v in fixed.items() if k != "energy"}
    first_point.update({k: values[0] for k, values in grid.items() if k != "energy"})
    variations = [{}] + [
        {key: value} for key, values in grid.items() if key != "energy" for value in values[1:]
    ]
    for variation in variations:
        try:
            resolve_params(fsyst, {**first_point, **variation})
        except (TypeError, ValueError) as exc:
            raise check.fail("[params]/[grid]", str(exc)) from None

    _check_band_edges(check, fsyst, fixed, grid)

    terminals = recipe.terminals
    point, post = _observables(
        check, data.get("observables"), terminals, set(fixed) | set(grid), grid
    )
    owners = parameter_owners(fsyst)
    for spec in post:
        own_flux = owners.mesoflow.get(spec.axis) == "phi" and spec.axis not in owners.user
        if spec.period is None and not own_flux:
            raise check.fail(
                f"flux_harmonics of {spec.of!r} period",
                f"the axis {spec.axis!r} is not mesoflow's flux phi (in h/e, period 1) but "
                "the system's own: give its period in its own unit (e.g. period = 6.283185 "
                "for radians)",
            )

    executor = check.table(data, "executor", required=False)
    check.keys(executor, _EXECUTOR_KEYS, "[executor]")
    workers = executor.get("workers")
    if workers is not None:
        workers = check.integer(workers, "[executor] workers", minimum=1)
    timeout = executor.get("timeout")
    if timeout is not None:
        timeout = float(check.real(timeout, "[executor] timeout"))
        if timeout <= 0:
            raise check.fail("[executor] timeout", f"must be > 0 seconds, got {timeout!r}")
    address = executor.get("address")
    scheduler_file = executor.get("scheduler_file")
    if address is not None:
        address = check.string(address, "[executor] address")
    if scheduler_file is not None:  # relative to the study file, like the output directory
        scheduler_file = str(
            path.parent / check.string(scheduler_file, "[executor] scheduler_file")
        )
    if address is not None and scheduler_file is not None:
        raise check.fail("[executor]", "give either address or scheduler_file, not both")

    output = check.table(data, "output", required=False)
    if "directory" in output:
        raise check.fail(
            "[output] directory",
            "a study file does not choose where results are written: give the directory "
            "on the command line, mesoflow scan --output DIR (Python: run_study(output=...)); "
            "the default is the study's name beside the study file",
        )
    check.keys(output, _OUTPUT_KEYS, "[output]")
    plot = output.get("plot", {})
    if not isinstance(plot, dict):
        raise check.fail("[output] plot", f"must be a table {{x = ..., y = [...]}}, got {plot!r}")
    check.keys(plot, ("x", "y"), "[output] plot")
    varying = [k for k, v in grid.items() if len(v) > 1] or list(grid)
    plot_x = check.string(plot.get("x", varying[0]), "[output] plot x")
    if plot_x not in grid:
        raise check.fail(
            "[output] plot x", f"{plot_x!r} is not a grid axis; the grid scans {', '.join(grid)}"
        )
    plot_y = plot.get("y", [o.name for o in point])
    if isinstance(plot_y, str):
        plot_y = [plot_y]
    if not isinstance(plot_y, list) or not plot_y:
        raise check.fail("[output] plot y", f"must be a list of observable names, got {plot_y!r}")
    for y in plot_y:
        if y not in {o.name for o in point}:
            raise check.fail(
                "[output] plot y",
                f"{y!r} is not an observable of this study; "
                f"it computes {', '.join(o.name for o in point)}",
            )

    return Study(
        name=name,
        description=description,
        path=path.resolve(),
        source=source,
        recipe=recipe,
        fixed=fixed,
        grid=grid,
        observables=point,
        harmonics=post,
        workers=workers,
        timeout=timeout,
        address=address,
        scheduler_file=scheduler_file,
        fingerprint=fingerprint,
        plot_x=plot_x,
        plot_y=tuple(plot_y),
    )


def _parse(check: _Checker, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{check.path.name}: not valid TOML: {exc}") from None
    except RecursionError:  # deeply nested arrays or tables
        raise StudyError(f"{check.path.name}: not valid TOML: nested too deeply") from None


def _name(check: _Checker, name: Any) -> str:
    """The study's name: a file name (it names the default output directory)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise check.fail(
            "name",
            f"must be a file name of letters, digits, '_', '-' and '.' (not first, no '..'; "
            f"at most 100 characters), got {str(name)[:120]!r}"
            + ("; the default is the study file's name" if isinstance(name, str) else ""),
        )
    return name


def _fingerprint(name: str, data: Mapping[str, Any]) -> str:
    """SHA-256 of what decides a study's results: name, system, params, grid, observables."""
    decisive = {key: data.get(key) for key in ("system", "params", "grid", "observables")}
    canonical = json.dumps([name, decisive], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- running ---------------------------------------------------------------------------------


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
        :func:`load_study`); the CLI's ``--allow-module``.
    allow_remote_scheduler
        Let the study connect to the dask scheduler its ``[executor]`` names
        (``address`` or ``scheduler_file``); refused otherwise.
    force
        Replace the results of a *different* study found in the output
        directory (they are removed first).  Without it such a directory is
        refused; the same study always resumes.

    Returns
    -------
    pandas.DataFrame
        The scan table (:func:`workflows.scan`): grid parameters, observables
        and ``error``.  ``attrs`` holds the provenance, the output directory
        (``"output"``) and, with ``flux_harmonics``, the harmonics as records.

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
            provenance={
                "study": {
                    "name": study.name,
                    "description": study.description,
                    "file": str(study.path),
                    "source": study.source,
                    "fingerprint": study.fingerprint,
                }
            },
        )
    for observable in study.observables:  # every point failed: keep the columns, empty
        if observable.name not in table:
            table.insert(len(table.columns) - 1, observable.name, np.nan)
    table.to_csv(directory / "results.csv", index=False)
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
        return _fingerprint(study["name"], tomllib.loads(study["source"]))
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
    units = {"conductance": "e²/h", "transmission": "e²/h", "four_terminal_resistance": "h/e²"}
    labels = {o.name: f"{o.name} ({units[o.kind]})" for o in study.observables}
    figure = scan_figure(
        table,
        study.plot_x,
        list(study.plot_y),
        hue=others,
        title=study.description or study.name,
        labels=labels,
    )
    figure.savefig(path, dpi=120)
