"""workflows.sweep: the reduced (Dyson) method against a plain Kwant loop, and its fallbacks.

The reference is always computed without mesoflow's solvers: ``kwant.smatrix``
per value with every parameter spelt out (or, for systems with self-energy
leads, one ``kwant.greens_function`` per value).
The reduced method is exact (one sparse LU + Dyson on a subspace), so the
conductance matrices must agree to rounding; 1e-8 e²/h leaves ample room for
the LU's backward error on these small systems.
"""

import kwant
import numpy as np
import pytest

import systems
import workflows
import workflows.scattering.sweeps
from workflows import sweep
from workflows.scattering import SweepFallbackWarning, band_edges

TOL = 1e-8
RING = {"t": 1.0, "V": 0.0, "disorder": 0.0, "salt": "0"}
WIRE = {**RING, "B": 0.0}


def plain_kwant(fsyst, energy, param, values, fixed):
    """Reference: one kwant.smatrix per value, all parameters given explicitly."""
    return np.array(
        [
            kwant.smatrix(fsyst, energy, params={**fixed, param: value}).conductance_matrix()
            for value in values
        ]
    )


def greens_function_loop(fsyst, energy, param, values, fixed):
    """Reference with self-energy leads: one ``kwant.greens_function`` per value.

    Kwant's own ``GreensFunction.conductance_matrix`` (Fisher–Lee transmissions
    Tr[Γ_i G Γ_j G†], diagonal from current conservation), every parameter spelt out:
    no mesoflow solver takes part.
    """
    return np.array(
        [
            kwant.greens_function(
                fsyst, energy, params={**fixed, param: value}
            ).conductance_matrix()
            for value in values
        ]
    )


