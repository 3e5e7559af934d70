"""Büttiker bias problems: hand-solved networks, Büttiker's formula, ill-posed problems."""

import itertools

import numpy as np
import pytest

from analysis import (
    SingularBiasError,
    decoupled_terminals,
    four_terminal_resistance,
    solve_bias,
    two_terminal_conductance,
)


def conductance_from_transmissions(T):
    """G = diag(column sums of T) − T, with the diagonal of T dropped (no self-transmission)."""
    T = np.array(T, dtype=float)
    np.fill_diagonal(T, 0.0)
    return np.diag(T.sum(axis=0)) - T


def random_conductance(rng, size):
    """A non-symmetric G obeying both sum rules: T a positive mix of permutation matrices."""
    perms = [np.eye(size)[list(p)] for p in itertools.permutations(range(size))]
    weights = rng.random(len(perms))
    return conductance_from_transmissions(sum(w * p for w, p in zip(weights, perms, strict=True)))


def cofactor(G):
    """Büttiker's D: the (0, 0) cofactor, equal to every cofactor when rows and columns sum to 0."""
    return np.linalg.det(G[1:, 1:])


def buttiker_resistance(G, m, n, k, l):  # noqa: E741  (Büttiker's index names)
    """R_mn,kl = (T_km T_ln − T_kn T_lm)/D, Büttiker, PRL 57, 1761 (1986), for four terminals."""
    T = -G
    return (T[k, m] * T[l, n] - T[k, n] * T[l, m]) / cofactor(G)


@pytest.fixture
def forbid_solve(monkeypatch):
    """Fail the test if a linear solve is attempted: errors must come first."""

    def no_solve(*args, **kwargs):
        raise AssertionError("np.linalg.solve called before the bias problem was validated")

    monkeypatch.setattr(np.linalg, "solve", no_solve)


def test_three_terminal_voltage_probe_by_hand():
    """Two conductors in series through a floating probe, in parallel with a direct path.

    Symmetric transmissions a (1↔2), b (1↔3), c (2↔3); probe 3 floats:
    V_3 = (b V_1 + c V_2)/(b + c) and G_12 = a + bc/(b + c).
    """
    a, b, c = 0.7, 1.3, 0.4
    T = [[0, a, b], [a, 0, c], [b, c, 0]]
    G = conductance_from_transmissions(T)
    solution = solve_bias(G, voltages={0: 1.0, 1: 0.0})
    assert solution.voltages[2] == pytest.approx(b / (b + c), rel=1e-12)
    assert solution.currents[2] == 0.0
    assert solution.kinds == ("voltage", "voltage", "floating")
    assert two_terminal_conductance(G, 0, 1) == pytest.approx(a + b * c / (b + c), rel=1e-12)


def test_ideal_chiral_four_terminal_conductor():
    """Edge channels hop 0 → 1 → 2 → 3 → 0 with ν channels each (ideal quantum Hall).

    By hand: floating probes take the voltage of the terminal upstream, so with
    current in at 0 and out at 2, V_1 = V_0 and V_3 = V_2, and I = ν(V_0 − V_3):
    R_02,13 = 1/ν (Hall), R_02,01 = R_02,32 = 0 (longitudinal), R_13,02 = −1/ν.
    """
    nu = 3
    T = nu * np.roll(np.eye(4), 1, axis=0)  # T[i+1, i] = ν
    G = conductance_from_transmissions(T)

    def resistance(current, voltage):
        return four_terminal_resistance(G, current=current, voltage=voltage)

    assert resistance((0, 2), (1, 3)) == pytest.approx(1 / nu, rel=1e-14)
    assert resistance((0, 2), (0, 1)) == pytest.approx(0, abs=1e-14)
    assert resistance((0, 2), (3, 2)) == pytest.approx(0, abs=1e-14)
    assert resistance((1, 3), (0, 2)) == pytest.approx(-1 / nu, rel=1e-14)
    assert two_terminal_conductance(G, 0, 2) == pytest.approx(nu)


def test_four_terminal_resistance_matches_buttiker_formula():
    rng = np.random.default_rng(7)
    for _ in range(5):
        G = random_conductance(rng, 4)
        assert np.abs(G - G.T).max() > 0.1  # a field-like, non-reciprocal matrix
        for m, n, k, l in itertools.permutations(range(4)):  # noqa: E741
            assert four_terminal_resistance(G, (m, n), (k, l)) == pytest.approx(
                buttiker_resistance(G, m, n, k, l), abs=1e-12
            )


