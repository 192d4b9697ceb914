"""The library's refusals. Pure: they carry their error code and HTTP status."""

from __future__ import annotations

from ..errors import ServiceError
from ..protocol import ErrorCode


class VideoNotFound(ServiceError):
    """No video in the library has this id."""

    code = ErrorCode.NOT_FOUND
    http_status = 404

    def __init__(self, video_id: str) -> None:
        super().__init__(f"no video with id {video_id!r}")
        self.video_id = video_id
