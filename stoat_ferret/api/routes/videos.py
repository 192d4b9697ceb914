"""The video library, and submitting scans."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import attrs
import trio
from quart import Blueprint, Response, send_file
from quart_schema import (
    document_response,
    tag,
    validate_querystring,
    validate_request,
    validate_response,
)

from ... import wirejson
from ...library.errors import StripNotFound, VideoNotFound, VideosNotFound
from ...library.models import Video
from ...library.queries import Cursor
from ...library.reads import VideoPage
from .. import export, history
from ..browse_schemas import (
    DuplicateList,
    DuplicatesQuery,
    ExportQuery,
    ExportRequest,
    ListQuery,
    SearchQuery,
    SearchResult,
    VideoList,
)
from ..context import current_service
from ..openapi import Export, Image, Jpeg, NoContent
from ..schemas import (
    HISTORY_WINDOW,
    ErrorResponse,
    JobAccepted,
    PurgeMissingRequest,
    PurgeMissingResult,
    ScanAccepted,
    ScanRequest,
    ThumbnailRequest,
    VideoCopies,
    VideoDetail,
    VideoJobList,
    VideoJobsQuery,
)
from ..turns import page_turns

blueprint = Blueprint("videos", __name__, url_prefix="/api/v1/videos")


def json_page(page: dict[str, Any]) -> Response:
    """``page``, already in wire form, as the JSON answer: nothing converted on the way."""
    body = wirejson.dumps(page)
    return Response(body + b"\n", mimetype="application/json")


# The library's pages (list, search, duplicates) are documented rather than validated again
# on the way out, and encoded straight to JSON (json_page): their videos are shaped from the
# rows by library.rows.video_wire (the list and search) or Video.to_wire (duplicates);
# validating 50 videos again cost more than the rest of the page's work on the event loop;
# and tests/api/test_page_contract.py holds every field of them to the schema.
@blueprint.get("")
@tag(["videos"])
@validate_querystring(ListQuery)
@document_response(VideoList)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def list_videos(query_args: ListQuery) -> Response:
    """A page of the library: sorted (newest first without a sort) and filtered.

    Page with ``offset``, or with ``after`` set to the previous page's ``next`` (a keyset
    cursor: as fast on the last page as on the first, and stable while videos are added).
    ``total`` is exact unless ``total_exact`` is false; then at least that many match.
    """
    ordering = query_args.ordering()
    page = await page_turns().read(
        partial(
            current_service().library.list_wire,
            limit=query_args.limit,
            offset=query_args.offset,
            after=query_args.cursor(),
            ordering=ordering,
            filters=query_args.filters(),
        )
    )
    return json_page(
        {
            "videos": page.videos,
            "total": page.total,
            "total_exact": page.total_exact,
            "limit": query_args.limit,
            "offset": query_args.offset,
            "sort": ordering.sort,
            "order": ordering.direction,
            "next": None if page.next is None else page.next.encode(),
        }
    )


@blueprint.get("/search")
@tag(["videos"])
@validate_querystring(SearchQuery)
@document_response(SearchResult)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def search_videos(query_args: SearchQuery) -> Response:
    """Full-text search over file name and path: every word must match, as a prefix.

    The filters of the list apply too. The 200 newest matches come first, best match
    first; any further matches follow, newest first. With a word of one or two letters
    the matches are not ranked: all come newest first.
    """
    page = await page_turns().read(
        partial(
            current_service().library.search_wire,
            query_args.q,
            limit=query_args.limit,
            offset=query_args.offset,
            filters=query_args.filters(),
        )
    )
    return json_page(
        {
            "videos": page.videos,
            "total": page.total,
            "total_exact": page.total_exact,
            "query": query_args.q,
            "limit": query_args.limit,
            "offset": query_args.offset,
        }
    )


@blueprint.get("/duplicates")
@tag(["videos"])
@validate_querystring(DuplicatesQuery)
@document_response(DuplicateList)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def duplicates(query_args: DuplicatesQuery) -> Response:
    """Groups of videos present on disk with the same content fingerprint: copies.

    Largest files first. Videos whose fingerprint is not known yet are in no group.
    """
    groups, total = await page_turns().read(
        partial(
            current_service().library.duplicates, limit=query_args.limit, offset=query_args.offset
        )
    )
    return json_page(
        {
            "groups": [
                {
                    "fingerprint": g.fingerprint,
                    "file_size": g.file_size,
                    "videos": [v.to_wire() for v in g.videos],
                }
                for g in groups
            ],
            "total": total,
            "limit": query_args.limit,
            "offset": query_args.offset,
        }
    )


#: Videos read (and formatted) at a time while an export streams.
EXPORT_BATCH = 500


@attrs.define(eq=False)
class ExportBody:
    """An export's bytes, a batch of videos at a time: the format's head, each batch, its tail.

    A class rather than an async generator, so no suspended frame outlives a cancelled
    answer. ``_following`` reads the batch after the last one read (None after the last);
    reading and formatting each batch run in worker threads.
    """

    _out: export.Writer
    _following: Callable[[], Awaitable[Sequence[Video] | None]]
    _batch: Sequence[Video] | None
    _started: bool = False
    _first_batch: bool = True

    def __aiter__(self) -> ExportBody:
        return self

    async def __anext__(self) -> bytes:
        if not self._started:
            self._started = True
            await trio.lowlevel.checkpoint()
            return self._out.head.encode()
        batch = self._batch
        if batch is None:
            raise StopAsyncIteration
        text = await trio.to_thread.run_sync(self._out.batch, batch, self._first_batch)
        self._first_batch = self._first_batch and not batch
        self._batch = await self._following()
        if self._batch is None:
            text += self._out.tail
        return text.encode()


def _export_response(out: export.Writer, body: ExportBody) -> Response:
    response = Response(body, mimetype=out.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="videos.{out.extension}"'
    return response


@blueprint.get("/export")
@tag(["videos"])
@validate_querystring(ExportQuery)
@document_response(Export, 200)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def export_videos(query_args: ExportQuery) -> Response:
    """Every video the filters keep, as CSV, JSON or an OpenTimelineIO bin, streamed.

    In path order unless ``sort`` says otherwise. The columns and fields are listed in
    docs/api.md.
    """
    library = current_service().library
    out = export.writer(query_args.format)
    ordering = query_args.ordering()
    filters = query_args.filters()

    async def read(after: Cursor | None) -> VideoPage[Video]:
        return await library.list_videos(
            limit=EXPORT_BATCH, after=after, ordering=ordering, filters=filters, technical=True
        )

    # The first batch is read before answering, so a library that cannot be read is a 503.
    first = await read(None)
    cursor = first.next

    async def following() -> Sequence[Video] | None:
        nonlocal cursor
        if cursor is None:
            return None
        page = await read(cursor)
        cursor = page.next
        return page.videos

    return _export_response(out, ExportBody(out, following, first.videos))


@blueprint.post("/export")
@tag(["videos"])
@validate_request(ExportRequest)
@document_response(Export, 200)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def export_selected(data: ExportRequest) -> Response:
    """The videos named, as CSV, JSON or an OpenTimelineIO bin, in path order, streamed.

    The same formats as ``GET /api/v1/videos/export``. 404 ``NOT_FOUND`` (with
    ``video_ids``, the unknown ones) when any id is not in the library.
    """
    library = current_service().library
    out = export.writer(data.format)
    ordered, unknown = await library.ids_in_path_order(list(dict.fromkeys(data.video_ids)))
    if unknown:
        raise VideosNotFound(unknown)
    batches = [ordered[at : at + EXPORT_BATCH] for at in range(0, len(ordered), EXPORT_BATCH)]

    async def following() -> Sequence[Video] | None:
        if not batches:
            return None
        # A video removed since the ids were checked is left out.
        return await library.videos_by_id(batches.pop(0), technical=True)

    first = await following()
    return _export_response(out, ExportBody(out, following, first or []))


@blueprint.get("/<video_id>")
@tag(["videos"])
@validate_response(VideoDetail)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def get_video(video_id: str) -> dict[str, Any]:
    """One video, with its whole technical metadata (the container and every stream)."""
    video = await current_service().library.get_video(video_id)
    if video is None:
        raise VideoNotFound(video_id)
    return video.to_wire()


#: The most copies of one file listed.
COPIES_LIMIT = 100


@blueprint.get("/<video_id>/duplicates")
@tag(["videos"])
@validate_response(VideoCopies)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def copies(video_id: str) -> dict[str, Any]:
    """The other videos present on disk with this one's content fingerprint: its copies.

    By path, at most 100.
    """
    found = await current_service().library.copies_of(video_id, limit=COPIES_LIMIT)
    if found is None:
        raise VideoNotFound(video_id)
    return {"videos": [v.to_wire() for v in found]}


@blueprint.get("/<video_id>/jobs")
@tag(["videos"])
@validate_querystring(VideoJobsQuery)
@validate_response(VideoJobList)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def video_jobs(video_id: str, query_args: VideoJobsQuery) -> dict[str, Any]:
    """The jobs that covered this video, newest first, among the newest 1,000 jobs.

    A scan or watch job whose folder holds the file (directly, for a scan that was not
    recursive), and a thumbnails job that named the video or was asked for every video.
    """
    service = current_service()
    video = await service.library.get_video(video_id)
    if video is None:
        raise VideoNotFound(video_id)
    jobs, _ = await service.runner.list_jobs(limit=HISTORY_WINDOW, offset=0)
    mine = await trio.to_thread.run_sync(
        partial(history.history, jobs, video, limit=query_args.limit)
    )
    return {
        "jobs": [job.to_wire() for job in mine],
        "examined": len(jobs),
        "limit": query_args.limit,
    }


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
    service.library_events.removed([video_id], job_id=None)
    await service.thumbnailer.remove(video_id)
    return "", 204


@blueprint.post("/purge-missing")
@tag(["videos"])
@validate_request(PurgeMissingRequest)
@validate_response(PurgeMissingResult)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def purge_missing(data: PurgeMissingRequest) -> dict[str, Any]:
    """Remove every entry whose file is missing (in or below ``folder``, if given).

    Their thumbnails go too; no file on disk is touched. ``video_removed`` events name
    the videos removed. ``folder`` is resolved as a scan's path is (symlinks followed),
    so it matches the paths the library keeps.
    """
    service = current_service()
    folder = data.folder
    if folder is not None:
        folder = await trio.to_thread.run_sync(os.path.realpath, folder)
    removed = await service.library.purge_missing(folder)
    service.library_events.removed(removed, job_id=None)
    for video_id in removed:
        await service.thumbnailer.remove(video_id)
    return {"removed": len(removed), "video_ids": removed}


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
