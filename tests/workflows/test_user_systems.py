"""User systems written with plain Kwant (tutorial styles) through mesoflow, against plain Kwant.

The references are plain Kwant calls (``kwant.smatrix``) with every parameter
spelt out.  mesoflow's solvers are exact reformulations (same Hamiltonian, a
sparse LU of the same open system), so matrices agree to rounding: 1e-9 e²/h
leaves room for LU backward error on these small systems.
"""

import concurrent.futures
import functools
import importlib
import textwrap

import kwant
import kwant.continuum
import numpy as np
import pytest
import scipy.integrate
import scipy.interpolate

import analysis
import analysis.plots
import systems
import workflows
import workflows.app.study_file
import workflows.app.study_run
from workflows.runs.options import RunOptions
from workflows.runs.recipes import builder_function

TOL = 1e-9
S0 = np.eye(2)
SX = np.array([[0, 1], [1, 0]])
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0, -1.0])


def plain(fsyst, energy, params):
    return np.asarray(kwant.smatrix(fsyst, energy, params=params).conductance_matrix())


def spin_orbit_wire(length=8, width=3):
    """Tutorial 2.3 style: 2 orbitals, matrix hopping, Zeeman term named ``B`` (the user's)."""
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, t, B, V):
        return (4 * t + V(*site.pos)) * S0 + B * SZ

    def lead_onsite(site, t, B):
        return 4 * t * S0 + B * SZ

    def hop_x(a, b, t, alpha):
        return -t * S0 + 1j * alpha * SY

    def hop_y(a, b, t, alpha):
        return -t * S0 - 1j * alpha * SX

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    syst[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = lead_onsite
    lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


SO_PARAMS = {"t": 1.0, "B": 0.15, "alpha": 0.2, "V": lambda x, y: 0.3 * np.exp(-((x - 3.5) ** 2))}


def radian_ring(r_out=6.0, r_in=3.0, width=2):
    """Tutorial 2.3.3 style: AB ring, ``phi`` in radians on a branch cut of the user's own."""
    lat = kwant.lattice.square(norbs=1)

    def ring(pos):
        x, y = pos
        return r_in**2 < x**2 + y**2 < r_out**2

    syst = kwant.Builder()
    syst[lat.shape(ring, (0, r_in + 1))] = 4
    syst[lat.neighbors()] = -1

    def hopping_phase(site1, site2, phi):
        return -np.exp(1j * phi)

    def crosses(hop):
        return hop.tag[0] == 0 and hop.tag[1] > 0

    cut = kwant.builder.HoppingKind((1, 0), lat, lat)
    syst[[h for h in cut(syst) if crosses(h[1])]] = hopping_phase
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(-width // 2 + 1, width // 2 + 1))] = 4
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def magnetic_texture(length=6, width=2):
    """Conservation-law leads (spin), a scattering region that rotates the spin."""
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, t, J):
        x, _ = site.pos
        angle = np.pi * x / (length - 1)
        return 4 * t * S0 + J * (np.cos(angle) * SZ + np.sin(angle) * SX)

    def lead_onsite(site, t, J):
        return 4 * t * S0 + J * SZ

    def hop(a, b, t):
        return -t * S0

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-SZ)
    lead[(lat(0, y) for y in range(width))] = lead_onsite
    lead[lat.neighbors()] = hop
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


TEXTURE = {"t": 1.0, "J": 0.4}


def bhz_strip(length=6, width=5):
    """A kwant.continuum BHZ model (4 orbitals) with leads; its band parameter is ``B``."""
    hamiltonian = """
        + C * identity(4) + M * kron(sigma_0, sigma_z)
        - B * (k_x**2 + k_y**2) * kron(sigma_0, sigma_z)
        - D * (k_x**2 + k_y**2) * identity(4)
        + A * k_x * kron(sigma_z, sigma_x)
        - A * k_y * kron(sigma_0, sigma_y)
    """
    template = kwant.continuum.discretize(hamiltonian, grid=1)

    def shape(site):
        x, y = site.pos
        return 0 <= x < length and 0 <= y < width

    def lead_shape(site):
        return 0 <= site.pos[1] < width

    syst = kwant.Builder()
    syst.fill(template, shape, (0, 0))
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead.fill(template, lead_shape, (0, 0))
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


