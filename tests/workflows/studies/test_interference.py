"""Aharonov–Bohm studies: flux traces, visibility against dephasing, temperature and disorder,
and four-terminal Onsager–Büttiker reciprocity of a ring."""

import kwant
import numpy as np
import pytest

import analysis
import systems
import workflows
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe
from workflows.studies.interference import ring_with_arm_probes

RING = {"t": 1.0, "V": 0.0, "disorder": 0.0, "salt": "0"}
FLUX = np.linspace(0, 1, 16, endpoint=False)  # resolves harmonics up to n = 7


def _arm_ring(r_in: float, r_out: float) -> SystemRecipe:
    """A ring with two-site leads and a dephasing probe on every site of its arms."""
    return SystemRecipe(ring_with_arm_probes, {"r_in": r_in, "r_out": r_out, "lead_width": 2})


def test_ab_oscillations_equal_the_plain_kwant_transmission():
    fsyst = systems.ab_ring(5, 8, 3).finalized()
    frame = workflows.ab_oscillations(fsyst, 1.1, FLUX)
    expected = [
        kwant.smatrix(fsyst, 1.1, params={**RING, "phi": phi}).transmission(1, 0) for phi in FLUX
    ]
    assert list(frame.columns) == ["phi", "G"]
    assert np.abs(frame["G"] - expected).max() < 1e-8
    assert frame.attrs["provenance"]["study"]["name"] == "ab_oscillations"


def _strip_velocity(width, energy):
    """Group velocity of the lowest mode of a clean strip ``width`` sites wide (a ring's lead)."""
    lead = systems.ab_ring(4, 6.5, width).finalized().leads[0]
    propagating, _ = lead.modes(energy, params={"t": 1.0})
    velocities = propagating.velocities
    return velocities[velocities > 0].max()


def test_visibility_falls_with_dephasing_and_decays_with_arm_length():
    """Probes on both arms: v_rel(L) = exp(−L/l_φ), l_φ = ħv/η.

    An amplitude crossing an arm keeps exp(−L/2l_φ); the h/e term is the
    product of both arms'.  So the fitted L_φ must scale as 1/η (to 15 %: the
    arms are short), the fit must extrapolate to 1 at L = 0 (to 10 %), and
    η L_φ must be the group velocity of the arms' mode: the jagged arms are 2 to
    3 sites wide, so it must lie between the velocities of strips that wide
    (10 % margin).  At E = 1.5 t both strips carry one mode.
    """
    rings = [_arm_ring(4, 6.5), _arm_ring(6, 8.5), _arm_ring(8, 10.5)]
    frame = workflows.visibility_vs_dephasing(rings, 1.5, [0.05, 0.1])
    assert len(frame) == 6
    for _, ring in frame.groupby("r_in"):
        ring = ring.sort_values("eta")
        assert np.all(np.diff(ring["visibility"]) < 0)
        assert np.all(ring["relative_visibility"] < 1)
        r_in, r_out = ring[["r_in", "r_out"]].iloc[0]  # a probe on every annulus site
        annulus = [
            s
            for s in systems.ab_ring(r_in, r_out, 2).sites()
            if r_in**2 <= s.pos[0] ** 2 + s.pos[1] ** 2 <= r_out**2
        ]
        assert ring["n_probes"].iloc[0] == len(annulus)
    fits = analysis.decay_lengths(frame).set_index("eta")
    assert fits.loc[0.05, "decay_length"] / fits.loc[0.1, "decay_length"] == pytest.approx(
        2.0, rel=0.15
    )
    assert np.allclose(fits["prefactor"], 1.0, atol=0.1)
    v2, v3 = _strip_velocity(2, 1.5), _strip_velocity(3, 1.5)
    for eta, length in fits["decay_length"].items():
        assert 0.9 * v2 < eta * length < 1.1 * v3


def test_coherent_visibility_is_that_of_the_ring_without_probes():
    """At η = 0 the probes are decoupled: the reference visibility is the plain ring's."""
    frame = workflows.visibility_vs_dephasing([_arm_ring(4, 6.5)], 1.5, [0.1], flux=FLUX)
    plain = systems.ab_ring(4, 6.5, 2).finalized()
    g = [kwant.smatrix(plain, 1.5, params={**RING, "phi": phi}).transmission(1, 0) for phi in FLUX]
    expected = analysis.flux_harmonics(FLUX, g).visibility[1]
    assert frame["coherent_visibility"].iloc[0] == pytest.approx(expected, abs=1e-9)


def test_visibility_falls_with_temperature():
    fsyst = systems.ab_ring(6, 8.5, 2).finalized()
    energies = np.linspace(1.0, 2.0, 41)
    mu = energies[20]
    frame = workflows.visibility_vs_temperature(
        fsyst, mu, [0.0, 0.01, 0.03], energies=energies, flux=FLUX
    )
    # T = 0: exactly the trace at E = μ (a grid point)
    g = [kwant.smatrix(fsyst, mu, params={**RING, "phi": phi}).transmission(1, 0) for phi in FLUX]
    assert frame["visibility"].iloc[0] == pytest.approx(
        analysis.flux_harmonics(FLUX, g).visibility[1], abs=1e-9
    )
    assert np.all(np.diff(frame["visibility"]) < 0)
    with pytest.raises(ValueError, match="thermal window"):
        workflows.visibility_vs_temperature(fsyst, mu, [0.1], energies=energies, flux=FLUX)


