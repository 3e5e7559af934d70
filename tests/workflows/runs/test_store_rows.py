"""Rows of a results store: the documented checksum, and decoding that refuses crafted values."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.runs.store_rows import (
    POINT_COLUMNS,
    decode_json,
    decode_point_row,
    encode_json,
    row_checksum,
)


def test_the_row_checksum_is_the_documented_serialization():
    # written out by hand from the module documentation, independently of row_checksum
    row = (3, '{"x": 0.5}', "done", '{"G": 2.0}', None, None, "t0", "t1", 0.25, "h:1", 1)
    text = [b'{"x": 0.5}', b"done", b'{"G": 2.0}']
    serialized = (
        b"points\0I3;"
        + b"".join(b"T%d:" % len(t) + t for t in text)
        + b"NNT2:t0T2:t1R"
        + struct.pack(">d", 0.25)
        + b"T3:h:1I1;"
    )
    expected = hashlib.blake2b(serialized, digest_size=16).hexdigest()
    assert row_checksum("points", row) == expected
    # text read back as bytes (text_factory=bytes) has the same checksum as the str written
    as_read = tuple(v.encode() if isinstance(v, str) else v for v in row)
    assert row_checksum("points", as_read) == expected
    # one changed byte, an integer read as a real, a missing value: all change it
    assert row_checksum("points", (*row[:3], '{"G": 7.0}', *row[4:])) != expected
    assert row_checksum("points", (3.0, *row[1:])) != expected
    assert row_checksum("points", (*row[:-1], None)) != expected


def test_a_row_that_matches_its_checksum_but_does_not_decode_is_damaged():
    values = (0, '{"x": 1}', "done", '{"G": [1, 2', None, None, None, None, 0.1, "h:1", 1)
    row = decode_point_row(values, row_checksum("points", values), verify=True)
    assert row.status == "damaged"
    assert row.damage.startswith("its observables column is not valid stored JSON")
    good = (0, '{"x": 1}', "done", '{"G": 0.5}', None, None, None, None, 0.1, "h:1", 1)
    row = decode_point_row(good, row_checksum("points", good), verify=True)
    assert (row.status, row.params, row.observables) == ("done", {"x": 1}, {"G": 0.5})
    assert len(POINT_COLUMNS) == len(good)


CRAFTED = [
    # ~100 bytes asking numpy for 8e9 bytes (7.45 GiB) through a subarray dtype
    ('{"G": {"__ndarray__": [0], "dtype": "(1000000000,)<f8", "shape": [1]}}', "plain NumPy"),
    ('{"G": {"__ndarray__": ["a"], "dtype": "<U999999", "shape": [1]}}', "declares"),
    ('{"G": {"__ndarray__": [], "dtype": "<f8", "shape": [100000, 100000]}}', "declares"),
    ('{"G": {"__ndarray__": [1, 2, 3], "dtype": "<f8", "shape": [2]}}', "shape"),
    ('{"G": {"__ndarray__": [[1], [2, 3]], "dtype": "<f8", "shape": [2, 1]}}', "shape"),
    ('{"G": {"__ndarray__": [1], "dtype": "V100", "shape": [1]}}', "plain NumPy"),
    ('{"G": {"__ndarray__": [1], "dtype": "<f8", "shape": [-1]}}', "list of sizes"),
    ('{"G": {"__ndarray__": [1], "dtype": "<f8", "shape": "big"}}', "list of sizes"),
    ('{"G": {"__ndarray__": [1e400], "dtype": "<i8", "shape": [1]}}', "fit its dtype|cannot"),
    ('{"G": {"__ndarray__": [99999999999999999999], "dtype": "<i8", "shape": [1]}}', "fit"),
]


@pytest.mark.parametrize(("text", "reason"), CRAFTED)
def test_crafted_arrays_are_refused_before_allocation(text, reason):
    with pytest.raises(ValueError, match=reason):
        decode_json(text)


def test_arrays_of_every_stored_kind_round_trip():
    values = {
        "f": np.linspace(0, 1, 6).reshape(2, 3),
        "c": np.array([1j / 3, 2.0]),
        "b": np.array([True, False]),
        "i": np.arange(4, dtype=np.int32),
        "u": np.array(["ν", "ab"]),
        "t": np.array(["2026-01-01"], dtype="datetime64[ns]"),
        "empty": np.zeros((0, 3)),
        "scalar": np.array(2.5),
    }
    decoded = decode_json(encode_json(values))
    for key, value in values.items():
        assert decoded[key].dtype == value.dtype and decoded[key].shape == value.shape
        np.testing.assert_array_equal(decoded[key], value)


dtypes = st.one_of(
    st.sampled_from(
        [
            "<f8",
            "<c16",
            "|b1",
            "<i8",
            "<U3",
            "|O",
            "<M8[ns]",
            "(1000000000,)<f8",
            "<U1000000000",
            "V8000000000",
            "<f16",
            "O8",
            "|S999999999",
            "[('a', '<f8')]",
        ]
    ),
    st.text(max_size=20),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=5),
    st.fixed_dictionaries({"__complex__": st.lists(st.floats(), max_size=3)}),
)
nested = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4), max_leaves=20)
shapes = st.one_of(
    st.lists(st.integers(-2, 2**62), max_size=5),
    st.lists(st.integers(0, 4), max_size=3),
    st.text(max_size=3),
    st.integers(),
)


@given(data=nested, dtype=dtypes, shape=shapes)
def test_fuzz_decode_json_of_adversarial_arrays(data, dtype, shape):
    """Random and crafted arrays: a value or a one-line ValueError/TypeError, quickly."""
    text = json.dumps({"a": {"__ndarray__": data, "dtype": dtype, "shape": shape}})
    try:
        decoded = decode_json(text)
    except (ValueError, TypeError) as exc:
        assert "\n" not in str(exc)
        return
    array = decoded["a"]
    assert array.nbytes <= 64 * len(text) + 2**20
    assert list(array.shape) == shape
