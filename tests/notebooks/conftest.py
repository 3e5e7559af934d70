"""Closed forms shared by the notebook tests."""

from __future__ import annotations

import numpy as np
import pytest


def _open_channels(energy: float, width: int) -> int:
    """Open modes of a hard-wall strip of ``width`` sites (square lattice, t = 1, band
    bottom at 0): transverse energies E_n = 2t(1 − cos(nπ/(W + 1))) below ``energy``."""
    n = np.arange(1, width + 1)
    return int(np.sum(2 - 2 * np.cos(n * np.pi / (width + 1)) < energy))


@pytest.fixture(scope="session")
def open_channels():
    """:func:`_open_channels`: the Landauer count N(E) of a clean strip."""
    return _open_channels