def test_disorder_average_keeps_h_over_2e_and_averages_h_over_e_away(study_store_lock):
    """Altshuler–Aronov–Spivak: 150 diffusive rings (W = 2.5 t, arms 10 sites wide).

    Each sample's h/e harmonic has a random sign (phase rigidity: 0 or π), so
    in the average its amplitude falls like N^(−1/2) of a single sample's; the
    h/2e harmonic comes from time-reversed pairs of paths, has the same sign in
    every sample (a minimum of G at φ = 0: weak localization, phase π) and so
    stays well above the N^(−1/2) level that random signs would leave.  Both
    bounds allow a 2σ fluctuation.  (With weak disorder, W = 1 t on a narrower
    ring, the arms are quasi-ballistic and a systematic h/e part survives.)

    E = 0.95 t: the leads (8 sites) have a subband edge at exactly 1.0 t, where
    the scattering problem is singular (refused with BandEdgeError).  The ratio
    A(h/2e)/A(h/e) of the average is not asserted: over 150 samples it is a
    noisy number (1.1 to 8.6 at E = 0.9 … 1.15 t), while the two bounds hold
    at each of those energies.
    """
    n = 150
    fsyst = systems.ab_ring(10, 20, 8).finalized()
    # The run's store: the gallery and the notebook reuse these 150 samples.
    with study_store_lock(f"aas_ensemble-{n}.sqlite") as store:
        frame = workflows.disorder_ensemble(
            fsyst, 0.95, range(n), disorder=2.5, flux=FLUX, run=RunOptions(store=store)
        )
    assert frame.shape == (n * FLUX.size, 3)
    result = analysis.ensemble_harmonics(frame).set_index("trace")
    single, average = result.loc["single sample (rms)"], result.loc["ensemble average"]
    assert single["A2"] < single["A1"]  # in one sample h/e dominates
    assert average["A1"] < 2 / np.sqrt(n) * single["A1"]  # random signs: averages away
    assert average["A2"] > 2 / np.sqrt(n) * single["A2"]  # systematic sign: survives
    assert average["A2"] > average["A1"]  # and dominates the average
    assert abs(average["phase2"]) == pytest.approx(np.pi, abs=1e-6)
    with pytest.raises(ValueError, match="distinct"):
        workflows.disorder_ensemble(fsyst, 0.95, ["1", "1"], disorder=1.0)


def test_four_terminal_ring_obeys_onsager_buttiker_but_is_not_even_in_flux():
    fsyst = systems.ab_ring(6, 10, 3, four_leads=True).finalized()
    frame = workflows.studies.four_terminal_reciprocity(
        fsyst, 1.0, np.linspace(0.05, 0.95, 7), params={"disorder": 1.0, "salt": "3"}
    )
    assert np.abs(frame["R"] - frame["R_reciprocal"]).max() < 1e-9
    assert np.abs(frame["R"] - frame["R_reversed_flux"]).max() > 1e-2
    # and, with the mirror symmetry broken by disorder, not odd either
    assert np.abs(frame["R"] + frame["R_reversed_flux"]).max() > 1e-2


def test_bad_study_settings_are_rejected_before_any_solve():
    fsyst = systems.ab_ring(4, 7, 2).finalized()
    for disorder in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="disorder must be a finite real number >= 0"):
            workflows.disorder_ensemble(fsyst, 1.0, ["1"], disorder=disorder)
    with pytest.raises(TypeError, match="disorder must be a finite real number >= 0"):
        workflows.disorder_ensemble(fsyst, 1.0, ["1"], disorder="strong")
    with pytest.raises(TypeError, match="energy"):
        workflows.visibility_vs_dephasing([_arm_ring(4, 6.5)], "1.5", [0.1])


def test_a_shared_params_dict_stays_shared_through_a_study():
    """SharedParams: names the ring does not read (here eta) are ignored, not refused."""
    fsyst = systems.ab_ring(4, 6.5, 2).finalized()
    shared = systems.SharedParams({"eta": 0.1, "disorder": 0.5, "salt": "1"})
    trace = workflows.ab_oscillations(fsyst, 1.5, FLUX, params=shared)
    plain = workflows.ab_oscillations(fsyst, 1.5, FLUX, params={"disorder": 0.5, "salt": "1"})
    assert np.array_equal(trace["G"].to_numpy(), plain["G"].to_numpy())
    with pytest.raises(ValueError, match="eta"):
        workflows.ab_oscillations(fsyst, 1.5, FLUX, params={"eta": 0.1})


def test_disorder_samples_share_their_leads_and_equal_plain_kwant(monkeypatch):
    """Disorder lives in the ring, not in the leads: each lead is solved once for the whole
    ensemble (in this process); every G(φ) is Kwant's transmission to 1e-8 e²/h (as above)."""
    import workflows.scattering.open_system as open_system

    solved = []
    lead_modes = open_system.lead_modes

    def counted(fsyst, lead, energy, params, **kwargs):
        solved.append(lead)
        return lead_modes(fsyst, lead, energy, params, **kwargs)

    monkeypatch.setattr(open_system, "lead_modes", counted)
    fsyst = systems.ab_ring(4, 7, 2).finalized()
    flux = FLUX[::4]
    salts = ["a", "b", "c"]
    frame = workflows.disorder_ensemble(fsyst, 1.3, salts, disorder=1.5, flux=flux)
    assert sorted(solved) == [0, 1]
    for (salt, phi), g in frame.set_index(["salt", "phi"])["G"].items():
        params = {**RING, "disorder": 1.5, "salt": salt, "phi": phi}
        assert abs(g - kwant.smatrix(fsyst, 1.3, params=params).transmission(1, 0)) < 1e-8
    assert frame["G"].groupby(frame["salt"]).mean().std() > 1e-3  # the samples do differ
