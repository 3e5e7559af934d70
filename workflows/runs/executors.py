"""Where the points of a scan run: executors, the local process pool, thread pinning.

Executors
---------
By default the points run on a local process pool sized to the machine
(:func:`process_pool`); its workers pin the native thread pools (BLAS, OpenMP,
MUMPS) to one thread each, so that N workers use N cores instead of
oversubscribing them.  The pool is supervised (:mod:`workflows.runs.workers`): a
point that kills its worker or passes ``timeout`` costs only itself, and the
workers exit when the driver dies, even by SIGKILL.  Any
:class:`concurrent.futures.Executor` works:

* :class:`SerialExecutor` — in the calling process, one point after the other
  (debugging, profiling, tiny scans);
* a reusable :func:`process_pool` — create it once and pass it to many scans
  to pay the worker start-up (importing Kwant) only once;
* ``dask.distributed``: ``Client(...).get_executor()`` with a
  ``LocalCluster`` or any scheduler;
* ``mpi4py.futures.MPIPoolExecutor``.

Point functions defined in a script, a notebook or a module are all fine:
they are sent to the workers with :mod:`cloudpickle` (by reference when
importable, by value otherwise).  Scripts that use process-based executors
must guard their entry point with ``if __name__ == "__main__":`` (the main module is
imported again for the workers, as usual with :mod:`multiprocessing`).

Running on a cluster
--------------------
The driver is one small process that holds the store; the workers need only
the Python environment (the same mesoflow, Kwant and solver versions).

*SLURM with dask-jobqueue*::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="04:00:00")
    cluster.adapt(minimum_jobs=1, maximum_jobs=64)      # one worker per SLURM job
    with Client(cluster) as client:
        run = workflows.RunOptions(executor=client.get_executor(), store="scan.sqlite")
        table = workflows.scan(point, grid, run=run)

Dask's workers start with ``OMP_NUM_THREADS=1`` (and the MKL/OpenBLAS
equivalents); request one core per worker.  Run the driver on the login node
or in its own small job; if it is killed, run it again with the same store and
it resumes.  (A local ``LocalCluster`` starts its workers faster from the fork
server: call :func:`worker_context` and set
``dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})``.)

*MPI with mpi4py.futures* (``srun -n 65 python -m mpi4py.futures run_scan.py``,
one rank is the driver)::

    from mpi4py.futures import MPIPoolExecutor

    if __name__ == "__main__":
        with MPIPoolExecutor() as pool:
            run = workflows.RunOptions(executor=pool, store="scan.sqlite")
            table = workflows.scan(point, grid, run=run)

Export ``OMP_NUM_THREADS=1`` (and ``OPENBLAS_NUM_THREADS=1``/``MKL_NUM_THREADS=1``)
in the job script.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
import threading
from pathlib import Path

import threadpoolctl

from systems.validation import integer
from workflows.runs.workers import SupervisedPool

__all__ = [
    "SerialExecutor",
    "available_cpus",
    "describe_executor",
    "executor_capacity",
    "pin_native_threads",
    "process_pool",
    "runs_in_process",
    "worker_context",
]

#: Environment variables read by native thread pools when they start.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


# adaptive (a dependency) has the same idea, adaptive.runner.SequentialExecutor, but it is
# not used here: importing it imports all of adaptive (its learners, scipy.stats: 0.7-1 s
# added to `import workflows`, so to the CLI, every test subprocess and every worker that
# imports mesoflow itself), and in adaptive 1.5.2 its `map(fn, *iterables)` calls
# fn(iterables) (map(pow, [2, 3], [2, 2]) raises TypeError) and its `shutdown` refuses
# `cancel_futures`.  A subclass would have to override both, inheriting only `submit`.
class SerialExecutor(concurrent.futures.Executor):
    """An executor that runs each call at once, in the calling process.

    No parallelism and no pickling: useful for debugging a point function
    (tracebacks and breakpoints work as usual), for profiling, and for scans
    too small to repay starting worker processes.  ``submit`` returns a finished
    future of the result, or of the exception the call raised; ``map`` and
    ``shutdown`` are those of :class:`concurrent.futures.Executor`.
    """

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future of its result or error."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def available_cpus() -> int:
    """Number of CPUs this process may run on (its affinity mask; cgroup/SLURM aware)."""
    # Not adaptive's core count (adaptive.runner._get_ncores): private, it counts an
    # executor's workers, not this process's CPUs, and raises for executors it does not know.
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def pin_native_threads(threads: int = 1) -> None:
    """Limit the native thread pools of this process (BLAS, OpenMP, MUMPS) to ``threads``.

    Meant as a worker-process initializer: sets ``OMP_NUM_THREADS`` and its
    BLAS equivalents for libraries loaded later, and applies
    :func:`threadpoolctl.threadpool_limits` to those already loaded.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    threadpoolctl.threadpool_limits(limits=threads)


