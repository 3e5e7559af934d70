"""Hall bar and cross: quantum Hall plateaus, symmetries, bend resistance, the scans."""

import numpy as np
import pytest

import systems
from analysis import (
    bend_resistance,
    cross_hall_resistance,
    cross_resistances,
    hall_bar_resistances,
    hall_resistance,
    longitudinal_resistance,
)
from workflows import (
    BandEdgeError,
    conductance_matrix,
    cross_resistance_scan,
    open_modes,
    quantum_hall_scan,
)


@pytest.fixture(scope="module")
def hall_bar():
    return systems.hall_bar(30, 12, 4).finalized()


@pytest.fixture(scope="module")
def cross():
    return systems.cross(8).finalized()


def landau_levels_below(energy, B, count=10):
    """Continuum Landau levels ħω_c (n + 1/2) below ``energy``, ħω_c = 4πBt (m* = ħ²/2ta²)."""
    levels = 4 * np.pi * abs(B) * (np.arange(count) + 0.5)
    return int(np.sum(levels < energy))


@pytest.mark.parametrize(("B", "energy", "nu"), [(0.05, 0.5, 1), (0.05, 1.0, 2), (0.08, 0.8, 1)])
def test_quantum_hall_plateaus(hall_bar, B, energy, nu):
    """R_xy = −sign(B)/ν (h/e²) to 1e-6 and R_xx < 1e-6, with ν counted from the lead modes.

    The points lie between Landau levels (lattice corrections shift the levels
    by less than the distance to E), so ν is also the continuum count.
    """
    assert landau_levels_below(energy, B) == nu
    for field in (B, -B):
        assert open_modes(hall_bar, energy, lead=0, params={"B": field}) == nu
        G = conductance_matrix(hall_bar, energy, params={"B": field})
        r = hall_bar_resistances(G)
        assert r["R_xy"] == pytest.approx(-np.sign(field) / nu, abs=1e-6)
        assert r["R_xy_right"] == pytest.approx(-np.sign(field) / nu, abs=1e-6)
        assert abs(r["R_xx"]) < 1e-6
        assert abs(r["R_xx_bottom"]) < 1e-6


def test_clean_hall_bar_mirror_symmetry(hall_bar):
    """The mirror y → W−1−y swaps top and bottom and reverses B.

    Hence R_xy(−B) = −R_xy(B) and R_xx,top(−B) = R_xx,bottom(B).  At a weak field
    (no plateau) none of these quantities is trivially zero.
    """
    G_plus = conductance_matrix(hall_bar, 1.0, params={"B": 0.015})
    G_minus = conductance_matrix(hall_bar, 1.0, params={"B": -0.015})
    r_plus, r_minus = hall_bar_resistances(G_plus), hall_bar_resistances(G_minus)
    assert abs(r_plus["R_xy"]) > 0.05
    assert r_minus["R_xy"] == pytest.approx(-r_plus["R_xy"], abs=1e-9)
    assert r_minus["R_xx"] == pytest.approx(r_plus["R_xx_bottom"], abs=1e-9)
    assert hall_resistance(G_plus, side="right") == pytest.approx(r_plus["R_xy_right"])
    assert longitudinal_resistance(G_plus, edge="bottom") == pytest.approx(r_plus["R_xx_bottom"])


# At B = 0 the leads of the width-8 cross have a subband edge at exactly E = 1 t
# (E_3 = 2t(1 − cos(3π/9)) = t), where workflows refuse the energy (BandEdgeError):
# the zero-field tests use E = 0.95 t instead (below it, as Kwant rounded there).
@pytest.mark.parametrize("energy", [0.6, 0.95, 1.7])
def test_symmetric_cross_at_zero_field(cross, energy):
    """No Hall voltage at B = 0 in a mirror-symmetric cross; Büttiker's bend formula holds.

    With T_F (straight) and T_S (each turn, equal at B = 0) from the left lead,
    R_B = R_02,31 = (T_S² − T_F²)/D; D the cofactor of G.
    """
    G = conductance_matrix(cross, energy)
    assert cross_hall_resistance(G) == pytest.approx(0, abs=1e-10)
    t_straight, t_turn = -G[1, 0], -G[2, 0]
    assert -G[3, 0] == pytest.approx(t_turn, abs=1e-10)
    D = np.linalg.det(G[1:, 1:])
    assert bend_resistance(G) == pytest.approx((t_turn**2 - t_straight**2) / D, abs=1e-10)


