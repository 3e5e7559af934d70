"""Current maps: Kwant's own current operator, conservation, cross-sections, mirror symmetry."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import analysis
import systems
import workflows
from workflows.scattering.current_maps import hopping_array

# Tolerances: every comparison below is between two exact linear-algebra routes
# (sparse LU against Kwant's own solver, or exact identities of one solution); on
# systems of at most a few hundred orbitals their rounding is ~1e-13, so 1e-9 leaves
# ample room while any physics or bookkeeping error (a factor, a sign, a missing
# lead) shows at order 1e-2 or more.
TOL = 1e-9


def _kwant_lead_current(fsyst, energy, params, lead):
    """Σ over the modes of one lead of kwant.operator.Current on kwant.wave_function."""
    current = kwant.operator.Current(fsyst)
    states = kwant.wave_function(fsyst, energy, params=params)(lead)
    return sum(current(psi, params=params) for psi in states)


def _interior(fsyst):
    """Mask of sites with no lead attached."""
    mask = np.ones(len(fsyst.sites), dtype=bool)
    for interface in fsyst.lead_interfaces:
        mask[np.asarray(interface)] = False
    return mask


@pytest.mark.parametrize("field", [0.0, 0.04])
def test_single_lead_map_equals_kwant_current_on_scattering_states(field):
    fsyst = systems.wire(7, 5).finalized()
    params = dict(B=field, V=lambda x, y: 0.4 * np.cos(1.3 * x + y))
    full = dict(params, t=1.0, disorder=0.0, salt="0")
    for lead in (0, 1):
        ours = workflows.current_density(fsyst, 1.1, params=params, lead=lead)
        reference = _kwant_lead_current(fsyst, 1.1, full, lead)
        assert ours.shape == (len(list(fsyst.graph)),)
        assert np.abs(ours - reference).max() < TOL


def _spin_orbit_wire(length=6, width=3):
    """A user-style system: 2 orbitals, matrix hoppings with Rashba coupling and Zeeman field,
    function-valued parameters, leads with a conservation law (spin up/down blocks)."""
    s0 = np.eye(2)
    sx = np.array([[0, 1], [1, 0]])
    sy = np.array([[0, -1j], [1j, 0]])
    sz = np.diag([1.0, -1.0])
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, ez, U):
        return 4 * s0 + ez * sz + U(site.pos) * s0

    def hop_x(a, b, alpha):
        return -s0 + 1j * alpha * sy

    def hop_y(a, b, alpha):
        return -s0 - 1j * alpha * sx

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    syst[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-sz)
    lead[(lat(0, y) for y in range(width))] = lambda site, ez: 4 * s0 + ez * sz
    lead[lat.neighbors()] = -s0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    params = dict(ez=0.15, alpha=0.3, U=lambda pos: 0.3 * np.sin(pos[0] + 2 * pos[1]))
    return syst.finalized(), params


def test_matrix_valued_user_system_with_conservation_law_leads():
    fsyst, params = _spin_orbit_wire()
    for lead in (0, 1):
        ours = workflows.current_density(fsyst, 0.9, params=params, lead=lead)
        reference = _kwant_lead_current(fsyst, 0.9, params, lead)
        assert np.abs(ours - reference).max() < TOL
    # The cross-section carries the transmission into the other lead (Kwant's smatrix).
    total = kwant.smatrix(fsyst, 0.9, params=params).transmission(1, 0)
    ours = workflows.current_density(fsyst, 0.9, params=params, lead=0)
    assert workflows.scattering.current_into(
        fsyst, ours, lambda pos: pos[0] > 2.5
    ) == pytest.approx(total, abs=TOL)


def test_conservation_law_blocks_split_the_map_of_a_lead():
    # Kwant orders a lead's incoming modes by conservation-law block (block_nmodes);
    # the map of each block is the current of that block's scattering states.
    fsyst, params = _spin_orbit_wire()
    energy = 0.9
    nmodes = kwant.smatrix(fsyst, energy, params=params).lead_info[0].block_nmodes
    states = kwant.wave_function(fsyst, energy, params=params)(0)
    current = kwant.operator.Current(fsyst)
    first = 0
    maps = []
    for block, count in enumerate(nmodes):
        reference = sum(current(psi, params=params) for psi in states[first : first + count])
        first += count
        ours = workflows.current_density(fsyst, energy, params=params, lead=0, block=block)
        assert np.abs(ours - reference).max() < TOL
        maps.append(ours)
    total = workflows.current_density(fsyst, energy, params=params, lead=0)
    assert np.abs(maps[0] + maps[1] - total).max() < TOL
    assert np.abs(maps[0] - maps[1]).max() > 1e-3  # Rashba + Zeeman: the spins differ
    with pytest.raises(ValueError, match="block=2 is out of range"):
        workflows.current_density(fsyst, energy, params=params, lead=0, block=2)
    with pytest.raises(ValueError, match="has no conservation law"):
        # E = 1.5: E_1 = 1.0 is the first band edge of a two-site strip
        workflows.current_density(systems.wire(3, 2).finalized(), 1.5, block=0)


def _dephased_wire():
    builder = systems.wire(12, 3)
    systems.attach_dephasing_probes(builder, "all")
    return builder.finalized()


def test_dephased_wire_map_is_conserved_everywhere_and_carries_the_terminal_current():
    fsyst = _dephased_wire()
    params = dict(eta=0.3, V=lambda x, y: 0.5 * (x == 6))
    transport = workflows.dephased_transport(fsyst, 0.8, params=params)
    solved = workflows.scattering.biased_current_density(
        fsyst, 0.8, params=params, voltages={0: 1.0, 1: 0.0}
    )
    # Every probe floats at its solved potential, so even the probe sites conserve current;
    # only the sites that touch the real leads (columns 0 and 11) exchange current with them.
    inflow = workflows.scattering.site_inflow(fsyst, solved.current)
    xs = np.array([site.pos[0] for site in fsyst.sites])
    inner = (xs > 0) & (xs < 11)
    assert np.abs(inflow[inner]).max() < TOL
    assert np.abs(inflow[~inner]).max() > 0.01  # the check can fail: lead columns do exchange
    # Every cross-section carries the two-terminal current of the Schur-eliminated G.
    expected = transport.two_terminal_conductance(0, 1)
    assert solved.bias.currents[0] == pytest.approx(expected, abs=TOL)
    for cut in (0.5, 3.5, 6.5, 10.5):
        through = workflows.scattering.current_into(
            fsyst, solved.current, lambda pos, c=cut: pos[0] > c
        )
        assert through == pytest.approx(expected, abs=TOL)
    # The probes carry no net current (I_p = 0), while the raw per-lead maps of
    # probes are not conserved (each probe injects): the weighting matters.
    assert np.abs(solved.bias.currents[2:]).max() < TOL
    probe_map = workflows.current_density(fsyst, 0.8, params=params, lead=5)
    assert np.abs(workflows.scattering.site_inflow(fsyst, probe_map)[inner]).max() > 1e-3


def test_hall_bar_with_floating_voltage_probes_in_a_field():
    fsyst = systems.hall_bar(16, 6, 3, arm_length=1).finalized()
    params = dict(B=0.06)
    G = workflows.conductance_matrix(fsyst, 0.5, params=params)
    expected = analysis.two_terminal_conductance(G, 0, 1)  # every probe floating
    maps = [
        workflows.scattering.biased_current_density(
            fsyst, 0.5, params=params, voltages={0: 1.0, 1: 0.0}, mu_ref=mu_ref
        )
        for mu_ref in (0.0, 1.0)
    ]
    interior = _interior(fsyst)
    for solved in maps:
        assert solved.bias.currents[0] == pytest.approx(expected, abs=TOL)
        assert np.abs(workflows.scattering.site_inflow(fsyst, solved.current)[interior]).max() < TOL
        # Cross-sections left of, between and right of the probe pairs.
        for cut in (1.5, 7.5, 14.5):
            through = workflows.scattering.current_into(
                fsyst, solved.current, lambda p, c=cut: p[0] > c
            )
            assert through == pytest.approx(expected, abs=TOL)
    # In a field the map depends on the reference (equilibrium edge currents) ...
    assert np.abs(maps[0].current - maps[1].current).max() > 1e-3
    # ... by exactly the equilibrium current Σ_p J_p of all states at this energy.
    equilibrium = sum(
        workflows.current_density(fsyst, 0.5, params=params, lead=p) for p in range(6)
    )
    assert np.abs(maps[0].current - maps[1].current - equilibrium).max() < TOL


def test_without_a_field_the_map_does_not_depend_on_the_reference():
    fsyst = systems.cross(4, arm_length=2).finalized()
    maps = [
        workflows.scattering.biased_current_density(
            fsyst, 0.7, voltages={0: 1.0, 1: 0.0}, mu_ref=mu_ref
        ).current
        for mu_ref in (0.0, 0.37)
    ]
    assert np.abs(maps[0] - maps[1]).max() < TOL


def _mirror_partner(fsyst, width):
    """Index of the hopping (M i, M j) for every hopping (i, j), M: y -> width − 1 − y."""
    index = {tuple(np.round(site.pos, 6)): k for k, site in enumerate(fsyst.sites)}
    hoppings = hopping_array(fsyst)
    lookup = {(int(i), int(j)): k for k, (i, j) in enumerate(hoppings)}

    def mirror(k):
        x, y = fsyst.sites[k].pos
        return index[(round(x, 6), round(width - 1 - y, 6))]

    return np.array([lookup[(mirror(i), mirror(j))] for i, j in hoppings])


@pytest.mark.parametrize("symmetric", [True, False])
def test_field_reversal_maps_onto_the_mirror_image_only_with_a_mirror_symmetry(symmetric):
    # M: y -> W − 1 − y reverses B; if M leaves H invariant otherwise, the states of lead 0
    # at −B are the mirror images of those at +B (up to a gauge transformation, which does
    # not change currents), so j_b(B) = j_Mb(−B) exactly.  Without the symmetry it fails.
    width = 5
    fsyst = systems.wire(8, width).finalized()
    if symmetric:
        potential = lambda x, y: 0.6 * np.cos(x) * (y - 2) ** 2  # noqa: E731
    else:
        potential = lambda x, y: 0.6 * np.cos(x) * y  # noqa: E731
    partner = _mirror_partner(fsyst, width)
    plus = workflows.current_density(fsyst, 1.2, params=dict(B=0.05, V=potential), lead=0)
    minus = workflows.current_density(fsyst, 1.2, params=dict(B=-0.05, V=potential), lead=0)
    deviation = np.abs(plus - minus[partner]).max()
    if symmetric:
        assert deviation < TOL
        assert np.abs(plus - minus).max() > 1e-2  # without the mirror the maps differ
    else:
        assert deviation > 1e-2


def test_bad_input_is_named():
    fsyst = systems.wire(3, 2).finalized()
    with pytest.raises(ValueError, match="lead=2 is out of range"):
        workflows.current_density(fsyst, 1.0, lead=2)
    with pytest.raises(TypeError, match="finalized"):
        workflows.current_density(systems.wire(3, 2), 1.0)
    with pytest.raises(ValueError, match="voltages must be a non-empty mapping"):
        workflows.scattering.biased_current_density(fsyst, 1.0, voltages={})
    with pytest.raises(TypeError, match="mu_ref must be a finite real"):
        workflows.scattering.biased_current_density(fsyst, 1.0, voltages={0: 1.0}, mu_ref="0")
    with pytest.raises(ValueError, match="one value per directed hopping"):
        workflows.scattering.site_inflow(fsyst, np.zeros(3))


@pytest.mark.filterwarnings("ignore:plotly is not available:RuntimeWarning")
def test_the_map_plugs_into_kwant_plotter_current():
    import matplotlib

    matplotlib.use("Agg")
    import kwant.plotter
    import matplotlib.pyplot as plt

    fsyst = systems.wire(6, 3).finalized()
    current = workflows.current_density(fsyst, 1.0, params=dict(B=0.05))
    figure = kwant.plotter.current(fsyst, current, show=False)
    plt.close(figure)


def test_spin_resolved_bias_over_conservation_law_blocks():
    fsyst, params = _spin_orbit_wire()
    energy = 0.9
    # Block-resolved G from the same solve against Kwant's block transmissions.
    smatrix = kwant.smatrix(fsyst, energy, params=params)
    both = workflows.scattering.biased_current_density(
        fsyst, energy, params=params, voltages={0: 1.0, 1: 1.0, 2: 0.0, 3: 0.0}, blocks=True
    )
    terminals = [(0, 0), (0, 1), (1, 0), (1, 1)]
    g_kwant = -np.array([[smatrix.transmission(i, j) for j in terminals] for i in terminals])
    np.fill_diagonal(g_kwant, 0.0)
    np.fill_diagonal(g_kwant, -g_kwant.sum(axis=0))
    assert np.abs(both.bias.currents - g_kwant @ [1.0, 1.0, 0.0, 0.0]).max() < TOL
    g_blocks = workflows.conductance_matrix(fsyst, energy, params=params, blocks=True)
    assert np.abs(g_blocks - g_kwant).max() < TOL  # the block order is the same
    # Both spins of lead 0 at 1: the plain lead bias.
    plain = workflows.scattering.biased_current_density(
        fsyst, energy, params=params, voltages={0: 1.0, 1: 0.0}
    )
    assert np.abs(both.current - plain.current).max() < TOL
    # Only spin block 0 of lead 0 at 1, the rest grounded: that block's map.
    one = workflows.scattering.biased_current_density(
        fsyst, energy, params=params, voltages={0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0}, blocks=True
    )
    block_map = workflows.current_density(fsyst, energy, params=params, lead=0, block=0)
    assert np.abs(one.current - block_map).max() < TOL
    assert workflows.scattering.current_into(
        fsyst, one.current, lambda pos: pos[0] > 2.5
    ) == pytest.approx(-(one.bias.currents[2] + one.bias.currents[3]), abs=TOL)
    spin = workflows.scattering.local_potential(
        fsyst, energy, params=params, voltages={0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0}, blocks=True
    )
    assert np.nanmin(spin.potential) >= -TOL and np.nanmax(spin.potential) <= 1 + TOL
    with pytest.raises(ValueError, match="out of range"):
        workflows.scattering.biased_current_density(
            fsyst, energy, params=params, voltages={4: 1.0, 0: 0.0}, blocks=True
        )


def _bhz_strip(length=5, width=4):
    """A kwant.continuum BHZ model: 4 orbitals, band parameters of the user's own names."""
    import kwant.continuum

    template = kwant.continuum.discretize(
        """
        + M * kron(sigma_0, sigma_z) - B * (k_x**2 + k_y**2) * kron(sigma_0, sigma_z)
        + A * k_x * kron(sigma_z, sigma_x) - A * k_y * kron(sigma_0, sigma_y)
        """,
        grid=1,
    )
    syst = kwant.Builder()
    syst.fill(template, lambda s: 0 <= s.pos[0] < length and 0 <= s.pos[1] < width, (0, 0))
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead.fill(template, lambda s: 0 <= s.pos[1] < width, (0, 0))
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized(), {"A": 0.5, "B": -1.0, "M": -0.2}