#: The fork-server watchdog (Linux), run with ``python -I -S -c`` and two arguments, the
#: driver's pid and process group.  Its standard input is the read end of a pipe whose only writer
#: is the driver.  It is started *before* the fork server; once the server runs, the driver
#: writes its pid and start time (field 22 of /proc/PID/stat) into the pipe, or "none" when
#: it watches no new server (the start failed, or another watchdog has it).  When the
#: driver dies, by any signal, the read returns end-of-file and the watchdog SIGKILLs the
#: fork server, if the pid still names the same process.  A driver killed after the server
#: started but before any line was written leaves the server orphaned: the watchdog then
#: kills the fork servers of the driver's process group started after itself whose parent
#: is the driver (exiting: the kernel closes a process's files before it hands its children
#: to another parent) or no longer in that group (adopted by init or a subreaper; a live
#: driver's server has that driver, of the group, as parent).  A server forked by a driver
#: killed before the exec holds a copy of the pipe until its exec closes it: its command
#: line may not be readable yet when the pipe closes, so the watchdog looks again while an
#: orphan of the group has no command line yet.
_WATCHDOG = """
import os, signal, sys, time

def stat(pid):
    with open(f"/proc/{pid}/stat") as file:
        return file.read().rsplit(")", 1)[1].split()  # [1] ppid, [2] pgrp, [19] start

def orphaned_servers(driver, group, since):
    # The fork servers the dead driver left, and whether an orphan of the group is still
    # exec'ing (its command line not readable yet: look again).
    found, pending = [], False
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            fields = stat(name)  # [0] state: a zombie has no command line, and no future
            if fields[0] in "ZX" or fields[2] != group or int(fields[19]) < since:
                continue
            try:
                adopted = fields[1] == driver or stat(fields[1])[2] != group
            except OSError:
                adopted = True
            if not adopted:
                continue
            with open(f"/proc/{name}/cmdline", "rb") as file:
                command = file.read()
            if b"multiprocessing.forkserver import main" in command:
                found.append((name, fields[19]))
            pending = pending or not command
        except (OSError, ValueError, IndexError):
            continue
    return found, pending

driver, group, since = sys.argv[1], sys.argv[2], int(stat(os.getpid())[19])
told = b""
try:
    while chunk := os.read(0, 64):
        told += chunk
except OSError:
    pass
servers = []
try:
    words = told.decode().split()
    servers = [tuple(words[:2])] if len(words) >= 2 else []
except UnicodeDecodeError:
    pass
deadline = time.monotonic() + 10.0
while not told:  # told anything ("none" included): no search
    # The pipe also closes when a server forked from the driver execs (its copy of the
    # pipe is closed on exec), before its command line is readable: look again while a
    # candidate is still exec'ing (at most 10 s, on a machine loaded to a standstill).
    servers, pending = orphaned_servers(driver, group, since)
    if servers or not pending or time.monotonic() > deadline:
        break
    time.sleep(0.01)
for pid, start in servers:
    try:
        if stat(pid)[19] == start:
            os.kill(int(pid), signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass
"""

#: Fork-server pid -> (its watchdog's pid, the write end of the watchdog's pipe, the server's
#: start time), held for the life of this process (the pipe's only writer; the kernel closes
#: it when the process dies).
_WATCHED_SERVERS: dict[int, tuple[int, int, str]] = {}
_WATCH_LOCK = threading.Lock()


