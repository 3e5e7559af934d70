"""Andreev conductances and noise against closed forms (Beenakker, BTK, de Jong–Beenakker).

Every system is plain Kwant: BdG chains and strips in the style of Kwant's
superconductor tutorial (normal leads with ``conservation_law=-tau_z,
particle_hole=tau_y``, superconducting leads without a conservation law).
"""

from __future__ import annotations

import kwant
import numpy as np
import pytest
import scipy.integrate
import tinyarray

import workflows
from workflows import andreev_conductance, andreev_noise
from workflows.runs.options import RunOptions
from workflows.scattering import andreev_thermal_conductance

TAU_X = tinyarray.array([[0, 1], [1, 0]])
TAU_Y = tinyarray.array([[0, -1j], [1j, 0]])
TAU_Z = tinyarray.array([[1, 0], [0, -1]])


def _normal_bdg_lead(lat, symmetry, onsite, hopping, sites):
    lead = kwant.Builder(symmetry, conservation_law=-TAU_Z, particle_hole=TAU_Y)
    lead[sites] = onsite
    lead[lat.neighbors()] = hopping
    return lead


def btk_chain(barrier, delta, mu=2.0, n_normal=4):
    """1D BdG chain (t = 1): normal sites, a one-site barrier U last, then an S lead."""
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(n_normal))] = (2 - mu) * TAU_Z
    syst[lat(n_normal - 1)] = (2 - mu + barrier) * TAU_Z
    syst[lat.neighbors()] = -TAU_Z
    syst.attach_lead(
        _normal_bdg_lead(lat, kwant.TranslationalSymmetry((-1,)), (2 - mu) * TAU_Z, -TAU_Z, lat(0))
    )
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    s_lead[lat(0)] = (2 - mu) * TAU_Z + delta * TAU_X
    s_lead[lat.neighbors()] = -TAU_Z
    syst.attach_lead(s_lead)
    return syst.finalized()


def btk_conductance(energy, delta, z):
    """BTK G = 1 + A − B (e²/h, one channel), Blonder, Tinkham & Klapwijk, PRB 25, 4515
    (1982), Table II."""
    energy = abs(energy)
    if energy < delta:
        a = delta**2 / (energy**2 + (delta**2 - energy**2) * (1 + 2 * z**2) ** 2)
        return 1 + a - (1 - a)
    u2 = 0.5 * (1 + np.sqrt((energy**2 - delta**2) / energy**2))
    v2 = 1 - u2
    gamma2 = (u2 + z**2 * (u2 - v2)) ** 2
    return 1 + u2 * v2 / gamma2 - (u2 - v2) ** 2 * z**2 * (1 + z**2) / gamma2


DELTA = 1e-3


@pytest.mark.parametrize("barrier", [0.0, 1.0, 3.0])
def test_btk_conductance_inside_and_outside_the_gap(barrier):
    """G(V) of a single-channel NS interface against BTK, Z = U/(2t sin k_F) = U/2 at μ = 2t.

    The chain is BTK's model up to the Andreev approximation: corrections are of order
    Δ/μ = 1e-3 (band curvature over eV ≤ 3Δ, phase over the one site between barrier and S),
    so 1 % is a safe bound that still tells BTK's Z-dependence apart (G(0) changes by
    factors of 2 to 50 between the barriers).
    """
    z = barrier / 2.0
    fsyst = btk_chain(barrier, DELTA)
    biases = DELTA * np.array([0.0, 0.3, 0.9, 1.2, 2.0, 3.0])
    result = andreev_conductance(fsyst, biases)
    expected = [btk_conductance(e, DELTA, z) for e in biases]
    np.testing.assert_allclose(result.conductance[:, 0, 0], expected, rtol=1e-2)
    # the current from the superconductor (current operator) balances the normal lead's
    np.testing.assert_allclose(result.superconductor[:, 0], -result.conductance[:, 0, 0], atol=1e-9)


