"""Telling the truth about the database: is it still the file we opened, can it be written?

Synchronous: call from a worker thread. The checks look at the file system and at
what SQLite said, never at our own hopes: a database deleted or replaced under the
server still answers queries (from the unlinked file) and takes writes that will
be gone after a restart, so only its identity tells.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import attrs

from ..errors import ServiceError
from ..protocol import ErrorCode
from .errors import LibraryUnavailable, StorageFull

#: ``(st_dev, st_ino)``: which file a path names.
FileId = tuple[int, int]

_UNAVAILABLE_ERRORS = (
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_PERM",
)


@attrs.frozen
class LibraryProblem:
    """Why the library is not fit for use: the error code writes answer with, and a reason."""

    code: ErrorCode
    reason: str

    def as_error(self) -> ServiceError:
        if self.code is ErrorCode.STORAGE_FULL:
            return StorageFull(self.reason)
        return LibraryUnavailable(self.reason)


def file_id(path: Path) -> FileId:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def identity_problem(path: Path, opened: FileId) -> LibraryProblem | None:
    """A problem if ``path`` no longer names the file the connections opened."""
    try:
        now = file_id(path)
    except FileNotFoundError:
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE,
            f"the database file {path} was deleted while the server was running; "
            "restart the server to open the library again",
        )
    except OSError as exc:
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE, f"cannot look at {path}: {exc.strerror or exc}"
        )
    if now != opened:
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE,
            f"the database file {path} was replaced by another file while the server was "
            "running; restart the server to open it",
        )
    return None


def storage_problem(directory: Path) -> LibraryProblem | None:
    """A problem if the file system holding ``directory`` is read-only or has no space left."""
    try:
        info = os.statvfs(directory)
    except OSError as exc:
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE, f"cannot look at {directory}: {exc.strerror or exc}"
        )
    if info.f_flag & os.ST_RDONLY:
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE,
            f"the file system holding {directory} is mounted read-only",
        )
    if info.f_bavail == 0:
        return LibraryProblem(ErrorCode.STORAGE_FULL, f"the disk holding {directory} is full")
    return None


def classify(exc: sqlite3.Error, path: Path) -> LibraryProblem | None:
    """What an SQLite error says about the database; ``None`` for a mistake of ours."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return LibraryProblem(
            ErrorCode.STORAGE_FULL, f"the library at {path} cannot grow: {exc} (free some space)"
        )
    if name.startswith("SQLITE_READONLY"):
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE, f"the library at {path} is read-only: {exc}"
        )
    if name.startswith(_UNAVAILABLE_ERRORS):
        return LibraryProblem(
            ErrorCode.LIBRARY_UNAVAILABLE, f"the library at {path} cannot be used: {exc}"
        )
    return None