def _radian_ring(r_out=5.0, r_in=2.5):
    """Kwant tutorial style AB ring: the user's own ``phi`` in radians on a branch cut."""
    lat = kwant.lattice.square(norbs=1)
    syst = kwant.Builder()
    syst[lat.shape(lambda p: r_in**2 < p[0] ** 2 + p[1] ** 2 < r_out**2, (0, r_in + 1))] = 4
    syst[lat.neighbors()] = -1
    cut = kwant.builder.HoppingKind((1, 0), lat, lat)
    syst[[h for h in cut(syst) if h[1].tag[0] == 0 and h[1].tag[1] > 0]] = lambda a, b, phi: (
        -np.exp(1j * phi)
    )
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in (0, 1))] = 4
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized(), {"phi": 1.3}


@pytest.mark.parametrize("system", [_bhz_strip, _radian_ring])
def test_continuum_and_radian_flux_user_systems_against_kwant(system):
    fsyst, params = system()
    energy = 0.3 if system is _bhz_strip else 1.5
    for lead in (0, 1):
        ours = workflows.current_density(fsyst, energy, params=params, lead=lead)
        assert np.abs(ours - _kwant_lead_current(fsyst, energy, params, lead)).max() < TOL
        assert np.abs(ours).max() > 1e-2  # current does flow
    nu = workflows.scattering.injectivities(fsyst, energy, params=params)
    ldos = kwant.ldos(fsyst, energy, params=params)
    norbs = [site.family.norbs for site in fsyst.sites]
    per_site = np.add.reduceat(ldos, np.concatenate([[0], np.cumsum(norbs)[:-1]]))
    assert np.abs(nu.sum(axis=0) - per_site).max() < TOL
    with pytest.raises(ValueError, match="missing"):  # the user's own names have no default
        workflows.current_density(fsyst, energy)
