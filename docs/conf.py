"""Sphinx configuration: the API reference built from mesoflow's numpydoc docstrings,
the figure gallery and the research notebooks, executed while the docs are built.

Build with ``make docs`` (warnings are errors); the pages land in ``docs/_build/html``.
The notebooks (``notebooks/*.ipynb``) are copied into ``docs/notebooks/`` and executed
by myst-nb in their quick mode (``MESOFLOW_QUICK=1``, as the test suite runs them), each
within ``nb_execution_timeout`` seconds; a cell that raises fails the build.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "mesoflow"
author = "mesoflow developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # MyST Markdown (it loads myst_parser) and the executed notebooks
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "api/generated", "**.ipynb_checkpoints"]
# The notebooks: executed on every build, in quick mode (small systems: about two
# minutes of CPU for all nine), a timeout per cell, and a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_typehints = "none"  # numpydoc sections carry the types and units
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]
html_theme = "alabaster"
nitpicky = False


def _escape_bars(app, what, name, obj, options, lines):
    """Physics prose writes |G|² and |r_i − r_j|: not reST substitutions, so escape the bars.

    Lines that begin with a bar (grid tables, line blocks) are left alone.
    """
    for index, line in enumerate(lines):
        if "|" in line and not line.lstrip().startswith(("|", "+")):
            lines[index] = line.replace("|", "\\|")


def _write_gallery(app):
    """docs/gallery.md from the gallery's recipes (workflows.app.figures.FIGURES) and their PNGs."""
    from pathlib import Path

    from workflows.app.figures import FIGURES

    here = Path(__file__).parent
    lines = [
        "# Figure gallery",
        "",
        "`mesoflow figures` regenerates every figure from its recipe in `workflows/app/`;",
        "each is written as a PNG, the data behind it (CSV) and a provenance JSON.",
        "`mesoflow figures --list` prints the names.",
        "",
    ]
    for name, recipe in FIGURES.items():
        lines += [f"## `{name}`", "", recipe.description, ""]
        if (here / "figures" / f"{name}.png").exists():
            lines += [f"![{name}](figures/{name}.png)", ""]
        else:
            lines += ["(not rendered in the repository: run `mesoflow figures " + name + "`)", ""]
    (here / "gallery.md").write_text("\n".join(lines))


def _copy_notebooks(app):
    """docs/notebooks/: the research notebooks (Sphinx reads only below docs/), quick mode.

    Copied without outputs (myst-nb executes them); the kernels inherit
    ``MESOFLOW_QUICK=1`` from this process.
    """
    import json
    from pathlib import Path

    here = Path(__file__).parent
    target = here / "notebooks"
    target.mkdir(exist_ok=True)
    names = sorted(path.name for path in (here.parent / "notebooks").glob("*.ipynb"))
    for stale in target.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    for name in names:
        notebook = json.loads((here.parent / "notebooks" / name).read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        path = target / name
        if not path.exists() or path.read_text() != text:  # unchanged: Sphinx keeps its cache
            path.write_text(text)
    os.environ["MESOFLOW_QUICK"] = "1"
    # No MPLBACKEND: the kernels then take IPython's inline backend and the figures
    # become PNG outputs of the pages (with Agg they would not be shown).
    os.environ.pop("MPLBACKEND", None)


def setup(app):
    app.connect("builder-inited", _write_gallery)
    app.connect("builder-inited", _copy_notebooks)
    app.connect("autodoc-process-docstring", _escape_bars, priority=100)
