"""System recipes: the trust rule for builder strings, callables, entry points, pickling."""

from __future__ import annotations

import inspect
import pickle
import sys

import cloudpickle
import kwant
import numpy as np
import pytest

from workflows.runs.recipes import (
    ENTRY_POINT_GROUP,
    SystemRecipe,
    UntrustedBuilderError,
    builder_function,
    entry_point_builders,
    finalized_system,
    trusted_modules,
)


def chain_with_barrier(length, barrier=0.0):
    """A chain (on-site 2t, t = 1) whose first site carries an extra potential U (a param)."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(length))] = lambda site, U: 2 + U * (site.tag[0] == 0)
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


# A builder module that leaves a mark when it is imported: the spy of "nothing imported".
SPY_MODULE = (
    "import pathlib\n\nimport kwant\n\n"
    'pathlib.Path(__file__).with_suffix(".imported").touch()\n\n\n'
    + inspect.getsource(chain_with_barrier)
)


@pytest.fixture
def spy_package(tmp_path, monkeypatch):
    """An installed-looking package: a builder module and an entry point naming it."""
    (tmp_path / "mf_spy_builders.py").write_text(SPY_MODULE)
    info = tmp_path / "mf_spy_dist-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mf-spy-dist\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nspy_chain = mf_spy_builders:chain_with_barrier\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / "mf_spy_builders.imported"
    sys.modules.pop("mf_spy_builders", None)


def test_entry_points_are_listed_without_importing_and_loaded_when_named(spy_package):
    assert entry_point_builders()["spy_chain"] == "mf_spy_builders:chain_with_barrier"
    assert "mf_spy_builders" not in sys.modules and not spy_package.exists()
    recipe = SystemRecipe("spy_chain", {"length": 1})
    assert spy_package.exists()  # loaded now, because a recipe named it
    fsyst = recipe.finalized()
    # independent reference: Kwant itself, and the closed form T = 1/(1 + (U/(2 sin k))^2)
    energy, U = 1.0, 0.5
    k = np.arccos(1 - energy / 2)
    expected = 1 / (1 + (U / (2 * np.sin(k))) ** 2)
    assert kwant.smatrix(fsyst, energy, params={"U": U}).transmission(1, 0) == pytest.approx(
        expected, abs=1e-12
    )
    # the target of an installed entry point is trusted under its own name too
    assert builder_function("mf_spy_builders:chain_with_barrier") is recipe._function
    assert pickle.loads(pickle.dumps(recipe)) == recipe


UNTRUSTED = [
    "os:system",
    "subprocess:getoutput",
    "runpy:run_path",
    "shutil:rmtree",
    "mf_spy_builders:chain_with_barrier",
    "systems.wires:chain",  # mesoflow's own modules are not a loophole: names only
    "workflows.app.study_run:run_study",
]


@pytest.mark.parametrize("builder", UNTRUSTED)
def test_an_untrusted_module_is_refused_before_anything_is_imported(builder, tmp_path, monkeypatch):
    (tmp_path / "mf_spy_builders.py").write_text(SPY_MODULE)  # importable, but not trusted
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    with pytest.raises(UntrustedBuilderError, match="is not trusted") as info:
        SystemRecipe(builder, {"command": f"touch {tmp_path / 'ran'}"})
    message = str(info.value)
    assert "\n" not in message
    assert f"--allow-module {builder.partition(':')[0].partition('.')[0]}" in message
    assert "SystemRecipe(<the function>" in message
    assert set(sys.modules) == before
    assert not (tmp_path / "ran").exists() and not (tmp_path / "mf_spy_builders.imported").exists()


def test_allowed_modules_and_their_submodules_are_trusted(tmp_path, monkeypatch):
    package = tmp_path / "mf_trusted_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "builders.py").write_text(SPY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = "mf_trusted_pkg.builders:chain_with_barrier"
    with pytest.raises(UntrustedBuilderError):
        builder_function(name, allow_modules=["mf_trusted"])  # a prefix is not a package
    with pytest.raises(UntrustedBuilderError):
        builder_function(name, allow_modules=["mf_trusted_pkg.other"])
    function = builder_function(name, allow_modules=["mf_trusted_pkg"])
    assert function is builder_function(name, allow_modules="mf_trusted_pkg.builders")
    assert function.__module__ == "mf_trusted_pkg.builders"
    with pytest.raises(ValueError, match=r"cannot import module 'mf_trusted_pkg\.absent'"):
        builder_function("mf_trusted_pkg.absent:f", allow_modules=["mf_trusted_pkg"])
    with pytest.raises(ValueError, match="has no function 'missing'"):
        builder_function("mf_trusted_pkg.builders:missing", allow_modules=["mf_trusted_pkg"])


@pytest.mark.parametrize(
    ("allow", "error", "message"),
    [
        (["os;rm"], ValueError, "is not a Python module name"),
        (["../x"], ValueError, "is not a Python module name"),
        ([""], ValueError, "is not a Python module name"),
        ([3], TypeError, "must hold module names"),
        (3, TypeError, "must be a module name or a list"),
    ],
)
def test_allow_modules_is_checked(allow, error, message):
    with pytest.raises(error, match=message):
        trusted_modules(allow)


@pytest.mark.parametrize(
    ("builder", "error", "message"),
    [
        ("chian", ValueError, "unknown builder 'chian'; choose one of chain, wire"),
        ("os:", ValueError, "must have the form 'package.module:function'"),
        (":system", ValueError, "must have the form"),
        ("os:sys tem", ValueError, "must have the form"),
        ("os:a:b", ValueError, "must have the form"),
        (3, TypeError, "builder must be a mesoflow builder name"),
        (None, TypeError, "builder must be a mesoflow builder name"),
    ],
)
def test_malformed_builders_are_one_line_errors(builder, error, message):
    with pytest.raises(error, match=message) as info:
        SystemRecipe(builder)
    assert "\n" not in str(info.value)


def test_a_callable_is_the_users_own_code_and_trusted():
    recipe = SystemRecipe(chain_with_barrier, {"length": 3})
    assert repr(recipe) == f"SystemRecipe({__name__}:chain_with_barrier(length=3))"
    assert pickle.loads(pickle.dumps(recipe)) == recipe
    fsyst = finalized_system(recipe)
    assert finalized_system(SystemRecipe(chain_with_barrier, {"length": 3})) is fsyst  # memo
    # an ideal chain inside its band: one open mode, T = 1 exactly
    ideal = {"U": 0.0}
    assert kwant.smatrix(fsyst, 1.0, params=ideal).transmission(1, 0) == pytest.approx(1.0)

    def closure(length):  # not importable: cloudpickle sends it by value
        return chain_with_barrier(length)

    again = cloudpickle.loads(cloudpickle.dumps(SystemRecipe(closure, {"length": 2})))
    assert kwant.smatrix(again.finalized(), 1.0, params=ideal).transmission(1, 0) == pytest.approx(
        1.0
    )
    with pytest.raises(TypeError, match="unknown argument\\(s\\) 'width'"):
        SystemRecipe(chain_with_barrier, {"length": 3, "width": 2})
