"""``import workflows`` loads its public names from workflows.api on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LAZY = """
import json, sys
import workflows
before = "kwant" in sys.modules
names = {}
exec("from workflows import *", names)
print(json.dumps({
    "kwant_before": before,
    "scan": workflows.scan.__module__,
    "runs": workflows.runs.executors.__name__,
    "star": sorted(n for n in names if not n.startswith("__")) == sorted(workflows.api.__all__),
}))
"""


def test_names_load_on_first_use_and_subpackages_stay_reachable():
    result = subprocess.run(
        [sys.executable, "-c", LAZY], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "kwant_before": False,
        "scan": "workflows.runs.scans",
        "runs": "workflows.runs.executors",
        "star": True,
    }


def test_an_unknown_name_is_an_attribute_error():
    import workflows

    with pytest.raises(AttributeError, match="module 'workflows' has no attribute 'nope'"):
        workflows.nope  # noqa: B018