def test_solution_satisfies_every_set_point_and_ohms_law():
    rng = np.random.default_rng(3)
    G = random_conductance(rng, 5)
    solution = solve_bias(G, voltages={0: 0.3}, currents={2: 0.5, 4: -0.2})
    v, i = solution.voltages, solution.currents
    np.testing.assert_allclose(i, G @ v, atol=1e-12)
    assert v[0] == 0.3
    assert i[2] == pytest.approx(0.5) and i[4] == pytest.approx(-0.2)
    assert i[1] == 0 and i[3] == 0
    assert i.sum() == pytest.approx(0, abs=1e-12)
    assert solution.kinds == ("voltage", "floating", "current", "floating", "current")
    np.testing.assert_array_equal(solution.floating, [False, True, False, True, False])


def test_reference_keyword_grounds_a_terminal():
    G = random_conductance(np.random.default_rng(5), 4)
    with_reference = solve_bias(G, currents={0: 1.0}, reference=2)
    explicit = solve_bias(G, currents={0: 1.0}, voltages={2: 0.0})
    np.testing.assert_allclose(with_reference.voltages, explicit.voltages, atol=1e-14)
    assert with_reference.currents[2] == pytest.approx(-1.0)


def test_decoupled_floating_terminal_is_harmless():
    """A probe without channels (zero row and column) floats at an undefined voltage."""
    G3 = conductance_from_transmissions([[0, 0.7, 1.3], [0.7, 0, 0.4], [1.3, 0.4, 0]])
    G = np.zeros((4, 4))
    G[:3, :3] = G3
    assert decoupled_terminals(G) == [3]
    solution = solve_bias(G, voltages={0: 1.0, 1: 0.0})
    assert np.isnan(solution.voltages[3]) and solution.currents[3] == 0
    assert two_terminal_conductance(G, 0, 1) == pytest.approx(two_terminal_conductance(G3, 0, 1))
    with pytest.raises(SingularBiasError, match=r"voltage terminal\(s\) \[3\]"):
        four_terminal_resistance(G, current=(0, 1), voltage=(2, 3))


@pytest.mark.usefixtures("forbid_solve")
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "all terminals float"),
        ({"currents": {0: 1.0, 1: -1.0}}, ValueError, "only currents are set"),
        ({"voltages": {0: 1.0}, "currents": {0: 1.0}}, ValueError, "named twice"),
        ({"voltages": {0: 0.0}, "reference": 0}, ValueError, "named twice"),
        ({"voltages": {4: 0.0}}, ValueError, "out of range"),
        ({"voltages": {-1: 0.0}}, ValueError, "out of range"),
        ({"voltages": {1.0: 0.0}}, TypeError, "terminal index"),
        ({"voltages": {0: float("nan")}}, ValueError, "finite real"),
        ({"voltages": [0.0]}, TypeError, "mapping"),
        ({"reference": 9}, ValueError, "reference=9 is out of range"),
    ],
)
def test_ill_posed_problems_raise_before_solving(kwargs, error, message):
    G = random_conductance(np.random.default_rng(1), 4)
    with pytest.raises(error, match=message):
        solve_bias(G, **kwargs)


@pytest.mark.usefixtures("forbid_solve")
def test_disconnected_terminals_are_singular():
    block = conductance_from_transmissions([[0, 1.0], [1.0, 0]])
    G = np.zeros((5, 5))
    G[:2, :2] = block
    G[2:4, 2:4] = block  # terminals 2, 3 form an island; 4 is decoupled
    with pytest.raises(SingularBiasError, match=r"\[2, 3\] have no conducting path"):
        solve_bias(G, voltages={0: 1.0, 1: 0.0})
    with pytest.raises(SingularBiasError, match=r"\[4\] are decoupled"):
        solve_bias(G, voltages={0: 1.0, 2: 0.0}, currents={4: 1.0})
    with pytest.raises(SingularBiasError):
        four_terminal_resistance(G, current=(0, 2), voltage=(1, 3))
    assert issubclass(SingularBiasError, ValueError)


@pytest.mark.usefixtures("forbid_solve")
def test_nearly_disconnected_island_is_singular():
    """Two probes strongly coupled to each other but by 1e-13 to the rest: V is not determined."""
    T = np.zeros((4, 4))
    T[0, 1] = T[1, 0] = 1.0
    T[2, 3] = T[3, 2] = 1.0
    T[0, 2] = T[2, 0] = 1e-13
    with pytest.raises(SingularBiasError, match="nearly disconnected"):
        solve_bias(conductance_from_transmissions(T), voltages={0: 1.0, 1: 0.0})


