"""The shared argument checks: accepted values come back as plain types, refused ones name
the argument, the value and what would be valid, in one line."""

import math

import numpy as np
import pytest

from systems.validation import choice, integer, lead_index, positive_int, positive_real, real


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3)])
def test_integer_accepts_python_and_numpy_integers(value):
    result = integer("width", value, minimum=1)
    assert result == 3
    assert type(result) is int


@pytest.mark.parametrize("value", [3.0, np.float64(3.0), True, "3", None, 3 + 0j])
def test_integer_refuses_other_kinds_with_a_type_error(value):
    with pytest.raises(TypeError) as error:
        integer("width", value, minimum=1, hint="number of sites")
    assert str(error.value) == f"width must be an integer >= 1 (number of sites), got {value!r}"


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"minimum": 1}, 0, "width must be an integer >= 1, got 0"),
        ({"maximum": 4}, 5, "width must be an integer <= 4, got 5"),
        ({"minimum": 0, "maximum": 4}, -1, "width must be an integer in [0, 4], got -1"),
    ],
)
def test_integer_bounds_are_inclusive_and_named(kwargs, value, message):
    with pytest.raises(ValueError) as error:
        integer("width", value, **kwargs)
    assert str(error.value) == message
    bound = kwargs.get("minimum", kwargs.get("maximum"))
    assert integer("width", bound, **kwargs) == bound


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.int32(1)])
def test_real_accepts_real_numbers_and_returns_a_float(value):
    result = real("temperature", value, minimum=0)
    assert result == float(value)
    assert type(result) is float


@pytest.mark.parametrize("value", [True, 1j, "0.5", None, [0.5]])
def test_real_refuses_other_kinds_with_a_type_error(value):
    with pytest.raises(TypeError, match=r"^temperature must be a finite real number >= 0"):
        real("temperature", value, minimum=0)


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({}, math.nan, "eta must be a finite real number, got nan"),
        ({}, math.inf, "eta must be a finite real number, got inf"),
        ({"minimum": 0}, -0.1, "eta must be a finite real number >= 0, got -0.1"),
        ({"minimum": 0, "strict": True}, 0.0, "eta must be a finite real number > 0, got 0.0"),
        ({"maximum": 1, "strict": True}, 1, "eta must be a finite real number < 1, got 1"),
        ({"minimum": 0, "maximum": 1}, 1.5, "eta must be a finite real number in [0, 1], got 1.5"),
        (
            {"minimum": 0, "maximum": 1, "strict": True, "hint": "units of t"},
            0,
            "eta must be a finite real number in (0, 1) (units of t), got 0",
        ),
        ({"finite": False}, math.nan, "eta must be a real number, got nan"),
        (
            {"finite": False, "minimum": 0},
            -math.inf,
            "eta must be a real number >= 0, got -inf",
        ),
    ],
)
def test_real_refuses_out_of_range_values_with_a_value_error(kwargs, value, message):
    with pytest.raises(ValueError) as error:
        real("eta", value, **kwargs)
    assert str(error.value) == message


def test_real_bounds_are_inclusive_unless_strict_and_infinity_is_opt_in():
    assert real("eta", 0, minimum=0) == 0.0
    assert real("eta", 1, maximum=1) == 1.0
    assert real("timeout", math.inf, minimum=0, strict=True, finite=False) == math.inf


def test_choice_returns_the_value_or_lists_the_options():
    assert choice("style", "arrows", ("streamlines", "arrows")) == "arrows"
    assert choice("style", np.str_("arrows"), ["streamlines", "arrows"]) == "arrows"
    assert choice("beta", 2, (1, 2)) == 2
    with pytest.raises(ValueError) as error:
        choice("model", "hot electrons", ("dephasing", "voltage", "hot"))
    assert str(error.value) == (
        "model must be 'dephasing', 'voltage' or 'hot', got 'hot electrons'"
    )
    with pytest.raises(ValueError, match=r"^solver must be None, got 'mumps'$"):
        choice("solver", "mumps", [None])