def _start_time(pid: int) -> str | None:
    """A process's start time (clock ticks since boot, /proc/PID/stat field 22), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _spawn_watchdog() -> tuple[int, int] | None:
    """Start a watchdog (``_WATCHDOG``): its pid and the write end of its pipe, or None."""
    read, write = os.pipe()  # not inherited by other children (close-on-exec)
    # posix_spawn, not subprocess.Popen: the watchdog outlives this process by design, and a
    # Popen object never waited for warns (ResourceWarning) when it is collected at exit
    files = [(os.POSIX_SPAWN_DUP2, read, 0)]  # stdin: the pipe; stdout, stderr: nowhere
    files += [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    try:
        watchdog = os.posix_spawn(
            sys.executable,
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(os.getpid()), str(os.getpgrp())],
            os.environ,
            file_actions=files,
            setsid=True,  # a Ctrl-C in the terminal is for the driver, not for the watchdog
        )
    except OSError:  # pragma: no cover - no guard, the fork server exits after its preload
        os.close(write)
        return None
    finally:
        os.close(read)
    return watchdog, write


def _watch_fork_server() -> None:
    """Start the fork server now, with a watchdog that kills it when this process dies.

    The fork server watches its own pipe to the driver only once its preload (importing
    the main script and ``workflows``: 1-5 s) is done; a driver killed meanwhile left it
    running for seconds.  Its workers ask the kernel for SIGKILL when their parent dies
    (``prctl(PR_SET_PDEATHSIG)``), but the fork server cannot (the preload comes first,
    and the signal would follow the death of the *thread* that started it, not of the
    process).  So a tiny separate process (no imports but ``os``, started in
    milliseconds), started before the fork server, waits on a pipe whose only writer is
    this process, learns the fork server's pid through it as soon as the server runs, and
    SIGKILLs the server when the pipe closes, after checking by its start time that the
    pid still names the same process.  Linux only (it reads /proc); elsewhere the fork
    server exits by itself once its preload is done.
    """
    if not sys.platform.startswith("linux"):
        return
    import multiprocessing.forkserver  # POSIX only: called where the fork server exists

    with _WATCH_LOCK:  # two threads starting pools at once: one watchdog, one server
        server = getattr(multiprocessing.forkserver, "_forkserver", None)
        running = getattr(server, "_forkserver_pid", None)
        watched = _WATCHED_SERVERS.get(running)
        if watched is not None and _start_time(running) == watched[2]:
            return  # started and watched by an earlier pool of this process
        spawned = _spawn_watchdog()
        if spawned is None:
            return
        watchdog, write = spawned
        try:
            multiprocessing.forkserver.ensure_running()
        except Exception:  # pragma: no cover - the pool's own start reports the problem
            _tell_watchdog(write, b"none\n")
            return
        pid = getattr(server, "_forkserver_pid", None)
        start = _start_time(pid) if isinstance(pid, int) else None
        if start is None or _WATCHED_SERVERS.get(pid, (0, 0, None))[2] == start:
            _tell_watchdog(write, b"none\n")  # no server, or one watched already
            return
        if not _tell_watchdog(write, f"{pid} {start}\n".encode(), close=False):
            return  # the watchdog died: the server runs unwatched, as without one
        _WATCHED_SERVERS[pid] = (watchdog, write, start)


def _tell_watchdog(write: int, line: bytes, *, close: bool = True) -> bool:
    """Write ``line`` to a watchdog's pipe, then close the pipe if ``close``.

    Returns whether the watchdog got the line (False: it has died; the pipe is closed).
    """
    try:
        os.write(write, line)
    except OSError:
        os.close(write)
        return False
    if close:
        os.close(write)
    return True


def worker_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of scan workers: the fork server where available, else spawn.

    Workers are forked from multiprocessing's fork server, a clean single-threaded
    process (never a fork of a multi-threaded parent such as a Jupyter kernel or a
    dask client).  Before the fork server starts, ``workflows`` is *added* to its
    preload list (the modules it imports once, when the first pool of the session
    starts; a list set with :func:`multiprocessing.set_forkserver_preload` is kept),
    so that later pools start their workers in milliseconds instead of importing
    mesoflow and Kwant in every new worker (1.3–5 s per pool on 2 cores; measured in
    ``benchmarks/README.md``).  Once the fork server runs, nothing is changed.

    On Linux the fork server is started here, with a watchdog process that kills it
    if this process dies while it is still importing (see ``_watch_fork_server``), so
    that nothing outlives a driver killed during a pool's start-up.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        _preload_workflows()
        _watch_fork_server()
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _preload_workflows() -> None:
    """Add ``workflows`` to the fork server's preload list if it has not started yet.

    The standard library can only *replace* the list
    (:func:`multiprocessing.set_forkserver_preload`); reading it, and whether the
    server runs, needs the private state of :mod:`multiprocessing.forkserver`
    (unchanged since Python 3.4).  Where that is missing, nothing is preloaded:
    workers then import mesoflow themselves, slower to start but equally correct.
    """
    import multiprocessing.forkserver  # POSIX only: imported where the fork server exists

    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    modules = getattr(server, "_preload_modules", None)
    if not isinstance(modules, list) or getattr(server, "_forkserver_pid", 0) is not None:
        return
    if "workflows.api" not in modules:  # every public name: Kwant, SciPy and the solvers
        multiprocessing.set_forkserver_preload([*modules, "workflows.api"])


def process_pool(max_workers: int | None = None, *, threads_per_worker: int = 1) -> SupervisedPool:
    """A local process pool for scans, with native threads pinned in every worker.

    It is a :class:`workflows.runs.workers.SupervisedPool`: each worker runs one
    point at a time, a worker that dies (segfault, ``os._exit``, out-of-memory
    kill) costs only the point it was running and is replaced, a point past
    the scan's ``timeout`` is stopped, and the workers exit within about a
    second when the calling process dies, even by SIGKILL.

    Parameters
    ----------
    max_workers
        Number of worker processes; default :func:`available_cpus`.
    threads_per_worker
        Native (BLAS/OpenMP/MUMPS) threads per worker; keep 1 unless the
        points are few and each is a large solve.

    Returns
    -------
    workflows.runs.workers.SupervisedPool
        A :class:`concurrent.futures.Executor`.  Use it as a context manager,
        and pass it to several scans to start the workers (and import Kwant in
        them) only once.
    """
    if max_workers is None:
        max_workers = available_cpus()
    max_workers = integer("max_workers", max_workers, minimum=1)
    threads_per_worker = integer("threads_per_worker", threads_per_worker, minimum=1)
    return SupervisedPool(
        int(max_workers),
        mp_context=worker_context(),
        initializer=pin_native_threads,
        initargs=(int(threads_per_worker),),
    )


def runs_in_process(executor: concurrent.futures.Executor | None) -> bool:
    """Whether ``executor`` runs its tasks in the calling process (no pickling, no workers)."""
    return isinstance(executor, SerialExecutor | concurrent.futures.ThreadPoolExecutor)


def executor_capacity(executor: concurrent.futures.Executor) -> int | None:
    """How many points the executor runs at once, if it can tell."""
    # adaptive.runner._get_ncores answers the same question but cannot be reused: it is
    # private, raises TypeError for executors it does not know (our SupervisedPool, any
    # user's own executor: here None, "unknown", is a valid answer), asks dask for
    # Client.ncores (removed from distributed: Client.nthreads here), and blocks on
    # MPIPoolExecutor.bootup() until every MPI worker is up.
    if isinstance(executor, SerialExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)  # ProcessPool/ThreadPool executors
    if isinstance(workers, int):
        return workers
    client = getattr(executor, "_client", None)  # dask.distributed ClientExecutor
    if client is not None:
        try:
            return int(sum(client.nthreads().values())) or None
        except Exception:
            return None
    return None


def describe_executor(executor: concurrent.futures.Executor | None, capacity: int | None) -> str:
    """The executor's class and worker count, as recorded in a scan's provenance."""
    if executor is None:
        return "none (all points from the store)"
    cls = type(executor)
    name = f"{cls.__module__}.{cls.__qualname__}"
    return f"{name} ({capacity} worker{'s' if capacity != 1 else ''})" if capacity else name
