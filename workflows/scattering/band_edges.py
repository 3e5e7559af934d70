r"""Band edges of the leads: a refusal, or a documented one-sided limit — never a wrong number.

At an energy E0 where a lead's subband has an extremum (a band edge: the
mode's group velocity v = dE/dk vanishes), the number of open channels N(E)
jumps and the lead's transfer problem has a double root on the unit circle.
Rounding splits that root by ~√ε ≈ 1e-8, so Kwant may count the pair as
propagating (with velocities near zero, or failing with ``Expected square
matrix`` / ``LinAlgError`` / "mode with zero velocity") or classify it as a
*growing and a decaying evanescent mode*.  In the last case nothing fails:
the lead's self-energy is built from a "decaying" mode that does not decay,
and the answer is silently wrong (a conductance above the number of open
channels, a non-unitary S).  The same happens within δk ≈ ε/(rounding
splitting) of the extremum on the open side, where two propagating roots are
closer than Kwant's unit-circle tolerance can separate.

The guard
---------
For every lead at every energy, :func:`lead_modes` (the one place that asks a
lead for its modes) refuses the energy with :class:`BandEdgeError` if the
lead has a mode slower than

    v_tol = :data:`VELOCITY_TOLERANCE` × (largest inter-cell hopping of the lead)

in Kwant's velocity units (energy × lead period).  "A mode" includes the
modes Kwant calls evanescent: the guard solves the lead's transfer problem
itself — the quadratic eigenproblem V†μ² + (H₀ − E)μ + V = 0, μ = e^{ik},
linearized (standard eigenproblem for an invertible V as on a square lattice;
QZ of the pencil for a singular V as in honeycomb leads, backward stable with
roots at 0 and ∞) and solved once with left and right eigenvectors — takes
every root within :data:`DECAY_LIMIT` of the unit circle (\|ln\|μ\|\| <
DECAY_LIMIT) and computes its *analytically continued velocity* v = dE/dk at
the complex momentum k = −i ln μ by first-order perturbation of the root in E:
dμ/dE = wᴴ D z / (wᴴ M z) (w, z left and right eigenvectors, D = ∂/∂E of the
linearization, M its metric) and v = iμ / (dμ/dE).  This is Hellmann–Feynman
for the non-Hermitian Bloch Hamiltonian H(k) = H₀ + V e^{−ik} + V† e^{ik} at
complex k; degenerate roots (e.g. spin) are a cluster, whose velocities are
the eigenvalues of (Wᴴ M Z)⁻¹ Wᴴ D Z, and a defective pair (parallel
eigenvectors: the double root of the extremum itself) has v = 0.  For a root
on the unit circle this is the ordinary group velocity (equal to Kwant's);
near a parabolic extremum E ≈ E0 + α(k − k0)² it is 2α(k − k0) on the open
side and 2iα κ on the gap side (k = k0 + iκ), so in both cases

    \|v\| = 2√(α\|E − E0\|),   and   \|v\| < v_tol  ⟺  \|E − E0\| < δE = v_tol² / (4\|α\|).

One criterion thus covers both of Kwant's classifications, whatever the
rounding did to the double root; it does not depend on how Kwant chose to
order, stabilize or block-diagonalize (conservation laws, symmetries) the
modes, because it is computed from the lead's cell Hamiltonian and hopping
(evaluated with the params, so function-valued parameters and fields enter).
Why this and not the alternatives: counting propagating modes at E ± δ needs
two extra mode solves per lead and energy and a δ that depends on α; reading
\|μ\| alone has no scale (\|μ\| − 1 = κ is a momentum, not an energy window).
The continued velocity gives the same v_tol on both sides with one small
eigensolve (2n × 2n, n orbitals per lead cell; its cost relative to Kwant's
own mode solve and to a whole conductance matrix is measured in
``benchmarks/bench_band_edge_guard.py``).  A root further than
:data:`DECAY_LIMIT` from the circle is not examined: near a parabolic
extremum it has \|v\| = 2\|α\|κ > 2\|α\| × DECAY_LIMIT, which exceeds v_tol unless
the band is flat to \|α\| < v_tol / (2 DECAY_LIMIT) = 5e-4 (relative), where its
open side has \|v\| < v_tol anyway.

δE is computed at each refusal from the curvature of the slow band (α by a
central difference of the band energy at Re k), and the error names the
nearest safe energies E ∓ 10 δE (checked: the guard passes there, widened by
factors of 10 if another edge is that close).  For a square strip (α = t at
a band bottom) δE = 2.5e-9 t: far below any physical energy resolution.

Why v_tol = 1e-4 (× hopping): Kwant mis-sorts the double root up to
\|v\| ≈ 2e-6 t (rounding splits it by ~√ε), and just outside that the lead's
self-energy is still poorly conditioned — the error of its eigenvectors grows
as ε/δk with δk = \|v\|/(2α) the distance of the two roots.  Measured on
square, honeycomb (zigzag, armchair, in a field) and spinful leads at
E0 ± 10 δE (\|v\| = √10 v_tol): with v_tol = 1e-5 the Fisher–Lee S deviated from
unitarity by up to 1.4e-10, with 1e-4 by at most 1.2e-11.  v_tol = 1e-4 gives
unitarity to better than 1e-10 next to every edge for a refusal window of
parts in 10⁹ of t.  :func:`analysis.mode_count` follows the same convention for
the analytic strip subbands (an edge counts as closed).

The one-sided limit
-------------------
``at_band_edge="above"`` (``"below"``) asks for the limit E → E0⁺ (E0⁻)
instead of a refusal: :func:`resolve_energy` returns E0 + 10 δE (E0 − 10 δE),
E0 the energy given, if E0 is refused there, and E0 itself otherwise.  At
10 δE every mode has \|v\| ≥ √10 v_tol, so Kwant classifies the modes without
ambiguity and the result is the exact scattering answer at that energy.  It
differs from the limit by the variation of the observable over 10 δE: near a
threshold, observables vary as √(E − E0) (the new channel's k − k0), so the
error is O(√(10 δE / α)) = O(√10 v_tol / 2α) ≈ 1.6e-4 relative for α = t
(smaller where the observable is analytic through the edge, e.g. the
conductance of a clean wire, exact on both sides).  The default
``at_band_edge=None`` (or ``"refuse"``) refuses.  Energy-quadrature grids (thermal and bias windows:
:func:`workflows.thermoelectric`, ``thermoelectric_table``, ``iv_curve``,
``heat_transport``, ``visibility_vs_temperature``, the thermal QPC
conductance) take a node that lands exactly
on an edge as the limit from above (:data:`GRID_NODE_SIDE`): a finite value on a
set of measure zero, whose weight the error-controlled grid makes negligible —
never a wrong value between the limits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from systems.validation import choice
from workflows.scattering.lead_matrices import (
    LeadMatrices,
    lead_matrices,
    lead_modes_at,
    replicates_kwant_modes,
)

__all__ = [
    "AT_BAND_EDGE",
    "DECAY_LIMIT",
    "GRID_NODE_SIDE",
    "VELOCITY_TOLERANCE",
    "BandEdgeError",
    "SlowMode",
    "band_edges_reported",
    "check_energy",
    "check_lead",
    "lead_modes",
    "mean_across_band_edge",
    "resolve_energy",
    "slow_modes",
]

#: v_tol relative to the lead's largest inter-cell hopping: modes slower than this are at an edge.
VELOCITY_TOLERANCE = 1e-4
#: Roots of the transfer problem with |ln|μ|| below this are examined (decay per lead period).
DECAY_LIMIT = 0.1
#: Values of ``at_band_edge``: refuse (None or "refuse") or the one-sided limit from above/below.
AT_BAND_EDGE = (None, "refuse", "above", "below")
#: A node of an energy-quadrature grid (thermal windows, bias windows) that lands exactly on a
#: band edge takes this one-sided limit: 𝒯(E) is bounded and a single node is a set of measure
#: zero for the integral, while the adaptive grid refines around the step (error-controlled).
GRID_NODE_SIDE = "above"
#: The one-sided limit is taken this many refusal windows δE from the energy given.
_SIDE_STEP = 10.0
#: Step in k (per lead period) of the central difference that gives a band's curvature α.
_CURVATURE_STEP = 1e-3


@dataclass(frozen=True)
class SlowMode:
    r"""A mode of a lead slower than v_tol at an energy.

    Attributes
    ----------
    lead
        Lead index (None if the lead was passed on its own).
    momentum
        Complex momentum k = −i ln μ (per lead period); real for a propagating mode.
    velocity
        \|dE/dk\| continued to ``momentum`` (energy × lead period).
    window
        The refusal half-width δE = v_tol² / (4\|α\|) around the band extremum
        (energy), α = E''/2 the band's curvature at Re k.
    """

    lead: int | None
    momentum: complex
    velocity: float
    window: float


class BandEdgeError(ValueError):
    r"""The energy is at a band edge of a lead (a mode with \|v\| < v_tol): refused.

    Attributes
    ----------
    energy
        The energy refused.
    lead
        The lead with the slow mode.
    below, above
        The nearest energies on either side where the guard passes (E ∓ 10 δE,
        widened if needed); what ``at_band_edge="below"``/``"above"`` uses.
    """

    def __init__(
        self, message: str, *, energy: float, lead: int | None, below: float, above: float
    ) -> None:
        super().__init__(message)
        self.energy, self.lead, self.below, self.above = energy, lead, below, above


def _lead_label(lead: int | None) -> str:
    return f"lead {lead}" if lead is not None else "the lead"


def _lead_matrices(
    lead: Any, params: Mapping[str, Any], matrices: LeadMatrices | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """H₀ (n × n) and the inter-cell hopping V padded to n × n, as Kwant's Bands does."""
    if matrices is None:
        h_cell = np.asarray(lead.cell_hamiltonian(params=params))
        hop = np.asarray(lead.inter_cell_hopping(params=params))
    else:
        h_cell, hop = matrices.cell_hamiltonian, matrices.inter_cell_hopping
    dtype = np.result_type(h_cell, hop, float)  # real arithmetic for a real lead (2-4× faster)
    h_cell = h_cell.astype(dtype)
    v = np.zeros_like(h_cell)
    v[:, : hop.shape[1]] = hop
    return h_cell, v


