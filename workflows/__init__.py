"""Solving and running: conductance matrices, Büttiker bias problems, scans, the CLI.

Every public name (``workflows.conductance_matrix``, ``workflows.scan``, ...)
is defined in :mod:`workflows.api` and loaded on first use, so that importing
a part of :mod:`workflows` that needs no solver — the ``mesoflow`` command
line answering ``--help`` — imports neither Kwant nor SciPy.
"""

import importlib


def __getattr__(name: str):
    if name.startswith("__") and name != "__all__":
        raise AttributeError(f"module 'workflows' has no attribute {name!r}")
    api = importlib.import_module("workflows.api")
    if name in globals():  # a subpackage (workflows.runs, ...), imported by the api
        return globals()[name]
    try:
        return getattr(api, name)
    except AttributeError:
        raise AttributeError(f"module 'workflows' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *importlib.import_module("workflows.api").__all__})