def test_choice_does_not_confuse_bools_with_numbers_or_choke_on_arrays():
    with pytest.raises(ValueError, match="beta must be 1 or 2"):
        choice("beta", True, (1, 2))
    with pytest.raises(ValueError, match=r"got array\(\[1, 2\]\)"):
        choice("beta", np.array([1, 2]), (1, 2))


def test_index_names_the_valid_range():
    assert lead_index("lead", np.int64(2), 3, of="lead") == 2
    with pytest.raises(ValueError) as error:
        lead_index("lead", 3, 3, of="lead")
    assert str(error.value) == "lead=3 is out of range: valid lead indices are 0..2"
    with pytest.raises(ValueError, match=r"out of range: valid terminal indices are 0\.\.1$"):
        lead_index("reference", -1, 2, of="terminal")
    with pytest.raises(TypeError) as error:
        lead_index("lead", 1.0, 3, of="lead")
    assert str(error.value) == (
        "lead must be a lead index (an integer; valid lead indices are 0..2), got 1.0"
    )
    with pytest.raises(ValueError, match="there are no leads"):
        lead_index("lead", 0, 0, of="lead")


def test_builder_shortcuts_use_the_same_messages():
    assert positive_int("arm_length", 0, minimum=0) == 0
    with pytest.raises(
        ValueError, match=r"^length must be an integer number of sites >= 1, got 0$"
    ):
        positive_int("length", 0)
    assert positive_real("r_in", 2) == 2.0
    with pytest.raises(ValueError, match=r"^r_in must be a finite real number > 0, got 0$"):
        positive_real("r_in", 0)


def test_messages_are_one_line():
    for check, args in [
        (integer, ("n", 1.5)),
        (real, ("x", "a")),
        (choice, ("c", "x", ("a", "b"))),
        (lead_index, ("i", 9, 2)),
    ]:
        with pytest.raises((TypeError, ValueError)) as error:
            check(*args)
        assert "\n" not in str(error.value)


def test_shared_checks_of_the_layers_refuse_in_one_line():
    """The checks that solvers and the Kwant-free algebra share (issue 21: public here)."""
    import kwant

    from systems.parameters import check_swept_param
    from systems.validation import (
        check_conductance_matrix,
        check_source_sink,
        check_system,
        flux_period,
        terminal_index,
        terminal_setpoints,
    )

    G = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert check_conductance_matrix(G.tolist()).tolist() == G.tolist()
    with pytest.raises(ValueError, match="rows and columns must sum to zero"):
        check_conductance_matrix([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="at least 2 terminals"):
        check_conductance_matrix([[0.0]])
    assert terminal_index("source", np.int64(1), 2) == 1
    with pytest.raises(ValueError, match=r"valid terminal indices are 0\.\.1"):
        terminal_index("sink", 2, 2)
    assert check_source_sink(0, 1, 2) == (0, 1)
    with pytest.raises(ValueError, match="source and sink must differ"):
        check_source_sink(1, 1, 2)
    assert terminal_setpoints("voltages", {0: 1, 1: 0.5}, 2) == {0: 1.0, 1: 0.5}
    assert terminal_setpoints("voltages", None, 2) == {}
    with pytest.raises(TypeError, match="voltages must be a mapping"):
        terminal_setpoints("voltages", [1.0, 0.0], 2)
    assert flux_period("period", 2 * math.pi) == pytest.approx(2 * math.pi)
    with pytest.raises(ValueError, match="period must be a finite real number > 0"):
        flux_period("period", 0)

    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[lat(0)] = lambda site, V: V
    with pytest.raises(TypeError, match=r"call builder\.finalized"):
        check_system(syst)
    with pytest.raises(ValueError, match="no leads"):
        check_system(syst.finalized())
    with pytest.raises(TypeError, match="expected a finalized kwant system, got dict"):
        check_system({})
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 0
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    fsyst = syst.finalized()
    check_system(fsyst)
    check_swept_param(fsyst, "V", None)
    with pytest.raises(ValueError, match="is not a parameter of this system"):
        check_swept_param(fsyst, "B", None)
    with pytest.raises(ValueError, match="also given in params"):
        check_swept_param(fsyst, "V", {"V": 0.0})
    with pytest.raises(TypeError, match="must be a parameter name"):
        check_swept_param(fsyst, 3, None)