def _eigenproblem(h_cell: np.ndarray, v: np.ndarray, energy: float):
    """Roots μ of V†μ² + (H₀ − E)μ + V = 0 with left and right eigenvectors.

    Companion linearization A z = μ B z, z = (x, μx), A = [[0, 1], [−V, E − H₀]],
    B = diag(1, V†).  With an invertible V (square lattices) it is the standard
    problem C = B⁻¹A (cheaper than QZ); with a singular V (honeycomb leads) the
    pencil, solved by QZ, which is backward stable there (roots at 0 and ∞).

    Returns
    -------
    mu, left, right, metric, derivative
        The roots (possibly inf/nan for the pencil), left and right eigenvectors
        and the matrices M and D with dμ/dE = wᴴ D z / (wᴴ M z) for each pair.
    """
    n = h_cell.shape[0]
    dtype = np.result_type(h_cell, v, energy)
    shifted = -h_cell.astype(dtype)  # E − H₀
    shifted.flat[:: n + 1] += energy
    derivative = np.zeros((2 * n, 2 * n), dtype=dtype)  # dA/dE (C: B⁻¹ dA/dE)
    singular = np.linalg.svd(v, compute_uv=False)
    if singular[-1] > 1e-8 * singular[0]:
        hop_inverse = np.linalg.inv(v.conj().T)
        c = np.zeros((2 * n, 2 * n), dtype=dtype)
        c[:n, n:] = np.eye(n)
        c[n:, :n] = -hop_inverse @ v
        c[n:, n:] = hop_inverse @ shifted
        mu, left, right = scipy.linalg.eig(c, left=True, right=True, check_finite=False)
        derivative[n:, n:] = hop_inverse
        return mu, left, right, np.eye(2 * n), derivative
    a = np.zeros((2 * n, 2 * n), dtype=dtype)
    a[:n, n:] = np.eye(n)
    a[n:, :n] = -v
    a[n:, n:] = shifted
    b = np.zeros((2 * n, 2 * n), dtype=dtype)
    b[:n, :n] = np.eye(n)
    b[n:, n:] = v.conj().T
    (alpha, beta), left, right = scipy.linalg.eig(
        a, b, left=True, right=True, homogeneous_eigvals=True, check_finite=False
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = alpha / beta
    derivative[n:, n:] = np.eye(n)
    return mu, left, right, b, derivative


def _cluster_speeds(mu, z, w, metric, derivative) -> np.ndarray:
    """|dE/dk| of a cluster of equal roots: degenerate bands, or a defective (Jordan) pair."""
    unit = z / np.linalg.norm(z, axis=0)
    if np.linalg.svd(unit, compute_uv=False)[-1] < 1e-6:
        return np.zeros(z.shape[1])  # parallel eigenvectors: defective, the extremum itself
    try:
        dmu_de = scipy.linalg.eigvals(
            np.linalg.solve(w.conj().T @ metric @ z, w.conj().T @ derivative @ z)
        )
    except np.linalg.LinAlgError:  # a singular overlap: defective as well
        return np.zeros(z.shape[1])
    with np.errstate(divide="ignore"):
        return np.sort(np.abs(mu) / np.abs(dmu_de))


def _near_unit_velocities(h_cell: np.ndarray, v: np.ndarray, energy: float):
    r"""Roots μ with \|ln\|μ\|\| < DECAY_LIMIT and their continued velocities \|dE/dk\|.

    One eigensolve with left and right eigenvectors (w, z)
    (:func:`_eigenproblem`); first-order perturbation in E gives
    dμ/dE = wᴴ D z / (wᴴ M z) and dE/dk = iμ / (dμ/dE) (μ = e^{ik}) —
    Hellmann–Feynman for the Bloch Hamiltonian at the complex momentum.  Roots
    closer than 1e-9 (degenerate bands, e.g. spin) are treated as one cluster:
    their dμ/dE are the eigenvalues of (Wᴴ M Z)⁻¹ Wᴴ D Z — unless their
    eigenvectors are parallel (a defective double root, Jordan block: the
    extremum itself, dμ/dE = ∞, v = 0).
    """
    mu, left, right, metric, derivative = _eigenproblem(h_cell, v, energy)
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = np.abs(np.log(np.abs(mu)))
    chosen = np.nonzero(np.isfinite(decay) & (decay < DECAY_LIMIT))[0]
    z, w = right[:, chosen], left[:, chosen]
    overlap = np.einsum("ij,ij->j", w.conj(), metric @ z)
    shift = np.einsum("ij,ij->j", w.conj(), derivative @ z)
    with np.errstate(divide="ignore", invalid="ignore"):
        speeds = np.abs(mu[chosen]) * np.abs(overlap) / np.abs(shift)  # |dE/dk| = |μ| / |dμ/dE|
    speeds = np.nan_to_num(speeds, nan=0.0, posinf=np.inf)  # 0/0: undecided, taken as slow
    close = np.abs(mu[chosen][:, None] - mu[chosen][None, :]) < 1e-9
    np.fill_diagonal(close, False)
    done = ~close.any(axis=1)  # roots without a partner are finished
    for i in np.nonzero(~done)[0]:
        if done[i]:
            continue
        cluster = close[i] | (np.arange(chosen.size) == i)
        done |= cluster
        speeds[cluster] = _cluster_speeds(
            mu[chosen[i]], z[:, cluster], w[:, cluster], metric, derivative
        )
    return mu[chosen], speeds


def _bloch(h_cell: np.ndarray, v: np.ndarray, k: float) -> np.ndarray:
    """H(k) = H₀ + V e^{−ik} + V† e^{ik} (Kwant's Bands convention)."""
    forward = v * np.exp(-1j * k)
    return h_cell + forward + forward.conj().T


def _curvature(h_cell: np.ndarray, v: np.ndarray, k: float, energy: float) -> float:
    r"""\|E''(k)\| / 2 of the band nearest ``energy`` at real k (central difference)."""
    step = _CURVATURE_STEP
    bands = [np.linalg.eigvalsh(_bloch(h_cell, v, k + s)) for s in (-step, 0.0, step)]
    minus, centre, plus = (b[np.argmin(np.abs(b - energy))] for b in bands)
    return abs(plus + minus - 2 * centre) / (2 * step**2)


def _velocity_scale(v: np.ndarray) -> float:
    return float(np.abs(v).max(initial=0.0))


def slow_modes(
    lead: Any,
    energy: float,
    params: Mapping[str, Any],
    *,
    index: int | None = None,
    matrices: LeadMatrices | None = None,
) -> list[SlowMode]:
    """The modes of a lead slower than v_tol at ``energy`` (propagating or evanescent).

    Parameters
    ----------
    lead
        A finalized Kwant lead (``InfiniteSystem``).
    energy
        Energy (units of the lead's Hamiltonian).
    params
        Its complete Kwant parameters.
    index
        Lead index, for the report.
    matrices
        The lead's matrices evaluated with ``params``, if already at hand
        (:func:`workflows.scattering.lead_matrices.lead_matrices`).

    Returns
    -------
    list of SlowMode
        Empty if the energy is safe for this lead.
    """
    h_cell, v = _lead_matrices(lead, params, matrices)
    scale = _velocity_scale(v)
    if scale == 0:
        return []
    v_tol = VELOCITY_TOLERANCE * scale
    found = []
    mu, speeds = _near_unit_velocities(h_cell, v, energy)
    for root, speed in zip(mu, speeds, strict=True):
        if speed < v_tol:
            k = -1j * np.log(root)
            alpha = _curvature(h_cell, v, float(k.real), energy)
            window = v_tol**2 / (4 * alpha) if alpha > 0 else np.inf
            found.append(SlowMode(index, complex(k), float(speed), float(window)))
    return found


def _is_safe(lead: Any, energy: float, params: Mapping[str, Any], matrices=None) -> bool:
    return not slow_modes(lead, energy, params, matrices=matrices)


def _safe_side(
    lead: Any,
    energy: float,
    params: Mapping[str, Any],
    window: float,
    sign: int,
    matrices: LeadMatrices | None = None,
):
    """E + sign · 10 δE, widened by factors of 10 until the lead has no slow mode there."""
    step = _SIDE_STEP * window if np.isfinite(window) else 1e-9 * max(1.0, abs(energy))
    step = max(step, 4 * np.spacing(energy))
    for _ in range(12):
        candidate = energy + sign * step
        if _is_safe(lead, candidate, params, matrices):
            return float(candidate)
        step *= 10
    return float("nan")


def _refusal(
    lead: Any,
    energy: float,
    params: Mapping[str, Any],
    slow: list[SlowMode],
    matrices: LeadMatrices | None = None,
):
    window = max(mode.window for mode in slow)
    index = slow[0].lead
    below = _safe_side(lead, energy, params, window, -1, matrices)
    above = _safe_side(lead, energy, params, window, +1, matrices)
    v_tol = VELOCITY_TOLERANCE * _velocity_scale(_lead_matrices(lead, params, matrices)[1])
    message = (
        f"energy={energy!r} is exactly at a band edge of {_lead_label(index)} (a mode with "
        f"group velocity {slow[0].velocity:.1e} < v_tol={v_tol:.1e}: a subband opens or closes "
        f"within δE={window:.1e}, where N(E) jumps and the scattering problem is singular); "
        f"nearest safe energies: {below!r} and {above!r}, or pass at_band_edge='below' or "
        f"'above' for the one-sided limit"
    )
    return BandEdgeError(message, energy=energy, lead=index, below=below, above=above)


def check_lead(
    lead: Any,
    energy: float,
    params: Mapping[str, Any],
    *,
    index: int | None = None,
    matrices: LeadMatrices | None = None,
) -> None:
    """Raise :class:`BandEdgeError` if the lead has a mode slower than v_tol at ``energy``.

    ``matrices``: the lead's matrices with ``params``, if already evaluated.
    """
    if not hasattr(lead, "cell_hamiltonian"):  # a self-energy lead (e.g. a probe): no bands
        return
    if np.iscomplexobj(energy) and np.imag(energy) != 0:
        # Off the real axis (contour integrals): every root is off the unit circle and the
        # self-energy is analytic, so there is no edge to refuse.
        return
    slow = slow_modes(lead, energy, params, index=index, matrices=matrices)
    if slow:
        raise _refusal(lead, energy, params, slow, matrices)


def check_energy(
    fsyst: Any,
    energy: float,
    params: Mapping[str, Any],
    leads=None,
    *,
    matrices: Callable[[int], LeadMatrices | None] | None = None,
) -> None:
    """Raise :class:`BandEdgeError` if ``energy`` is at a band edge of any lead (or of ``leads``).

    For solvers that do not go through :func:`lead_modes` (e.g. ``kwant.smatrix``).
    ``matrices``: a function of the lead index that gives the lead's matrices already
    evaluated with ``params`` (:class:`LeadMatrices`, or None for a lead without them,
    e.g. a self-energy lead), or None to evaluate them here.
    """
    indices = range(len(fsyst.leads)) if leads is None else leads
    for index in indices:
        known = None if matrices is None else matrices(index)
        check_lead(fsyst.leads[index], energy, params, index=index, matrices=known)


def resolve_energy(
    fsyst: Any,
    energy: float,
    params: Mapping[str, Any],
    at_band_edge: str | None = None,
    *,
    leads=None,
    matrices: Callable[[int], LeadMatrices | None] | None = None,
) -> float:
    """The energy at which to solve: ``energy``, or the one-sided limit's energy at a band edge.

    The one call every public entry point that takes an energy makes (after
    validating its arguments, with resolved ``params``).

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        The energy asked for (units of t).
    params
        Complete Kwant parameters.
    at_band_edge
        None or ``"refuse"`` (default): return ``energy`` unchanged; the
        solve refuses it with :class:`BandEdgeError` if it is at an edge.
        ``"above"`` / ``"below"``: if ``energy`` is at a band edge of any
        lead, return E + 10 δE / E − 10 δE (see the module notes), else
        ``energy``.
    leads
        Only these lead indices (default: all).
    matrices
        The leads' matrices, already evaluated with ``params``, by index (as for
        :func:`check_energy`).

    Returns
    -------
    float
    """
    choice("at_band_edge", at_band_edge, AT_BAND_EDGE)
    if at_band_edge in (None, "refuse"):
        return energy
    resolved = energy
    for _ in range(4):  # a shift past one lead's edge may land near another lead's
        try:
            check_energy(fsyst, resolved, params, leads, matrices=matrices)
        except BandEdgeError as error:
            resolved = error.above if at_band_edge == "above" else error.below
            if not np.isfinite(resolved):
                raise
            continue
        return float(resolved)
    check_energy(fsyst, resolved, params, leads, matrices=matrices)
    return float(resolved)


@contextlib.contextmanager
def band_edges_reported(
    lead: Any,
    energy: float,
    params: Mapping[str, Any],
    *,
    index: int | None = None,
    matrices: LeadMatrices | None = None,
) -> Iterator[None]:
    """Turn a failure of Kwant's mode solve at a band edge into a :class:`BandEdgeError`.

    A lead without ``cell_hamiltonian`` (e.g. Kwant's ``PrecalculatedLead``) has no band
    to examine: its own error is raised unchanged.
    """
    try:
        yield
    except (ValueError, RuntimeError) as exc:  # LinAlgError is a ValueError
        if isinstance(exc, BandEdgeError) or not hasattr(lead, "cell_hamiltonian"):
            raise
        slow = slow_modes(lead, energy, params, index=index, matrices=matrices)
        if not slow:
            raise
        raise _refusal(lead, energy, params, slow, matrices) from exc


#: Relative step beside a band edge where :func:`mean_across_band_edge` takes both sides.
_EDGE_STEP = 1e-9


def mean_across_band_edge(evaluate: Callable[[float], np.ndarray], energy: float) -> np.ndarray:
    """``evaluate(energy)``, or, where the band-edge guard refuses ``energy`` (a quadrature
    node on a lead's band edge, a point of measure zero of an integrable integrand), the
    mean of its values 1e-9·max(1, |E|) below and above, or, where those are refused too,
    at the nearest energies the guard passes (:class:`BandEdgeError` ``below``/``above``);
    the refusal itself where the guard found no such energy on a side.
    """
    try:
        return evaluate(energy)
    except BandEdgeError as refusal:
        step = _EDGE_STEP * max(1.0, abs(energy))
        try:
            sides = (evaluate(energy - step), evaluate(energy + step))
        except BandEdgeError:
            if not (np.isfinite(refusal.below) and np.isfinite(refusal.above)):
                raise refusal from None  # the guard found no safe energy on a side
            sides = (evaluate(refusal.below), evaluate(refusal.above))
        return 0.5 * (sides[0] + sides[1])


def lead_modes(
    fsyst: Any,
    lead: int,
    energy: float,
    params: Mapping[str, Any],
    *,
    at_band_edge: str | None = None,
    checked: bool = False,
    matrices: LeadMatrices | None = None,
) -> tuple[Any, Any]:
    """The modes of lead ``lead`` of ``fsyst`` at ``energy``, through the band-edge guard.

    The one place in mesoflow that asks a Kwant lead for its modes: every
    self-energy, mode count and velocity comes from here, so that an energy
    at a band edge is refused the same way everywhere.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    lead
        Lead index.
    energy
        Energy (units of t).
    params
        Complete Kwant parameters.
    at_band_edge
        None/``"refuse"``, ``"above"`` or ``"below"``: see :func:`resolve_energy`
        (applied to this lead only).
    checked
        True if :func:`resolve_energy`, with a one-sided ``at_band_edge`` and these
        ``params``, has just returned ``energy`` (it then checked every lead there):
        the check is not repeated.  A failure of Kwant's mode solve is still
        reported as a :class:`BandEdgeError` when the lead has a slow mode.
    matrices
        The lead's matrices evaluated with ``params``
        (:func:`workflows.scattering.lead_matrices.lead_matrices`), if already at
        hand (a loop over energies keeps them); evaluated here otherwise.

    Returns
    -------
    tuple
        Kwant's (:class:`kwant.physics.PropagatingModes`,
        :class:`kwant.physics.StabilizedModes`) of the lead.

    Raises
    ------
    BandEdgeError
        If the lead has a mode (propagating or evanescent) slower than v_tol.
    """
    the_lead = fsyst.leads[lead]
    kwant_modes = replicates_kwant_modes(the_lead)  # else a lead class with its own modes
    if matrices is None and kwant_modes:
        matrices = lead_matrices(the_lead, params)
    energy = resolve_energy(
        fsyst, energy, params, at_band_edge, leads=[lead], matrices=lambda _: matrices
    )
    if not checked:
        check_lead(the_lead, energy, params, index=lead, matrices=matrices)
    with band_edges_reported(the_lead, energy, params, index=lead, matrices=matrices):
        if kwant_modes:  # Kwant's InfiniteSystem.modes, without evaluating the lead again
            propagating, stabilized = lead_modes_at(matrices, energy)
        else:  # a lead class of the user's own, with its own modes
            propagating, stabilized = the_lead.modes(energy, params=params)
    return propagating, stabilized
