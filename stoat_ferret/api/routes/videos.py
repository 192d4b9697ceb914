"""The video library, and submitting scans."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import (
    document_response,
    tag,
    validate_querystring,
    validate_request,
    validate_response,
)

from ...jobs.runner import RunnerClosed
from ...scan import ScanConflict, ScanPathError
from ..context import current_service
from ..errors import ApiError
from ..openapi import NoContent
from ..schemas import (
    ErrorResponse,
    PageQuery,
    ScanAccepted,
    ScanRequest,
    SearchQuery,
    SearchResult,
    Video,
    VideoList,
)

blueprint = Blueprint("videos", __name__, url_prefix="/api/v1/videos")


@blueprint.get("")
@tag(["videos"])
@validate_querystring(PageQuery)
@validate_response(VideoList)
async def list_videos(query_args: PageQuery) -> dict[str, Any]:
    """A page of the library, ordered by path."""
    videos, total = await current_service().library.list_videos(
        limit=query_args.limit, offset=query_args.offset
    )
    return {
        "videos": [v.to_dict() for v in videos],
        "total": total,
        "limit": query_args.limit,
        "offset": query_args.offset,
    }


@blueprint.get("/search")
@tag(["videos"])
@validate_querystring(SearchQuery)
@validate_response(SearchResult)
async def search_videos(query_args: SearchQuery) -> dict[str, Any]:
    """Full-text search over file name and path: every word must match, as a prefix."""
    videos, total = await current_service().library.search_videos(
        query_args.q, limit=query_args.limit
    )
    return {"videos": [v.to_dict() for v in videos], "total": total, "query": query_args.q}


@blueprint.get("/<video_id>")
@tag(["videos"])
@validate_response(Video)
@validate_response(ErrorResponse, 404)
async def get_video(video_id: str) -> dict[str, Any]:
    """One video."""
    video = await current_service().library.get_video(video_id)
    if video is None:
        raise ApiError(404, "NOT_FOUND", f"no video with id {video_id!r}")
    return video.to_dict()


@blueprint.delete("/<video_id>")
@tag(["videos"])
@document_response(NoContent, 204)
@validate_response(ErrorResponse, 404)
async def delete_video(video_id: str) -> tuple[str, int]:
    """Remove a video from the library (the file on disk is not touched)."""
    if not await current_service().library.delete_video(video_id):
        raise ApiError(404, "NOT_FOUND", f"no video with id {video_id!r}")
    return "", 204


@blueprint.post("/scan")
@tag(["videos", "jobs"])
@validate_request(ScanRequest)
@validate_response(ScanAccepted, 202)
@validate_response(ErrorResponse, 400)
@validate_response(ErrorResponse, 403)
@validate_response(ErrorResponse, 409)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def scan(data: ScanRequest) -> tuple[dict[str, Any], int]:
    """Start a scan job for a directory under an allowed root.

    409 ``SCAN_IN_PROGRESS`` (with the running job's ``job_id``) while a scan of
    the same or an overlapping directory is pending or running.
    """
    service = current_service()
    try:
        job = await service.scanner.submit(data.path, recursive=data.recursive, force=data.force)
    except ScanPathError as exc:
        http_status = 403 if exc.code == "PATH_NOT_ALLOWED" else 400
        raise ApiError(http_status, exc.code, str(exc)) from exc
    except ScanConflict as exc:
        raise ApiError(409, "SCAN_IN_PROGRESS", str(exc), extra={"job_id": exc.job_id}) from exc
    except RunnerClosed as exc:
        raise ApiError(503, "SHUTTING_DOWN", str(exc)) from exc
    return {"job_id": job.job_id}, 202
