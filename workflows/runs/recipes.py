"""System recipes: a picklable description of a Kwant system, finalized once per process.

A scan sends its point function to worker processes many times; a finalized
Kwant system inside it would be pickled with every task, and building one per
point costs as much as a solve.  A :class:`SystemRecipe` names a builder and its
arguments instead: it is tiny, hashable and picklable, and
:func:`finalized_system` builds and finalizes each recipe at most once per
process (a per-process memo), so each worker finalizes the system on its first
point and reuses it for all the others.

Which builders are trusted
--------------------------
A builder named by a *string* — in a TOML study file, or ``SystemRecipe("...")``
— is data, not code: it is one of

* mesoflow's builders, :data:`BUILDERS` (``chain``, ``wire``, ...);
* a builder registered by an installed package in the entry-point group
  ``mesoflow.builders`` (:data:`ENTRY_POINT_GROUP`; listed without importing
  anything, loaded only when a study names it);
* ``"package.module:function"`` where ``package.module`` (or a package above it)
  is in ``allow_modules``, the modules the user trusts *outside* the study file
  (``mesoflow scan --allow-module NAME``, ``run_study(..., allow_modules=...)``),
  or equals the target of such an entry point.

Anything else is refused by :func:`builder_function` before any module is
imported or any function called (:class:`UntrustedBuilderError`).  A *callable*
is the caller's own code and is trusted as it is: ``SystemRecipe(my_system,
{...})`` (it is sent to the workers by reference when importable, by value
otherwise).

Example
-------
>>> recipe = SystemRecipe("wire", {"length": 40, "width": 20})
>>> def point(energy):
...     G = conductance_matrix(finalized_system(recipe), energy)
...     return {"G": two_terminal_conductance(G)}
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import kwant

import systems

__all__ = [
    "BUILDERS",
    "ENTRY_POINT_GROUP",
    "SystemRecipe",
    "UntrustedBuilderError",
    "builder_function",
    "builder_label",
    "entry_point_builders",
    "finalized_system",
    "trusted_modules",
]

#: The builders a recipe may name: name -> function of :mod:`systems`.
BUILDERS: Mapping[str, Callable[..., kwant.Builder]] = MappingProxyType(
    {
        "chain": systems.chain,
        "wire": systems.wire,
        "qpc": systems.qpc,
        "hall_bar": systems.hall_bar,
        "cross": systems.cross,
        "ab_ring": systems.ab_ring,
    }
)

#: The entry-point group in which installed packages register builders a study may name.
ENTRY_POINT_GROUP = "mesoflow.builders"

_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UntrustedBuilderError(ValueError):
    """A builder string names code the user has not trusted outside the study file."""


def _argument_value(builder: str, name: str, value: Any) -> Any:
    if isinstance(value, bool | str | numbers.Number) or value is None:
        return value
    raise TypeError(
        f"argument {name}={value!r} of builder {builder!r} must be a number, a boolean, "
        "a string or None"
    )


def trusted_modules(allow_modules: str | Iterable[str] | None) -> tuple[str, ...]:
    """The module names a user trusts, checked: dotted Python identifiers.

    Parameters
    ----------
    allow_modules
        A module name, an iterable of module names, or None (no module).

    Returns
    -------
    tuple of str
        The names; a name also trusts the modules below it (``"mypkg"`` trusts
        ``"mypkg.builders"``).

    Raises
    ------
    TypeError
        If ``allow_modules`` is not a string or an iterable of strings.
    ValueError
        If a name is not a dotted Python module name.
    """
    if allow_modules is None:
        return ()
    if isinstance(allow_modules, str):
        allow_modules = (allow_modules,)
    try:
        names = tuple(allow_modules)
    except TypeError:
        raise TypeError(
            f"allow_modules must be a module name or a list of module names, got {allow_modules!r}"
        ) from None
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"allow_modules must hold module names (strings), got {name!r}")
        if not _MODULE_NAME.fullmatch(name):
            raise ValueError(
                f"allow_modules: {name!r} is not a Python module name (e.g. 'mypackage.builders')"
            )
    return names


def entry_point_builders() -> dict[str, str]:
    """The builders installed packages register in :data:`ENTRY_POINT_GROUP`.

    Read from the installed packages' metadata: nothing is imported or loaded.

    Returns
    -------
    dict
        Entry-point name -> its target ``"package.module:function"``.
    """
    return {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def builder_label(builder: str | Callable[..., Any]) -> str:
    """How a builder is named in messages and provenance: the string, or ``module:qualname``."""
    if isinstance(builder, str):
        return builder
    module = getattr(builder, "__module__", None) or "?"
    return f"{module}:{getattr(builder, '__qualname__', type(builder).__name__)}"


def _untrusted(builder: str, module_name: str) -> UntrustedBuilderError:
    top = module_name.partition(".")[0]
    return UntrustedBuilderError(
        f"builder {builder!r} is not trusted, so nothing was imported or called: a study "
        f"names mesoflow's builders ({', '.join(BUILDERS)}), builders of the "
        f"{ENTRY_POINT_GROUP!r} entry-point group, or functions of modules you trust outside "
        f"the file: `mesoflow scan --allow-module {top}` (Python: "
        f"run_study(..., allow_modules=[{top!r}]) or SystemRecipe(<the function>, ...))"
    )


def _import_function(builder: str, module_name: str, function_name: str) -> Callable[..., Any]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(
            f"builder {builder!r}: cannot import module {module_name!r} ({exc}); install it or "
            "put its folder on PYTHONPATH"
        ) from None
    function = module
    for part in function_name.split("."):
        try:
            function = getattr(function, part)
        except AttributeError:
            raise ValueError(
                f"builder {builder!r}: module {module_name!r} has no function {function_name!r}"
            ) from None
    return function


def builder_function(
    builder: str | Callable[..., Any], *, allow_modules: str | Iterable[str] | None = None
) -> Callable[..., kwant.Builder]:
    """The builder function a recipe names, if it is trusted (see the module documentation).

    Parameters
    ----------
    builder
        A callable (the caller's own code: returned as it is), a name of
        :data:`BUILDERS`, the name of an entry point of :data:`ENTRY_POINT_GROUP`,
        or ``"package.module:function"`` of a trusted module.
    allow_modules
        Modules trusted by the user outside any study file (:func:`trusted_modules`).

    Returns
    -------
    callable
        A function returning an unfinalized :class:`kwant.Builder` with its leads attached.

    Raises
    ------
    UntrustedBuilderError
        (a ``ValueError``) ``"package.module:function"`` of a module that is not
        trusted; decided from the string alone, before anything is imported.
    ValueError
        An unknown name, a malformed string, an unimportable module or a missing function.
    TypeError
        ``builder`` is neither a string nor callable, or names something not callable.
    """
    if callable(builder) and not isinstance(builder, str):
        return builder
    if not isinstance(builder, str):
        raise TypeError(
            "builder must be a mesoflow builder name, a 'package.module:function' string or "
            f"a function, got {type(builder).__name__} {builder!r}"[:300]
        )
    allowed = trusted_modules(allow_modules)
    if ":" not in builder:
        if builder in BUILDERS:
            return BUILDERS[builder]
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if builder in entry_points.names:
            try:
                function = entry_points[builder].load()
            except (ImportError, AttributeError) as exc:
                raise ValueError(
                    f"builder {builder!r} (entry point {entry_points[builder].value!r} of "
                    f"{ENTRY_POINT_GROUP!r}) cannot be loaded: {exc}"
                ) from None
            return _callable(builder, function)
        installed = f", or installed ones: {', '.join(entry_points.names)}" * bool(
            entry_points.names
        )
        raise ValueError(
            f"unknown builder {builder!r}; choose one of {', '.join(BUILDERS)}{installed}, or "
            "a function of a module you trust, 'package.module:function'"
        )
    module_name, _, function_name = builder.partition(":")
    if not _MODULE_NAME.fullmatch(module_name) or not all(
        _FUNCTION_NAME.fullmatch(part) for part in function_name.split(".")
    ):
        raise ValueError(
            f"builder {builder!r} must have the form 'package.module:function' (Python names)"
        )
    trusted = any(module_name == name or module_name.startswith(name + ".") for name in allowed)
    if not trusted and builder not in entry_point_builders().values():
        raise _untrusted(builder, module_name)
    return _callable(builder, _import_function(builder, module_name, function_name))


def _callable(builder: str, function: Any) -> Callable[..., Any]:
    if not callable(function):
        raise TypeError(f"builder {builder!r} is not a function, got {type(function).__name__}")
    return function


def _check_built(builder: str, built: Any) -> kwant.Builder:
    if isinstance(built, kwant.system.System):
        raise TypeError(
            f"builder {builder!r} returned a finalized system; it must return the unfinalized "
            "kwant.Builder (mesoflow finalizes it once per process)"
        )
    if not isinstance(built, kwant.Builder):
        raise TypeError(
            f"builder {builder!r} must return an unfinalized kwant.Builder, got "
            f"{type(built).__name__}"
        )
    if built.symmetry.num_directions:
        raise TypeError(
            f"builder {builder!r} returned a Builder with a translational symmetry (a lead); "
            "it must return the finite system with its leads attached"
        )
    return built


@dataclass(frozen=True)
class SystemRecipe:
    """How to build a system: a trusted builder, its arguments, optional probes.

    Parameters
    ----------
    builder
        One of :data:`BUILDERS` (``chain``, ``wire``, ``qpc``, ``hall_bar``,
        ``cross``, ``ab_ring``), the name of a builder registered in the
        ``mesoflow.builders`` entry-point group, or your own builder function
        itself: one that returns an unfinalized :class:`kwant.Builder` with
        its leads attached (its parameters follow Kwant's rules, see
        :func:`systems.resolve_params`).  A ``"package.module:function"``
        string follows the rule of study files and is refused (nothing is
        imported): pass the function instead (see the module documentation).
    arguments
        Keyword arguments of the builder (numbers, booleans, strings).
    dephasing_probes
        If True, attach a Büttiker dephasing probe to every site of the
        scattering region (:func:`systems.attach_dephasing_probes`, coupling
        parameter ``eta``); the probes are the leads after the builder's own.

    Raises
    ------
    ValueError
        If the builder is unknown or not trusted
        (:class:`UntrustedBuilderError`), or its entry point cannot be loaded.
    TypeError
        If an argument is unknown to the builder, a required one is missing,
        or a value is not a plain number/boolean/string.  (The builder itself
        checks the values when the system is built.)
    """

    builder: str | Callable[..., kwant.Builder]
    arguments: Mapping[str, Any] = field(default_factory=dict)
    dephasing_probes: bool = False

    def __post_init__(self):
        function = builder_function(self.builder)
        label = builder_label(self.builder)
        if not isinstance(self.arguments, Mapping):
            raise TypeError(
                f"arguments of builder {label!r} must be a mapping of name -> value, "
                f"got {type(self.arguments).__name__}"
            )
        if not isinstance(self.dephasing_probes, bool):
            raise TypeError(
                f"dephasing_probes must be true or false, got {self.dephasing_probes!r}"
            )
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            raise TypeError(
                f"builder {label!r}: its signature cannot be read; give a Python function"
            ) from None
        accepted = list(signature.parameters)
        unknown = sorted(set(self.arguments) - set(accepted))
        if unknown:
            raise TypeError(
                f"unknown argument(s) {', '.join(map(repr, unknown))} for builder "
                f"{label!r}; it accepts {', '.join(accepted)}"
            )
        try:
            signature.bind(**self.arguments)
        except TypeError as exc:
            raise TypeError(f"builder {label!r}: {exc}") from None
        items = tuple(
            sorted((name, _argument_value(label, name, v)) for name, v in self.arguments.items())
        )
        # a frozen, hashable and picklable form of the arguments
        object.__setattr__(self, "arguments", MappingProxyType(dict(items)))
        object.__setattr__(self, "_key", (self.builder, items, self.dephasing_probes))
        object.__setattr__(self, "_function", function)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SystemRecipe) and self._key == other._key

    def __reduce__(self):
        return (type(self), (self.builder, dict(self.arguments), self.dephasing_probes))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        probes = ", dephasing_probes=True" if self.dephasing_probes else ""
        return f"SystemRecipe({builder_label(self.builder)}({arguments}){probes})"

    def build(self) -> kwant.Builder:
        """A fresh unfinalized builder (with the probes, if requested)."""
        builder = _check_built(builder_label(self.builder), self._function(**self.arguments))
        if self.dephasing_probes:
            systems.attach_dephasing_probes(builder, "all", param="eta")
        return builder

    def finalized(self) -> kwant.system.FiniteSystem:
        """The finalized system, from this process's memo (:func:`finalized_system`)."""
        return finalized_system(self)

    @property
    def terminals(self) -> int:
        """Number of the builder's own leads (terminals), dephasing probes excluded."""
        fsyst = finalized_system(self)
        return sum(isinstance(lead, kwant.system.InfiniteSystem) for lead in fsyst.leads)


@functools.lru_cache(maxsize=16)
def finalized_system(recipe: SystemRecipe) -> kwant.system.FiniteSystem:
    """Build and finalize ``recipe``, at most once per process (memoized by recipe).

    Parameters
    ----------
    recipe
        The system's recipe.

    Returns
    -------
    kwant.system.FiniteSystem
        The same object for equal recipes within one process (up to 16 recipes
        are kept).  ``finalized_system.cache_info()`` reports how many systems
        this process has built (``misses``).
    """
    if not isinstance(recipe, SystemRecipe):
        raise TypeError(f"expected a SystemRecipe, got {type(recipe).__name__}")
    return recipe.build().finalized()
