"""Shot and thermal noise of Kwant systems against closed forms, the literature and plain Kwant."""

from __future__ import annotations

import cmath

import kwant
import numpy as np
import pytest
import tinyarray

import systems
from analysis import chain_barrier_transmission
from analysis.noise import chaotic_cavity_fano, crossover_noise
from workflows import fano_factor, noise_matrix, scattering_matrix


def _barrier_chain():
    """A user's chain in plain Kwant (on-site 2t) with a barrier V on its middle site."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(5))] = 2.0
    syst[lat(2)] = lambda site, V: 2.0 + V
    syst[lat.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1.0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


@pytest.mark.parametrize("energy", [0.4, 1.3, 2.0, 3.5])
def test_single_channel_fano_factor_is_one_minus_t(energy):
    # F = 1 − T for one channel (Blanter & Büttiker 2000, Sec. 2.6); T(E) the
    # closed-form lattice delta barrier.  Exact up to rounding.
    fsyst = _barrier_chain()
    transmission = chain_barrier_transmission(energy, 1.2)
    assert fano_factor(fsyst, energy, params=dict(V=1.2)) == pytest.approx(
        1 - transmission, abs=1e-12
    )


def test_ideal_wire_has_no_shot_noise():
    fsyst = systems.wire(8, 6).finalized()
    for energy in (0.5, 1.7, 2.9):
        assert abs(fano_factor(fsyst, energy)) < 1e-12


def test_johnson_nyquist_and_crossover_on_a_chain():
    # At zero bias S = 4 k_B T G (Johnson–Nyquist); at finite bias the coth
    # crossover of Blanter & Büttiker (2000, Sec. 2.6) with the transmission of the chain.
    fsyst = _barrier_chain()
    params = dict(V=0.8)
    energy, temperature = 1.1, 0.03
    transmission = chain_barrier_transmission(energy, 0.8)
    equilibrium = noise_matrix(fsyst, energy, params=params, temperature=temperature)
    assert equilibrium[0, 0] == pytest.approx(4 * temperature * transmission, rel=1e-12)
    for bias in (0.01, 0.1, 1.0):
        noise = noise_matrix(
            fsyst, energy, params=params, potentials=[bias, 0.0], temperature=temperature
        )
        expected = crossover_noise([transmission], bias, temperature)
        assert noise[1, 1] == pytest.approx(expected, rel=1e-12)


def _hall_cross_user_style():
    """Four-terminal cross with 2-orbital (spin-degenerate) matrix hoppings and a field."""
    lat = kwant.lattice.square(norbs=2)
    sigma0 = tinyarray.array([[1, 0], [0, 1]])

    def hopping(a, b, flux):
        (x1, y1), (x2, y2) = a.pos, b.pos
        return -sigma0 * cmath.exp(-0.5j * flux * (x1 - x2) * (y1 + y2))

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(-4, 5) for y in range(-2, 3))] = 4 * sigma0
    syst[(lat(x, y) for x in range(-2, 3) for y in range(-4, 5))] = 4 * sigma0
    syst[lat.neighbors()] = hopping
    for direction in [(-1, 0), (1, 0)]:
        lead = kwant.Builder(kwant.TranslationalSymmetry(direction))
        lead[(lat(0, y) for y in range(-2, 3))] = 4 * sigma0
        lead[lat.neighbors()] = hopping
        syst.attach_lead(lead)
    for direction in [(0, -1), (0, 1)]:
        lead = kwant.Builder(kwant.TranslationalSymmetry(direction))
        lead[(lat(x, 0) for x in range(-2, 3))] = 4 * sigma0
        lead[lat.neighbors()] = hopping
        syst.attach_lead(lead)
    return syst.finalized()


def test_multiterminal_equilibrium_noise_in_a_field_is_fluctuation_dissipation():
    # S_αβ = 2 k_B T (G_αβ + G_βα) (Büttiker 1992) with G from plain
    # Kwant's conductance_matrix; flux in radians per plaquette (user units).
    fsyst = _hall_cross_user_style()
    params = dict(flux=0.7)
    energy, temperature = 1.2, 0.05
    conductance = kwant.smatrix(fsyst, energy, params=params).conductance_matrix()
    assert not np.allclose(conductance, conductance.T)  # the field matters
    noise = noise_matrix(fsyst, energy, params=params, temperature=temperature)
    np.testing.assert_allclose(noise, 2 * temperature * (conductance + conductance.T), atol=1e-10)


def _kwant_channels(smatrix):
    """Lead label of every channel of a plain-Kwant scattering matrix (mode basis)."""
    counts = [len(info.momenta) // 2 for info in smatrix.lead_info]
    return np.repeat(np.arange(len(counts)), counts)


def test_core_scattering_matrix_equals_kwant_smatrix():
    # (Away from subband edges: at E = 1.0 or 2.0, edges of the 5-wide leads, a
    # mode has zero velocity and Kwant's s is not unitary.)
    # The core's Fisher–Lee s = −1 + i W† G W and Kwant's mode-basis s differ by
    # unitaries within leads: equal channel counts, transmission eigenvalues and
    # noise.  Tolerance 1e-10: two different factorizations, each exact to ~1e-13.
    from analysis.noise import noise_from_scattering_matrix as kwant_free_noise

    fsyst = _hall_cross_user_style()
    params = dict(flux=0.4)
    potentials = [0.2, -0.1, 0.0, 0.05]
    ours = scattering_matrix(fsyst, 1.3, params=params)
    reference = kwant.smatrix(fsyst, 1.3, params=params)
    unitary = ours.data.conj().T @ ours.data
    np.testing.assert_allclose(unitary, np.eye(len(unitary)), atol=1e-10)
    np.testing.assert_array_equal(ours.channel_terminals, _kwant_channels(reference))
    for to in range(4):
        for source in range(4):
            expected = np.linalg.svd(reference.submatrix(to, source), compute_uv=False) ** 2
            np.testing.assert_allclose(
                ours.transmission_eigenvalues(to, source), expected, atol=1e-10
            )
    np.testing.assert_allclose(
        kwant_free_noise(ours.data, ours.channel_terminals, potentials, 0.02),
        kwant_free_noise(reference.data, _kwant_channels(reference), potentials, 0.02),
        atol=1e-10,
    )


def test_fano_factor_and_conductance_matrix_agree_with_kwant_on_one_solve():
    # The complaint: fano_factor (S-matrix) and conductance_matrix (core)
    # disagreed at one energy.  Both now come from the core; both equal plain Kwant.
    from workflows import conductance_matrix

    fsyst = systems.wire(12, 4).finalized()
    params = systems.resolve_params(fsyst, dict(disorder=1.2, salt="one-door"))
    energy = 0.9
    reference = kwant.smatrix(fsyst, energy, params=params)
    t_n = np.linalg.svd(reference.submatrix(1, 0), compute_uv=False) ** 2
    expected = float(np.sum(t_n * (1 - t_n)) / np.sum(t_n))  # Blanter & Büttiker (2000)
    assert fano_factor(fsyst, energy, params=params) == pytest.approx(expected, abs=1e-10)
    np.testing.assert_allclose(
        conductance_matrix(fsyst, energy, params=params),
        reference.conductance_matrix(),
        atol=1e-10,
    )
    s = scattering_matrix(fsyst, energy, params=params)
    assert np.sum(np.abs(s.submatrix(1, 0)) ** 2) == pytest.approx(
        reference.transmission(1, 0), abs=1e-10
    )


def test_noise_with_dephasing_probes_is_conserving_and_matches_fluctuation_dissipation():
    # Self-energy leads: only the Green's-function route works.  Equilibrium
    # noise equals 2 k_B T (G + Gᵀ) with G from workflows.conductance_matrix.
    from workflows import conductance_matrix

    builder = systems.chain(6)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=0.3)
    noise = noise_matrix(fsyst, 1.0, params=params, temperature=0.1)
    conductance = conductance_matrix(fsyst, 1.0, params=params)
    np.testing.assert_allclose(noise, 0.2 * (conductance + conductance.T), atol=1e-10)
    biased = np.zeros(len(fsyst.leads))
    biased[0] = 0.5
    shot = noise_matrix(fsyst, 1.0, params=params, potentials=biased)
    np.testing.assert_allclose(shot.sum(axis=0), 0, atol=1e-12)
    assert 0 < fano_factor(fsyst, 1.0, params=params) < 1


def test_conservation_law_blocks_are_separate_terminals():
    # A spinful wire with spin-conserving leads and a spin-dependent barrier:
    # each spin block is a channel set of its own; its Fano factor is 1 − T_σ.
    lat = kwant.lattice.chain(norbs=2)
    sz = np.diag([1.0, -1.0])
    syst = kwant.Builder()
    syst[(lat(i) for i in range(3))] = 2 * np.eye(2)
    syst[lat(1)] = lambda site, V, h: (2 + V) * np.eye(2) + h * sz
    syst[lat.neighbors()] = -np.eye(2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)), conservation_law=-sz)
    lead[lat(0)] = 2 * np.eye(2)
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    fsyst = syst.finalized()
    params = dict(V=0.5, h=0.4)
    energy = 1.0
    s = scattering_matrix(fsyst, energy, params=params, blocks=True)
    assert s.terminals == ((0, 0), (0, 1), (1, 0), (1, 1))
    smatrix = kwant.smatrix(fsyst, energy, params=params)
    for block in (0, 1):
        t_block = s.transmission_eigenvalues(2 + block, block)
        assert t_block.sum() == pytest.approx(smatrix.transmission((1, block), (0, block)))
    noise = noise_matrix(fsyst, energy, params=params, potentials=[0.1, 0.1, 0, 0], blocks=True)
    for block in (0, 1):
        t = smatrix.transmission((1, block), (0, block))
        assert noise[2 + block, 2 + block] == pytest.approx(2 * 0.1 * t * (1 - t), rel=1e-10)
    with pytest.raises(ValueError, match="potentials"):
        noise_matrix(fsyst, energy, params=params, potentials=[0.1, 0.0], blocks=True)


def test_bad_input_is_rejected_before_work():
    fsyst = _barrier_chain()
    with pytest.raises(ValueError, match="sink"):
        fano_factor(fsyst, 1.0, params=dict(V=1.0), sink=3)
    with pytest.raises(ValueError, match="differ"):
        fano_factor(fsyst, 1.0, params=dict(V=1.0), source=1, sink=1)
    with pytest.raises(TypeError, match="blocks"):
        scattering_matrix(fsyst, 1.0, params=dict(V=1.0), blocks="yes")


# --- ensembles (computed once per module, kept small) -----------------------------------


@pytest.fixture(scope="module")
def diffusive_wire_ensemble():
    """Σ T and Σ T(1 − T) of 40 disordered wires (W = 16, L = 60, E = 2t: N = 8 channels).

    A weak field (0.01 h/e per plaquette, ~10 flux quanta through W × L)
    breaks time reversal so that the weak-localization correction to F is
    absent (β = 2); disorder 1.5 t gives ⟨g⟩ ≈ 2.4, i.e. L/l ≈ N/g − 1 ≈ 2.3.
    """
    fsyst = systems.wire(60, 16).finalized()
    g, p = [], []
    for sample in range(40):
        s = scattering_matrix(fsyst, 2.0, params=dict(disorder=1.5, salt=str(sample), B=0.01))
        t = s.transmission_eigenvalues(1, 0)
        g.append(t.sum())
        p.append(np.sum(t * (1 - t)))
    return np.array(g), np.array(p)


def _ratio_and_jackknife_error(g, p):
    n = g.size
    ratio = p.sum() / g.sum()
    leave_one_out = (p.sum() - p) / (g.sum() - g)
    return ratio, float(np.sqrt((n - 1) * np.var(leave_one_out)))


@pytest.mark.slow
def test_diffusive_wire_fano_factor_is_one_third(diffusive_wire_ensemble):
    # Beenakker & Büttiker, Phys. Rev. B 46, 1889 (1992): ⟨P⟩/⟨G⟩ → 1/3.
    # Tolerance 0.04: statistical error (jackknife, ≈ 0.008, so 2σ ≈ 0.016)
    # + ballistic ends (1/3)(1 + L/l)^−3 ≈ 0.01 (de Jong & Beenakker 1995)
    # + mesoscopic O(1/g²) corrections at g ≈ 2.4 (≈ 0.01).
    g, p = diffusive_wire_ensemble
    ratio, error = _ratio_and_jackknife_error(g, p)
    assert 1.5 < g.mean() < 4  # diffusive: 1 ≪ L/l and g > 1 (not localized)
    assert error < 0.015
    assert abs(ratio - 1 / 3) < 0.04


def _cavity():
    """A user's square quantum dot (30 × 30) with two offset 5-wide leads, weak disorder, field.

    Parameters: ``disorder`` (uniform, on-site), ``salt``, ``B`` (flux per
    plaquette in h/e, Landau gauge A = (−By, 0) everywhere, leads included).
    """
    lat = kwant.lattice.square(norbs=1)

    def onsite(site, disorder, salt):
        return 4 + disorder * (kwant.digest.uniform(repr(site.tag), salt) - 0.5)

    def hopping(a, b, B):
        (x1, y1), (x2, y2) = a.pos, b.pos
        return -cmath.exp(-1j * np.pi * B * (x1 - x2) * (y1 + y2))

    size, width = 30, 5
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(size) for y in range(size))] = onsite
    syst[lat.neighbors()] = hopping
    for y0, direction in [(2, (-1, 0)), (size - 2 - width, (1, 0))]:
        lead = kwant.Builder(kwant.TranslationalSymmetry(direction))
        lead[(lat(0, y) for y in range(y0, y0 + width))] = 4
        lead[lat.neighbors()] = hopping
        syst.attach_lead(lead)
    return syst.finalized()


@pytest.mark.slow
@pytest.mark.parametrize("beta, field", [(1, 0.0), (2, 0.005)])
def test_chaotic_cavity_fano_factor_is_the_random_matrix_value(beta, field):
    # Jalabert, Pichard & Beenakker, Europhys. Lett. 27, 255 (1994): with ideal
    # N-channel leads the ensemble average ⟨Σ T(1−T)⟩/⟨Σ T⟩ is the finite-N
    # circular-ensemble value (analysis.chaotic_cavity_fano, checked against
    # sampled COE/CUE in tests/analysis/test_noise.py), here N = 2:
    # 9/28 ≈ 0.321 (β = 1), 4/15 ≈ 0.267 (β = 2); 1/4 only for N → ∞.
    # Ensemble: 40 disorder configurations × energies 1.5 … 1.7 t (N = 2).
    # Tolerance: 3 jackknife standard errors (≈ 0.02 each) + 0.01 for the
    # non-universal direct (short-path) transmission of a finite dot.
    fsyst = _cavity()
    g, p = [], []
    for sample in range(40):
        energy = 1.5 + 0.05 * (sample % 5)
        s = scattering_matrix(fsyst, energy, params=dict(disorder=1.0, salt=str(sample), B=field))
        t = s.transmission_eigenvalues(1, 0)
        assert t.size == 2
        g.append(t.sum())
        p.append(np.sum(t * (1 - t)))
    ratio, error = _ratio_and_jackknife_error(np.array(g), np.array(p))
    assert error < 0.03
    assert abs(ratio - chaotic_cavity_fano(2, beta)) < 3 * error + 0.01
    # The conductance too: ⟨g⟩ = N²/(2N − 1 + 2/β), within 3 standard errors + 0.02.
    assert abs(np.mean(g) - 4 / (3 + 2 / beta)) < 3 * np.std(g) / np.sqrt(40) + 0.02


def test_dephasing_probes_keep_one_third_voltage_probes_suppress_noise():
    # A chain with a dephasing-probe lead on every site (self-energy leads: the
    # Green's-function route).  Strong dephasing (η = 1 t, 40 sites, R ≈ 13 h/e²,
    # i.e. ≈ 12 incoherent scatterers in series):
    # * probes floating at every energy (Texier & Büttiker 2000): F → 1/3, the
    #   series formula's correction (2/3)/N² ≈ 0.005 (de Jong & Beenakker 1995;
    #   verified on exact junction chains in tests/analysis/test_noise.py);
    #   tolerance 0.01;
    # * charge-only voltage probes at the bath temperature: F ~ 1/N → 0, and it
    #   falls as probes are added (L = 10 → 40);
    # * grounded probes absorb almost everything: F → 1 (Poissonian).
    def chain_with_probes(length):
        builder = systems.chain(length)
        systems.attach_dephasing_probes(builder, "all")
        return builder.finalized()

    params = dict(eta=1.0)
    long_chain, short_chain = chain_with_probes(40), chain_with_probes(10)
    assert abs(fano_factor(long_chain, 1.0, params=params) - 1 / 3) < 0.01
    voltage_long = fano_factor(long_chain, 1.0, params=params, probe_model="voltage")
    voltage_short = fano_factor(short_chain, 1.0, params=params, probe_model="voltage")
    assert voltage_long < 0.06 and voltage_long < 0.5 * voltage_short
    assert fano_factor(long_chain, 1.0, params=params, probe_model="grounded") > 0.99


@pytest.mark.slow
def test_hot_electron_probes_approach_root_three_over_four():
    # Probes floating in charge and energy on every site of a chain (electron
    # heating): F → √3/4 ≈ 0.433 in the diffusive limit (Nagaev, PRB 52, 4740
    # (1995); Kozub & Rudin, PRB 52, 7853 (1995)), between the dephasing 1/3
    # and Poisson.  η = 2 t: R ≈ 28 h/e² (L = 40) and 55 h/e² (L = 80), i.e.
    # N ≈ R incoherent segments.  The finite-N corrections are O(N^{−3/2})
    # (the edges of the T_e ∝ √x profile; exact junction series in
    # tests/analysis/test_noise.py: 0.1–0.25 N^{−3/2}).  The chain's Sharvin
    # contacts raise the prefactor: the two lengths here give ≈ 0.65 N^{−3/2}
    # each (4e-3, 1.6e-3), consistent with that scaling.  Checked: the
    # deviation shrinks by more than 2 on doubling L (2^{3/2} ≈ 2.8 expected;
    # a constant offset fails), and it is within 1.5× that estimate
    # (0.006 at L = 40, 0.003 at L = 80) — far from 1/3 and from 1/2.
    def chain_with_probes(length):
        builder = systems.chain(length)
        systems.attach_dephasing_probes(builder, "all")
        return builder.finalized()

    params = dict(eta=2.0)
    target = np.sqrt(3) / 4
    short = fano_factor(chain_with_probes(40), 1.0, params=params, probe_model="hot")
    long = fano_factor(chain_with_probes(80), 1.0, params=params, probe_model="hot")
    assert abs(short - target) < 0.006
    assert abs(long - target) < 0.003
    assert abs(long - target) < abs(short - target) / 2


def test_hot_probe_noise_matrix_is_nonlinear_in_bias_and_heats():
    # With hot probes the noise is no longer bilinear in the bias: at T = 0 it
    # is linear in |eV| (T_p ∝ |eV|), and it exceeds the charge-only voltage
    # probes' noise (Joule heat stays in the electrons).  At a bath
    # temperature ≫ eV it tends to Johnson–Nyquist 4 k_B T G.
    from analysis import two_terminal_conductance
    from workflows import conductance_matrix

    builder = systems.chain(6)
    probes = systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=0.8)
    biased = np.zeros(len(fsyst.leads))

    def sink_noise(bias, temperature, model):
        biased[0] = bias
        noise = noise_matrix(
            fsyst,
            1.0,
            params=params,
            potentials=biased,
            temperature=temperature,
            floating=probes,
            probe_model=model,
        )
        return noise[1, 1]

    assert sink_noise(0.2, 0.0, "hot") == pytest.approx(2 * sink_noise(0.1, 0.0, "hot"), rel=1e-9)
    assert sink_noise(0.1, 0.0, "hot") > sink_noise(0.1, 0.0, "voltage")
    g = two_terminal_conductance(conductance_matrix(fsyst, 1.0, params=params))
    # Heating correction O((eV/k_BT)²) = 1e-4 relative at eV = 1e-3, k_BT = 0.1.
    assert sink_noise(1e-3, 0.1, "hot") == pytest.approx(4 * 0.1 * g, rel=1e-3)
    with pytest.raises(ValueError, match="probe_model"):
        noise_matrix(fsyst, 1.0, params=params, floating=probes, probe_model="warm")


def test_floating_noise_matrix_is_johnson_nyquist_of_the_dephased_conductance():
    from analysis import two_terminal_conductance
    from workflows import conductance_matrix

    builder = systems.chain(5)
    probes = systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=0.4, V=0.3)
    g = two_terminal_conductance(conductance_matrix(fsyst, 1.0, params=params))
    for model in ("dephasing", "voltage", "hot"):
        noise = noise_matrix(
            fsyst, 1.0, params=params, temperature=0.02, floating=probes, probe_model=model
        )
        assert noise.shape == (2, 2)
        assert noise[0, 0] == pytest.approx(4 * 0.02 * g, rel=1e-10)


@pytest.mark.parametrize("model", ["dephasing", "voltage", "hot"])
def test_decoupled_probes_give_the_coherent_fano_factor(model):
    """Probes at η = 0 carry no current and no noise: F is that of the wire alone (0, ballistic)."""
    builder = systems.wire(6, 2)
    systems.attach_dephasing_probes(builder, list(builder.sites())[:4])
    fsyst = builder.finalized()
    plain = fano_factor(systems.wire(6, 2).finalized(), 1.5)
    assert plain == pytest.approx(0.0, abs=1e-12)
    assert fano_factor(fsyst, 1.5, params={"eta": 0.0}, probe_model=model) == pytest.approx(
        plain, abs=1e-12
    )
