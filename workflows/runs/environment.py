"""What this installation solves with: versions, the sparse solver, native thread pools."""

from __future__ import annotations

import os
import platform
from importlib import metadata

import kwant
import numpy as np
import scipy
import threadpoolctl

from workflows.scattering.backends import default_backend_name

__all__ = ["environment_info", "kwant_solver"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kwant_solver() -> str:
    """'MUMPS' or 'SciPy': the factorization backend the scattering core takes by default.

    Asked of the core's one rule (:func:`workflows.scattering.backends.default_backend_name`):
    MUMPS when Kwant was built with it, else SciPy's SuperLU (slower, equally correct).
    """
    return {"mumps": "MUMPS", "scipy": "SciPy"}[default_backend_name()]


def environment_info() -> dict[str, object]:
    """Versions, solver and native thread settings, as a flat dict (for provenance and ``info``)."""
    try:
        version = metadata.version("mesoflow")
    except metadata.PackageNotFoundError:
        version = "unknown"
    pools = threadpoolctl.threadpool_info()
    info: dict[str, object] = {
        "mesoflow": version,
        "kwant": kwant.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "solver": kwant_solver(),
        "cpu_count": os.cpu_count(),
        "native_threads": ", ".join(f"{p['internal_api']}={p['num_threads']}" for p in pools)
        or "none loaded",
    }
    for name in _THREAD_VARIABLES:
        info[name] = os.environ.get(name, "unset")
    return info
