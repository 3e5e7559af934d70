"""Start-up of a fresh local process pool: with and without mesoflow in the fork server.

``workflows.process_pool`` starts its workers from multiprocessing's fork server.
What a fresh worker has to import depends on what the fork server imported
before forking it: with ``workflows`` in the fork server's preload list the
worker inherits mesoflow (and Kwant) already imported; without it the worker
imports them itself (as the worker of a ``ProcessPoolExecutor`` would).

Each case runs in a fresh interpreter (so a fresh fork server) and times, after
``import workflows`` in the driver: a first ``process_pool(2)`` running one
trivial point through ``workflows.scan``, then a second fresh pool doing the
same in the same process.

* ``script``: the driver is a script file that imports ``workflows`` at its
  top level (the fork server's default preload, ``__main__``, imports it);
* ``notebook``: the driver has no main file (``python -c``, like a Jupyter
  kernel), so the fork server imports only what is asked for.

``preload`` adds ``workflows`` to the fork server's preload list in the driver
(``multiprocessing.set_forkserver_preload(["__main__", "workflows"])``) before
the first pool; ``default`` leaves the list as Python sets it (``["__main__"]``),
whatever mesoflow's own code would do.

Usage (from the repository root)::

    uv run python benchmarks/bench_pool_start.py [repeats]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent(
    """
    import multiprocessing
    import multiprocessing.forkserver
    import sys
    import time

    import workflows


    def trivial(x):
        return {"y": x}


    def one_point_on_a_fresh_pool():
        start = time.perf_counter()
        with workflows.process_pool(2) as pool:
            table = workflows.scan(trivial, {"x": [1]}, executor=pool, progress=False)
            elapsed = time.perf_counter() - start
        assert table["y"].tolist() == [1], table
        return elapsed


    if __name__ == "__main__":
        if sys.argv[-1] == "preload":
            multiprocessing.set_forkserver_preload(["__main__", "workflows"])
        else:  # whatever the code under test does, leave Python's default list alone
            multiprocessing.forkserver.set_forkserver_preload = lambda names: None
        first = one_point_on_a_fresh_pool()
        second = one_point_on_a_fresh_pool()
        print(f"{first:.3f} {second:.3f}")
    """
)


def run(driver: str, preload: str) -> tuple[float, float]:
    if driver == "script":
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
            file.write(CHILD)
        try:
            command = [sys.executable, file.name, preload]
            output = subprocess.run(command, check=True, capture_output=True, text=True)
        finally:
            os.unlink(file.name)
    else:  # no main file: the fork server's "__main__" preload imports nothing
        code = CHILD.replace('if __name__ == "__main__":', "if True:")
        command = [sys.executable, "-c", code, preload]
        output = subprocess.run(command, check=True, capture_output=True, text=True)
    first, second = map(float, output.stdout.split()[-2:])
    return first, second


if __name__ == "__main__":
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"uptime: {os.popen('uptime').read().strip()}")
    pycache = os.environ.get("PYTHONDONTWRITEBYTECODE")
    print(f"PYTHONDONTWRITEBYTECODE={pycache!r}")
    for driver in ("script", "notebook"):
        for preload in ("preload", "default"):
            runs = [run(driver, preload) for _ in range(repeats)]
            firsts = ", ".join(f"{a:.2f}" for a, _ in runs)
            seconds = ", ".join(f"{b:.2f}" for _, b in runs)
            print(f"{driver:8} {preload:8} first pool [{firsts}] s, second pool [{seconds}] s")
