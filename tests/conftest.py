"""Shared test helpers: one BLAS thread, fuzz budgets, executing the research notebooks."""

from __future__ import annotations

import functools
import json
import math
import os
import unittest.mock
from pathlib import Path

import numpy as np
import pytest
import threadpoolctl
from hypothesis import HealthCheck, settings

# Property-based (fuzz) tests: one budget rule for all of them.  `make test` and CI use the
# short "ci" profile; MESOFLOW_FUZZ=long runs many more examples on request.  Each example
# has a 2 s deadline (a hang or a slow path is a failure, not a wait).
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("long" if os.environ.get("MESOFLOW_FUZZ") == "long" else "ci")


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """One BLAS thread in every test module, as the pool workers and NEGF solvers run.

    The test systems are small and the two pytest-xdist workers already use both cores:
    OpenBLAS's extra threads only contend for them (measured on the spin-orbit wire of
    tests/workflows/test_user_systems.py at load 9: 39 ms of CPU per conductance solve
    with OpenBLAS's default threads, 20 ms with one).  Results agree to rounding; the
    tests comparing a serial run with a pool run bit for bit pass either way.  The pools'
    workers (fork-server processes) pin their own threads, and their test checks that.
    """
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


#: Marks the output line of the hidden cell that reports the notebook's values.
_VALUES_MARKER = "__mesoflow_notebook_values__ "


def _values_cell(expressions: dict[str, str]) -> str:
    """Source of a last cell that prints ``expressions``, evaluated in the kernel, as JSON."""
    entries = ", ".join(f"{key!r}: ({expression})" for key, expression in expressions.items())
    return (
        "import json as _mesoflow_json\n"
        "print("
        f"{_VALUES_MARKER!r} + _mesoflow_json.dumps({{{entries}}}, "
        "default=lambda value: value.tolist() if hasattr(value, 'tolist') else str(value)))"
    )


#: First hidden cell of a notebook run in a shared kernel: forget the previous notebook's
#: names and figures, so that each notebook runs as in a fresh kernel (its modules stay
#: imported: that is the saving).  Not ``%reset``: it also deletes ``__spec__`` and the
#: other dunders of ``__main__``, which multiprocessing's fork server needs.
_RESET_CELL = """\
_user = get_ipython().user_ns
_keep = {"_user", "_keep", "_name", *get_ipython().user_ns_hidden}
_name = None
for _name in [name for name in _user if not name.startswith("__") and name not in _keep]:
    del _user[_name]
import matplotlib.pyplot
matplotlib.pyplot.close("all")
del matplotlib, _user, _keep, _name
"""


def _kernel_settings(stores: Path | None) -> dict[str, str]:
    """The environment a notebook kernel starts with (quick mode, a non-GUI backend, and one
    thread per native pool, as the pool workers run and as the test processes run BLAS
    (:func:`_one_blas_thread`): the other xdist worker holds the other core, and OpenBLAS's
    second thread only contends with it (the gated-device notebook, with a busy second
    core: 11.0 s of CPU and 10.4 s of wall time with OpenBLAS's default threads, 9.3 s
    and 9.6 s with one)."""
    from workflows.runs.executors import THREAD_VARIABLES

    settings = {"MESOFLOW_QUICK": "1", "MPLBACKEND": os.environ.get("MPLBACKEND", "Agg")}
    settings.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    if stores is not None:
        settings["MESOFLOW_STORE_DIR"] = str(stores)
    return settings


class NotebookKernel:
    """One Jupyter kernel that runs notebook after notebook (one per test process).

    Starting a kernel and importing Kwant, matplotlib and mesoflow in it costs
    about 3 s of CPU; the notebook tests start it once per xdist worker, and each
    notebook begins with :data:`_RESET_CELL` (no name of the previous one survives).
    A kernel that died is replaced by a new one.
    """

    def __init__(self, stores: Path | None):
        self.stores = stores
        self.manager = None

    def client(self, notebook, timeout: int):
        nbclient = pytest.importorskip("nbclient")
        client = nbclient.NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT)}},
        )
        if self.manager is None or not client_alive(client, self.manager):
            with unittest.mock.patch.dict(os.environ, _kernel_settings(self.stores)):
                client.km = client.create_kernel_manager()
                client.start_new_kernel()
            self.manager = client.km
        client.km, client.owns_km = self.manager, False
        return client

    def shutdown(self) -> None:
        if self.manager is not None:
            from jupyter_core.utils import run_sync

            run_sync(self.manager.shutdown_kernel)(now=True)
            self.manager = None


