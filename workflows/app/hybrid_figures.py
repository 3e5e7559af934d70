"""Gallery figure of a hybrid normal–superconducting–normal (NSN) device.

One recipe, registered in :data:`workflows.app.figures.FIGURES`:

* ``nsn_conductance_matrix`` — the 2×2 local and non-local conductance matrix
  G_ij(V, E_Z) = dI_i/dV_j of a spinful Rashba–Zeeman wire with pairing on its
  middle sites, normal leads at both ends and a grounded superconducting lead
  from above, against bias and Zeeman field, from
  :func:`workflows.andreev_conductance` (Anantram & Datta, PRB 53, 16390
  (1996)).  The current from the superconductor (current operator) is kept so
  that G_Lj + G_Rj + G_Sj = 0 checks the data.
"""

from __future__ import annotations

import kwant
import numpy as np
import pandas as pd

from analysis import plots
from workflows.scattering.andreev import andreev_conductance

__all__ = ["HYBRID_RECIPES"]

_S0 = np.eye(2)
_SX = np.array([[0, 1], [1, 0]])
_SY = np.array([[0, -1j], [1j, 0]])
_SZ = np.diag([1, -1])


def nsn_rashba_wire(
    zeeman, *, length=24, paired=(3, 21), mu=0.5, alpha=0.4, delta=0.2, barrier=1.0
):
    """Finalized NSN BdG wire (t = 1, basis e↑, e↓, h↓, −h↑; τ ⊗ σ).

    A Rashba–Zeeman chain of ``length`` sites with pairing Δ on the sites
    ``range(*paired)``, a tunnel barrier ``barrier`` (t) on the second and the
    second-to-last site, normal leads (``conservation_law=-τ_z``,
    ``particle_hole=τ_y σ_y``) at both ends and a grounded superconducting lead
    from above the middle of the paired segment.  Energies in t (μ from the
    band bottom); ``zeeman`` is E_Z (t), ``alpha`` the Rashba hopping 2α/a (t).
    The segment turns topological at E_Z² = Δ² + μ² (Lutchyn, Sau & Das Sarma,
    PRL 105, 077001; Oreg, Refael & von Oppen, PRL 105, 177002 (2010)).
    """
    lat = kwant.lattice.square(norbs=4)
    normal = (2 - mu) * np.kron(_SZ, _S0) + zeeman * np.kron(_S0, _SX)
    pair = delta * np.kron(_SX, _S0)
    hop = -np.kron(_SZ, _S0) - 0.5j * alpha * np.kron(_SZ, _SY)
    syst = kwant.Builder()
    for x in range(length):
        onsite = normal + (pair if paired[0] <= x < paired[1] else 0 * pair)
        if x in (1, length - 2):
            onsite = onsite + barrier * np.kron(_SZ, _S0)
        syst[lat(x, 0)] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat)] = hop
    for direction in ((-1, 0), (1, 0)):
        lead = kwant.Builder(
            kwant.TranslationalSymmetry(direction),
            conservation_law=-np.kron(_SZ, _S0),
            particle_hole=np.kron(_SY, _SY),
        )
        lead[lat(0, 0)] = normal
        lead[kwant.builder.HoppingKind((1, 0), lat)] = hop
        syst.attach_lead(lead)
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    s_lead[lat((paired[0] + paired[1]) // 2, 0)] = (4 - mu) * np.kron(_SZ, _S0) + pair
    s_lead[kwant.builder.HoppingKind((0, 1), lat)] = -np.kron(_SZ, _S0)
    syst.attach_lead(s_lead)
    return syst.finalized()


def _nsn_compute(quick: bool) -> pd.DataFrame:
    n_bias, n_field = (6, 3) if quick else (50, 29)
    # Grids offset from E = 0 and from the leads' band edges (the guard refuses those).
    half = n_bias // 2
    biases = 0.297 * (np.arange(-half, half) + 0.5) / half
    fields = np.linspace(0.0, 0.697, n_field)
    rows = []
    for zeeman in fields:
        result = andreev_conductance(nsn_rashba_wire(zeeman), biases)
        g, s = result.conductance, result.superconductor
        rows.append(
            pd.DataFrame(
                {
                    "E_Z": zeeman,
                    "V": biases,
                    "G_LL": g[:, 0, 0],
                    "G_LR": g[:, 0, 1],
                    "G_RL": g[:, 1, 0],
                    "G_RR": g[:, 1, 1],
                    "G_SL": s[:, 0],
                    "G_SR": s[:, 1],
                    "N_L": result.electron_modes[:, 0],
                    "N_R": result.electron_modes[:, 1],
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    table.attrs = {
        "system": "spinful Rashba-Zeeman NSN wire, 24 sites, pairing on sites 3-20, "
        "barriers U = 1 t on sites 1 and 22, S lead above site 12",
        "mu": 0.5,
        "alpha": 0.4,
        "delta": 0.2,
        "topological_E_Z": float(np.hypot(0.2, 0.5)),
        "units": "eV, E_Z in t; G in e^2/h",
    }
    return table


def _nsn_draw(data: pd.DataFrame):
    biases = np.unique(data["V"])
    fields = np.unique(data["E_Z"])
    shape = (fields.size, biases.size)
    matrix = np.stack(
        [
            np.stack([data["G_LL"], data["G_LR"]], axis=-1),
            np.stack([data["G_RL"], data["G_RR"]], axis=-1),
        ],
        axis=-2,
    ).reshape(*shape, 2, 2)
    figure, axes = plots.new_figure(2, 2, figsize=(9.0, 6.4))
    plots.plot_conductance_matrix_map(biases, fields, matrix, field_label=r"$E_Z$ ($t$)", axes=axes)
    transition = data.attrs.get("topological_E_Z")
    for ax in np.ravel(axes) if transition is not None else ():
        ax.axhline(transition, color="k", ls="--", lw=0.8)  # E_Z² = Δ² + μ²
    figure.suptitle("NSN wire: local and non-local conductance $G_{ij}(V, E_Z)$")
    return figure


HYBRID_RECIPES = (
    (
        "nsn_conductance_matrix",
        "Local and non-local conductance matrix G_ij(V, E_Z) of an NSN Rashba-Zeeman wire",
        _nsn_compute,
        _nsn_draw,
    ),
)