BHZ = {"A": 0.5, "B": -1.0, "C": 0.0, "D": 0.0, "M": -0.2}


def test_conductance_matrices_equal_plain_kwant():
    for builder, params, energy in [
        (spin_orbit_wire(), SO_PARAMS, 0.7),
        (magnetic_texture(), TEXTURE, 1.5),
        (bhz_strip(), BHZ, 0.3),
    ]:
        fsyst = builder.finalized()
        G = workflows.conductance_matrix(fsyst, energy, params=params)
        assert np.abs(G - plain(fsyst, energy, params)).max() < TOL


def test_the_silent_fills_of_the_issue_are_errors():
    bhz = bhz_strip().finalized()
    with pytest.raises(ValueError, match=r"\['B'\]"):  # BHZ without its band parameter
        workflows.conductance_matrix(bhz, 0.3, params={k: v for k, v in BHZ.items() if k != "B"})
    wire = spin_orbit_wire().finalized()
    no_b = {k: v for k, v in SO_PARAMS.items() if k != "B"}
    with pytest.raises(ValueError, match=r"\['B'\]"):
        workflows.conductance_matrix(wire, 0.7, params=no_b)
    no_v = {k: v for k, v in SO_PARAMS.items() if k != "V"}
    with pytest.raises(ValueError, match=r"\['V'\]"):  # function-valued V, left out
        workflows.conductance_matrix(wire, 0.7, params=no_v)


def test_block_conductance_matrix_equals_kwant_blocks_and_sums_to_zero():
    fsyst = magnetic_texture().finalized()
    energy = 1.5
    G = workflows.conductance_matrix(fsyst, energy, params=TEXTURE, blocks=True)
    terminals = workflows.scattering.block_terminals(fsyst, params=TEXTURE)
    assert terminals == [(0, 0), (0, 1), (1, 0), (1, 1)]
    smatrix = kwant.smatrix(fsyst, energy, params=TEXTURE)
    for a, ta in enumerate(terminals):
        for b, tb in enumerate(terminals):
            if a != b:
                assert abs(G[a, b] + smatrix.transmission(ta, tb)) < TOL
    assert np.abs(G.sum(axis=0)).max() < TOL and np.abs(G.sum(axis=1)).max() < TOL
    assert abs(G[2, 1]) + abs(G[3, 0]) > 0.05  # the texture flips spins: blocks differ
    # summing the blocks of each lead gives the lead matrix
    lead_of = np.array([lead for lead, _ in terminals])
    summed = np.array(
        [[G[np.ix_(lead_of == i, lead_of == j)].sum() for j in (0, 1)] for i in (0, 1)]
    )
    assert np.abs(summed - plain(fsyst, energy, TEXTURE)).max() < TOL


def test_block_conductance_with_probes_at_zero_coupling_and_bias_algebra():
    builder = magnetic_texture()
    lat = next(iter(builder.sites())).family
    systems.attach_dephasing_probes(builder, [lat(2, 0), lat(3, 1)])
    fsyst = builder.finalized()
    coherent = magnetic_texture().finalized()
    G = workflows.conductance_matrix(fsyst, 1.5, params={**TEXTURE, "eta": 0.0}, blocks=True)
    reference = workflows.conductance_matrix(coherent, 1.5, params=TEXTURE, blocks=True)
    assert np.abs(G[:4, :4] - reference).max() < TOL
    dephased = workflows.conductance_matrix(fsyst, 1.5, params={**TEXTURE, "eta": 0.5}, blocks=True)
    assert np.abs(dephased.sum(axis=0)).max() < TOL and np.abs(dephased.sum(axis=1)).max() < TOL
    terminals = workflows.scattering.block_terminals(fsyst, params={**TEXTURE, "eta": 0.5})
    # blocks of a lead share its potential: equal to the bias problem on the lead matrix
    lead_matrix = workflows.conductance_matrix(fsyst, 1.5, params={**TEXTURE, "eta": 0.5})
    solved = analysis.solve_bias(dephased, voltages={0: 1.0, 1: 0.0}, terminals=terminals)
    expected = analysis.solve_bias(lead_matrix, voltages={0: 1.0, 1: 0.0})
    assert abs(solved.currents[:2].sum() - expected.currents[0]) < 1e-9
    assert np.allclose(solved.voltages[4:], expected.voltages[2:], atol=1e-9)
    # a spin-resolved contact: only spin block 1 of lead 0 is biased
    resolved = analysis.solve_bias(
        dephased, voltages={(0, 1): 1.0, (0, 0): 0.0, 1: 0.0}, terminals=terminals
    )
    assert resolved.voltages[0] == 0.0 and resolved.voltages[1] == 1.0
    r = analysis.four_terminal_resistance(
        dephased, current=(0, 1), voltage=(2, 3), terminals=terminals
    )
    assert abs(r - analysis.four_terminal_resistance(lead_matrix, (0, 1), (2, 3))) < 1e-9