def client_alive(client, manager) -> bool:
    """Whether the kernel of ``manager`` still runs (asked through ``client``'s event loop)."""
    from jupyter_core.utils import run_sync

    async def alive():
        return await manager.is_alive()

    return bool(run_sync(alive)())


def execute_notebook(
    name: str,
    timeout: int = 600,
    stores: Path | None = None,
    values: dict[str, str] | None = None,
    kernel: NotebookKernel | None = None,
):
    """Execute ``notebooks/<name>`` top to bottom with ``MESOFLOW_QUICK=1``.

    Notebooks read ``os.environ.get("MESOFLOW_QUICK")`` in their first code cell
    and shrink their parameters when it is set; outputs are not written back.
    ``stores``: a directory of results stores shared with the other tests
    (``MESOFLOW_STORE_DIR``), where a notebook's expensive studies (the
    disorder ensemble) find the samples another test already computed.
    ``values``: ``{key: Python expression}`` evaluated in the notebook's kernel
    after its last cell (a hidden cell, not kept in the returned notebook), so
    that a test checks the numbers the notebook computed, not its printed text.
    ``kernel``: a :class:`NotebookKernel` to run in (its own ``stores`` apply),
    or None for a fresh kernel that is shut down afterwards.

    Returns the executed notebook and the dict of values (numbers, lists).
    """
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    if values:
        notebook.cells.append(nbformat.v4.new_code_cell(_values_cell(values)))
    if kernel is None:
        client = nbclient.NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT)}},
        )
        # The kernel inherits these when it starts; the test process gets its own back.
        with unittest.mock.patch.dict(os.environ, _kernel_settings(stores)):
            client.execute()
    else:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(_RESET_CELL))
        client = kernel.client(notebook, timeout)
        try:
            client.execute()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            notebook.cells.pop(0)
    found = {}
    if values:
        hidden = notebook.cells.pop()
        text = "".join(output.get("text", "") for output in hidden.outputs)
        found = json.loads(text.split(_VALUES_MARKER, 1)[1])
    return notebook, found


@pytest.fixture(scope="session")
def study_stores(tmp_path_factory) -> Path:
    """A directory of results stores shared by the whole test run (all xdist workers).

    An expensive study run with ``store=study_stores / "<name>.sqlite"`` is
    computed once per run: the AAS disorder ensemble (150 rings) is shared by
    tests/workflows/studies/test_interference.py, the figure gallery
    (tests/workflows/app/test_figures.py) and the Aharonov–Bohm notebook, on
    whichever worker each runs.  Hold :func:`study_store_lock` while computing
    into a shared store, so that two workers never fill it at once.  The store
    refuses a different study (other settings or grid), so a test can never read
    another's results by mistake.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory, above each worker's popen-gwN
    path = base / "study-stores"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def study_store_lock(study_stores):
    """``with study_store_lock(name):`` — exclusive use of ``study_stores / name`` across
    the xdist workers (an advisory ``flock``); the first holder computes, the others read."""
    import contextlib
    import fcntl

    @contextlib.contextmanager
    def hold(name: str):
        with open(study_stores / f"{name}.tests-lock", "w") as handle:  # not the store's own
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield study_stores / name
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    return hold


@pytest.fixture(scope="session")
def notebook_kernel(study_stores):
    """The test process's one :class:`NotebookKernel` (with the session's shared stores)."""
    kernel = NotebookKernel(study_stores)
    yield kernel
    kernel.shutdown()


@pytest.fixture
def run_notebook(study_stores, notebook_kernel):
    """Fixture form of :func:`execute_notebook`: the session's shared stores, and the test
    process's one kernel (each notebook starts with :data:`_RESET_CELL`)."""
    return functools.partial(execute_notebook, stores=study_stores, kernel=notebook_kernel)