def test_thermal_smearing_against_the_smeared_btk_curve():
    """At k_B T = Δ/2, G(V) = ∫ dE (−f'(E − eV)) G_BTK(E), integrated here by scipy.quad.

    Tolerance 1 %: the BTK kernel itself agrees to ~1e-3 (test above), and the trapezoid
    rule at step k_B T/2 on this transparent (Z = 0) interface adds ~1e-3 (its square-root
    cusp at Δ; measured on the closed form).
    """
    temperature = DELTA / 2
    fsyst = btk_chain(0.0, DELTA)
    biases = DELTA * np.array([0.9])
    result = andreev_conductance(
        fsyst, biases, temperature=temperature, energy_step=temperature / 2
    )

    def smeared(v):
        def integrand(e):
            x = (e - v) / (2 * temperature)
            return btk_conductance(e, DELTA, 0.0) / (4 * temperature * np.cosh(x) ** 2)

        lo, hi = v - 30 * temperature, v + 30 * temperature
        return scipy.integrate.quad(integrand, lo, hi, points=[-DELTA, DELTA], limit=200)[0]

    expected = [smeared(v) for v in biases]
    np.testing.assert_allclose(result.conductance[:, 0, 0], expected, rtol=1e-2)
    # and it differs from T = 0 (G = 2) by far more than the tolerance: the test can fail
    assert abs(expected[0] - 2.0) > 0.1


def _disordered_strip(width, length, mu, disorder, seed, bdg, delta):
    """2D strip (t = 1) with on-site disorder, normal lead on the left, S (or N) on the right."""
    rng = np.random.default_rng(seed)
    potential = {
        (x, y): disorder * (rng.random() - 0.5) for x in range(length) for y in range(width)
    }
    lat = kwant.lattice.square(norbs=2 if bdg else 1)
    z, x_ = (TAU_Z, TAU_X) if bdg else (1, 0)
    syst = kwant.Builder()
    for (x, y), v in potential.items():
        syst[lat(x, y)] = (4 - mu + v) * z
    syst[lat.neighbors()] = -z
    cross = [lat(0, y) for y in range(width)]
    if bdg:
        left = _normal_bdg_lead(lat, kwant.TranslationalSymmetry((-1, 0)), (4 - mu) * z, -z, cross)
    else:
        left = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
        left[cross] = 4 - mu
        left[lat.neighbors()] = -1
    right = kwant.Builder(kwant.TranslationalSymmetry((1, 0)))
    right[cross] = (4 - mu) * z + delta * x_
    right[lat.neighbors()] = -z
    syst.attach_lead(left)
    syst.attach_lead(right)
    return syst.finalized()


def test_beenakker_formula_at_zero_bias():
    """G_NS = 2 Σ_n T_n²/(2 − T_n)² (e²/h, one spin-resolved BdG block) at E = 0, B = 0.

    Beenakker, PRB 46, 12841 (1992), Eq. (2) per spin; T_n from the normal state of the
    same disordered strip (a normal lead replacing S), by plain kwant.smatrix.  The
    formula holds in the Andreev approximation, exact up to O(Δ/μ) = 1e-3 at Δ = 1e-3 t,
    μ = 3 t: tolerance 1e-3 (relative).
    """
    args = dict(width=4, length=5, mu=3.0, disorder=2.0, seed=7)
    normal = _disordered_strip(**args, bdg=False, delta=0.0)
    t = kwant.smatrix(normal, 0.0).submatrix(1, 0)
    transmissions = np.linalg.svd(t, compute_uv=False) ** 2
    expected = 2 * np.sum(transmissions**2 / (2 - transmissions) ** 2)
    assert transmissions.size == 3 and 0.1 < np.mean(transmissions) < 0.9  # several, partial
    result = andreev_conductance(_disordered_strip(**args, bdg=True, delta=1e-3), 0.0)
    np.testing.assert_allclose(result.conductance[0, 0, 0], expected, rtol=1e-3)


# Spinful BdG in the basis (e↑, e↓, h↓, −h↑): τ ⊗ σ; particle-hole τ_y σ_y K.
S0, SX, SY = np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]])
T0, TX, TY, TZ = np.eye(2), np.array(TAU_X), np.array(TAU_Y), np.array(TAU_Z)


