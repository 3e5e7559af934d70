"""One store, one writer: the exclusive lock a scan holds on its results store.

See "One store, one writer" in :mod:`workflows.runs.store`.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["StoreBusyError", "StoreLock"]


class StoreBusyError(RuntimeError):
    """A results store is in use by another scan (its host and pid are in the message)."""


class StoreLock:
    """An exclusive ``flock`` on ``PATH.lock``, held while a scan works on the store at PATH."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    def acquire(self, store: Path) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ValueError(
                f"store={str(store)!r}: cannot create its lock file {str(self.path)!r} "
                f"({exc.strerror}); the store's directory must be writable"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreBusyError(
                f"results store {str(store)!r} is in use by another scan ({holder}); "
                "two scans on one store would compute the same points twice: wait until it "
                "has finished and run this scan again (it resumes), or use another store"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ).encode(),
            0,
        )
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"host {holder['host']}, pid {holder['pid']}, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "host and pid unknown"
