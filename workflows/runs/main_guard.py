"""The ``if __name__ == "__main__":`` guard that scripts running process-based scans need.

Worker processes started by spawn or by the fork server import the main script
again; a scan at the script's top level would run once more in each of them.
:func:`check_main_guard` refuses such a scan with a message saying what to do.
"""

from __future__ import annotations

import ast
import multiprocessing
import sys
from pathlib import Path

__all__ = ["check_main_guard"]


def check_main_guard(what: str) -> None:
    """Refuse to run when worker processes would run the calling script again.

    Worker processes started by spawn or by the fork server import the main
    script again (as ``__mp_main__``); without an ``if __name__ ==
    "__main__":`` guard its top level (and so the scan) runs once more in
    each of them.  Raised both in a worker that imports the script and in the
    script itself, when the scan is called from its top level outside the guard.
    """
    message = (
        f"{what}() is called at the top level of the script %s without an "
        '`if __name__ == "__main__":` guard; worker processes import the script again '
        "(as '__mp_main__') and would run the scan again. Put the scan under the guard: "
        'if __name__ == "__main__": ...'
    )
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is not None and getattr(main, "__name__", "") == "__mp_main__":
        raise RuntimeError(message % repr(path))
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(message % repr(path))
    if main is None or path is None:
        return
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>":
            if not _inside_main_guard(path, frame.f_lineno):
                raise RuntimeError(message % repr(path))
            return
        frame = frame.f_back


def _inside_main_guard(path: str, line: int) -> bool:
    """Whether line ``line`` of the script ``path`` is inside ``if __name__ == "__main__":``."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: do not refuse
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        names = set()
        if isinstance(test, ast.Compare) and len(test.comparators) == 1:
            for side in (test.left, test.comparators[0]):
                if isinstance(side, ast.Name):
                    names.add(side.id)
                elif isinstance(side, ast.Constant):
                    names.add(side.value)
        if names == {"__name__", "__main__"} and node.body:
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or line):
                return True
    return False
