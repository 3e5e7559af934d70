"""One door into the solver: no module outside the scattering core goes around OpenSystem.

An AST check over every module of ``systems``, ``workflows`` and ``analysis``.
Outside the core modules listed in :data:`CORE`, a module may not

* use Kwant's solvers: ``kwant.smatrix``, ``kwant.greens_function``,
  ``kwant.wave_function``, ``kwant.ldos``, anything of ``kwant.solvers``,
  ``kwant.linalg`` or ``kwant.physics.modes`` / ``selfenergy`` (called, referenced or
  imported, under any alias: ``f = kwant.smatrix``, ``from kwant import smatrix as s``,
  ``import kwant.solvers.default as d``, ``getattr(kwant, "smatrix")``);
* read the solving attributes of a system or lead: ``hamiltonian_submatrix``,
  ``modes``, ``selfenergy``, ``selfenergy_func`` (also through ``getattr(x, "modes")``,
  ``getattr(x, NAME)`` with ``NAME = "modes"`` a string constant of the module, or
  ``operator.attrgetter("modes")``); ``hasattr(x, "modes")`` only asks what kind of
  lead it is and is allowed;
* read a private attribute (``._name``, one leading underscore) that the module does
  not define itself, except on a module it imported that is not Kwant's (``os._exit``,
  ``sys._getframe``), nor import a private Kwant module or name.

The only exceptions are listed in :data:`ALLOWED` with the reason.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("systems", "workflows", "analysis")

#: The scattering core: the modules that may open a solver.
CORE = frozenset(
    {
        "workflows/scattering/open_system.py",  # assembles E − H − Σ, self-energies, projectors
        "workflows/scattering/backends.py",  # factorizations (MUMPS, SuperLU, RGF)
        "workflows/scattering/band_edges.py",  # lead_modes: the one call of a lead's modes
        "workflows/scattering/lead_matrices.py",  # InfiniteSystem.modes, lead evaluated once
        "workflows/scattering/hamiltonian_updates.py",  # ΔH along parameters
        "workflows/scattering/recursive_greens.py",  # the RGF recursion
    }
)

#: (module, attribute) pairs allowed outside the core, with the reason.
ALLOWED = {
    # systems describes probes: it recognizes its own WideBandSelfEnergy and reads which
    # parameter names a self-energy function takes (never calls it to solve).
    ("systems/probes.py", "selfenergy_func"),
    ("systems/parameters.py", "selfenergy_func"),
    # The run layer asks executors and processes of the standard library and dask how many
    # workers they have (no public API for it); not Kwant, and nothing is solved.
    ("workflows/runs/executors.py", "_max_workers"),
    ("workflows/runs/executors.py", "_client"),
    ("workflows/runs/main_guard.py", "_inheriting"),
}

FORBIDDEN_KWANT = (
    "kwant.smatrix",
    "kwant.greens_function",
    "kwant.wave_function",
    "kwant.ldos",
    "kwant.solvers",
    "kwant.linalg",
    "kwant.physics.modes",
    "kwant.physics.selfenergy",
)
SOLVING_ATTRIBUTES = frozenset({"hamiltonian_submatrix", "modes", "selfenergy", "selfenergy_func"})


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_setattr(func: ast.AST) -> bool:
    return (isinstance(func, ast.Name) and func.id == "setattr") or (
        isinstance(func, ast.Attribute) and func.attr == "__setattr__"
    )


def _forbidden_path(path: str) -> bool:
    return any(path == bad or path.startswith(bad + ".") for bad in FORBIDDEN_KWANT)


def _kwant_private(path: str) -> bool:
    parts = path.split(".")
    return parts[0] == "kwant" and any(_is_private(p) for p in parts[1:])


class _Checker(ast.NodeVisitor):
    """Collect (line, message) of every side door in one module's source."""

    def __init__(self, tree: ast.AST, module: str):
        self.module = module
        self.problems: list[tuple[int, str]] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted path of what it is
        self.strings: dict[str, str] = {}  # module-level NAME = "constant"
        self.own: set[str] = set()  # private names this module defines
        self.modules: set[str] = set()  # local names bound to an imported module
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                self.own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.own.add(node.id)
            elif isinstance(node, ast.arg):
                self.own.add(node.arg)
            elif isinstance(node, ast.Call) and _is_setattr(node.func) and len(node.args) >= 2:
                if isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                    self.own.add(node.args[1].value)  # object.__setattr__(self, "_key", ...)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if isinstance(node.value.value, str):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.strings[target.id] = node.value.value

    def report(self, node: ast.AST, message: str) -> None:
        self.problems.append((getattr(node, "lineno", 0), message))

    # --- names and aliases -------------------------------------------------------------
    def path(self, node: ast.AST) -> str | None:
        """The dotted path an expression stands for (through aliases), if it is one."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.path(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            attribute = self._getattr_name(node)
            if attribute is not None:
                base = self.path(node.args[0])
                return None if base is None else f"{base}.{attribute}"
        return None

    def _constant(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        return None

    def _getattr_name(self, node: ast.Call) -> str | None:
        """``name`` of ``getattr(x, name[, default])`` with a constant name, else None."""
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
            return self._constant(node.args[1])
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_import(node, alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
                self.modules.add(alias.asname)
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
                self.modules.add(top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:  # a relative import of mesoflow's own package
            base = "." * node.level + base
        self._check_import(node, base)
        for alias in node.names:
            full = f"{base}.{alias.name}"
            self._check_import(node, full)
            local = alias.asname or alias.name
            self.aliases[local] = full
            if base.startswith("kwant") and _is_private(alias.name):
                self.report(node, f"imports Kwant's private name {full}")

    def _check_import(self, node: ast.AST, path: str) -> None:
        if _forbidden_path(path):
            self.report(node, f"imports {path} (a solver outside the core)")
        elif _kwant_private(path.rsplit(".", 1)[0] if "." in path else path):
            self.report(node, f"imports from Kwant's private module {path}")

    def visit_Assign(self, node: ast.Assign) -> None:
        path = self.path(node.value)
        if path is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.aliases[target.id] = path
        self.generic_visit(node)

    # --- uses ---------------------------------------------------------------------------
    def _check_attribute(self, node: ast.AST, base: ast.AST, name: str) -> None:
        path = self.path(base)
        full = None if path is None else f"{path}.{name}"
        if full is not None and _forbidden_path(full):
            self.report(node, f"uses {full} (a solver outside the core)")
            return
        if name in SOLVING_ATTRIBUTES and (self.module, name) not in ALLOWED:
            self.report(node, f"reads .{name} (only the scattering core may)")
        if _is_private(name) and name not in self.own and (self.module, name) not in ALLOWED:
            if (
                path is not None
                and not path.startswith("kwant")
                and path.split(".")[0]
                in (self.modules | {p.split(".")[0] for p in self.aliases.values()})
            ):
                return  # a private name of a non-Kwant module (os._exit, sys._getframe)
            self.report(node, f"reads private attribute .{name} of another module's object")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check_attribute(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        path = self.aliases.get(node.id)
        if isinstance(node.ctx, ast.Load) and path is not None and _forbidden_path(path):
            self.report(node, f"uses {path} (a solver outside the core) as {node.id}")

    def visit_Call(self, node: ast.Call) -> None:
        name = self._getattr_name(node)
        if name is not None:
            self._check_attribute(node, node.args[0], name)
        func = node.func
        is_attrgetter = (isinstance(func, ast.Name) and func.id == "attrgetter") or (
            isinstance(func, ast.Attribute) and func.attr == "attrgetter"
        )
        if is_attrgetter:
            for arg in node.args:
                value = self._constant(arg)
                for part in (value or "").split("."):
                    if part in SOLVING_ATTRIBUTES and (self.module, part) not in ALLOWED:
                        self.report(node, f"reads .{part} through attrgetter")
        self.generic_visit(node)


def side_doors(source: str, module: str = "workflows/example.py") -> list[tuple[int, str]]:
    """Every side door into a solver in ``source`` (as module ``module``), as (line, message)."""
    if module in CORE:
        return []
    tree = ast.parse(source)
    checker = _Checker(tree, module)
    checker.visit(tree)
    return sorted(checker.problems)


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix()


def test_no_module_outside_the_core_opens_a_solver():
    problems = [
        f"{module}:{line}: {message}"
        for module in _modules()
        for line, message in side_doors((ROOT / module).read_text(encoding="utf-8"), module)
    ]
    assert not problems, "side doors into the solver:\n" + "\n".join(problems)


def test_the_core_list_names_existing_modules():
    assert CORE <= set(_modules())
    assert {module for module, _ in ALLOWED} <= set(_modules())


SPELLINGS = {
    "direct call": "import kwant\nkwant.smatrix(fsyst, 1.0)",
    "greens_function": "import kwant\nkwant.greens_function(fsyst, 1.0)",
    "wave_function": "import kwant\nkwant.wave_function(fsyst, 1.0)",
    "ldos": "import kwant\nkwant.ldos(fsyst, 1.0)",
    "assigned alias": "import kwant\nf = kwant.smatrix\nf(fsyst, 1.0)",
    "from-import alias": "from kwant import smatrix as s\ns(fsyst, 1.0)",
    "module alias": "import kwant.solvers.default as d\nd.smatrix(fsyst, 1.0)",
    "from solvers import": "from kwant.solvers import default\ndefault.greens_function(f, 0)",
    "kwant aliased": "import kwant as k\nk.smatrix(fsyst, 1.0)",
    "getattr of kwant": 'import kwant\ngetattr(kwant, "smatrix")(fsyst, 1.0)',
    "hamiltonian_submatrix": "h = fsyst.hamiltonian_submatrix(sparse=True)",
    "lead modes": "fsyst.leads[0].modes(1.0)",
    "getattr modes": 'getattr(lead, "modes")(1.0)',
    "getattr with a constant": 'NAME = "modes"\ngetattr(lead, NAME)(1.0)',
    "getattr with a default": 'getattr(lead, "selfenergy", None)',
    "selfenergy_func": "f = lead.selfenergy_func",
    "selfenergy": "lead.selfenergy(1.0, params={})",
    "attrgetter": 'import operator\noperator.attrgetter("modes")(lead)',
    "private Kwant attribute": "law = lead._cons_law",
    "private via getattr": 'getattr(lead, "_cons_law", None)',
    "private Kwant module": "from kwant._common import get_parameters",
    "private Kwant name": "from kwant.builder import _value_params_pair_cache",
    "mumps": "from kwant.linalg import mumps",
    "physics modes": "import kwant.physics\nkwant.physics.modes(h, v)",
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_the_checker_catches_every_spelling(spelling):
    assert side_doors(SPELLINGS[spelling]), spelling


def test_the_checker_lets_honest_code_through():
    source = textwrap.dedent(
        """
        import os
        import sys
        import kwant
        from workflows.scattering import OpenSystem

        class Thing:
            def __init__(self):
                self._cache = {}

            def get(self):
                return self._cache

        def f(fsyst, lead):
            if hasattr(lead, "modes"):
                pass
            frame = sys._getframe(1)
            syst = kwant.Builder()
            return OpenSystem(fsyst).selfenergies(1.0), Thing()._cache, frame
        os._exit
        """
    )
    assert side_doors(source) == []
    # The core itself may open the solver.
    assert side_doors("import kwant\nkwant.smatrix(f, 1)", "workflows/scattering/backends.py") == []


def test_adding_a_solver_call_to_a_real_module_is_caught():
    module = "workflows/scattering/noise.py"
    source = (ROOT / module).read_text(encoding="utf-8")
    assert side_doors(source, module) == []
    assert side_doors(source + "\nkwant.smatrix(fsyst, 1.0)\n", module)
    assert side_doors(source + "\nsigma = fsyst.leads[0].selfenergy(1.0)\n", module)
