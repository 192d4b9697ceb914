"""Why a scan cannot be submitted. Pure: each carries its error code and HTTP status.

ScanPathError        INVALID_PATH, 400: the path cannot be scanned
 ├── InvalidPath      not a usable directory path (empty, holds NUL, missing, not a directory)
 └── PathNotAllowed   PATH_NOT_ALLOWED, 403: it resolves to somewhere outside every root
ScanConflict         SCAN_IN_PROGRESS, 409: an overlapping scan is pending or running
"""

from __future__ import annotations

from ..errors import ServiceError
from ..protocol import ErrorCode


class ScanPathError(ServiceError):
    """The requested scan path cannot be scanned."""

    code = ErrorCode.INVALID_PATH
    http_status = 400


class InvalidPath(ScanPathError):
    """Not a usable directory path (empty, holds NUL, does not exist, not a directory)."""


class PathNotAllowed(ScanPathError):
    """The path resolves to somewhere outside every allowed scan root."""

    code = ErrorCode.PATH_NOT_ALLOWED
    http_status = 403


class ScanConflict(ServiceError):
    """A scan of the same or an overlapping directory is already pending or running."""

    code = ErrorCode.SCAN_IN_PROGRESS
    http_status = 409

    def __init__(self, path: str, job_id: str) -> None:
        super().__init__(
            f"a scan of {path} is already pending or running (job {job_id})", job_id=job_id
        )
        self.path = path
        self.job_id = job_id