@pytest.mark.parametrize("method", ["auto", "reduced"])
def test_sweeps_of_user_parameters_equal_plain_kwant(method):
    fsyst = radian_ring().finalized()
    phis = np.linspace(0, 2 * np.pi, 9)
    # E = 1.1: E = 1.0 is a band edge of the ring's leads (refused since the guard is complete)
    swept = workflows.sweep(fsyst, 1.1, "phi", phis, method=method)
    expected = [plain(fsyst, 1.1, {"phi": phi}) for phi in phis]
    assert np.abs(swept - expected).max() < TOL
    wire = spin_orbit_wire().finalized()
    fixed = {k: v for k, v in SO_PARAMS.items() if k != "B"}
    fields = [-0.2, 0.0, 0.3]
    swept = workflows.sweep(wire, 0.7, "B", fields, params=fixed, method="auto")
    assert np.abs(swept - [plain(wire, 0.7, {**fixed, "B": b}) for b in fields]).max() < TOL


def test_a_missing_period_is_refused_before_any_solve(monkeypatch):
    """A harmonics study of a user's flux without period= fails at once, not after the scan."""
    fsyst = radian_ring().finalized()
    solves = []

    def counting_point(**kwargs):
        solves.append(kwargs)
        raise RuntimeError("no solve expected")

    monkeypatch.setattr(workflows.studies.interference, "flux_trace_point", counting_point)
    with pytest.raises(ValueError, match="period="):
        workflows.visibility_vs_temperature(
            fsyst, 1.5, [0.01], energies=np.linspace(1.3, 1.7, 9), flux=np.linspace(0, 6, 8)
        )
    assert solves == []


def test_ab_oscillations_in_radians_need_the_period():
    fsyst = radian_ring().finalized()
    with pytest.raises(ValueError, match="period="):
        workflows.ab_oscillations(fsyst, 1.5)
    frame = workflows.ab_oscillations(fsyst, 1.5, period=2 * np.pi, flux_unit="rad")
    assert frame.attrs["units"]["phi"] == "rad" and frame.attrs["flux_period"] == 2 * np.pi
    assert analysis.plots.flux_label(frame) == r"$\phi$ (rad)"
    assert np.isclose(frame["phi"].iloc[-1], 2 * np.pi * 15 / 16)
    expected = [plain(fsyst, 1.5, {"phi": phi})[1, 0] for phi in frame["phi"]]
    assert np.abs(frame["G"] + expected).max() < TOL  # two terminals: G = T = −G_10
    # the harmonics in radians: G(phi) with period 2π, same amplitudes as on the h/e scale
    in_radians = analysis.flux_harmonics(frame["phi"], frame["G"], period=2 * np.pi)
    in_quanta = analysis.flux_harmonics(frame["phi"] / (2 * np.pi), frame["G"])
    assert np.isclose(in_radians.amplitude[1], in_quanta.amplitude[1], rtol=1e-12)
    assert in_radians.amplitude[1] > 0.05


def test_open_modes_of_a_finalized_lead_asks_only_for_its_parameters():
    builder = spin_orbit_wire()
    fsyst = builder.finalized()
    lead = fsyst.leads[0]
    lead_params = {"t": 1.0, "B": 0.15, "alpha": 0.2}  # no V: only the scattering region reads it
    n = workflows.open_modes(lead, 0.7, params=lead_params)
    assert n == kwant.smatrix(fsyst, 0.7, params=SO_PARAMS).num_propagating(0)
    assert workflows.open_modes(fsyst, 0.7, lead=0, params=lead_params) == n
    velocities = workflows.lead_velocities(lead, 0.7, lead=None, params=lead_params)
    assert velocities.size == n


