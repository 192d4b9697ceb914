"""One process per library: an exclusive ``flock`` on ``<database>.lock``, held while open.

Synchronous: call from a worker thread. The lock file holds the owner's pid, so a
second server can say who has the library. The file is never removed (removing it
would let two processes each lock a file of that name); the lock itself goes with
the descriptor, so a process that dies, however it dies, releases it.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from .errors import DataDirUnusable, LibraryInUse


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def make_data_dir(directory: Path) -> None:
    """Make the data directory (and its parents) if missing; one-line errors."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise DataDirUnusable(f"the data directory {directory} is not a directory") from exc
    except OSError as exc:
        raise DataDirUnusable(
            f"cannot make the data directory {directory}: {exc.strerror or exc}"
        ) from exc


def acquire(database: Path) -> int:
    """Take the library's lock without waiting; its file descriptor (close it to release).

    Raises :class:`LibraryInUse` when another open file description holds it (another
    process, or another open of the same library in this one), and
    :class:`DataDirUnusable` when the lock file cannot be made or opened for writing.
    """
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise DataDirUnusable(_not_writable(database.parent, exc)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = _read_pid(fd)
        os.close(fd)
        raise LibraryInUse(str(database), owner) from None
    except OSError as exc:
        os.close(fd)
        raise DataDirUnusable(f"cannot lock {path}: {exc.strerror or exc}") from exc
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        os.close(fd)
        raise DataDirUnusable(_not_writable(database.parent, exc)) from exc
    return fd


def release(fd: int) -> None:
    os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _not_writable(directory: Path, exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return f"the data directory {directory} is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"the data directory {directory} is not writable"
    if exc.errno == errno.ENOSPC:
        return f"the disk holding the data directory {directory} is full"
    return f"cannot write in the data directory {directory}: {exc.strerror or exc}"
