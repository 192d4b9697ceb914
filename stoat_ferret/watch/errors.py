"""Why a watch cannot be added or found. Pure: each carries its error code and HTTP status.

WatchNotFound   NOT_FOUND, 404: no watched folder has that id
WatchOverlap    WATCH_OVERLAP, 409: the folder is watched already, or lies inside or
                around a watched folder (names that watch)

A folder that may not or cannot be watched is refused as a scan of it would be
(:mod:`stoat_ferret.scan.errors`: ``INVALID_PATH``, ``PATH_NOT_ALLOWED``).
"""

from __future__ import annotations

from ..errors import ServiceError
from ..protocol import ErrorCode


class WatchNotFound(ServiceError):
    """No watched folder has this id."""

    code = ErrorCode.NOT_FOUND
    http_status = 404

    def __init__(self, watch_id: str) -> None:
        super().__init__(f"no watched folder has the id {watch_id!r}")


class WatchOverlap(ServiceError):
    """The folder is watched already, or lies inside or around a watched folder."""

    code = ErrorCode.WATCH_OVERLAP
    http_status = 409

    def __init__(self, path: str, watch_id: str, watched: str) -> None:
        if path == watched:
            message = f"{path} is watched already (watch {watch_id})"
        elif watched.startswith(path.rstrip("/") + "/"):
            message = f"{path} holds the watched folder {watched} (watch {watch_id})"
        else:
            message = f"{path} lies inside the watched folder {watched} (watch {watch_id})"
        super().__init__(message, watch_id=watch_id)
        self.watch_id = watch_id
        self.watched = watched