@pytest.fixture
def reduced_only(monkeypatch):
    """Fail if the sweep solves any value directly: proves the reduced path was taken."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the sweep fell back to the direct method")

    monkeypatch.setattr(workflows.scattering.sweeps, "conductance_matrix", forbidden)


def _potential(x, y):
    return 0.3 * np.sin(1.1 * x + 0.4 * y) + 0.2 * np.cos(0.7 * y)  # breaks every symmetry


@pytest.mark.parametrize(
    ("ring", "energy", "fixed"),
    [
        ((4, 7, 2, False), 1.2, {}),
        ((6, 10, 3, True), 0.8, {}),
        ((5.5, 9.5, 4, False), 0.6, {"disorder": 1.2, "salt": "7", "V": _potential}),
        ((7, 9, 5, True), 1.1, {"disorder": 0.8, "salt": "x"}),
    ],
    ids=["narrow-2-leads", "4-leads", "disordered-with-potential", "thin-4-leads"],
)
def test_reduced_flux_sweep_equals_plain_kwant_loop(ring, energy, fixed, reduced_only):
    r_in, r_out, lead_width, four_leads = ring
    fsyst = systems.ab_ring(r_in, r_out, lead_width, four_leads=four_leads).finalized()
    flux = np.linspace(-1.3, 1.7, 19)
    reduced = sweep(fsyst, energy, "phi", flux, params=fixed, method="reduced")
    expected = plain_kwant(fsyst, energy, "phi", flux, {**RING, **fixed})
    assert reduced.shape == (flux.size, len(fsyst.leads), len(fsyst.leads))
    assert np.abs(reduced - expected).max() < TOL
    # "auto" takes the same path on a ring
    assert np.abs(sweep(fsyst, energy, "phi", flux, params=fixed) - expected).max() < TOL


def _gated_wire():
    """A 12 x 5 wire with a gate ``V_g`` on a 2 x 2 square of sites (4 of 60)."""
    builder = systems.wire(12, 5)
    lat = kwant.lattice.square(a=1, norbs=1)

    def gated_onsite(site, t, V_g):
        return 4 * t + V_g

    for x in (5, 6):
        for y in (1, 2):
            builder[lat(x, y)] = gated_onsite
    return builder.finalized()


def test_gate_sweep_on_a_small_region_equals_plain_kwant_loop(reduced_only):
    fsyst = _gated_wire()
    gates = np.linspace(-1.0, 2.5, 15)
    # t is read by the test's own gated_onsite too, so it gets no default: pass it
    reduced = sweep(fsyst, 0.9, "V_g", gates, params={"t": 1.0}, method="reduced")
    assert np.abs(reduced - plain_kwant(fsyst, 0.9, "V_g", gates, WIRE)).max() < TOL


def _spinful_chain():
    """A spinful chain with a magnetic impurity (``h``) and one spin-orbit bond (``alpha``)."""
    sigma_0 = np.eye(2)
    sigma_x = np.array([[0, 1], [1, 0]])
    sigma_y = np.array([[0, -1j], [1j, 0]])
    sigma_z = np.diag([1.0, -1.0])
    lat = kwant.lattice.chain(a=1, norbs=2)

    def onsite(site, t):
        return 2 * t * sigma_0

    def impurity(site, t, h):
        return 2 * t * sigma_0 + h * (0.6 * sigma_x + 0.8 * sigma_z) + 0.3 * sigma_0

    def hopping(a, b, t):
        return -t * sigma_0

    def spin_orbit_bond(a, b, t, alpha):
        return -t * sigma_0 + 1j * alpha * sigma_y

    builder = kwant.Builder()
    builder[(lat(x) for x in range(10))] = onsite
    builder[lat.neighbors()] = hopping
    builder[lat(4)] = impurity
    builder[lat(6), lat(7)] = spin_orbit_bond
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = onsite
    lead[lat.neighbors()] = hopping
    builder.attach_lead(lead)
    builder.attach_lead(lead.reversed())
    return builder.finalized()


@pytest.mark.parametrize(("param", "fixed"), [("h", {"alpha": 0.4}), ("alpha", {"h": 0.7})])
def test_two_orbital_sweeps_equal_plain_kwant_loop(param, fixed, reduced_only):
    """Matrix-valued onsites and hoppings: the orbital bookkeeping of the subspace."""
    fsyst = _spinful_chain()
    values = np.linspace(-1.5, 1.5, 13)
    reduced = sweep(fsyst, 1.3, param, values, params={"t": 1.0, **fixed}, method="reduced")
    expected = plain_kwant(fsyst, 1.3, param, values, {"t": 1.0, **fixed})
    assert np.abs(reduced - expected).max() < TOL


def test_flux_period_is_h_over_e_and_two_terminal_phase_rigidity():
    """G(φ + 1) = G(φ) (period h/e) and, two-terminal, G(φ) = G(−φ), even without symmetry.

    For the four-terminal ring the matrix obeys G_ij(φ) = G_ji(−φ) (Onsager)
    but is not itself even in φ.
    """
    two = systems.ab_ring(5, 9, 3).finalized()
    params = {"disorder": 1.5, "salt": "3", "V": _potential}
    flux = np.linspace(0.05, 0.95, 10)
    g = sweep(two, 1.5, "phi", np.concatenate([flux, flux + 1, -flux]), params=params)
    g_plus, g_shift, g_minus = g[:10], g[10:20], g[20:]
    assert np.abs(g_shift - g_plus).max() < 1e-10
    assert np.abs(g_minus - g_plus).max() < 1e-10
    assert np.ptp(g_plus[:, 0, 1]) > 0.1  # the trace does oscillate

    four = systems.ab_ring(6, 10, 3, four_leads=True).finalized()
    g = sweep(four, 0.8, "phi", np.concatenate([flux, -flux]), params=params)
    g_plus, g_minus = g[:10], g[10:]
    assert np.abs(g_plus - np.transpose(g_minus, (0, 2, 1))).max() < 1e-10
    assert np.abs(g_plus - g_minus).max() > 1e-2


def _ring_with_probes(sites=slice(0, 12)):
    builder = systems.ab_ring(5, 8, 3)
    lower_arm = sorted(
        (s for s in builder.sites() if s.pos[1] < -3 and 25 <= s.pos[0] ** 2 + s.pos[1] ** 2 <= 64),
        key=lambda s: tuple(s.pos),
    )
    probes = systems.attach_dephasing_probes(builder, lower_arm[sites])
    return builder.finalized(), probes


def test_flux_sweep_with_dephasing_probes_equals_direct_greens_function(reduced_only):
    fsyst, probes = _ring_with_probes()
    assert len(probes) == 12
    flux = np.linspace(0, 1, 9)
    reduced = sweep(fsyst, 1.0, "phi", flux, params={"eta": 0.3}, method="reduced")
    direct = greens_function_loop(fsyst, 1.0, "phi", flux, {**RING, "eta": 0.3})
    assert np.abs(reduced - direct).max() < TOL
    assert np.abs(reduced[:, probes, :]).max() > 1e-3  # the probes do take part


def test_sweep_of_the_probe_coupling_changes_only_self_energies(reduced_only):
    """η enters only through the probes' self-energies, on a few sites: still reduced."""
    fsyst, _ = _ring_with_probes(slice(0, 4))
    etas = [0.0, 0.1, 0.5, 2.0]
    reduced = sweep(fsyst, 1.0, "eta", etas, params={"phi": 0.3}, method="reduced")
    direct = greens_function_loop(fsyst, 1.0, "eta", etas, {**RING, "phi": 0.3})
    assert np.abs(reduced - direct).max() < TOL


