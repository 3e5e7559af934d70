"""No private name crosses a layer: the layers talk through public names only.

A *unit* is a top-level package (``systems``, ``analysis``, ``workflows``),
except that each subpackage of ``workflows`` (``scattering``, ``studies``,
``runs``, ``app``) is a unit of its own.  A module may import a private name
(one leading underscore) or a private module only from its own unit; across
units every import is of a public name, so a unit's private helpers can
change without breaking another.  The test walks the syntax tree of every
module (``from x import _y``, ``from x._y import z``, ``import x._y``, and
``module._y`` on a module imported from another unit).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("systems", "workflows", "analysis")
WORKFLOW_LAYERS = ("scattering", "studies", "runs", "app")


def unit(module: str) -> str:
    """The unit of a dotted module name: its package, or ``workflows.<layer>``."""
    parts = module.split(".")
    if parts[0] == "workflows" and len(parts) > 1 and parts[1] in WORKFLOW_LAYERS:
        return ".".join(parts[:2])
    return parts[0]


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_module(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def offenders(path: Path) -> list[str]:
    """Every cross-unit private import of one module, as ``module:line: what``."""
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    foreign_modules: set[str] = set()  # local names bound to another unit's modules

    def cross(target: str) -> bool:
        return target.split(".")[0] in PACKAGES and unit(target) != unit(module)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = imported_module(node, module, path.name == "__init__.py")
            if not cross(target):
                continue
            for alias in node.names:
                if any(private(part) for part in target.split(".")) or private(alias.name):
                    found.append(f"{module}:{node.lineno}: from {target} import {alias.name}")
                else:
                    foreign_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not cross(alias.name):
                    continue
                if any(private(part) for part in alias.name.split(".")):
                    found.append(f"{module}:{node.lineno}: import {alias.name}")
                foreign_modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            dotted = []
            while isinstance(base, ast.Attribute):
                dotted.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in foreign_modules:
                name = ".".join([base.id, *reversed(dotted), node.attr])
                found.append(f"{module}:{node.lineno}: {name}")
    return found


def all_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_no_private_name_is_imported_across_units():
    bad = [line for path in all_modules() for line in offenders(path)]
    assert not bad, "private names imported across units:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from analysis.bias import _check_matrix\n", 1),
        ("from analysis._moved import MOVED\n", 1),
        ("import workflows.runs._secret\n", 1),
        ("from workflows.scattering import conductance\nconductance._check_system(1)\n", 1),
        ("from ..scattering.conductance import _check_energy\n", 1),  # relative, other layer
        ("from .open_system import _private_helper\n", 0),  # own unit
        ("from analysis.bias import solve_bias\n", 0),
    ],
)
def test_the_walk_finds_private_imports(tmp_path, monkeypatch, source, expected):
    """The checker itself: it must flag each form of a cross-unit private import."""
    package = tmp_path / "workflows" / "studies"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "probe.py"
    module.write_text(source)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert len(offenders(module)) == expected


def test_unit_splits_workflows_into_its_layers():
    assert unit("workflows.scattering.conductance") == "workflows.scattering"
    assert unit("workflows.exports") == "workflows"
    assert unit("analysis.bias") == "analysis"


def test_every_moved_flat_name_fails_naming_a_place_that_has_it():
    """``workflows.<old name>`` raises AttributeError naming its new home, which holds it."""
    import importlib

    import workflows
    from workflows.exports import MOVED

    for name, home in MOVED.items():
        assert name not in workflows.__all__
        with pytest.raises(AttributeError, match=f"moved to {home}.{name}"):
            getattr(workflows, name)
        assert hasattr(importlib.import_module(home), name), (name, home)


def test_every_namespace_name_resolves_to_its_definition():
    """The namespaces export what they list (functions, not same-named modules)."""
    import workflows
    import workflows.runs
    import workflows.scattering
    import workflows.studies

    spaces = (workflows.scattering, workflows.studies, workflows.runs)
    for _ in range(2):  # the second time every defining module is loaded: none may shadow a name
        for space in spaces:
            for name in space.__all__:
                assert not inspect.ismodule(getattr(space, name)), (space.__name__, name)
    flat_only = {"andreev_noise", "finite_bias_probes", "thermoelectric"}  # module names
    for name in sorted(set(workflows.__all__) - flat_only):
        assert any(getattr(s, name, None) is getattr(workflows, name) for s in spaces), name


def test_renamed_analysis_names_fail_naming_the_new_name():
    import analysis
    import analysis.heat
    import analysis.noise

    with pytest.raises(AttributeError, match="noise_from_scattering_matrix"):
        analysis.noise_matrix  # noqa: B018
    with pytest.raises(AttributeError, match="noise_from_scattering_matrix"):
        analysis.noise.noise_matrix  # noqa: B018
    with pytest.raises(AttributeError, match="onsager_from_conductances"):
        analysis.heat.onsager_matrix  # noqa: B018
