"""Fingerprints of point functions: equal from one process to the next."""

from __future__ import annotations

import os
import subprocess
import sys

import systems
from workflows.runs.provenance import callable_fingerprint

# A point function with a finalized Kwant system bound (as the studies bind a user's
# system), fingerprinted in a fresh interpreter with the given string-hash salt.
SCRIPT = """
import functools
import systems
from workflows.runs.provenance import callable_fingerprint
from workflows.studies.ring_points import flux_trace_point
ring = systems.ab_ring(4, 7, 2).finalized()
point = functools.partial(flux_trace_point, system=ring, energy=1.0, flux=(0.0, 0.5),
                          params={"disorder": 1.0}, source=0, sink=1)
print(callable_fingerprint(point)["sha256"])
"""


def fingerprint_in_process(seed: str) -> str:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_bound_finalized_system_fingerprints_the_same_in_every_process():
    """Kwant site families cache hash(str) and systems hold frozensets of names: both
    vary with the per-process string-hash salt.  A resumed study runs in a new process
    (or another notebook kernel) and must recognise its own store."""
    assert fingerprint_in_process("1") == fingerprint_in_process("2")


def test_the_fingerprint_still_tells_systems_apart():
    a = systems.ab_ring(4, 7, 2).finalized()
    b = systems.ab_ring(4, 7, 3).finalized()

    def point(fsyst):
        return lambda **_: fsyst

    assert callable_fingerprint(point(a))["sha256"] != callable_fingerprint(point(b))["sha256"]
    assert callable_fingerprint(point(a))["sha256"] == callable_fingerprint(point(a))["sha256"]