def nsn_rashba_wire(length=9, s_sites=(3, 4, 5), mu=0.5, alpha=0.4, zeeman=0.15, delta=0.2):
    """Three-terminal NSN: a spinful Rashba–Zeeman wire (4 orbitals), pairing on the middle
    sites, normal leads at both ends and a superconducting lead from above the middle."""
    lat = kwant.lattice.square(norbs=4)
    kin = (2 - mu) * np.kron(TZ, S0)
    hop = -np.kron(TZ, S0) - 0.5j * alpha * np.kron(TZ, SY)
    zee = zeeman * np.kron(T0, SX)
    pair = delta * np.kron(TX, S0)
    syst = kwant.Builder()
    for x in range(length):
        syst[lat(x, 0)] = kin + zee + (pair if x in s_sites else 0 * pair)
    syst[kwant.builder.HoppingKind((1, 0), lat)] = hop
    law, ph = -np.kron(TZ, S0), np.kron(TY, SY)
    for direction, site in (((-1, 0), lat(0, 0)), ((1, 0), lat(0, 0))):
        lead = kwant.Builder(
            kwant.TranslationalSymmetry(direction), conservation_law=law, particle_hole=ph
        )
        lead[site] = kin + zee
        lead[kwant.builder.HoppingKind((1, 0), lat)] = hop
        syst.attach_lead(lead)
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    s_lead[lat(s_sites[1], 0)] = (4 - mu) * np.kron(TZ, S0) + pair
    s_lead[kwant.builder.HoppingKind((0, 1), lat)] = -np.kron(TZ, S0)
    syst.attach_lead(s_lead)
    return syst.finalized()


def test_nsn_matrix_against_kwant_blocks_and_current_conservation():
    """The 2×2 local/non-local matrix against Kwant's block transmissions (Anantram & Datta,
    PRB 53, 16390 (1996): G_ij = δ_ij N_i^e − T^ee_ij + T^he_ij at E = eV_j), inside and
    outside the gap; and Σ_i G_ij + dI_S/dV_j = 0 with I_S from the current operator into
    the superconducting region (an independent route: rounding only, 1e-9)."""
    fsyst = nsn_rashba_wire()
    biases = np.array([0.05, 0.3])  # inside and outside the gap Δ = 0.2 of the S lead
    result = andreev_conductance(fsyst, biases)
    assert result.normal_leads == (0, 1) and result.superconducting_leads == (2,)
    for k, energy in enumerate(biases):
        s = kwant.smatrix(fsyst, energy)
        for i in range(2):
            for j in range(2):
                n_e = s.submatrix((i, 0), (i, 0)).shape[0] if i == j else 0
                expected = n_e - s.transmission((i, 0), (j, 0)) + s.transmission((i, 1), (j, 0))
                assert abs(result.conductance[k, i, j] - expected) < 1e-10
    assert np.all(np.abs(result.conductance[:, 1, 0]) > 1e-3)  # a real non-local signal
    total = result.conductance.sum(axis=1) + result.superconductor
    np.testing.assert_allclose(total, 0.0, atol=1e-9)


def test_bias_axis_runs_through_a_resumable_scan(tmp_path):
    """The biases run through workflows.scan: a store resumes (the second run reads it)."""
    fsyst = btk_chain(1.0, DELTA)
    store = tmp_path / "andreev.sqlite"
    first = andreev_conductance(fsyst, [0.2 * DELTA, 2.0 * DELTA], run=RunOptions(store=store))
    again = andreev_conductance(fsyst, [0.2 * DELTA, 2.0 * DELTA], run=RunOptions(store=store))
    np.testing.assert_array_equal(first.conductance, again.conductance)
    expected = [btk_conductance(e, DELTA, 0.5) for e in (0.2 * DELTA, 2.0 * DELTA)]
    np.testing.assert_allclose(again.conductance[:, 0, 0], expected, rtol=1e-2)


