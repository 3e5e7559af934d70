"""Onsager–Büttiker reciprocity and sum rules, on simulations without any spatial symmetry."""

import ast
from pathlib import Path

import numpy as np
import pytest

import analysis
import systems
from analysis import (
    conductance_reciprocity,
    reciprocity_report,
    resistance_reciprocity,
    sum_rule_deviations,
)
from workflows import conductance_matrix, open_modes


def lopsided_potential(x, y):
    """A smooth potential with no mirror or rotation symmetry of the Hall bar or cross."""
    return 0.4 * np.sin(0.37 * x + 0.5) * np.cos(0.23 * y - 0.3) + 0.02 * x - 0.015 * y


@pytest.fixture(scope="module")
def disordered_hall_bar_pair():
    """G(+B) and G(−B) of a Hall bar with an asymmetric potential and disorder, at weak field."""
    fsyst = systems.hall_bar(30, 12, 4).finalized()
    params = {"V": lopsided_potential, "disorder": 1.0, "salt": "reciprocity"}
    energy, B = 1.0, 0.02
    G_plus = conductance_matrix(fsyst, energy, params={**params, "B": B})
    G_minus = conductance_matrix(fsyst, energy, params={**params, "B": -B})
    modes = [open_modes(fsyst, energy, lead=lead, params={**params, "B": B}) for lead in range(6)]
    return G_plus, G_minus, modes


def test_hall_bar_resistance_reciprocity(disordered_hall_bar_pair):
    """R_mn,kl(B) = R_kl,mn(−B) to 1e-8 for all 360 configurations of four distinct terminals."""
    G_plus, G_minus, _ = disordered_hall_bar_pair
    table = resistance_reciprocity(G_plus, G_minus)
    assert len(table) == 6 * 5 * 4 * 3
    assert table["deviation"].abs().max() < 1e-8
    # Not a symmetry in disguise: the field does change the resistances ...
    swapped_field = resistance_reciprocity(G_plus, G_plus)
    assert swapped_field["deviation"].abs().max() > 1e-2
    # ... and G itself is far from symmetric.
    assert np.abs(G_plus - G_plus.T).max() > 1e-2


def test_conductance_reciprocity_and_sum_rules(disordered_hall_bar_pair):
    G_plus, G_minus, modes = disordered_hall_bar_pair
    table = conductance_reciprocity(G_plus, G_minus)
    assert len(table) == 36
    assert table["deviation"].abs().max() < 1e-8
    rules = sum_rule_deviations(G_plus, modes=modes)
    assert rules[["row_sum", "column_sum"]].abs().to_numpy().max() < 1e-8
    assert rules["negative_transmission"].max() == 0
    assert rules["reflection_excess"].max() == 0
    report = reciprocity_report(G_plus, G_minus, modes=modes)
    assert report["passed"].all(), report


def test_cross_reciprocity_with_asymmetric_potential():
    fsyst = systems.cross(6).finalized()
    params = {"V": lopsided_potential}
    G_plus = conductance_matrix(fsyst, 0.8, params={**params, "B": 0.03})
    G_minus = conductance_matrix(fsyst, 0.8, params={**params, "B": -0.03})
    report = reciprocity_report(G_plus, G_minus, tolerance=1e-8)
    assert report["passed"].all(), report
    assert np.abs(G_plus - G_plus.T).max() > 1e-2


def test_report_flags_violations():
    """A non-reciprocal pair and a matrix breaking the sum rules must fail the checks."""
    T = np.array([[0, 2.0, 1.0], [1.0, 0, 2.0], [2.0, 1.0, 0]])  # equal row and column sums
    G = np.diag(T.sum(axis=0)) - T
    report = reciprocity_report(G, G).set_index("check")
    assert report.loc["G(B) = G(-B)^T", "max_deviation"] == pytest.approx(1.0)
    assert not report.loc["G(B) = G(-B)^T", "passed"]
    assert not report.loc["R_mn,kl(B) = R_kl,mn(-B)", "passed"]
    assert report.loc["row sums of G(+B) = 0", "passed"]
    assert reciprocity_report(G, G.T)["passed"].all()

    broken = G.copy()
    broken[0, 1] += 0.1
    rules = reciprocity_report(broken).set_index("check")
    assert rules.loc["row sums of G(B) = 0", "max_deviation"] == pytest.approx(0.1)
    assert not rules.loc["column sums of G(B) = 0", "passed"]

    negative = G.copy()
    negative[0, 1] = negative[1, 0] = 0.5
    table = sum_rule_deviations(negative, modes=[1, 1, 1])
    assert table.loc[0, "negative_transmission"] == pytest.approx(0.5)
    assert table["reflection_excess"].max() > 0  # G_ii > N_i


def test_three_terminal_default_configurations():
    T = np.array([[0, 2.0, 1.0], [1.0, 0, 2.0], [2.0, 1.0, 0]])
    G = np.diag(T.sum(axis=0)) - T
    table = resistance_reciprocity(G, G.T)
    assert len(table) == 6
    assert (table["k"] == table["m"]).all()
    assert table["deviation"].abs().max() < 1e-12


def test_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        conductance_reciprocity(np.zeros((3, 3)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="square"):
        sum_rule_deviations(np.zeros(3))
    with pytest.raises(ValueError, match="modes must list 2"):
        sum_rule_deviations(np.zeros((2, 2)), modes=[1])
    with pytest.raises(ValueError, match=r"\(m, n, k, l\)"):
        resistance_reciprocity(np.zeros((4, 4)), np.zeros((4, 4)), configurations=[(0, 1, 2)])
    with pytest.raises(ValueError, match="tolerance"):
        reciprocity_report(np.zeros((2, 2)), tolerance=0)


def test_analysis_does_not_import_workflows_at_module_level():
    """Data flows systems → workflows → analysis: only function bodies may reach workflows."""
    for path in Path(analysis.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "workflows" for name in names), path
