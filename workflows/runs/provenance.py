"""Provenance of scan results: what was computed, with what, where and when.

A scan's provenance travels with its results, both in ``DataFrame.attrs`` and
in the results store (:mod:`workflows.runs.store`).  It records the point function
(qualified name and a hash of its source and bound data), the scanned
parameters, the mesoflow and Kwant versions and the sparse solver
(:func:`workflows.runs.environment_info`), the git revision of the mesoflow source
when it is a git checkout, the host and UTC timestamps.

The hashes here are *fingerprints*: two scans with the same point function
(same code, same bound arguments) and the same grid get the same fingerprint,
so a store can tell a resumed scan from a different one.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import os
import pickle
import platform
import re
import socket
import subprocess
import types
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflows.runs.environment import environment_info

__all__ = [
    "callable_fingerprint",
    "git_revision",
    "host_name",
    "run_provenance",
    "utc_now",
]


def utc_now() -> str:
    """The current time as an ISO 8601 UTC timestamp (seconds resolution)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def host_name() -> str:
    """The name of this machine (``socket.gethostname``)."""
    return socket.gethostname()


def _git(directory: Path, *arguments: str) -> str | None:
    """Output of a read-only git command, or None (no git, not a work tree, timeout)."""
    try:
        result = subprocess.run(
            ["git", *arguments],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            # never take the index lock (git status would otherwise refresh the index)
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_revision(path: str | os.PathLike | None = None) -> str | None:
    """The git revision of the mesoflow checkout containing ``path``, or None if there is none.

    Parameters
    ----------
    path
        A file or directory; default: the mesoflow source directory.

    Returns
    -------
    str or None
        The commit hash (12 hex digits), with ``-dirty`` when tracked files have
        uncommitted changes; None when git is unavailable or ``path`` is not in
        a git work tree of mesoflow (e.g. an installed wheel, even inside some
        other repository).  Read-only: nothing in the repository is changed.
    """
    directory = Path(path) if path is not None else Path(__file__).resolve().parent
    if directory.is_file():
        directory = directory.parent
    top = _git(directory, "rev-parse", "--show-toplevel")
    if not top:
        return None
    pyproject = Path(top) / "pyproject.toml"
    try:
        if 'name = "mesoflow"' not in pyproject.read_text(encoding="utf-8"):
            return None
    except OSError:
        return None
    commit = _git(directory, "rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    changes = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return f"{commit}-dirty" if changes else commit


def _qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name is None:
        name = type(obj).__qualname__
    return f"{module}.{name}"


def _source_text(obj: Any) -> str:
    """Source code of a function or class; the compiled code when the source is unavailable."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is None:
            return repr(obj)
        return repr((code.co_code, code.co_consts, code.co_names, code.co_varnames))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _DigestPickler(pickle.Pickler):
    """A pickler for hashing: functions inside the data are written as their fingerprint.

    Plain pickle refuses lambdas and local functions (e.g. a potential ``V``
    bound with :func:`functools.partial`) and writes module functions by name
    only; here every function is written as its source code and bound data,
    which is what identifies it from one process (or notebook kernel) to the next.

    The digest must not depend on the process: string hashes are salted per
    process (``PYTHONHASHSEED``), so sets in an object's state are written in a
    sorted order (:func:`_data_digest` sorts those in plain containers) and
    Kwant's site families, which cache their hash, by their canonical form.
    """

    def __init__(self, file, active: set[int]):
        super().__init__(file, protocol=4)
        self._active = active  # functions being digested: guards self-referencing closures

    def _sorted(self, items) -> str:
        digests = sorted(_data_digest(item, self._active) for item in items)
        return f"<set of {', '.join(digests)}>"

    def _without_sets(self, obj):
        """The reduction of ``obj`` with the sets of its state sorted, or NotImplemented."""
        if isinstance(obj, tuple | type):
            return NotImplemented  # e.g. Kwant's sites: plain data
        try:
            reduction = obj.__reduce_ex__(4)
        except Exception:
            return NotImplemented
        if not isinstance(reduction, tuple) or len(reduction) < 3:
            return NotImplemented
        state = reduction[2]
        if isinstance(state, tuple) and len(state) == 2:  # (__dict__, slots)
            dicts = [d for d in state if isinstance(d, dict)]
        else:
            dicts = [state] if isinstance(state, dict) else []
        if not any(isinstance(v, set | frozenset) for d in dicts for v in d.values()):
            return NotImplemented
        clean = {
            key: self._sorted(value) if isinstance(value, set | frozenset) else value
            for d in dicts
            for key, value in d.items()
        }
        return (str, (f"<{_qualified_name(type(obj))} state {_data_digest(clean, self._active)}>",))

    def reducer_override(self, obj):
        if hasattr(obj, "canonical_repr") and type(obj).__module__.startswith("kwant."):
            # a Kwant site family (lattice): it caches hash(canonical_repr)
            return str, (f"<site family {obj.canonical_repr} norbs={obj.norbs}>",)
        if not isinstance(obj, types.FunctionType):
            return self._without_sets(obj)
        if id(obj) in self._active:
            return str, (f"<recursive reference to {_qualified_name(obj)}>",)
        self._active.add(id(obj))
        try:
            parts: list[str] = []
            name = _fingerprint_parts(obj, parts, self._active)
        finally:
            self._active.discard(id(obj))
        return str, ("\n\0".join([name, *parts]),)


def _sets_sorted(data: Any) -> Any:
    """``data`` with every set inside plain lists, tuples and dicts replaced by a sorted form."""
    if isinstance(data, set | frozenset):
        return ("<set>", sorted(_data_digest(item) for item in data))
    if type(data) in (list, tuple):
        return type(data)(_sets_sorted(item) for item in data)
    if type(data) is dict:
        return {key: _sets_sorted(value) for key, value in data.items()}
    return data


def _data_digest(data: Any, active: set[int] | None = None) -> str:
    """A hash of bound data (arguments, closure values, instance state), stable across runs.

    Unpicklable data falls back on its ``repr`` without memory addresses: an
    address would change the hash in every process, and a resumed scan's store
    would then be refused as belonging to another point function.
    """
    buffer = io.BytesIO()
    try:
        _DigestPickler(buffer, set() if active is None else active).dump(_sets_sorted(data))
    except Exception:
        return hashlib.sha256(_ADDRESS.sub("", repr(data)).encode()).hexdigest()
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _fingerprint_parts(fn: Any, parts: list[str], active: set[int] | None = None) -> str:
    """Append what identifies ``fn`` to ``parts``; return its display name."""
    if isinstance(fn, functools.partial):
        parts.append("partial:" + _data_digest((fn.args, sorted(fn.keywords.items())), active))
        return _fingerprint_parts(fn.func, parts, active)
    if inspect.ismethod(fn):
        parts.append("self:" + _data_digest(fn.__self__, active))
        return _fingerprint_parts(fn.__func__, parts, active)
    if inspect.isfunction(fn) or inspect.isbuiltin(fn):
        parts.append(_source_text(fn))
        closure = getattr(fn, "__closure__", None) or ()
        if closure:
            cells = []
            for cell in closure:
                try:
                    cells.append(cell.cell_contents)
                except ValueError:  # empty cell
                    cells.append(None)
            parts.append("closure:" + _data_digest(cells, active))
        return _qualified_name(fn)
    # a callable instance: its class's code and its state
    cls = type(fn)
    parts.append(_source_text(cls))
    parts.append("state:" + _data_digest(fn, active))
    return _qualified_name(cls)


def callable_fingerprint(fn: Callable[..., Any]) -> dict[str, str]:
    """Name and content hash of a point function.

    Parameters
    ----------
    fn
        A function, a :func:`functools.partial`, a bound method or a callable
        instance.

    Returns
    -------
    dict
        ``name``: the qualified name (``module.qualname``; for a partial, of the
        wrapped function; for a callable instance, of its class), and
        ``sha256``: a hash of the source code together with any bound data
        (partial arguments, closure values, instance state).  Editing the
        function or changing its bound arguments changes the hash.
    """
    if not callable(fn):
        raise TypeError(f"expected a callable point function, got {type(fn).__name__}")
    parts: list[str] = []
    name = _fingerprint_parts(fn, parts)
    digest = hashlib.sha256("\n\0".join([name, *parts]).encode()).hexdigest()
    return {"name": name, "sha256": digest}


def run_provenance(**extra: Any) -> dict[str, Any]:
    """Provenance of one run on this machine, as a JSON-serialisable dict.

    Parameters
    ----------
    **extra
        Further entries (e.g. the point function, the executor), included as given.

    Returns
    -------
    dict
        ``host``, ``platform``, ``pid``, ``git_revision`` (or None),
        ``environment`` (:func:`workflows.runs.environment_info`: mesoflow, Kwant,
        NumPy, SciPy and Python versions, the solver MUMPS/SciPy, native
        threads) and the ``extra`` entries.
    """
    info: dict[str, Any] = {
        "host": host_name(),
        "platform": platform.platform(),
        "pid": os.getpid(),
        "git_revision": git_revision(),
        "environment": environment_info(),
    }
    info.update(extra)
    json.dumps(info)  # provenance must be storable as JSON: fail early if not
    return info
