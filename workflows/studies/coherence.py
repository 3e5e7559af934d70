"""Phase-coherence length from the length dependence of the resistance with dephasing probes.

With dephasing probes of coupling η on every site, the two-terminal resistance
of a wire grows linearly with its length once L exceeds the backscattering
length λ:

    R(L) = R_c (1 + L/λ),

with R_c = (h/e²)/N the contact (Sharvin) resistance of N open modes.
:func:`measure_coherence_length` computes R(L) at fixed η and fits this line;
it returns the Ohmic slope ρ = dR/dL, λ = R_c/ρ and the phase-coherence
length l_φ = λ/2.

Weak-coupling theory (1D chain, probes on every site)
-----------------------------------------------------
Units ħ = a = 1; energies in t.  The chain has on-site 2t and hopping −t, so
E = 2t(1 − cos k) and the group velocity is v = dE/dk = 2t sin k.

1. *Escape.*  Each probe adds Σ = −iη/2 to its site.  With a probe on every
   site, H + Σ − E = H − (E + iη/2): inside the device the electron moves at
   the complex energy E + iη/2, so k → k + iκ with κ = (η/2)/(dE/dk) = η/(2v)
   to first order in η.  The probability density of a wave travelling through
   the device falls as |ψ|² ∝ e^{−2κx} = e^{−x/l_φ} with

       l_φ = v/η = v τ_φ,   τ_φ = ħ/η,

   i.e. the electron enters a probe at the rate η/ħ, with probability
   η/v per site and per pass.

2. *Re-injection.*  A floating probe re-emits all it absorbs.  It couples
   to one site, where right- and left-movers have the same weight
   (|e^{ikx}|² = |e^{−ikx}|²), so it emits equally into both directions
   (T_pq = η²|G_pq|² with |G_pq|² = e^{−|x_p − x_q|/l_φ}/v² on either side):
   re-injection is isotropic and half of the re-injected flux goes back.

3. *Flux balance.*  Let f₊(x), f₋(x) be the occupations (per unit bias) of
   the right- and left-movers and μ(x) the local probe potential.  Per unit
   length a fraction 1/l_φ of each flux is absorbed and replaced by μ/l_φ:

       df₊/dx = −(f₊ − μ)/l_φ,     −df₋/dx = −(f₋ − μ)/l_φ.

   Zero probe current means μ = (f₊ + f₋)/2, so the current J = f₊ − f₋ is
   constant and df₊/dx = −J/(2 l_φ).  With the left lead at 1 and the right
   lead at 0, f₊(0) = 1 and f₋(L) = 0, i.e. f₊(L) = J:

       J = 1 − J L/(2 l_φ)   ⇒   J = 1/(1 + L/(2 l_φ)).

4. *Result.*  The resistance is R = (h/e²)/J:

       R = (h/e²) (1 + L/λ),   λ = 2 l_φ = 2ħv/η = 4 t a sin k / η,

   the Ohmic slope is dR/dL = (h/e²) η/(2ħv), and the probe potentials fall
   linearly, μ(x) = 1 − J/2 − J(x + 1/2)/λ for sites x = 0 … L−1, with a jump
   J/2 at each contact.  λ is the mean free path for backscattering: an
   electron travels l_φ between probes and reverses with probability 1/2.

Verified numerically (tests/workflows/test_coherence.py): the slope of the
simulated R(L) equals η/(2v) with a relative deviation below 0.6 (η/v)²,
i.e. of second order in η/v, at energies across the band, and the intercept
is 1 (e.g. 1e-5 at η = 0.01 t; 1.2 % at η = 0.5 t, E = t).

Several modes.  The same balance for each open mode n (velocity v_n, escape
length l_n = ħv_n/η, re-injection into mode n as its absorption, ∝ 1/v_n)
gives the Ohmic slope dR/dL = η/(2ħ Σ_n v_n), i.e. λ̄ = 2ħ⟨v⟩/η with ⟨v⟩
the mode average, once L ≫ l_n for every mode
(:func:`analysis.dephasing.ohmic_slope`); for shorter wires the initial slope
is η⟨1/v⟩/(2N) ≥ η/(2Σv_n), and
:func:`analysis.dephasing.semiclassical_dephased_resistance` gives the whole
crossover.  The fitted λ and l_φ = λ/2 of a wire are then mode averages.
Weak coupling also needs η small against the distance from E to the nearest
subband edge: near an edge the probes mix in a slow or nearly open mode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.ohmic import OhmicFit, fit_ohmic
from systems.parameters import updated_params
from systems.probes import attach_dephasing_probes
from systems.validation import integer, shown
from workflows.runs.options import RunOptions, run_options
from workflows.runs.recipes import SystemRecipe
from workflows.scattering.dephasing import dephased_transport
from workflows.studies.study_runs import observable, run_study_grid, study_attrs

__all__ = [
    "device_recipe",
    "length_point",
    "measure_coherence_length",
    "resistance_vs_length",
]


def _check_lengths(lengths: Iterable[int]) -> list[int]:
    values = list(lengths)
    if not values:
        raise ValueError("lengths is empty")
    return [integer("lengths", v, minimum=1, what="an integer number of sites") for v in values]


def length_point(
    *,
    device: Callable[[int], SystemRecipe],
    probe_sites: Any,
    energy: float,
    params: Mapping[str, Any],
    source: int,
    sink: int,
    length: int,
) -> dict[str, Any]:
    """Point function of :func:`resistance_vs_length`: build, probe and solve one length.

    Returns
    -------
    dict
        ``G`` (e²/h), ``R`` (h/e²), ``n_probes`` and ``method`` (the probe
        elimination that ran).
    """
    builder = device_recipe(device, length).build()
    if probe_sites is not None:
        attach_dephasing_probes(builder, probe_sites)
    solution = dephased_transport(builder.finalized(), energy, params=params)
    g = solution.two_terminal_conductance(source, sink)
    return {"G": g, "R": 1 / g, "n_probes": solution.probes.size, "method": solution.method}


def device_recipe(device: Callable[[int], SystemRecipe], length: int) -> SystemRecipe:
    """The recipe ``device(length)`` of a length study, checked.

    Raises
    ------
    TypeError
        If ``device`` is not callable or does not return a :class:`workflows.SystemRecipe`.
    """
    if not callable(device) or isinstance(device, SystemRecipe):
        raise TypeError(
            f"device={shown(device)} must be a function length -> SystemRecipe, e.g. "
            "lambda length: SystemRecipe('wire', {'length': length, 'width': 10})"
        )
    recipe = device(length)
    if not isinstance(recipe, SystemRecipe):
        raise TypeError(
            f"device({length}) returned {shown(recipe)}; it must return a SystemRecipe "
            "(a study over lengths builds one system per length)"
        )
    return recipe


def resistance_vs_length(
    device: Callable[[int], SystemRecipe],
    energy: float,
    lengths: Iterable[int],
    *,
    params: Mapping[str, Any] | None = None,
    probe_sites: Any = "all",
    source: int = 0,
    sink: int = 1,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Two-terminal resistance R(L) with floating dephasing probes, one system per length.

    Parameters
    ----------
    device
        ``device(length)`` returns the :class:`workflows.SystemRecipe` of the
        device of that length (a recipe factory: a study over lengths builds
        one system per length), e.g. ``lambda L: SystemRecipe("chain",
        {"length": L})`` or ``lambda L: SystemRecipe("wire", {"length": L,
        "width": 10})``.  Picklable by cloudpickle (lambdas are) for a
        process pool.
    energy
        Energy in units of t.
    lengths
        Lengths to build (integers).
    params
        Kwant parameters, e.g. ``{"eta": 0.02}``.
    probe_sites
        Sites that get a probe (``sites`` of :func:`systems.attach_dephasing_probes`),
        default every site; None if the recipe has its probes already
        (``SystemRecipe(..., dephasing_probes=True)`` or its builder's own).
    source, sink
        Lead indices of the two terminals.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        Columns ``length``, ``G`` (e²/h), ``R`` (h/e²), ``n_probes`` and ``method``
        (the probe elimination that ran, see :func:`workflows.dephased_transport`).
        ``attrs``: the scan's ``provenance`` (with the ``energy`` and ``params``
        in its ``study`` settings), ``failed`` and ``errors``.
    """
    run = run_options(run)
    lengths = _check_lengths(lengths)
    device_recipe(device, lengths[0])  # checks the factory before the scan
    point = functools.partial(
        length_point,
        device=device,
        probe_sites=probe_sites,
        energy=float(energy),
        params=updated_params(params, {}),
        source=source,
        sink=sink,
    )
    table = run_study_grid(
        "resistance_vs_length",
        point,
        {"length": lengths},
        settings={
            "device": device,
            "energy": float(energy),
            "params": dict(params or {}),
            "probe_sites": probe_sites,
            "source": source,
            "sink": sink,
        },
        run=run,
    )
    frame = pd.DataFrame(
        {
            "length": table["length"].astype(int),
            **{
                name: [observable(table, name, i, default) for i in range(len(table))]
                for name, default in (
                    ("G", np.nan),
                    ("R", np.nan),
                    ("n_probes", 0),
                    ("method", None),
                )
            },
        }
    )
    frame.attrs.update(study_attrs(table, ["length"]))
    return frame


def measure_coherence_length(
    device: Callable[[int], SystemRecipe],
    energy: float,
    lengths: Iterable[int],
    *,
    params: Mapping[str, Any] | None = None,
    probe_sites: Any = "all",
    run: RunOptions | None = None,
) -> OhmicFit:
    """Ohmic slope, λ and l_φ from R(L) at fixed η (see the module docstring).

    Parameters are those of :func:`resistance_vs_length`; choose lengths well
    beyond a few sites so that end effects are negligible.  For the chain the
    result should be λ = 2 l_φ = 4t sin k/η in weak coupling.
    """
    run = run_options(run)
    frame = resistance_vs_length(
        device,
        energy,
        lengths,
        params=params,
        probe_sites=probe_sites,
        run=run,
    )
    return fit_ohmic(frame["length"], frame["R"])