def test_bad_input_is_refused_before_work():
    with pytest.raises(ValueError, match="normal BdG lead"):
        andreev_conductance(_plain_wire(), 0.0)
    with pytest.raises(ValueError, match="temperature"):
        andreev_conductance(btk_chain(0.0, DELTA), 0.0, temperature=-1.0)


def _plain_wire():
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(3))] = 2.0
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


# Noise of NS junctions (workflows.andreev_noise).


def test_ns_fano_factor_against_de_jong_beenakker():
    """F = 2 Σ R_n(1 − R_n)/Σ R_n, R_n = T_n²/(2 − T_n)² (de Jong & Beenakker, PRB 49,
    16070 (1994)), T_n of the normal state by plain kwant.smatrix; Andreev approximation,
    O(Δ/μ) ≲ 1e-3 at Δ = 1e-3 t: tolerance 1e-3."""
    args = dict(width=4, length=5, mu=3.0, disorder=2.0, seed=7)
    t = kwant.smatrix(_disordered_strip(**args, bdg=False, delta=0.0), 0.0).submatrix(1, 0)
    transmissions = np.linalg.svd(t, compute_uv=False) ** 2
    r = transmissions**2 / (2 - transmissions) ** 2
    expected = 2 * np.sum(r * (1 - r)) / np.sum(r)
    result = andreev_noise(_disordered_strip(**args, bdg=True, delta=DELTA), [1e-4])
    assert abs(result.fano_factor(0) - expected) < 1e-3
    assert 0.3 < expected < 1.9  # far from both limits: the test tells them apart


def test_tunnel_ns_junction_has_charge_2e():
    """A strong barrier (Z = 5): F = 2(1 − R_A) → 2, R_A = 1/(1 + 2Z²)² (BTK at E = 0)."""
    z = 5.0
    result = andreev_noise(btk_chain(2 * z, DELTA), [1e-4])
    r_a = 1 / (1 + 2 * z**2) ** 2
    assert abs(result.fano_factor(0) - 2 * (1 - r_a)) < 1e-3
    assert abs(result.current[0] - 2 * r_a * 1e-4) < 1e-3 * 2 * r_a * 1e-4  # I = G V


def test_equilibrium_noise_is_johnson_nyquist_with_the_andreev_conductance():
    """S = 4 k_B T G at V = 0 (fluctuation–dissipation), G from andreev_conductance at E = 0:
    both from the same s(0), so they agree to rounding (1e-9); fixes the Nambu factor ½."""
    fsyst = btk_chain(1.0, DELTA)
    temperature = 1e-5
    noise = andreev_noise(fsyst, [0.0], temperature=temperature).noise[0, 0]
    g = andreev_conductance(fsyst, 0.0).conductance[0, 0, 0]
    assert abs(noise - 4 * temperature * g) < 1e-9 * noise


def test_no_subgap_heat_transport():
    """N − R_ee − R_he = 0 for |E| < Δ at an NS interface (Andreev reflection carries no
    heat; Andreev, JETP 19, 1228 (1964)), by unitarity when the S lead is closed: to
    rounding (1e-10); above the gap quasiparticles enter S and carry heat."""
    result = andreev_conductance(btk_chain(1.0, DELTA), DELTA * np.array([0.0, 0.5, 0.95, 2.0]))
    np.testing.assert_allclose(result.heat[:3, 0, 0], 0.0, atol=1e-10)
    assert result.heat[3, 0, 0] > 0.1
    assert np.all(result.conductance[:3, 0, 0] > 0.1)  # while charge flows


