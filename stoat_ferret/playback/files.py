"""Opening a library file for reading, confined to the allowed scan roots.

Synchronous: call through ``trio.to_thread.run_sync``. The library's path is
checked again at every open, not trusted from the scan that found it: a folder
swapped for a symlink since then, a file replaced by a directory or a device, or
a root removed from the settings all end in a refusal. The confinement check runs
on the path of the file actually opened (``/proc/self/fd`` where the system has
it), so a swap between the check and the open cannot lead outside a root.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from typing import ClassVar

import attrs

from ..errors import ServiceError
from ..protocol import ErrorCode
from ..scan.plan import is_within

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_FD_LINKS = "/proc/self/fd"


class FileGone(ServiceError):
    """The video's file is not there any more (or is no longer a regular file)."""

    code: ClassVar[ErrorCode] = ErrorCode.NOT_FOUND
    http_status: ClassVar[int] = 404


class FileNotAllowed(ServiceError):
    """The video's file now resolves to somewhere outside every allowed scan root."""

    code: ClassVar[ErrorCode] = ErrorCode.PATH_NOT_ALLOWED
    http_status: ClassVar[int] = 403


@attrs.frozen
class FileIdentity:
    """Which file was checked: a later open must find the very same one."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileIdentity:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def open_confined(path: str, roots: Sequence[str]) -> tuple[int, FileIdentity]:
    """Open ``path`` read-only; its descriptor and identity. The caller closes the descriptor.

    Raises :class:`FileGone` when it is missing or not a regular file, and
    :class:`FileNotAllowed` when it resolves outside every one of ``roots``
    (which must be resolved already).
    """
    resolved = os.path.realpath(path)
    _check_within(path, resolved, roots)
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except FileNotFoundError as exc:
        raise FileGone(f"the file is not there any more: {path}") from exc
    except OSError as exc:
        # ELOOP: the last part became a symlink after it was resolved; EACCES and the rest.
        raise FileGone(f"the file cannot be opened: {path} ({exc.strerror})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileGone(f"not a regular file any more: {path}")
        opened = _opened_path(fd)
        if opened is not None:
            _check_within(path, opened, roots)
    except BaseException:
        os.close(fd)
        raise
    return fd, FileIdentity.of(info)


def stat_confined(path: str, roots: Sequence[str]) -> FileIdentity:
    """:func:`open_confined`, closing the file again: what a response's headers need."""
    fd, identity = open_confined(path, roots)
    os.close(fd)
    return identity


def _check_within(path: str, resolved: str, roots: Sequence[str]) -> None:
    if not any(is_within(resolved, root) for root in roots):
        raise FileNotAllowed(f"the file is outside the allowed scan roots now: {path}")


def _opened_path(fd: int) -> str | None:
    """Where the open descriptor really leads, or None where the system cannot say."""
    with contextlib.suppress(OSError):
        return os.readlink(f"{_FD_LINKS}/{fd}")
    return None


def read_at(fd: int, offset: int, count: int) -> bytes:
    """Up to ``count`` bytes at ``offset``; short only at the end of the file."""
    return os.pread(fd, count, offset)
