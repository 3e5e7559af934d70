"""Scan results as labelled N-d data: a grid scan's table as an :class:`xarray.Dataset`.

:func:`to_dataset` turns the tidy table of :func:`workflows.scan` (one row per
point) into a dataset whose dimensions are the grid's axes, in the scan's
order (``attrs["provenance"]["parameters"]``, first axis slowest):

* every observable is a variable over the grid; units, where the table's
  ``attrs["units"]`` (or ``units=``) know them, in the variable's
  ``attrs["units"]``;
* a complex observable ``x`` is stored as two real variables ``x_real`` and
  ``x_imag`` whose ``attrs["complex_part"]`` says which part of ``x`` they
  hold (NetCDF and zarr have no portable complex type);
  :func:`from_dataset` (and :func:`read_dataset`) put ``x`` back together;
* an array-valued observable (e.g. a vector along a sweep axis) gets extra
  dimensions ``x_dim_0``, ``x_dim_1``, ...;
* a failed point is NaN in every observable, its error string is kept in the
  variable ``error`` (``""`` where the point succeeded);
* the provenance is ONE attribute, ``attrs["provenance"]``, a JSON string
  (NetCDF attributes are flat); the table's other attributes are kept as
  numbers, strings or JSON strings (their names in ``attrs["json_attrs"]``).

A table whose points are not a full outer product of its axes (a scan over
a DataFrame of points) gets one dimension ``point`` with the axes as
coordinates along it.

Files: :func:`write_dataset` writes NetCDF (format 3 through SciPy, no
further library; readable by every NetCDF tool) or zarr (format 2: its
string variables — the errors, a ``salt`` axis — have no stable zarr-3
specification yet); :func:`append_zarr` adds the slabs along the first axis
that a zarr store does not hold yet, so a resumed scan appends to the store
it wrote before.  :func:`read_dataset` reads either back.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems.validation import choice
from workflows.runs.store_rows import decode_json, encode_json

__all__ = ["FORMATS", "append_zarr", "from_dataset", "read_dataset", "to_dataset", "write_dataset"]

#: File formats of :func:`write_dataset`, with the suffix each is written under.
FORMATS = {"netcdf": ".nc", "zarr": ".zarr"}
#: Columns of a scan's table that are not observables.
_NOT_OBSERVABLES = ("error", "status")


def _axes(frame: pd.DataFrame, axes: Sequence[str] | None) -> list[str]:
    if axes is None:
        axes = frame.attrs.get("provenance", {}).get("parameters")
    if axes is None:
        raise ValueError(
            "frame has no attrs['provenance']['parameters'] (the grid axes of a scan); "
            "pass axes=[...] naming its parameter columns"
        )
    axes = list(axes)
    missing = [axis for axis in axes if axis not in frame.columns]
    if missing:
        raise ValueError(f"axes {missing} are not columns of the frame; it has {list(frame)}")
    return axes


def _layout(frame: pd.DataFrame, axes: list[str]) -> tuple[dict, tuple, np.ndarray]:
    """Coordinates, shape and each row's flat position in the grid (or along ``point``)."""
    levels = [pd.unique(frame[axis]) for axis in axes]
    rows = pd.MultiIndex.from_frame(frame[axes]) if axes else None
    if axes and rows.is_unique and len(frame) == math.prod(len(level) for level in levels):
        grid = pd.MultiIndex.from_product(levels, names=axes)
        coords = {axis: (axis, np.asarray(level)) for axis, level in zip(axes, levels, strict=True)}
        return coords, tuple(len(level) for level in levels), grid.get_indexer(rows)
    coords = {axis: ("point", frame[axis].to_numpy()) for axis in axes}
    coords["point"] = ("point", np.arange(len(frame)))
    return coords, (len(frame),), np.arange(len(frame))


