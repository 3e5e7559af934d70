"""System recipes: a picklable description of a Kwant system, finalized once per process.

A scan sends its point function to worker processes many times; a finalized
Kwant system inside it would be pickled with every task, and building one per
point costs as much as a solve.  A :class:`SystemRecipe` names a builder of
:mod:`systems` and its arguments instead: it is tiny, hashable and picklable,
and :func:`finalized_system` builds and finalizes each recipe at most once per
process (a per-process memo), so each worker finalizes the system on its first
point and reuses it for all the others.

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
import inspect
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import kwant

import systems

__all__ = ["BUILDERS", "SystemRecipe", "builder_function", "finalized_system"]

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


def _argument_value(builder: str, name: str, value: Any) -> Any:
    if isinstance(value, bool | str | numbers.Number) or value is None:
        return value
    raise TypeError(
        f"argument {name}={value!r} of builder {builder!r} must be a number, a boolean, "
        "a string or None"
    )


def builder_function(builder: str) -> Callable[..., kwant.Builder]:
    """The builder function named by a recipe: a name of :data:`BUILDERS` or ``"module:function"``.

    ``"package.module:function"`` is imported (the module must be importable
    in every process that builds the system, e.g. installed or on
    ``PYTHONPATH``); the function must return an unfinalized
    :class:`kwant.Builder` with its leads attached.

    Raises
    ------
    ValueError
        An unknown name, an unimportable module or a missing function.
    TypeError
        ``builder`` is not a string, or names something that is not callable.
    """
    if not isinstance(builder, str):
        raise TypeError(
            f"builder must be a string (a mesoflow builder name or 'package.module:function'), "
            f"got {builder!r}"
        )
    if ":" not in builder:
        if builder not in BUILDERS:
            raise ValueError(
                f"unknown builder {builder!r}; choose one of {', '.join(BUILDERS)}, or give "
                "your own as 'package.module:function'"
            )
        return BUILDERS[builder]
    module_name, _, function_name = builder.partition(":")
    if not module_name or not function_name or ":" in function_name:
        raise ValueError(f"builder {builder!r} must have the form 'package.module:function'")
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
    """How to build a system: a builder of :mod:`systems`, its arguments, optional probes.

    Parameters
    ----------
    builder
        One of :data:`BUILDERS` (``chain``, ``wire``, ``qpc``, ``hall_bar``,
        ``cross``, ``ab_ring``), or your own builder as
        ``"package.module:function"``: an importable function that returns an
        unfinalized :class:`kwant.Builder` with its leads attached (its
        parameters follow Kwant's rules, see :func:`systems.resolve_params`).
    arguments
        Keyword arguments of the builder (numbers, booleans, strings).
    dephasing_probes
        If True, attach a Büttiker dephasing probe to every site of the
        scattering region (:func:`systems.attach_dephasing_probes`, coupling
        parameter ``eta``); the probes are the leads after the builder's own.

    Raises
    ------
    ValueError
        If the builder is unknown, its module cannot be imported or has no
        such function.
    TypeError
        If an argument is unknown to the builder, a required one is missing,
        or a value is not a plain number/boolean/string.  (The builder itself
        checks the values when the system is built.)
    """

    builder: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    dephasing_probes: bool = False

    def __post_init__(self):
        function = builder_function(self.builder)
        if not isinstance(self.arguments, Mapping):
            raise TypeError(
                f"arguments of builder {self.builder!r} must be a mapping of name -> value, "
                f"got {type(self.arguments).__name__}"
            )
        if not isinstance(self.dephasing_probes, bool):
            raise TypeError(
                f"dephasing_probes must be true or false, got {self.dephasing_probes!r}"
            )
        signature = inspect.signature(function)
        accepted = list(signature.parameters)
        unknown = sorted(set(self.arguments) - set(accepted))
        if unknown:
            raise TypeError(
                f"unknown argument(s) {', '.join(map(repr, unknown))} for builder "
                f"{self.builder!r}; it accepts {', '.join(accepted)}"
            )
        try:
            signature.bind(**self.arguments)
        except TypeError as exc:
            raise TypeError(f"builder {self.builder!r}: {exc}") from None
        items = tuple(
            sorted(
                (name, _argument_value(self.builder, name, v)) for name, v in self.arguments.items()
            )
        )
        # a frozen, hashable and picklable form of the arguments
        object.__setattr__(self, "arguments", MappingProxyType(dict(items)))
        object.__setattr__(self, "_key", (self.builder, items, self.dephasing_probes))

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SystemRecipe) and self._key == other._key

    def __reduce__(self):
        return (type(self), (self.builder, dict(self.arguments), self.dephasing_probes))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        probes = ", dephasing_probes=True" if self.dephasing_probes else ""
        return f"SystemRecipe({self.builder}({arguments}){probes})"

    def build(self) -> kwant.Builder:
        """A fresh unfinalized builder (with the probes, if requested)."""
        builder = _check_built(self.builder, builder_function(self.builder)(**self.arguments))
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
