"""Finite-bias I–V: closed forms, the linear-response limit and the voltage-drop models."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

import systems
from analysis import chain_barrier_transmission
from analysis.thermal import fermi
from workflows import iv_curve, thermoelectric
from workflows.runs.options import RunOptions

THETA = 0.005


def test_rigid_iv_of_a_chain_barrier_matches_quadrature():
    # Rigid model: I(V) = ∫ 𝒯(E)[f(E − μ − V/2) − f(E − μ + V/2)] dE with the
    # closed-form 𝒯; reference by scipy quad; grid tol 1e-6 → error ≲ 1e-5 relative.
    fsyst = systems.chain(1).finalized()
    mu = 1.0
    table = iv_curve(fsyst, mu, [-0.4, 0.4], params=dict(V=1.0), temperature=THETA, tol=1e-6)
    for row in table.itertuples():
        reference = quad(
            lambda e, v=row.bias: (
                chain_barrier_transmission(e, 1.0)
                * (fermi(e, mu + v / 2, THETA) - fermi(e, mu - v / 2, THETA))
            ),
            mu - abs(row.bias) - 0.3,
            mu + abs(row.bias) + 0.3,
            points=[mu - row.bias / 2, mu + row.bias / 2],
            limit=400,
            epsabs=1e-12,
        )[0]
        assert row.current == pytest.approx(reference, rel=1e-5)
        # dI/dV (rigid): the average of 𝒯 at the two shifted windows.
        expected = 0.5 * (
            chain_barrier_transmission(mu + row.bias / 2, 1.0)
            + chain_barrier_transmission(mu - row.bias / 2, 1.0)
        )
        assert row.dIdV == pytest.approx(expected, rel=2e-3)  # thermal smearing O((k_BT)²𝒯'')


def test_linear_response_limit_is_the_conductance():
    # I/V → G (thermal average of 𝒯) as V → 0, for both drop models: the drop
    # changes 𝒯 by O(V), hence I by O(V²).  V = 1e-4 t: relative O(V/scale) ≈ 1e-4;
    # the grids (tol 1e-4 and 1e-5 e²/h per interval) add ≲ 1e-4 relative.
    fsyst = systems.chain(6).finalized()
    params = dict(V=lambda x: 0.4 * np.exp(-((x - 2.5) ** 2)))  # smooth asymmetric-free barrier
    g = thermoelectric(fsyst, 1.2, THETA, params=params).G
    for drop in ("rigid", "linear"):
        table = iv_curve(
            fsyst, 1.2, [-1e-4, 1e-4], params=params, temperature=THETA, drop=drop, tol=1e-4
        )
        assert table.current.iloc[1] / 1e-4 == pytest.approx(g, rel=1e-3)
        assert table.dIdV.iloc[1] == pytest.approx(g, rel=1e-3)


@pytest.mark.slow
def test_linear_drop_rectifies_only_asymmetric_systems():
    # Mirror-symmetric chain: I(−V) = −I(V) also with the linear drop (source and
    # sink exchange roles); an asymmetric potential (a step) rectifies at finite bias.
    fsyst = systems.chain(4).finalized()
    symmetric = dict(V=lambda x: 0.5 if 1 <= x <= 2 else 0.0)
    table = iv_curve(fsyst, 1.0, [-0.3, 0.3], params=symmetric, temperature=THETA, drop="linear")
    # Both grids have tol = 1e-5 (e²/h per interval): antisymmetric to ~1e-4.
    assert table.current.iloc[0] == pytest.approx(-table.current.iloc[1], rel=1e-4)
    asymmetric = dict(V=lambda x: 0.6 if x >= 2 else 0.0)
    table = iv_curve(
        fsyst, 1.0, [-0.3, 0.3], params=asymmetric, temperature=THETA, drop="linear", tol=1e-4
    )
    assert abs(table.current.iloc[0] + table.current.iloc[1]) > 1e-2 * abs(table.current.iloc[1])
    assert table.attrs["drop"] == "linear"


def test_custom_drop_callable_and_validation():
    fsyst = systems.chain(1).finalized()

    def shift(bias):
        return {"V": 1.0 + 0.0 * bias}  # a model that ignores the bias = rigid

    custom = iv_curve(
        fsyst, 1.0, [0.2], params=dict(V=1.0), temperature=THETA, drop=shift, tol=1e-4
    )
    rigid = iv_curve(fsyst, 1.0, [0.2], params=dict(V=1.0), temperature=THETA, tol=1e-4)
    np.testing.assert_allclose(custom.current, rigid.current, rtol=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        iv_curve(fsyst, 1.0, [0.1], temperature=0.0)
    with pytest.raises(ValueError, match="drop"):
        iv_curve(fsyst, 1.0, [0.1], temperature=THETA, drop="parabolic")
    with pytest.raises(ValueError, match="split"):
        iv_curve(fsyst, 1.0, [0.1], temperature=THETA, split=2)


def test_differential_conductance_does_not_depend_on_the_order_of_the_biases():
    fsyst = systems.chain(3).finalized()
    biases = [0.1, -0.1, 0.05, 0.0, -0.05]
    # tol: the energy grids' budget, not the comparison's (the same grids either way; 1e-2
    # e²/h per interval: 107 instead of 145 solves for three biases)
    kwargs = dict(temperature=0.05, drop="linear", params={"V": 0.3}, tol=1e-2)
    shuffled = iv_curve(fsyst, 1.0, biases, **kwargs)
    ordered = iv_curve(fsyst, 1.0, sorted(biases), **kwargs)
    by_bias = shuffled.set_index("bias").sort_index()
    assert np.allclose(by_bias["dIdV"], ordered.set_index("bias")["dIdV"], atol=1e-12)
    with pytest.raises(ValueError, match="distinct"):
        iv_curve(fsyst, 1.0, [0.1, 0.1], temperature=0.05)


def test_iv_resumes_from_its_store_and_runs_on_two_workers(tmp_path, interrupt_after, two_workers):
    # Linear drop: one point per bias; rigid: all biases are one task on one grid.
    fsyst = systems.chain(3).finalized()
    biases = [-0.1, 0.0, 0.1]
    # tol: the grids' budget; every comparison below is bit for bit between runs of the same
    # grids (1e-2 e²/h per interval: 107 instead of 145 solves per three biases).
    kwargs = dict(params={"V": 0.3}, temperature=0.05, tol=1e-2)
    serial = iv_curve(fsyst, 1.0, biases, drop="linear", **kwargs)
    assert serial.attrs["provenance"]["study"]["name"] == "iv_curve"
    assert serial.attrs["provenance"]["study"]["settings"]["drop"] == "linear"
    store = tmp_path / "iv.sqlite"
    with pytest.raises(KeyboardInterrupt):
        iv_curve(
            fsyst,
            1.0,
            biases,
            drop="linear",
            **kwargs,
            run=RunOptions(store=store, executor=interrupt_after(2)),
        )
    resumed = iv_curve(fsyst, 1.0, biases, drop="linear", **kwargs, run=RunOptions(store=store))
    assert resumed.attrs["provenance"]["n_from_store"] == 2
    assert resumed.attrs["provenance"]["n_computed"] == 1
    pd.testing.assert_frame_equal(resumed, serial, check_exact=True)
    parallel = iv_curve(
        fsyst, 1.0, biases, drop="linear", **kwargs, run=RunOptions(executor=two_workers)
    )
    pd.testing.assert_frame_equal(parallel, serial, check_exact=True)
    rigid = iv_curve(fsyst, 1.0, biases, **kwargs)
    on_pool = iv_curve(fsyst, 1.0, biases, **kwargs, run=RunOptions(executor=two_workers))
    pd.testing.assert_frame_equal(on_pool, rigid, check_exact=True)


def test_iv_curve_takes_the_fermi_energy_second_and_params_keyword_only():
    parameters = inspect.signature(iv_curve).parameters
    assert list(parameters)[:3] == ["fsyst", "energy", "biases"]
    assert parameters["params"].kind is inspect.Parameter.KEYWORD_ONLY


def test_iv_curve_refuses_a_bad_tolerance_before_any_point():
    # A scan would otherwise record every bias as a failed point.
    fsyst = systems.chain(4).finalized()
    with pytest.raises(ValueError, match="tol must be a finite real number >= 1e-12"):
        iv_curve(fsyst, 1.0, [0.0, 0.1], temperature=0.01, tol=0.0)
