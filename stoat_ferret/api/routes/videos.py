"""The video library, and submitting scans."""

from __future__ import annotations

import os
from typing import Any

import trio
from quart import Blueprint, Response, send_file
from quart_schema import (
    document_response,
    tag,
    validate_querystring,
    validate_request,
    validate_response,
)

from ...library.errors import StripNotFound, VideoNotFound
from ..context import current_service
from ..openapi import Image, Jpeg, NoContent
from ..schemas import (
    ErrorResponse,
    JobAccepted,
    PageQuery,
    ScanAccepted,
    ScanRequest,
    SearchQuery,
    SearchResult,
    ThumbnailRequest,
    Video,
    VideoList,
)

blueprint = Blueprint("videos", __name__, url_prefix="/api/v1/videos")


@blueprint.get("")
@tag(["videos"])
@validate_querystring(PageQuery)
@validate_response(VideoList)
@validate_response(ErrorResponse, 503)
async def list_videos(query_args: PageQuery) -> dict[str, Any]:
    """A page of the library, newest first (by ``created_at``, then path)."""
    videos, total = await current_service().library.list_videos(
        limit=query_args.limit, offset=query_args.offset
    )
    return {
        "videos": [v.to_wire() for v in videos],
        "total": total,
        "limit": query_args.limit,
        "offset": query_args.offset,
    }


@blueprint.get("/search")
@tag(["videos"])
@validate_querystring(SearchQuery)
@validate_response(SearchResult)
@validate_response(ErrorResponse, 503)
async def search_videos(query_args: SearchQuery) -> dict[str, Any]:
    """Full-text search over file name and path: every word must match, as a prefix."""
    videos, total = await current_service().library.search_videos(
        query_args.q, limit=query_args.limit, offset=query_args.offset
    )
    return {"videos": [v.to_wire() for v in videos], "total": total, "query": query_args.q}


@blueprint.get("/<video_id>")
@tag(["videos"])
@validate_response(Video)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def get_video(video_id: str) -> dict[str, Any]:
    """One video."""
    video = await current_service().library.get_video(video_id)
    if video is None:
        raise VideoNotFound(video_id)
    return video.to_wire()


@blueprint.delete("/<video_id>")
@tag(["videos"])
@document_response(NoContent, 204)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def delete_video(video_id: str) -> tuple[str, int]:
    """Remove a video from the library (the file on disk is not touched; its pictures are)."""
    service = current_service()
    if not await service.library.delete_video(video_id):
        raise VideoNotFound(video_id)
    await service.thumbnailer.remove(video_id)
    return "", 204


@blueprint.get("/<video_id>/thumbnail")
@tag(["videos"])
@document_response(Image, 200)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def thumbnail(video_id: str) -> Response:
    """The video's thumbnail (JPEG), or a placeholder (SVG, ``X-Thumbnail: placeholder``)."""
    service = current_service()
    video = await service.library.get_video(video_id)
    if video is None:
        raise VideoNotFound(video_id)
    path = video.thumbnail_path
    if path is not None and await trio.to_thread.run_sync(os.path.isfile, path):
        response = await send_file(path, mimetype="image/jpeg")
    else:
        response = Response(PLACEHOLDER_SVG, mimetype="image/svg+xml")
        response.headers["X-Thumbnail"] = "placeholder"
    # Made anew when the file changes, under the same URL: always revalidate.
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/<video_id>/strip")
@tag(["videos"])
@document_response(Jpeg, 200)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def strip(video_id: str) -> Response:
    """The video's scrub strip (JPEG): ``strip_frames`` frames in one row, each 160 px wide.

    Frame ``i`` (from 0) is the one shown ``(i + 0.5) / strip_frames`` of the way through
    the video, at ``x = 160 * i``; all frames share one even height that keeps the
    display aspect. 404 ``NOT_FOUND`` for an unknown video, or one without a strip.
    """
    service = current_service()
    video = await service.library.get_video(video_id)
    if video is None:
        raise VideoNotFound(video_id)
    if video.strip_frames is None:
        raise StripNotFound(video_id)
    picture = await trio.to_thread.run_sync(
        _read_picture, service.thumbnailer.strip_path_for(video_id)
    )
    if picture is None:
        raise StripNotFound(video_id)
    response = Response(picture, mimetype="image/jpeg")
    # Made anew when the file changes, under the same URL: always revalidate.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _read_picture(path: str) -> bytes | None:
    try:
        with open(path, "rb") as picture:
            return picture.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@blueprint.post("/thumbnails")
@tag(["videos", "jobs"])
@validate_request(ThumbnailRequest)
@validate_response(JobAccepted, 202)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 429)
@validate_response(ErrorResponse, 503)
async def make_thumbnails(data: ThumbnailRequest) -> tuple[dict[str, Any], int]:
    """Start a job making thumbnails and scrub strips for the given videos, or for every
    video that lacks either (``force``: make both anew).

    A request identical to one whose job is still pending answers with that job.
    429 ``TOO_MANY_JOBS`` when ``STOAT_MAX_PENDING_JOBS`` jobs are already waiting.
    """
    job = await current_service().thumbnailer.submit(data.video_ids, force=data.force)
    return {"job_id": job.job_id}, 202


#: Shown until a thumbnail exists: a film-frame outline, scaled by the page.
PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90" width="320" height="180">'
    '<rect width="160" height="90" fill="#2b2f36"/>'
    '<rect x="56" y="27" width="48" height="36" rx="4" fill="none" stroke="#8a93a3" '
    'stroke-width="3"/><path d="M74 37 L88 45 L74 53 Z" fill="#8a93a3"/></svg>'
)


@blueprint.post("/scan")
@tag(["videos", "jobs"])
@validate_request(ScanRequest)
@validate_response(ScanAccepted, 202)
@validate_response(ErrorResponse, 400)
@validate_response(ErrorResponse, 403)
@validate_response(ErrorResponse, 409)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 429)
@validate_response(ErrorResponse, 503)
async def scan(data: ScanRequest) -> tuple[dict[str, Any], int]:
    """Start a scan job for a directory under an allowed root.

    409 ``SCAN_IN_PROGRESS`` (with the running job's ``job_id``) while a scan of
    the same or an overlapping directory is pending or running; 429
    ``TOO_MANY_JOBS`` when ``STOAT_MAX_PENDING_JOBS`` jobs are already waiting.
    """
    service = current_service()
    job = await service.scanner.submit(data.path, recursive=data.recursive, force=data.force)
    return {"job_id": job.job_id}, 202
