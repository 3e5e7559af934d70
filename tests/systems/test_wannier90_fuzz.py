"""Fuzzing systems.wannier90: every argument, replaced by an adversarial value, gives a result
or a one-line ValueError/TypeError (the one outcome rule of tests/conftest.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systems.wannier90 import Wannier90Crystal, from_wannier90, wannier90_device, write_wannier90

from .test_wannier90_models import A, hbn

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture(scope="module")
def hbn_files(tmp_path_factory):
    files = write_wannier90(hbn(), tmp_path_factory.mktemp("hbn") / "hbn")
    from_wannier90(
        files["hr_file"], win_file=files["win_file"], xyz_file=files["xyz_file"], sites="centres"
    )
    return files  # read once above: the first read imports TBmodels, seconds


# deadline=None: each example reads files through TBmodels, whose first example in a session
# took 7-10 s on the loaded 2-core machine (0.15 s afterwards); the example budget is unchanged
@settings(deadline=None)
@given(data=st.data())
def test_from_wannier90_validates_its_keywords(data, adversarial, outcome, hbn_files):
    name = data.draw(
        st.sampled_from(["spinors", "sites", "tolerance", "energy_cutoff", "distance_cutoff"])
    )
    kwargs = {"win_file": hbn_files["win_file"], "xyz_file": hbn_files["xyz_file"]}
    kwargs["sites"] = "centres"
    kwargs[name] = data.draw(adversarial, label=name)
    result = outcome(from_wannier90, hbn_files["hr_file"], **kwargs)
    assert isinstance(result, (Wannier90Crystal, ValueError, TypeError))


@settings(deadline=None)  # builds a small Kwant device per example (see above)
@given(data=st.data())
def test_device_validates_its_arguments(data, adversarial, outcome):
    crystal = Wannier90Crystal(hbn(), tolerance=0.1)
    name = data.draw(st.sampled_from(["start", "lead_direction", "field_direction"]))
    kwargs = {
        "start": (0, 0, 0),
        "lead_direction": (1, 0, 0),
        "lead_shape": lambda p: -0.1 <= p[1] <= A and abs(p[2]) < 1,
    }
    kwargs[name] = data.draw(adversarial, label=name)
    start = kwargs.pop("start")
    shape = lambda p: -0.1 <= p[1] <= A and abs(p[2]) < 1 and abs(p[0]) <= A  # noqa: E731
    outcome(wannier90_device, crystal, shape, start, **kwargs)