def test_a_scan_of_a_user_system_equals_plain_kwant():
    fsyst = bhz_strip().finalized()

    def point(energy, M):
        G = workflows.conductance_matrix(fsyst, energy, params={**BHZ, "M": M})
        return {"G": analysis.two_terminal_conductance(G)}

    grid = {"energy": [0.2, 0.4], "M": [-0.2, 0.1]}
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        frame = workflows.scan(
            point,
            grid,
            run=RunOptions(executor=executor, progress=False),
        )
    for row in frame.itertuples():
        smatrix = kwant.smatrix(fsyst, row.energy, params={**BHZ, "M": row.M})
        assert abs(row.G - smatrix.transmission(1, 0)) < TOL


USER_MODULE = textwrap.dedent(
    """
    import kwant

    def my_system(length, width):
        lat = kwant.lattice.square(norbs=1)
        syst = kwant.Builder()
        syst[(lat(x, y) for x in range(length) for y in range(width))] = (
            lambda site, t, U: 4 * t + U
        )
        syst[lat.neighbors()] = lambda a, b, t: -t
        lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
        lead[(lat(0, y) for y in range(width))] = lambda site, t: 4 * t
        lead[lat.neighbors()] = lambda a, b, t: -t
        syst.attach_lead(lead)
        syst.attach_lead(lead.reversed())
        return syst

    def radian_ring():
        lat = kwant.lattice.square(norbs=1)
        syst = kwant.Builder()
        syst[lat.shape(lambda p: 9 < p[0] ** 2 + p[1] ** 2 < 36, (0, 4))] = 4
        syst[lat.neighbors()] = -1
        cut = [(a, b) for a, b in kwant.builder.HoppingKind((1, 0), lat, lat)(syst)
               if b.tag[0] == 0 and b.tag[1] > 0]
        syst[cut] = lambda a, b, phi: -complex(cmath.exp(1j * phi))
        lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
        lead[(lat(0, y) for y in (0, 1))] = 4
        lead[lat.neighbors()] = -1
        syst.attach_lead(lead)
        syst.attach_lead(lead.reversed())
        return syst

    def finalized_one(length, width):
        return my_system(length, width).finalized()

    not_a_function = 3
    """
)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "mymodule_i10.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "mymodule_i10"


def test_recipes_and_toml_studies_take_your_own_builder(user_module, tmp_path):
    module = importlib.import_module(user_module)
    recipe = workflows.SystemRecipe(module.my_system, {"length": 5, "width": 3})  # your code
    fsyst = recipe.finalized()
    params = {"t": 1.0, "U": 0.3}
    G = workflows.conductance_matrix(fsyst, 0.8, params=params)
    assert np.abs(G - plain(fsyst, 0.8, params)).max() < TOL
    # a "module:function" string follows the rule of study files: trusted outside the string
    with pytest.raises(ValueError, match=f"--allow-module {user_module}"):
        workflows.SystemRecipe(f"{user_module}:my_system", {"length": 5, "width": 3})
    function = functools.partial(
        builder_function, allow_modules=["no_such_module_i10", user_module]
    )
    with pytest.raises(ValueError, match="cannot import module 'no_such_module_i10'"):
        function("no_such_module_i10:f")
    with pytest.raises(ValueError, match="has no function 'missing'"):
        function(f"{user_module}:missing")
    with pytest.raises(TypeError, match="is not a function"):
        function(f"{user_module}:not_a_function")
    with pytest.raises(TypeError, match="returned a finalized system"):
        workflows.SystemRecipe(module.finalized_one, {"length": 3, "width": 2}).build()

    study = tmp_path / "mine.toml"
    study.write_text(
        textwrap.dedent(
            f"""
            [system]
            builder = "{user_module}:my_system"
            length = 5
            width = 3

            [params]
            t = 1.0
            energy = 0.8

            [grid]
            U = [0.0, 0.3]

            [[observables]]
            kind = "conductance"

            [executor]
            workers = 1
            """
        )
    )
    loaded = workflows.app.study_file.load_study(study, allow_modules=[user_module])
    assert loaded.recipe == recipe
    frame = workflows.app.study_run.run_study(
        study, output=tmp_path / "out", allow_modules=[user_module]
    )
    for row in frame.itertuples():
        expected = kwant.smatrix(fsyst, 0.8, params={"t": 1.0, "U": row.U}).transmission(1, 0)
        assert abs(row.G - expected) < TOL


