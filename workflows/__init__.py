"""Solving and running: the everyday entry points of the scattering core, the studies and scans.

The flat names (``workflows.conductance_matrix``, ``workflows.scan``, every
study, ...) are defined in :mod:`workflows.api` and loaded on first use, so
that importing a part of :mod:`workflows` that needs no solver — the
``mesoflow`` command line answering ``--help`` — imports neither Kwant nor
SciPy.  The rest lives in its subpackage: :mod:`workflows.scattering` (the
scattering core: result classes, warnings, probe elimination, current maps,
Green's functions), :mod:`workflows.studies`, :mod:`workflows.runs`
(executors, store, recipes, samplers, labelled data, environment) and
:mod:`workflows.app`; the Büttiker algebra on a conductance matrix (bias
problems, four-terminal, Hall and cross resistances, dissipation, Ohmic fits)
is :mod:`analysis`.  A name that left this namespace raises an
``AttributeError`` naming its new place.
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
        from workflows.exports import moved_attribute

        return moved_attribute(__name__, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *importlib.import_module("workflows.api").__all__})