def _column(name: str, values: pd.Series) -> np.ndarray:
    """A column as a numeric (or string) array; arrays stacked; failed points NaN."""
    present = [v for v in values if v is not None and not (np.isscalar(v) and pd.isna(v))]
    arrays = [np.asarray(v) for v in present if isinstance(v, np.ndarray | list | tuple)]
    if arrays:
        shapes = {a.shape for a in arrays}
        if len(arrays) != len(present) or len(shapes) != 1:
            raise ValueError(
                f"observable {name!r} holds arrays of different shapes {sorted(shapes)} (or "
                "arrays and scalars); it has no N-d form: give it one shape at every point"
            )
        (shape,) = shapes
        dtype = np.result_type(*arrays, np.float64)
        data = np.full((len(values), *shape), np.nan, dtype=dtype)
        for i, v in enumerate(values):
            if isinstance(v, np.ndarray | list | tuple):
                data[i] = v
        return data
    if present and all(isinstance(v, str) for v in present):
        return np.array(["" if not isinstance(v, str) else v for v in values], dtype=object)
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        if len(present) == len(values):
            return values.to_numpy(dtype=bool)
        return np.array([np.nan if v is None or pd.isna(v) else float(v) for v in values])
    dtype = (
        np.result_type(*[np.asarray(v).dtype for v in present], np.float64) if present else float
    )
    return np.array([np.nan if v is None or pd.isna(v) else v for v in values], dtype=dtype)


def to_dataset(
    frame: pd.DataFrame,
    *,
    axes: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
) -> Any:
    """A scan's table as an :class:`xarray.Dataset` over the grid's axes.

    Parameters
    ----------
    frame
        The table of :func:`workflows.scan` (or of a study built on it): one
        row per point, one column per parameter and observable, ``error``.
    axes
        The grid's axes, slowest first.  Default: the scan's
        ``frame.attrs["provenance"]["parameters"]``.
    units
        Units by column name (``{"G": "e^2/h", "V_gate": "t"}``), added to
        (and overriding) ``frame.attrs["units"]``.

    Returns
    -------
    xarray.Dataset
        Coordinates: the axes (values in the order the grid visits them);
        data variables: the observables (see the module documentation for
        complex and array-valued ones) and ``error``; ``attrs["provenance"]``:
        the provenance as one JSON string.

    Raises
    ------
    ValueError
        If the axes are unknown, or an observable's arrays differ in shape.
    """
    import xarray as xr

    axes = _axes(frame, axes)
    known = {**frame.attrs.get("units", {}), **(units or {})}
    coords, shape, positions = _layout(frame, axes)
    dims = tuple(axes) if "point" not in coords else ("point",)
    variables: dict[str, Any] = {}
    columns = [c for c in frame.columns if c not in axes and c not in _NOT_OBSERVABLES]
    if "error" in frame.columns:
        columns.append("error")
    for name in columns:
        data = _column(name, frame[name])
        extra = data.shape[1:]
        fill = "" if data.dtype == object else (False if data.dtype == bool else np.nan)
        full = np.full((math.prod(shape), *extra), fill, dtype=data.dtype)
        full[positions] = data
        full = full.reshape(shape + extra)
        var_dims = dims + tuple(f"{name}_dim_{k}" for k in range(len(extra)))
        attrs = {"units": str(known[name])} if name in known else {}
        if name == "error":
            attrs["description"] = "why the point failed ('' where it succeeded)"
        if np.iscomplexobj(full):
            full.imag[np.isnan(full.real)] = np.nan  # a failed point: NaN in both parts
            for part in ("real", "imag"):
                variables[f"{name}_{part}"] = (
                    var_dims,
                    getattr(full, part).copy(),
                    {**attrs, "complex_part": part, "complex_of": name},
                )
        else:
            variables[name] = (var_dims, full, attrs)
    dataset = xr.Dataset(variables, coords=coords)
    for axis in axes:
        if axis in known:
            dataset[axis].attrs["units"] = str(known[axis])
    dataset.attrs.update(_flat_attrs(frame.attrs))
    return dataset


def _flat_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """NetCDF-safe attributes: numbers and strings as they are, the rest as JSON strings."""
    flat: dict[str, Any] = {"provenance": encode_json(attrs.get("provenance", {}))}
    encoded = []
    for key, value in attrs.items():
        if key in ("provenance", "units"):
            continue
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            flat[key] = value
        else:
            flat[key] = encode_json(value)
            encoded.append(key)
    flat["json_attrs"] = ",".join(["provenance", *encoded])
    return flat


