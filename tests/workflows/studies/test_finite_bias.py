"""probe_iv_curve: finite-bias I–V with floating probes through scan, warm-started."""

from __future__ import annotations

import numpy as np

import systems
import workflows


def test_warm_started_curve_equals_independent_solves():
    # The warm start only changes where Newton begins: each row equals a cold
    # finite_bias_probes solve at that bias (Newton converges to ~1e-14; 1e-10).
    builder = systems.chain(6)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    params = dict(eta=0.4)
    biases, model = [0.03, -0.03], "hot"
    table = workflows.probe_iv_curve(
        fsyst, 2.0, biases, params=params, temperature=0.01, model=model
    )
    assert table["bias"].tolist() == biases and table.attrs["failed"] == 0
    for bias, current, entropy in zip(
        table["bias"], table["current"], table["entropy_production"], strict=True
    ):
        cold = workflows.finite_bias_probes(
            fsyst,
            mu=[2.0 + bias / 2, 2.0 - bias / 2],
            temperature=0.01,
            params=params,
            model=model,
        )
        assert abs(current - cold.currents[0]) < 1e-10
        assert abs(entropy - cold.entropy_production) < 1e-9
    # Odd in the bias for this symmetric chain, and dissipative.
    currents = dict(zip(table["bias"], table["current"], strict=True))
    assert abs(currents[0.03] + currents[-0.03]) < 1e-9
    assert np.all(table["entropy_production"] > 0)