def majorana_wire(zeeman, barrier, mu=0.0, alpha=0.5, delta=0.1, n_sites=4):
    """Rashba–Zeeman wire: a normal single-subband lead, a barrier, a proximitized lead."""
    lat = kwant.lattice.chain(norbs=4)
    kin = (2 - mu) * np.kron(TZ, S0)
    hop = -np.kron(TZ, S0) - 0.5j * alpha * np.kron(TZ, SY)
    zee = zeeman * np.kron(T0, SX)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(n_sites))] = kin + zee
    syst[lat(n_sites - 1)] = kin + zee + barrier * np.kron(TZ, S0)
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(
        kwant.TranslationalSymmetry((-1,)),
        conservation_law=-np.kron(TZ, S0),
        particle_hole=np.kron(TY, SY),
    )
    lead[lat(0)] = kin + zee
    lead[lat.neighbors()] = hop
    syst.attach_lead(lead)
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    s_lead[lat(0)] = kin + zee + delta * np.kron(TX, S0)
    s_lead[lat.neighbors()] = hop
    syst.attach_lead(s_lead)
    return syst.finalized()


def test_majorana_zero_bias_peak_is_quantized():
    """A topological S lead (E_Z² > Δ² + μ²; Lutchyn, Sau & Das Sarma, PRL 105, 077001;
    Oreg, Refael & von Oppen, PRL 105, 177002 (2010)) and a single-subband normal lead:
    G → 2e²/h at zero bias for every barrier (Law, Lee & Ng, PRL 103, 237001 (2009)),
    exact at E = 0 in class D with one channel (det r = −1).  The bias is 1e-7 t, not 0:
    the semi-infinite topological lead has a Majorana state at its end, a pole of its
    self-energy at E = 0 exactly (Σ ~ 1e13, Γ meaningless); at 1e-7 t, far inside the
    peak (width ~ the coupling, > 1e-3 t here), G − 2 = O((eV/width)²) < 1e-6.  In the
    trivial phase (E_Z < Δ) the same wire has no peak (det r = +1: G → 0)."""
    bias = 1e-7
    for barrier in (0.5, 2.0):
        topological = andreev_conductance(majorana_wire(0.3, barrier), bias)
        assert topological.electron_modes[0, 0] == 1
        assert abs(topological.conductance[0, 0, 0] - 2.0) < 1e-6
        trivial = andreev_conductance(majorana_wire(0.05, barrier), bias)
        assert abs(trivial.conductance[0, 0, 0]) < 1e-6
    # In the trivial phase the sub-gap conductance depends on the barrier (it only vanishes
    # at E → 0, where det r = +1 for one channel): G(0.02 t) = 0.17 (U = 0.5) vs 0.0013 (U = 2).
    trivial_off = [
        andreev_conductance(majorana_wire(0.05, u), 0.02).conductance[0, 0, 0] for u in (0.5, 2)
    ]
    assert trivial_off[0] > 10 * trivial_off[1] > 0
    # away from zero bias the peak is not quantized: it depends on the barrier
    off = [andreev_conductance(majorana_wire(0.3, u), 0.02).conductance[0, 0, 0] for u in (0.5, 2)]
    assert abs(off[0] - off[1]) > 0.05


def test_the_majorana_pole_of_the_lead_at_zero_energy_is_refused():
    """At E = 0 exactly, Σ of the topological lead is a pole (Γ not positive): refused,
    never a silent G = 2.0004."""
    from workflows.scattering.andreev import AndreevPoint, SingularLeadError

    with pytest.raises(ValueError, match=r"SingularLeadError.*pole of the self-energy of lead 1"):
        andreev_conductance(majorana_wire(0.3, 0.5), 0.0)
    with pytest.raises(SingularLeadError):
        AndreevPoint(majorana_wire(0.3, 0.5), None, 0.0, None)(bias=0.0)
    with pytest.raises(SingularLeadError):
        andreev_noise(majorana_wire(0.3, 0.5), [1e-4])
    # the core refuses it for every observable, not only the Andreev functions
    for observable in (workflows.conductance_matrix, workflows.scattering_matrix):
        with pytest.raises(SingularLeadError):
            observable(majorana_wire(0.3, 0.5), 0.0, blocks=True)


