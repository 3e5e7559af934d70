"""Evaluating a point: invalid return values and sys.exit fail that point only."""

from __future__ import annotations

import sys

import cloudpickle
import pytest

import workflows
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def exits(x: int) -> dict:
    """A point function whose point 1 calls sys.exit (in a worker or in the driver)."""
    if x == 1:
        sys.exit(3)
    return {"y": x}


@pytest.mark.parametrize("in_process", [False, True])
def test_a_point_that_calls_sys_exit_fails_alone(in_process):
    with SerialExecutor() if in_process else workflows.process_pool(2) as executor:
        table = workflows.scan(
            exits,
            {"x": range(4)},
            run=RunOptions(executor=executor, progress=False),
        )
    assert table.loc[table.x == 1, "error"].item().startswith("SystemExit: 3")
    assert table.loc[table.x != 1, "y"].tolist() == [0, 2, 3]


def test_invalid_return_values_are_point_failures():
    def bad(x):
        return {"x": x} if x == 0 else ([x] if x == 1 else {"obj": object()})

    table = workflows.scan(
        bad,
        {"x": [0, 1, 2]},
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    errors = table["error"].tolist()
    assert errors[0].startswith("ValueError: observable name 'x' clashes with a parameter")
    assert errors[1].startswith("TypeError: the point function must return a dict")
    assert errors[2].startswith("TypeError: observable 'obj' has type object")
