"""Figures that are saved: made without pyplot, and what the demo figure draws."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis import plots


@pytest.fixture
def svg_backend():
    """A session on the non-GUI 'svg' backend (not Agg), restored afterwards."""
    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    yield
    matplotlib.use(previous)


def _tables():
    gates = np.linspace(0.0, 2.0, 9)
    qpc = pd.DataFrame({"V_gate": gates, "G": np.clip(3 - 2 * gates, 0, 3), "N_leads": 3})
    fields = np.array([-0.06, -0.03, 0.03, 0.06])
    hall = pd.DataFrame(
        {
            "B": fields,
            "R_xy": [1.0, 0.5, -0.5, -1.0],
            "R_xx": [0.0, 0.01, 0.01, 0.0],
            "nu": [1, 2, 2, 1],
        }
    )
    return qpc, hall


def test_new_figure_is_not_registered_with_pyplot(svg_backend):
    figure, axes = plots.new_figure(2, 3, sharex=True)
    assert isinstance(figure, Figure)
    assert figure.canvas.manager is None  # pyplot does not know it: nothing to close
    assert axes.shape == (2, 3)
    assert tuple(figure.get_size_inches()) == pytest.approx((13.5, 6.8))
    _, ax = plots.new_figure(figsize=(3, 2))
    assert ax.figure.get_size_inches() == pytest.approx((3, 2))
    assert matplotlib.get_backend() == "svg"


def test_qpc_hall_figure_draws_both_panels_and_saves_without_a_backend(svg_backend):
    qpc, hall = _tables()
    figure = plots.qpc_hall_figure(qpc, hall)
    assert figure.canvas.manager is None
    left, right = figure.axes
    lines = {line.get_label(): line for line in left.get_lines()}
    np.testing.assert_array_equal(lines["simulation"].get_ydata(), qpc["G"])
    assert set(lines["open modes of leads"].get_ydata()) == {3}
    assert left.get_ylabel() == r"$G$ ($e^2/h$)"
    assert "gate" in left.get_xlabel()
    drawn = {line.get_label(): line for line in right.get_lines()}
    np.testing.assert_array_equal(drawn[r"$R_{xy}$"].get_ydata(), hall["R_xy"])
    np.testing.assert_array_equal(drawn[r"$R_{xx}$"].get_ydata(), hall["R_xx"])
    # plateau guides −sign(B)/ν at the quantized values
    guides = drawn[r"$-\mathrm{sign}(B)/\nu$"].get_ydata()
    np.testing.assert_allclose(guides, -np.sign(hall["B"]) / hall["nu"])
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=50)
    assert png.getvalue().startswith(b"\x89PNG")
    assert matplotlib.get_backend() == "svg"


def test_qpc_hall_figure_without_the_mode_line():
    qpc, hall = _tables()
    figure = plots.qpc_hall_figure(qpc.drop(columns="N_leads"), hall, modes=None)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert "open modes of leads" not in labels


def test_scan_figure_is_made_without_pyplot():
    frame = pd.DataFrame({"energy": [0.1, 0.2, 0.3], "G": [1.0, 2.0, 2.0], "R": [1.0, 0.5, 0.5]})
    figure = plots.scan_figure(frame, "energy", ["G", "R"], title="scan")
    assert figure.canvas.manager is None
    assert len(figure.axes) == 2