def test_thermal_conductance_wiedemann_franz_and_btk():
    """κ = (1/h)∫ dE (E²/T)(−f') H(E).  With Δ = 0 a transparent chain gives the
    Wiedemann–Franz value π² k_B T/3 (units k_B t/h; H = 1 exactly and the midpoint rule
    converges exponentially: 1e-4).  With Δ at a transparent interface H = 0 below the gap
    and 1 − v₀²/u₀² above (BTK, Z = 0): κ equals that closed form summed on the same
    midpoints to 1e-5 (the kernel agrees with BTK to ~1e-6; the quadrature's own error at
    the gap edge, 3 % at this coarse step, is the docstring's, measured against scipy.quad),
    and the gap suppresses κ."""
    temperature, step = 3e-4, 1.5e-4
    normal = andreev_thermal_conductance(btk_chain(0.0, 0.0), temperature, energy_step=temperature)
    assert abs(normal[0, 0] / (np.pi**2 * temperature / 3) - 1) < 1e-4
    kappa = andreev_thermal_conductance(btk_chain(0.0, DELTA), temperature, energy_step=step)

    def integrand(e):
        heat = 0.0 if abs(e) < DELTA else 2 - btk_conductance(e, DELTA, 0.0)  # 1 − A, B = 0
        return e**2 / temperature * heat / (4 * temperature * np.cosh(e / (2 * temperature)) ** 2)

    half = int(np.ceil(20 * temperature / step))
    expected = sum(step * integrand(e) for e in (np.arange(-half, half) + 0.5) * step)
    assert abs(kappa[0, 0] / expected - 1) < 1e-5
    assert kappa[0, 0] < 0.5 * normal[0, 0]  # the gap suppresses heat: the test can fail


def nsn_strip(width=3, length=7, mu=1.5, delta=0.3, seed=3):
    """Disordered spinless BdG strip in a perpendicular field (parameter ``phi``, flux per
    plaquette in radians, Landau gauge: electrons e^{iφ…}, holes e^{−iφ…}), normal leads
    left and right, a superconducting lead on top of two sites off centre."""
    rng = np.random.default_rng(seed)
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    dis = {(x, y): 1.0 * (rng.random() - 0.5) for x in range(length) for y in range(width)}
    for (x, y), v in dis.items():
        syst[lat(x, y)] = (4 - mu + v) * TAU_Z

    def hop(site1, site2, phi):
        (x1, y1), (x2, y2) = site1.pos, site2.pos
        p = np.exp(-1j * phi * (x1 - x2) * (y1 + y2) / 2)  # Landau gauge, flux phi per plaquette
        return -np.array([[p, 0], [0, -p.conjugate()]])

    syst[lat.neighbors()] = hop
    law, ph = -TAU_Z, TAU_Y
    for d in (-1, 1):
        lead = kwant.Builder(
            kwant.TranslationalSymmetry((d, 0)), conservation_law=law, particle_hole=ph
        )
        lead[(lat(0, y) for y in range(width))] = (4 - mu) * TAU_Z
        lead[lat.neighbors()] = hop
        syst.attach_lead(lead)
    s_lead = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    s_lead[(lat(x, 0) for x in (2, 3))] = (4 - mu) * TAU_Z + delta * TAU_X
    s_lead[lat.neighbors()] = -TAU_Z
    syst.attach_lead(s_lead)
    return syst.finalized()


def test_nsn_onsager_relation_at_zero_bias():
    """G_LR(B) = G_RL(−B) at zero bias (Onsager–Casimir; for hybrids: Anantram & Datta,
    PRB 53, 16390 (1996)), reversing the orbital field (Peierls phase, flux φ per
    plaquette), in a disordered NSN strip where G_LR(B) ≠ G_RL(B) (by ~0.04 e²/h):
    to rounding (1e-10)."""
    fsyst = nsn_strip()
    g_plus = andreev_conductance(fsyst, 0.0, params={"phi": 0.2}).conductance[0]
    g_minus = andreev_conductance(fsyst, 0.0, params={"phi": -0.2}).conductance[0]
    assert abs(g_plus[0, 1] - g_minus[1, 0]) < 1e-10
    assert abs(g_plus[1, 0] - g_minus[0, 1]) < 1e-10
    assert abs(g_plus[0, 1] - g_plus[1, 0]) > 1e-2  # the relation is not a mere symmetry
