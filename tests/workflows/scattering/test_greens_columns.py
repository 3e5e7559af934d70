"""G from every lead interface to every orbital: the same solve as the interface G."""

from __future__ import annotations

import numpy as np

import systems
import workflows
from systems.parameters import resolve_params
from workflows.scattering.greens_columns import lead_greens_columns


def test_interface_block_and_conductance_match_the_independent_routes():
    builder = systems.hall_bar(10, 4, 2, arm_length=1)
    systems.attach_dephasing_probes(builder, lambda pos: pos[0] in (3, 6) and pos[1] == 1)
    fsyst = builder.finalized()
    params = resolve_params(fsyst, dict(B=0.04, eta=0.2))
    solution = lead_greens_columns(fsyst, 0.6, params=params)
    reference = workflows.scattering.interface_greens_function(fsyst, 0.6, params=params)
    # Same matrix, two sparse solves with different right-hand sides: rounding only.
    assert np.abs(solution.columns[solution.interface] - reference.data).max() < 1e-10
    G = workflows.conductance_matrix(fsyst, 0.6, params=params)
    assert np.abs(solution.conductance_matrix() - G).max() < 1e-10
    # The spectral function of every lead is positive on the diagonal (A_p = G Γ_p G† ≥ 0).
    assert solution.lead_spectral_diagonal().min() > -1e-12
