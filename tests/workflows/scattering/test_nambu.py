"""BdG (Nambu) leads are recognised; lead totals on them are refused, never 0 or NaN.

The system is Kwant's superconductor tutorial (an NS junction, normal lead with
``conservation_law=-tau_z, particle_hole=tau_y``, superconducting lead without
a conservation law), written here in plain Kwant.
"""

from __future__ import annotations

import kwant
import numpy as np
import pytest
import tinyarray

import workflows
from workflows.scattering.nambu import NambuBlocks, NambuLeadError, nambu_leads

TAU_X = tinyarray.array([[0, 1], [1, 0]])
TAU_Y = tinyarray.array([[0, -1j], [1j, 0]])
TAU_Z = tinyarray.array([[1, 0], [0, -1]])
U = {"U": 1.5}  # the tunnel barrier, when it is a parameter


def tutorial_ns_junction(
    width=4,
    length=6,
    barrier=1.5,
    barrier_pos=(2, 3),
    mu=0.4,
    delta=0.1,
    delta_pos=4,
    conservation_law=-TAU_Z,
    particle_hole=TAU_Y,
):
    """Kwant tutorial 'superconductors' (2D NS junction with a tunnel barrier), smaller."""
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(delta_pos) for y in range(width))] = (4 - mu) * TAU_Z
    syst[(lat(x, y) for x in range(delta_pos, length) for y in range(width))] = (
        4 - mu
    ) * TAU_Z + delta * TAU_X
    syst[(lat(x, y) for x in range(*barrier_pos) for y in range(width))] = (
        (4 - mu + barrier) * TAU_Z if barrier is not None else lambda site, U: (4 - mu + U) * TAU_Z
    )
    syst[lat.neighbors()] = -TAU_Z
    lead0 = kwant.Builder(
        kwant.TranslationalSymmetry((-1, 0)),
        conservation_law=conservation_law,
        particle_hole=particle_hole,
    )
    lead0[(lat(0, j) for j in range(width))] = (4 - mu) * TAU_Z
    lead0[lat.neighbors()] = -TAU_Z
    lead1 = kwant.Builder(kwant.TranslationalSymmetry((1, 0)))
    lead1[(lat(0, j) for j in range(width))] = (4 - mu) * TAU_Z + delta * TAU_X
    lead1[lat.neighbors()] = -TAU_Z
    syst.attach_lead(lead0)
    syst.attach_lead(lead1)
    return syst.finalized()


def test_the_normal_lead_is_recognised_with_electrons_first():
    fsyst = tutorial_ns_junction()
    assert nambu_leads(fsyst, {}) == {0: NambuBlocks(electron=(0,), hole=(1,))}


def test_particle_hole_alone_or_conservation_law_alone_is_not_a_bdg_lead():
    assert nambu_leads(tutorial_ns_junction(conservation_law=None), {}) == {}
    assert nambu_leads(tutorial_ns_junction(particle_hole=None), {}) == {}


@pytest.mark.parametrize(
    "call",
    [
        lambda f: workflows.conductance_matrix(f, 0.05, params=U),
        lambda f: workflows.conductance_vs_energy(f, [0.05], params=U),
        lambda f: workflows.fano_factor(f, 0.05, params=U),
        lambda f: workflows.noise_matrix(f, 0.05, params=U),
        lambda f: workflows.open_modes(f, 0.05, lead=0, params=U),
        lambda f: workflows.thermoelectric(f, 0.05, temperature=0.01, params=U),
        lambda f: workflows.sweep(f, 0.05, "U", [1.0, 1.5]),
    ],
    ids=[
        "conductance_matrix",
        "conductance_vs_energy",
        "fano",
        "noise",
        "open_modes",
        "thermo",
        "sweep",
    ],
)
def test_lead_totals_are_refused_naming_the_bdg_function(call):
    fsyst = tutorial_ns_junction(barrier=None)  # the barrier a parameter U (for sweep)
    with pytest.raises(NambuLeadError, match="andreev_conductance"):
        call(fsyst)


def test_blocks_stay_available_and_equal_kwant():
    """The block-resolved matrix is still given, and equals Kwant's block transmissions."""
    fsyst = tutorial_ns_junction()
    g = workflows.conductance_matrix(fsyst, 0.05, blocks=True)
    smatrix = kwant.smatrix(fsyst, 0.05)
    # terminals (0, e), (0, h), (1, 0): G_ab = −T_ab off the diagonal
    assert np.isclose(-g[1, 0], smatrix.transmission((0, 1), (0, 0)), atol=1e-12)
    assert np.isclose(-g[2, 0], smatrix.transmission(1, (0, 0)), atol=1e-12)
