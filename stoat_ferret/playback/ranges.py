"""HTTP byte ranges and media types for video files. Pure: no I/O.

One ``Range`` of ``bytes`` is served as 206; a header the server cannot use
(malformed, another unit, several ranges) is ignored and the whole file is sent,
as RFC 9110 allows. A single range that starts at or past the end is refused
with 416.
"""

from __future__ import annotations

import os
from typing import ClassVar

import attrs
from werkzeug.http import parse_range_header

from ..errors import ServiceError
from ..protocol import ErrorCode

#: Media types by file extension (lower case, with the dot).
_TYPES_BY_EXTENSION = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".f4v": "video/mp4",
    ".mov": "video/quicktime",
    ".qt": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".wmv": "video/x-ms-wmv",
    ".asf": "video/x-ms-asf",
    ".flv": "video/x-flv",
    ".ogv": "video/ogg",
    ".ogg": "video/ogg",
    ".mxf": "application/mxf",
    ".ts": "video/mp2t",
    ".mts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".m2t": "video/mp2t",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".m1v": "video/mpeg",
    ".m2v": "video/mpeg",
    ".vob": "video/mpeg",
    ".3gp": "video/3gpp",
    ".3g2": "video/3gpp2",
    ".dv": "video/dv",
    ".y4m": "video/x-yuv4mpeg",
}

#: Media types by ffprobe's format name, for an extension the table above lacks.
_TYPES_BY_CONTAINER = (
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("matroska", "video/x-matroska"),
    ("avi", "video/x-msvideo"),
    ("mpegts", "video/mp2t"),
    ("mpeg", "video/mpeg"),
    ("mxf", "application/mxf"),
    ("ogg", "video/ogg"),
)

FALLBACK_TYPE = "application/octet-stream"


def content_type(path: str, container: str | None = None) -> str:
    """The media type of a video file, from its extension, else ffprobe's format name."""
    extension = os.path.splitext(path)[1].lower()
    known = _TYPES_BY_EXTENSION.get(extension)
    if known is not None:
        return known
    names = (container or "").split(",")
    for name, media_type in _TYPES_BY_CONTAINER:
        if name in names:
            return media_type
    return FALLBACK_TYPE


class RangeNotSatisfiable(ServiceError):
    """The requested range starts at or beyond the end of the file."""

    code: ClassVar[ErrorCode] = ErrorCode.RANGE_NOT_SATISFIABLE
    http_status: ClassVar[int] = 416

    def __init__(self, size: int) -> None:
        super().__init__(
            f"the requested range is outside the file, which is {size} bytes long", size=size
        )
        self.size = size


@attrs.frozen
class ByteRange:
    """Bytes ``start`` up to (not including) ``stop`` of a file ``size`` bytes long."""

    start: int
    stop: int
    size: int

    @property
    def length(self) -> int:
        return self.stop - self.start

    def content_range(self) -> str:
        return f"bytes {self.start}-{self.stop - 1}/{self.size}"


def resolve_range(header: str | None, size: int) -> ByteRange | None:
    """The part of a ``size``-byte file a ``Range`` header asks for; ``None`` for all of it.

    Raises :class:`RangeNotSatisfiable` for one byte range that lies past the end.
    """
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, stop = parsed.ranges[0]
    if stop is None and start < 0:
        # A suffix: the last -start bytes, or the whole file if it is shorter.
        if size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(0, size + start), size, size)
    if start >= size:
        raise RangeNotSatisfiable(size)
    return ByteRange(start, size if stop is None else min(stop, size), size)


def entity_tag(size: int, mtime_ns: int, inode: int) -> str:
    """A strong ETag that changes whenever the file is replaced or rewritten."""
    return f'"{size:x}-{mtime_ns:x}-{inode:x}"'