def _chain_with_gated_lead():
    """A two-orbital chain whose right lead (a lead with modes) alone reads ``V_lead``."""
    lat = kwant.lattice.chain(a=1, norbs=2)
    tau_x = np.array([[0, 1], [1, 0]])
    hopping = -np.eye(2) + 0.2j * np.array([[0, -1j], [1j, 0]])

    builder = kwant.Builder()
    builder[(lat(x) for x in range(8))] = lambda site, V: (0.3 * site.pos[0] % 1 + V) * tau_x
    builder[lat.neighbors()] = hopping
    left = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    left[lat(0)] = 0.1 * tau_x
    left[lat.neighbors()] = hopping
    right = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    right[lat(0)] = lambda site, V_lead: V_lead * np.eye(2) + 0.1 * tau_x
    right[lat.neighbors()] = hopping
    builder.attach_lead(left)
    builder.attach_lead(right)
    return builder.finalized()


def test_sweep_of_a_lead_parameter_recomputes_that_leads_self_energy(reduced_only):
    """Only the right lead reads ``V_lead``: its self-energy changes, on its interface alone.

    The lead has modes, so its self-energy per value comes from the scattering
    core (stabilized modes, as Kwant); the reference is plain ``kwant.smatrix``.
    """
    fsyst = _chain_with_gated_lead()
    values = np.linspace(-0.6, 0.6, 7)
    assert workflows.scattering.sweeps.reduces(fsyst, 0.7, "V_lead", values, params={"V": 0.2})
    reduced = sweep(fsyst, 0.7, "V_lead", values, params={"V": 0.2}, method="reduced")
    expected = plain_kwant(fsyst, 0.7, "V_lead", values, {"V": 0.2})
    assert np.abs(reduced - expected).max() < TOL
    assert np.ptp(reduced[:, 0, 1]) > 1e-2  # the lead gate does change the transmission


@pytest.mark.parametrize(
    ("make", "param", "values", "given", "reference"),
    [
        (
            lambda: systems.ab_ring(4, 7, 2),
            "t",
            [0.8, 1.0, 1.3],
            {"phi": 0.2},
            {**RING, "phi": 0.2},
        ),
        (lambda: systems.wire(8, 4), "B", [0.0, 0.05, 0.1], {}, RING),
    ],
    ids=["hopping-t", "field-B"],
)
def test_parameter_touching_everything_falls_back_with_a_warning(
    make, param, values, given, reference
):
    fsyst = make().finalized()
    # E = 1.1: at E = 1.0 the ring's two-site leads have their first band edge (E_1 = t)
    expected = plain_kwant(fsyst, 1.1, param, values, reference)
    with pytest.warns(SweepFallbackWarning, match=param):
        forced = sweep(fsyst, 1.1, param, values, params=given, method="reduced")
    assert np.abs(forced - expected).max() < TOL
    # "auto" decides for the direct method quietly (pytest turns warnings into errors)
    assert np.abs(sweep(fsyst, 1.1, param, values, params=given) - expected).max() < TOL