# -- fuzzing: adversarial values and the one outcome rule ------------------------------------

#: Values no argument of a public function should turn into a silent answer or a traceback:
#: the wrong kinds (None, bools, strings, bytes, complex, containers, an object), the IEEE
#: specials, the extremes of float and int, and NumPy scalars of each kind.
ADVERSARIAL_SPECIALS = (
    None,
    True,
    False,
    np.bool_(True),
    "",
    "1",
    "false",
    b"1",
    1j,
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    -1e300,
    5e-324,
    -0.0,
    0,
    -1,
    -(10**6),
    10**20,
    2**63,
    np.float64(math.nan),
    np.float32(1e30),
    np.int64(-3),
    np.int8(7),
    np.complex128(1 + 1j),
    [],
    [1.0],
    (0, 1, 2),
    np.array([1.0, 2.0, 3.0]),
    np.zeros((2, 2)),
    {},
    {"t": 1.0},
    object(),
)


@pytest.fixture(scope="session")
def adversarial():
    """A Hypothesis strategy of adversarial argument values (draw it with ``st.data()``).

    Mixes :data:`ADVERSARIAL_SPECIALS` with small integers (-5 … 40, valid sizes and
    indices among them) and floats of every magnitude, NaN and ±inf included.
    """
    from hypothesis import strategies as st

    return st.one_of(
        st.sampled_from(ADVERSARIAL_SPECIALS),
        st.integers(-5, 40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(-10, 10),
    )


def check_outcome(func, /, *args, **kwargs):
    """Call ``func``: a result, or a one-line ValueError/TypeError — never anything else.

    ``workflows.BandEdgeError`` is a ValueError.  mesoflow's own advisory warnings
    (:class:`systems.ContinuumWarning` and the solvers' fallbacks) are allowed; any
    other warning is an error (the test session turns warnings into errors).
    Returns the result, or the exception that was raised.
    """
    import warnings

    from systems import ContinuumWarning
    from workflows.scattering import DenseFallbackWarning, SweepFallbackWarning

    with warnings.catch_warnings():
        for advisory in (ContinuumWarning, DenseFallbackWarning, SweepFallbackWarning):
            warnings.simplefilter("ignore", advisory)
        try:
            return func(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc), f"a {type(exc).__name__} of more than one line: {exc}"
            assert str(exc), f"a {type(exc).__name__} without a message"
            return exc


@pytest.fixture(scope="session")
def outcome():
    """:func:`check_outcome`, for the fuzz tests."""
    return check_outcome


# -- closed forms shared by the electrostatics notebook and gallery tests --------------------


def _split_gate_images_lever_arm(x, y, *, length, width, finger, gap, depth):
    """Lever arm of a split gate whose Poisson box has mirror sides (zero normal field).

    Davies, Larkin & Sukhorukov, J. Appl. Phys. 77, 4504 (1995) for each rectangle on a
    pinned surface (``systems.gates.RectangularGate``), summed over the images of the two
    fingers (``finger`` long in x, leaving ``gap`` in y) in the faces of a ``length`` ×
    ``width`` box centred on the gap; the layout is symmetric, so the reflections are
    translations by the box's sides.  Truncating at 10 × 20 periods leaves out the far
    images' mean potential, ≈ (covered fraction) × depth / R ≈ 0.12 × 50 / 4800 ≈ 1e-3.
    """
    from systems.gates import RectangularGate

    i, j = np.meshgrid(np.arange(-10, 11), np.arange(-20, 21), indexing="ij")
    i, j = i.ravel(), j.ravel()
    images = RectangularGate(  # every image at once: edges broadcast against the points
        i * length - finger / 2,
        i * length + finger / 2,
        j * width + gap / 2,
        (j + 1) * width - gap / 2,
    )
    x, y = np.asarray(x, dtype=float)[:, None], np.asarray(y, dtype=float)[:, None]
    return images.lever_arm(x, y, depth).sum(axis=1)


@pytest.fixture(scope="session")
def split_gate_images_lever_arm():
    """:func:`_split_gate_images_lever_arm`: the closed-form lever arm of a mirrored split gate."""
    return _split_gate_images_lever_arm