def test_ballistic_cross_has_negative_bend_resistance(cross):
    """Carriers from the left shoot straight into the right lead (T_F > T_S): R_B < 0."""
    r = cross_resistances(conductance_matrix(cross, 0.95))
    assert r["T_straight"] > r["T_left_turn"]
    assert r["R_B"] < -0.1


def test_cross_in_the_quantum_hall_regime(cross):
    """Chiral edge channels: R_H = −1/ν, no bend resistance; carriers turn right for B > 0."""
    energy, B = 1.0, 0.07
    nu = open_modes(cross, energy, lead=0, params={"B": B})
    assert nu == landau_levels_below(energy, B) == 1
    r = cross_resistances(conductance_matrix(cross, energy, params={"B": B}))
    assert r["R_H"] == pytest.approx(-1 / nu, abs=1e-6)
    assert abs(r["R_B"]) < 1e-6
    # The arms are only 8 sites wide: edge channels across an arm still overlap a
    # little, so single transmissions are quantized less precisely than R_H.
    assert r["T_right_turn"] == pytest.approx(nu, abs=1e-4)


def test_quantum_hall_scan_frame(hall_bar):
    fields = [0.05, 0.08]
    frame = quantum_hall_scan(hall_bar, fields, [0.5, 1.0], params={"disorder": 0.0})
    assert list(frame.columns) == [
        "energy",
        "B",
        "nu",
        "R_xy",
        "R_xy_right",
        "R_xx",
        "R_xx_bottom",
    ]
    assert len(frame) == 4
    provenance = frame.attrs["provenance"]  # the scan's, one format for every study
    assert provenance["study"]["name"] == "quantum_hall_scan"
    assert provenance["study"]["settings"]["fields"] == fields
    assert provenance["study"]["settings"]["params"]["disorder"] == 0.0
    assert provenance["parameters"] == ["energy", "B"] and provenance["n_points"] == 4
    assert frame.attrs["lead_order"] == list(systems.HALL_BAR_LEADS)
    assert "kwant" in provenance["environment"]
    assert frame.attrs["failed"] == 0 and frame.attrs["errors"] == []
    # At E = 0.5, B = 0.08 the bulk has one edge channel but the narrow side probes
    # none: the Hall voltage is undefined and reported as NaN.
    closed = frame[(frame.energy == 0.5) & (frame.B == 0.08)].iloc[0]
    assert closed["nu"] == 1 and np.isnan(closed["R_xy"])
    plateau = frame.dropna()
    assert len(plateau) == 3
    np.testing.assert_allclose(plateau["R_xy"], -1 / plateau["nu"], atol=1e-6)
    assert plateau["R_xx"].abs().max() < 1e-6


def test_cross_resistance_scan(cross):
    frame = cross_resistance_scan(cross, [0.0, 0.07], 0.95)
    assert frame["R_H"].iloc[0] == pytest.approx(0, abs=1e-10)
    assert frame["R_H"].iloc[1] == pytest.approx(-1, abs=1e-6)
    assert frame.attrs["geometry"] == "cross"


def test_bad_arguments(hall_bar, cross):
    with pytest.raises(BandEdgeError, match="band edge of lead 0"):
        conductance_matrix(cross, 1.0)  # E_3 = t exactly in the cross's leads at B = 0
    with pytest.raises(ValueError, match="field is scanned"):
        quantum_hall_scan(hall_bar, [0.05], 1.0, params={"B": 0.1})
    with pytest.raises(ValueError, match="a hall_bar has 6"):
        quantum_hall_scan(cross, [0.05], 1.0)
    with pytest.raises(TypeError, match="finalized"):
        quantum_hall_scan(systems.hall_bar(30, 12, 4), [0.05], 1.0)
    with pytest.raises(ValueError, match="non-empty"):
        quantum_hall_scan(hall_bar, [], 1.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        quantum_hall_scan(hall_bar, [0.05], 1.0, params={"phi": 0.1})
    G4 = conductance_matrix(cross, 0.95)
    with pytest.raises(ValueError, match="G has 4 terminals"):
        hall_resistance(G4)
    G6 = conductance_matrix(hall_bar, 1.0)
    with pytest.raises(ValueError, match="side must be 'left' or 'right', got 'middle'"):
        hall_resistance(G6, side="middle")
    with pytest.raises(ValueError, match="edge must be 'top' or 'bottom', got 'left'"):
        longitudinal_resistance(G6, edge="left")
