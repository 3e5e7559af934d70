"""Two-terminal builders: argument checks, lead order, disorder reproducibility."""

import kwant
import numpy as np
import pytest

import systems
from workflows import conductance_matrix


@pytest.mark.parametrize(
    ("builder", "args", "message"),
    [
        (systems.chain, (0,), "length must be an integer number of sites >= 1"),
        (systems.wire, (10, 0), "width must be an integer number of sites >= 1"),
        (systems.wire, (10, -3), "width must be an integer number of sites >= 1"),
        (systems.wire, (10.5, 4), "length must be an integer"),
        (systems.qpc, (40, 20), None),
    ],
)
def test_two_terminal_builders_check_their_arguments(builder, args, message):
    if message is None:
        assert isinstance(builder(*args), kwant.Builder)
        return
    with pytest.raises((ValueError, TypeError), match=message):
        builder(*args)


def test_qpc_rejects_a_gap_wider_than_the_wire():
    with pytest.raises(ValueError, match="gap must be smaller than the wire"):
        systems.qpc(40, 10, gap=12)


def test_builders_return_unfinalized_systems_with_two_leads():
    for builder in (systems.chain(5), systems.wire(5, 3), systems.qpc(30, 12)):
        assert isinstance(builder, kwant.Builder)
        assert len(builder.leads) == 2


def _disordered_transmission(salt: str) -> float:
    fsyst = systems.wire(20, 6).finalized()
    G = conductance_matrix(fsyst, 1.0, params={"disorder": 2.0, "salt": salt})
    return -G[1, 0]


def test_disorder_is_reproducible_for_a_salt_and_differs_between_salts():
    first, again, other = (_disordered_transmission(s) for s in ("7", "7", "8"))
    # Same salt, same sample: equal up to floating-point noise (BLAS sums may
    # differ in the last bit between two solves); another salt is another sample.
    assert abs(first - again) < 1e-12
    assert abs(first - other) > 1e-3
    assert first < 3  # disorder of width 2t backscatters: below the 3 open modes at E = 1


def test_qpc_closes_with_gate_voltage():
    fsyst = systems.qpc(40, 20).finalized()
    open_g = -conductance_matrix(fsyst, 0.3, params={"V_gate": 0.0})[1, 0]
    closed_g = -conductance_matrix(fsyst, 0.3, params={"V_gate": 3.0})[1, 0]
    lead_modes = kwant.smatrix(
        fsyst, 0.3, params={"t": 1, "V": 0, "V_gate": 0, "B": 0, "disorder": 0, "salt": "0"}
    ).num_propagating(0)
    assert open_g == pytest.approx(lead_modes, abs=0.05)
    assert closed_g < 1e-3
    assert np.isfinite(open_g)


@pytest.mark.parametrize(
    ("build", "estimate"),
    [
        (
            lambda **kw: systems.chain(10**9, **kw),
            "chain(length=1000000000) would have about 1e+09",
        ),
        (lambda **kw: systems.wire(10**5, 10**5, **kw), "about 1e+10 sites"),
        (lambda **kw: systems.qpc(10**4, 10**3, **kw), "about 1e+07 sites"),
        (lambda **kw: systems.hall_bar(10**4, 10**3, 10, **kw), "about 1e+07 sites"),
        (lambda **kw: systems.cross(10**3, **kw), "about 5e+06 sites"),
        (lambda **kw: systems.ab_ring(10, 2000, 4, **kw), "about 1.26e+07 sites"),
    ],
)
def test_builders_refuse_huge_systems_before_building(build, estimate):
    with pytest.raises(ValueError, match=r"more than max_sites=1,000,000") as error:
        build()
    assert estimate in str(error.value) and "max_sites=None" in str(error.value)


def test_the_size_limit_is_an_estimate_the_caller_can_lift():
    with pytest.raises(ValueError, match=r"about 50 sites, more than max_sites=10"):
        systems.chain(50, max_sites=10)
    assert len(list(systems.chain(50, max_sites=None).sites())) == 50
    assert len(list(systems.wire(30, 4, max_sites=120).sites())) == 120  # the estimate is exact
