"""The video file itself, for the page's player: range requests, confined to the scan roots."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import trio
from quart import Blueprint, Response, request
from quart.wrappers.response import ResponseBody
from quart_schema import document_response, tag
from werkzeug.http import http_date, parse_date

from ...playback import (
    ByteRange,
    FileIdentity,
    RangeNotSatisfiable,
    content_type,
    entity_tag,
    open_confined,
    resolve_range,
    stat_confined,
)
from ...playback.files import FileGone, read_at
from ..context import current_service
from ..errors import envelope
from ..openapi import NoContent
from ..schemas import ErrorResponse

#: Bytes read per worker-thread call: large enough that thread hops cost little.
CHUNK_SIZE = 256 * 1024

blueprint = Blueprint("stream", __name__, url_prefix="/api/v1/videos")


class VideoNotFound(FileGone):
    """No video with this id in the library."""


class FileChanged(Exception):
    """The file was replaced between the response's headers and its body."""


class FileRangeBody(ResponseBody):
    """Bytes ``start`` up to ``stop`` of a file, read in a worker thread, chunk by chunk.

    The file is opened again (with the same confinement) when the body is sent,
    and must be the one whose size and ETag the headers announced.
    """

    def __init__(
        self, path: str, roots: tuple[str, ...], identity: FileIdentity, start: int, stop: int
    ) -> None:
        self._path = path
        self._roots = roots
        self._identity = identity
        self._offset = start
        self._stop = stop
        self._fd: int | None = None

    async def __aenter__(self) -> FileRangeBody:
        fd, identity = await trio.to_thread.run_sync(open_confined, self._path, self._roots)
        if identity != self._identity:
            os.close(fd)
            raise FileChanged(f"{self._path} changed while it was being sent")
        self._fd = fd
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            # Closing a regular file does not block, and must happen even when cancelled.
            os.close(self._fd)
            self._fd = None

    def __aiter__(self) -> FileRangeBody:
        return self

    async def __anext__(self) -> bytes:
        if self._fd is None or self._offset >= self._stop:
            raise StopAsyncIteration
        count = min(CHUNK_SIZE, self._stop - self._offset)
        chunk = await trio.to_thread.run_sync(read_at, self._fd, self._offset, count)
        if not chunk:
            raise FileChanged(f"{self._path} got shorter while it was being sent")
        self._offset += len(chunk)
        return chunk


class _NoBody(ResponseBody):
    """The body of a HEAD answer (or a 304): nothing."""

    async def __aenter__(self) -> _NoBody:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def __aiter__(self) -> _NoBody:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


def _if_range_holds(value: str | None, etag: str, modified: datetime) -> bool:
    """Whether ``If-Range`` (if sent) still names this version of the file."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        # Only a strong validator may guard a range.
        return value == etag
    sent = parse_date(value)
    return sent is not None and sent == modified.replace(microsecond=0)


def _none_match(value: str | None, etag: str) -> bool:
    if value is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in value.split(",")}
    return "*" in tags or etag in tags


@blueprint.route("/<video_id>/stream", methods=["GET", "HEAD"])
@tag(["videos"])
@document_response(NoContent, 200)
@document_response(NoContent, 206)
@document_response(ErrorResponse, 403)
@document_response(ErrorResponse, 404)
@document_response(ErrorResponse, 416)
async def stream(video_id: str) -> Response | tuple[Response, int]:
    """The video's file, for a player: ``Range`` requests get 206 with ``Content-Range``.

    Only files in the library are served, and only while they still resolve to a
    regular file under an allowed scan root (403 ``PATH_NOT_ALLOWED`` if not);
    404 ``NOT_FOUND`` for an unknown video or a file that is gone; 416
    ``RANGE_NOT_SATISFIABLE`` for a range past the end. ``If-Range``,
    ``If-None-Match`` and ``ETag`` let a player resume safely.
    """
    service = current_service()
    video = await service.library.get_video(video_id)
    if video is None:
        raise VideoNotFound(f"no video with id {video_id!r}")
    roots = service.scanner.allowed_roots
    identity = await trio.to_thread.run_sync(stat_confined, video.path, roots)
    etag = entity_tag(identity.size, identity.mtime_ns, identity.inode)
    modified = datetime.fromtimestamp(identity.mtime_ns / 1e9, UTC)
    headers: dict[str, Any] = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": http_date(modified),
        # Revalidate: the file may change under the same URL.
        "Cache-Control": "no-cache",
    }
    media_type = content_type(video.path, video.container)

    if _none_match(request.headers.get("If-None-Match"), etag):
        response = Response(_NoBody(), status=304, headers=headers)
        return response

    chosen: ByteRange | None = None
    if _if_range_holds(request.headers.get("If-Range"), etag, modified):
        try:
            chosen = resolve_range(request.headers.get("Range"), identity.size)
        except RangeNotSatisfiable as exc:
            refused, status = envelope(exc.http_status, exc.code, exc.message)
            refused.headers["Content-Range"] = f"bytes */{identity.size}"
            refused.headers["Accept-Ranges"] = "bytes"
            return refused, status

    start, stop = (0, identity.size) if chosen is None else (chosen.start, chosen.stop)
    status = 200 if chosen is None else 206
    if chosen is not None:
        headers["Content-Range"] = chosen.content_range()
    body: ResponseBody
    if request.method == "HEAD":
        body = _NoBody()
    else:
        body = FileRangeBody(video.path, roots, identity, start, stop)
    response = Response(body, status=status, headers=headers, mimetype=media_type)
    response.content_length = stop - start
    return response