def test_study_harmonics_of_a_user_flux_need_its_period(user_module, tmp_path):
    text = textwrap.dedent(
        f"""
        [system]
        builder = "{user_module}:radian_ring"

        [params]
        energy = 1.5

        [grid]
        phi = {{start = 0.0, stop = 6.0, num = 7}}

        [[observables]]
        kind = "conductance"

        [[observables]]
        kind = "flux_harmonics"
        of = "G"
        """
    )
    study = tmp_path / "ring.toml"
    study.write_text(text)
    with pytest.raises(ValueError, match="give its period in its own unit"):
        workflows.app.study_file.load_study(study, allow_modules=[user_module])
    study.write_text(text + "period = 6.283185307179586\n")
    assert workflows.app.study_file.load_study(study, allow_modules=[user_module]).harmonics[
        0
    ].period == pytest.approx(2 * np.pi)


def test_thermal_studies_of_a_user_system_equal_plain_kwant_quadrature():
    # The spin-orbit wire (own names t, B, alpha, a function-valued V) at k_B T = 0.005,
    # E = 0.55 t, one open mode over the whole window (its subband edges are near 0.41 t
    # and 0.70 t; asserted below, as a step in T(E) would spoil the reference):
    # thermoelectric_table's G and iv_curve's currents against a reference built from
    # plain kwant.smatrix over μ ± 16 k_B T (the Fermi weight beyond it is ~1e-7): T(E)
    # at 24 Chebyshev nodes (analytic between the subband edges: interpolation error
    # asserted ≤ 1e-11 between the nodes, measured 5e-15), integrated with the Fermi
    # factors by QUADPACK (asked for 1e-13).  (Before: Simpson's rule on 161 solves, error
    # ~1e-6 relative; the two references agree to 1e-12.)  The studies' adaptive grids
    # aim at 1e-5 e²/h per interval
    # (their default tol; observed: 3e-6 in G, 2e-8 in the currents of ~1e-3 e·t/h), so
    # the tolerances below are that budget, not rounding.  T(E) runs from 0.26 to 0.85
    # across the window (a resonance of the gate V), so the average is not trivial.
    fsyst = spin_orbit_wire().finalized()
    energy, temperature = 0.55, 0.005
    low, high = energy - 16 * temperature, energy + 16 * temperature
    assert {workflows.open_modes(fsyst, e, params=SO_PARAMS) for e in (low, high)} == {1}

    def plain_kwant(e):
        return kwant.smatrix(fsyst, e, params=SO_PARAMS).transmission(1, 0)

    nodes = 0.5 * (low + high) + 0.5 * (high - low) * np.cos((2 * np.arange(24) + 1) * np.pi / 48)
    transmission = scipy.interpolate.BarycentricInterpolator(nodes, [plain_kwant(e) for e in nodes])
    for e in (0.4731, 0.511, 0.5523, 0.593, 0.6271):  # between the nodes
        assert abs(transmission(e) - plain_kwant(e)) < 1e-11

    def integral(occupation):
        return scipy.integrate.quad(
            lambda e: transmission(e) * occupation(e), low, high, epsabs=1e-13, limit=200
        )[0]

    expected_g = integral(lambda e: analysis.fermi_window(e, energy, temperature))
    table = workflows.thermoelectric_table(fsyst, [energy], [temperature], params=SO_PARAMS)
    assert table["G"].iat[0] == pytest.approx(expected_g, abs=2e-5)

    biases = [-0.005, 0.0025, 0.0075]
    iv = workflows.iv_curve(fsyst, energy, biases, params=SO_PARAMS, temperature=temperature)
    for bias, current in zip(iv["bias"], iv["current"], strict=True):
        ms, md = energy + 0.5 * bias, energy - 0.5 * bias
        expected = integral(
            lambda e, ms=ms, md=md: (
                analysis.fermi(e, ms, temperature) - analysis.fermi(e, md, temperature)
            )
        )
        assert current == pytest.approx(expected, abs=1e-6)
    assert iv.attrs["failed"] == 0 and table.attrs["failed"] == 0
