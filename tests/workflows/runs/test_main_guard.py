"""Scripts that run a process-based scan outside the main guard are told what to do."""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import pytest

from workflows.runs.main_guard import check_main_guard

UNGUARDED = textwrap.dedent(
    """
    from workflows.runs.main_guard import check_main_guard

    check_main_guard("scan")
    """
)


GUARDED = textwrap.dedent(
    """
    from workflows.runs.main_guard import check_main_guard

    if __name__ == "__main__":
        check_main_guard("scan")
    """
)


def _run_as_main(monkeypatch, path: Path, source: str, name: str = "__main__") -> None:
    """Execute ``source`` as the main script ``path`` (as ``python path`` or a worker would)."""
    path.write_text(source)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    monkeypatch.setitem(sys.modules, "__main__", module)
    exec(compile(source, str(path), "exec"), module.__dict__)


def test_a_script_without_the_main_guard_is_told_what_to_do(tmp_path, monkeypatch):
    script = tmp_path / "unguarded.py"
    with pytest.raises(
        RuntimeError, match='without an `if __name__ == "__main__":` guard'
    ) as error:
        _run_as_main(monkeypatch, script, UNGUARDED)
    assert "__mp_main__" in str(error.value) and str(script) in str(error.value)
    _run_as_main(monkeypatch, tmp_path / "guarded.py", GUARDED)  # no error
    # a worker importing a script (spawn, fork server) runs it as '__mp_main__': refused too
    with pytest.raises(RuntimeError, match="__mp_main__"):
        _run_as_main(monkeypatch, tmp_path / "guarded.py", UNGUARDED, name="__mp_main__")
    monkeypatch.undo()
    assert check_main_guard("scan") is None  # pytest's own entry point has its guard
