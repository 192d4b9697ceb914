"""What can go wrong with the library's database, in words a person can act on.

LibraryOpenError               the library cannot be opened: the server cannot start
 ├── DataDirUnusable           the data directory cannot be made or written
 ├── LibraryInUse              another process holds the library's lock
 ├── NotALibrary               the database file is not a stoat-ferret library
 └── SchemaTooNew              (schema.py) written by a newer stoat-ferret

ServiceError (stoat_ferret.errors)
 ├── LibraryUnavailable        503: deleted, replaced, read-only or failing under the server
 ├── StorageFull               503: the disk (or the database's size limit) is full
 ├── VideoNotFound             404: no video has this id
 └── StripNotFound             404: the video has no scrub strip (yet)

Each ``LibraryOpenError`` message is one line, fit to print after ``cannot serve:``.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import ServiceError
from ..protocol import ErrorCode


class LibraryOpenError(RuntimeError):
    """The library cannot be opened; the message says why in one line."""


class DataDirUnusable(LibraryOpenError):
    """The data directory is missing and cannot be made, or cannot be written."""


class LibraryInUse(LibraryOpenError):
    """Another server (or any other process) holds the library's lock."""

    def __init__(self, database: str, pid: int | None) -> None:
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"the library at {database} is in use by {who}")
        self.database = database
        self.pid = pid


class NotALibrary(LibraryOpenError):
    """The database file exists but is not a stoat-ferret library."""


class LibraryUnavailable(ServiceError):
    """The database cannot be used now: deleted or replaced, read-only, or failing."""

    code: ClassVar[ErrorCode] = ErrorCode.LIBRARY_UNAVAILABLE
    http_status: ClassVar[int] = 503


class StorageFull(ServiceError):
    """A write failed because the disk (or the database's size limit) is full."""

    code: ClassVar[ErrorCode] = ErrorCode.STORAGE_FULL
    http_status: ClassVar[int] = 503


class VideoNotFound(ServiceError):
    """No video in the library has this id."""

    code = ErrorCode.NOT_FOUND
    http_status = 404

    def __init__(self, video_id: str) -> None:
        super().__init__(f"no video with id {video_id!r}")
        self.video_id = video_id


class StripNotFound(ServiceError):
    """The video has no scrub strip: none was made yet, or its file changed since."""

    code = ErrorCode.NOT_FOUND
    http_status = 404

    def __init__(self, video_id: str) -> None:
        super().__init__(f"video {video_id!r} has no scrub strip")
        self.video_id = video_id