def test_weakly_coupled_probe_is_well_posed():
    """A single weak probe is fine: its voltage is a weighted average, whatever the scale."""
    eps = 1e-9
    T = [[0, 1.0, eps], [1.0, 0, 3 * eps], [eps, 3 * eps, 0]]
    solution = solve_bias(conductance_from_transmissions(T), voltages={0: 1.0, 1: 0.0})
    assert solution.voltages[2] == pytest.approx(0.25, rel=1e-9)


@pytest.mark.parametrize(
    ("G", "message"),
    [
        (np.zeros((3, 2)), "square"),
        (np.array([[1.0, -0.5], [-1.0, 1.0]]), "sum to zero"),
        (np.array([[1.0, np.nan], [-1.0, 1.0]]), "NaN"),
    ],
)
def test_bad_matrices_are_rejected(G, message):
    with pytest.raises(ValueError, match=message):
        solve_bias(G, voltages={0: 0.0})


def test_bad_terminal_arguments():
    G = random_conductance(np.random.default_rng(2), 4)
    with pytest.raises(ValueError, match="different terminals"):
        four_terminal_resistance(G, current=(1, 1), voltage=(2, 3))
    with pytest.raises(TypeError, match="pair of terminal indices"):
        four_terminal_resistance(G, current=0, voltage=(2, 3))
    with pytest.raises(ValueError, match=r"voltage\[1\]=7 is out of range"):
        four_terminal_resistance(G, current=(0, 1), voltage=(2, 7))
    with pytest.raises(ValueError, match="source and sink must differ"):
        two_terminal_conductance(G, 2, 2)


def test_two_terminal_conductance_names_leads_through_terminals():
    """``source``/``sink`` are lead indices; ``terminals`` says which lead each row of G is.

    A reduced matrix whose rows are leads (0, 3, 5) — e.g. probes 1, 2, 4 eliminated —
    gives the same number as the plain call on row positions (0, 2).  A block-resolved
    G (two blocks per lead, labels (lead, block)) joins the blocks of each lead into one
    contact: with each block its own channel, G summed over blocks is the lead matrix.
    """
    G = random_conductance(np.random.default_rng(5), 3)
    by_position = two_terminal_conductance(G, 0, 2)
    assert two_terminal_conductance(G, 0, 5, terminals=[0, 3, 5]) == pytest.approx(
        by_position, rel=1e-12
    )
    assert two_terminal_conductance(G, 0, 5, terminals=np.array([0, 3, 5])) == pytest.approx(
        by_position, rel=1e-12
    )
    # Block-resolved: split every lead into two identical blocks (halving G twice over).
    blocks = np.kron(G, np.full((2, 2), 0.25))
    labels = [(lead, block) for lead in (0, 3, 5) for block in (0, 1)]
    assert two_terminal_conductance(blocks, 0, 5, terminals=labels) == pytest.approx(
        by_position, rel=1e-12
    )
    with pytest.raises(ValueError, match=r"sink=2 is not a terminal of G; its rows are the leads"):
        two_terminal_conductance(G, 0, 2, terminals=[0, 3, 5])
    with pytest.raises(TypeError, match="source must be a lead index"):
        two_terminal_conductance(G, (0, 0), 5, terminals=[0, 3, 5])
    with pytest.raises(ValueError, match="source and sink must differ, both are 3"):
        two_terminal_conductance(G, 3, 3, terminals=[0, 3, 5])


def test_two_terminal_conductance_of_two_leads_is_the_bias_solution_bit_for_bit():
    """M = 2 (no floating terminal) skips the bias solver: the same number to the last bit.

    The closed form: with V_source = 1 and V_sink = 0, I_source = G_ss = T (Landauer).
    Random T, a decoupled pair (T = 0, also as −0.0 on the diagonal) and tiny and large T.
    """
    rng = np.random.default_rng(11)
    transmissions = [*rng.random(50) * 7.0, 0.0, 1e-300, 3e12]
    for t in transmissions:
        G = conductance_from_transmissions([[0, t], [t, 0]])
        for source, sink in ((0, 1), (1, 0)):
            solved = solve_bias(G, voltages={source: 1.0, sink: 0.0}).currents[source]
            assert two_terminal_conductance(G, source, sink) == solved == t
    skewed = np.array([[-0.0, 0.0], [0.0, -0.0]])  # a decoupled pair: no current
    assert two_terminal_conductance(skewed, 1, 0) == 0.0
    with pytest.raises(ValueError, match="source and sink must differ"):
        two_terminal_conductance(np.zeros((2, 2)), 1, 1)
