"""Sphinx configuration: the API reference built from mesoflow's numpydoc docstrings.

Build with ``make docs`` (warnings are errors); the pages land in ``docs/_build/html``.
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
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "api/generated"]
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


def setup(app):
    app.connect("builder-inited", _write_gallery)
    app.connect("autodoc-process-docstring", _escape_bars, priority=100)