def from_dataset(dataset: Any) -> Any:
    """The dataset with complex observables restored and JSON attributes decoded.

    Undoes what :func:`to_dataset` did for the file: ``x_real`` and ``x_imag``
    become the complex variable ``x``; the attributes named in
    ``attrs["json_attrs"]`` (the provenance first) become Python objects.
    """
    dataset = dataset.copy()
    pairs: dict[str, dict[str, str]] = {}
    for name, variable in dataset.data_vars.items():
        if variable.attrs.get("complex_part") in ("real", "imag"):
            pairs.setdefault(variable.attrs["complex_of"], {})[variable.attrs["complex_part"]] = (
                name
            )
    for name, parts in pairs.items():
        real, imag = dataset[parts["real"]], dataset[parts["imag"]]
        attrs = {k: v for k, v in real.attrs.items() if k not in ("complex_part", "complex_of")}
        dataset[name] = (real + 1j * imag).assign_attrs(attrs)
        dataset = dataset.drop_vars([parts["real"], parts["imag"]])
    if "error" in dataset:  # NetCDF 3 reads a variable of empty strings back as NaN
        errors = dataset["error"]
        text = [v if isinstance(v, str) else "" for v in errors.values.ravel()]
        dataset["error"] = errors.copy(data=np.array(text, dtype=object).reshape(errors.shape))
    names = [n for n in str(dataset.attrs.get("json_attrs", "")).split(",") if n]
    for key in names:
        if isinstance(dataset.attrs.get(key), str):
            dataset.attrs[key] = decode_json(dataset.attrs[key])
    dataset.attrs.pop("json_attrs", None)
    return dataset


def write_dataset(dataset: Any, path: str | os.PathLike, format: str) -> Path:
    """Write ``dataset`` (from :func:`to_dataset`) as NetCDF or zarr, replacing ``path``.

    Parameters
    ----------
    dataset
        An :class:`xarray.Dataset` from :func:`to_dataset`.
    path
        The file (NetCDF) or directory (zarr) to write.
    format
        ``"netcdf"`` (NetCDF 3 through SciPy) or ``"zarr"`` (zarr format 2).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    choice("format", format, tuple(FORMATS))
    path = Path(path)
    if format == "netcdf":
        dataset.to_netcdf(path, engine="scipy")
    else:
        dataset.to_zarr(path, mode="w", zarr_format=2, consolidated=True)
    return path


def append_zarr(dataset: Any, path: str | os.PathLike) -> int:
    """Append to the zarr store ``path`` the slabs of ``dataset``'s first axis it lacks.

    The store (made by :func:`write_dataset` or this function) must hold the
    first ``n`` values of the first axis with the same other coordinates;
    the slabs from ``n`` on are appended (``append_dim``) and the attributes
    (the provenance) replaced by ``dataset``'s.  A store that does not exist
    is written whole.

    Returns
    -------
    int
        The number of slabs appended.

    Raises
    ------
    ValueError
        If the store holds other coordinates (another scan's results).
    """
    import xarray as xr
    import zarr

    path = Path(path)
    dim = next(iter(dataset.dims))
    if not path.exists():
        write_dataset(dataset, path, "zarr")
        return dataset.sizes[dim]
    stored = xr.open_zarr(path, consolidated=True)
    held = stored.sizes.get(dim, 0)
    same = held <= dataset.sizes[dim] and all(
        np.array_equal(stored[name].values, dataset[name].values[:held] if name == dim else
                       dataset[name].values)
        for name in dataset.coords
    ) and set(stored.data_vars) == set(dataset.data_vars)  # fmt: skip
    stored.close()
    if not same:
        raise ValueError(
            f"zarr store {str(path)!r} holds other coordinates or variables than this scan's "
            "(another scan's results): write to another path"
        )
    new = dataset.isel({dim: slice(held, None)})
    if new.sizes[dim]:
        new.to_zarr(path, append_dim=dim, zarr_format=2, consolidated=True)
    group = zarr.open_group(path, mode="r+", zarr_format=2)
    group.attrs.update(dataset.attrs)
    zarr.consolidate_metadata(path)
    return new.sizes[dim]


def read_dataset(path: str | os.PathLike) -> Any:
    """Read a dataset written by :func:`write_dataset` (a ``.nc`` file or a zarr directory).

    Returns
    -------
    xarray.Dataset
        Loaded into memory, complex observables restored (:func:`from_dataset`).
    """
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise ValueError(f"no dataset at {str(path)!r}")
    if path.is_dir():
        with xr.open_zarr(path, consolidated=True) as stored:
            dataset = stored.load()
    else:
        dataset = xr.load_dataset(path, engine="scipy")
    return from_dataset(dataset)