def test_changes_are_checked_value_by_value(reduced_only, monkeypatch):
    """Every onsite takes ``V``, but local potentials change only a few: reduced, and exact.

    A value that changes the whole system sends the sweep to the direct method.
    """

    def bump(x0, y0, height):
        return lambda x, y: height * ((x - x0) ** 2 + (y - y0) ** 2 <= 1)

    fsyst = systems.wire(10, 4).finalized()
    local = [bump(4, 1, 0.0), bump(4, 1, 0.8), bump(5, 2, -0.5), bump(4, 2, 1.5)]
    reduced = sweep(fsyst, 0.8, "V", local, method="reduced")
    assert np.abs(reduced - plain_kwant(fsyst, 0.8, "V", local, WIRE)).max() < TOL

    monkeypatch.undo()
    spread = [*local, lambda x, y: 0.2 * np.cos(x + y)]  # the last one changes every site
    with pytest.warns(SweepFallbackWarning, match="V"):
        forced = sweep(fsyst, 0.8, "V", spread, method="reduced")
    assert np.abs(forced - plain_kwant(fsyst, 0.8, "V", spread, WIRE)).max() < TOL


def test_bad_input_is_rejected_before_solving():
    fsyst = systems.ab_ring(4, 7, 2).finalized()
    with pytest.raises(ValueError, match="'B' is not a parameter"):
        sweep(fsyst, 1.0, "B", [0.1])
    with pytest.raises(ValueError, match="also given in params"):
        sweep(fsyst, 1.0, "phi", [0.1], params={"phi": 0.2})
    with pytest.raises(ValueError, match="method must be 'auto', 'reduced' or 'direct'"):
        sweep(fsyst, 1.0, "phi", [0.1], method="fast")
    with pytest.raises(TypeError, match="values must be a sequence"):
        sweep(fsyst, 1.0, "phi", 0.1)
    with pytest.raises(TypeError, match="parameter 'phi' must be a finite real number"):
        sweep(fsyst, 1.0, "phi", [0.1, "half"])
    with pytest.raises(TypeError, match="finalized"):
        sweep(systems.ab_ring(4, 7, 2), 1.0, "phi", [0.1])
    assert sweep(fsyst, 1.0, "phi", []).shape == (0, 2, 2)


def _counting_resolve(monkeypatch) -> list[dict]:
    """Record the params of every energy resolution of a sweep."""
    resolve = workflows.scattering.sweeps.resolve_energy
    calls = []

    def counted(fsyst, energy, params, at_band_edge=None, **kwargs):
        calls.append(params)
        return resolve(fsyst, energy, params, at_band_edge, **kwargs)

    monkeypatch.setattr(workflows.scattering.sweeps, "resolve_energy", counted)
    return calls


def test_a_flux_sweep_at_a_lead_band_edge_resolves_the_energy_once(monkeypatch):
    """No lead reads ``phi``: the one-sided energy is the same at every flux, found once.

    E = 1.0 t is the first band edge of the ring's two-site leads (E_1 = t); the sweep
    solves at the energy just above, as plain Kwant does there (to TOL, as above).
    """
    fsyst = systems.ab_ring(4, 7, 2).finalized()
    flux = np.linspace(0, 1, 6, endpoint=False)
    calls = _counting_resolve(monkeypatch)
    swept = sweep(fsyst, 1.0, "phi", flux, at_band_edge="above")
    assert len(calls) == 1
    above = band_edges.resolve_energy(fsyst, 1.0, {**RING, "phi": 0.0}, "above")
    assert 1.0 < above < 1.0 + 1e-6
    assert np.abs(swept - plain_kwant(fsyst, above, "phi", flux, RING)).max() < TOL
    with pytest.raises(band_edges.BandEdgeError, match="band edge"):
        sweep(fsyst, 1.0, "phi", flux)  # refused, as before


def test_a_sweep_of_a_lead_parameter_resolves_the_energy_at_every_value(monkeypatch):
    """The right lead reads ``V_lead``: its band edges move, so each value is resolved."""
    fsyst = _chain_with_gated_lead()
    values = np.linspace(-0.6, 0.6, 5)
    calls = _counting_resolve(monkeypatch)
    swept = sweep(fsyst, 0.7, "V_lead", values, params={"V": 0.2}, at_band_edge="above")
    assert [params["V_lead"] for params in calls] == list(values)
    assert np.abs(swept - plain_kwant(fsyst, 0.7, "V_lead", values, {"V": 0.2})).max() < TOL
