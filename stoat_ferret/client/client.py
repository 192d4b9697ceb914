"""The trio client for a stoat-ferret server."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any, BinaryIO, TypeVar, Unpack
from urllib.parse import quote

import attrs
import httpx
import trio

from ..protocol import DEFAULT_PAGE_SIZE, ExportFormat, JobKind, JobStatus, SortOrder, VideoSort
from .browse import (
    VideoFilterArgs,
    duplicate_page,
    filter_params,
    folder_list,
    search_result,
    sort_params,
    video_page,
)
from .errors import (
    AlreadyTerminal,
    AmbiguousJobId,
    ConnectionFailed,
    NotFound,
    ProtocolError,
    StoatFerretError,
)
from .errors import error_from_response as _error_from_response
from .events import EventStream, open_event_stream
from .follow import JobUpdates
from .models import (
    DuplicatePage,
    FolderList,
    Job,
    JobPage,
    PurgeResult,
    Readiness,
    SearchResult,
    ServerInfo,
    Video,
    VideoPage,
    Watch,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8000"
#: Seconds for each HTTP request, unless ``open_client(timeout=...)`` says otherwise.
DEFAULT_TIMEOUT = 30.0
#: Seconds the server-side cancel may take when a ``scan_job`` block is left by an error.
CANCEL_ON_EXIT_TIMEOUT = 15.0
#: How many matching ids an :class:`AmbiguousJobId` names.
AMBIGUOUS_SHOWN = 10


@attrs.define(eq=False)
class VideoIterator:
    """Async iterator over every video a list keeps, fetching one page at a time.

    Pages follow the server's cursor (``next``), so videos added meanwhile never make a
    video come twice or be skipped; a server without cursors is paged by offset. A class
    rather than an async generator, so it holds no suspended frame that a cancellation
    could leave half-finished.
    """

    _client: Client
    _page_size: int
    _sort: VideoSort | str | None = None
    _order: SortOrder | str | None = None
    _filters: VideoFilterArgs = attrs.field(factory=lambda: VideoFilterArgs())
    _buffered: list[Video] = attrs.field(factory=list)
    _offset: int = 0
    _after: str | None = None
    _done: bool = False

    def __aiter__(self) -> VideoIterator:
        return self

    async def __anext__(self) -> Video:
        if not self._buffered and not self._done:
            page = await self._client.list_videos(
                limit=self._page_size,
                offset=0 if self._after else self._offset,
                after=self._after,
                sort=self._sort,
                order=self._order,
                **self._filters,
            )
            self._buffered = list(page.videos)
            self._offset += len(page.videos)
            self._after = page.next
            self._done = (
                not page.videos
                or len(page.videos) < self._page_size
                or (page.next is None and page.total_exact and self._offset >= page.total)
            )
        else:
            await trio.lowlevel.checkpoint()
        if not self._buffered:
            raise StopAsyncIteration
        return self._buffered.pop(0)


@attrs.define(eq=False)
class JobHandle:
    """A job started by :meth:`Client.scan_job`.

    :attr:`job` is the job as it stood when the block began; :attr:`final` is set
    when the block is left by an error and the job was cancelled.
    """

    job_id: str
    job: Job | None = None
    final: Job | None = None


class Client:
    """A connection to one stoat-ferret server. Create with :func:`open_client`.

    ``ws_headers`` go with the event stream's opening handshakes (``open_client``
    passes the token and the extra headers it was given).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        ws_headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        self._http = http
        self.base_url = base_url
        scheme, _, rest = base_url.partition("://")
        self.ws_url = ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"
        self._ws_headers = tuple(ws_headers)

    # -- transport ------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, ok: tuple[int, ...] = (), **kw: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise ConnectionFailed(self.base_url, str(exc) or type(exc).__name__) from exc
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError as exc:
            if response.status_code >= 400:
                raise _error_from_response(response.status_code, response.text) from exc
            raise ProtocolError(f"{method} {path} answered with something not JSON") from exc
        if response.status_code >= 400 and response.status_code not in ok:
            raise _error_from_response(response.status_code, body)
        return body

    # -- health ---------------------------------------------------------------------------

    async def live(self) -> bool:
        """Whether the server answers at all (``/health/live``)."""
        body = await self._request("GET", "/health/live")
        return isinstance(body, dict) and body.get("status") == "ok"

    async def ready(self) -> Readiness:
        """The server's own checks: database, ffprobe, ffmpeg (``/health/ready``)."""
        return Readiness.from_json(await self._request("GET", "/health/ready", ok=(503,)))

    async def info(self) -> ServerInfo:
        """The server's version, allowed scan roots and vocabulary (``/api/v1/info``)."""
        return ServerInfo.from_json(await self._request("GET", "/api/v1/info"))

    # -- videos ---------------------------------------------------------------------------

    async def list_videos(
        self,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        after: str | None = None,
        sort: VideoSort | str | None = None,
        order: SortOrder | str | None = None,
        **filters: Unpack[VideoFilterArgs],
    ) -> VideoPage:
        """One page of the library: sorted (newest first without ``sort``) and filtered.

        ``after`` is the ``next`` of the page before (keyset paging, in the same sort and
        order); otherwise ``offset`` videos are skipped. The filters are keyword
        arguments (:class:`~.browse.VideoFilterArgs`): ``folder=``, ``video_codec=``,
        ``min_width=``, ``frame_rate=Fraction(30000, 1001)``, ``missing=True``, …
        """
        params: dict[str, Any] = {"limit": limit, **sort_params(sort, order)}
        params.update(filter_params(filters))
        if after is not None:
            params["after"] = after
        else:
            params["offset"] = offset
        return video_page(await self._request("GET", "/api/v1/videos", params=params))

    def iter_videos(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: VideoSort | str | None = None,
        order: SortOrder | str | None = None,
        **filters: Unpack[VideoFilterArgs],
    ) -> VideoIterator:
        """Every video the filters keep, page by page, in the list's order.

        ``async for video in client.iter_videos(sort=VideoSort.FILENAME, folder=...): ...``
        """
        return VideoIterator(self, page_size, sort, order, filters)

    async def search_videos(
        self,
        query: str,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        **filters: Unpack[VideoFilterArgs],
    ) -> SearchResult:
        """Videos whose name or path holds every word of ``query`` (as a prefix), best first.

        The filters of :meth:`list_videos` apply too.
        """
        params: dict[str, Any] = {"q": query, "limit": limit, **filter_params(filters)}
        if offset:
            params["offset"] = offset
        body = await self._request("GET", "/api/v1/videos/search", params=params)
        return search_result(body, offset)

    async def folders(self, parent: str | None = None) -> FolderList:
        """The folders directly below ``parent`` that hold videos, with counts.

        Without ``parent``: the library's top folder (in ``folders``), the deepest one
        every video is in.
        """
        params = {} if parent is None else {"parent": parent}
        return folder_list(await self._request("GET", "/api/v1/folders", params=params))

    async def duplicates(self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> DuplicatePage:
        """Groups of videos present on disk with the same content: largest files first."""
        body = await self._request(
            "GET", "/api/v1/videos/duplicates", params={"limit": limit, "offset": offset}
        )
        return duplicate_page(body)

    async def export(
        self,
        format: ExportFormat | str,
        path_or_stream: str | os.PathLike[str] | BinaryIO,
        *,
        sort: VideoSort | str | None = None,
        order: SortOrder | str | None = None,
        video_ids: Sequence[str] | None = None,
        **filters: Unpack[VideoFilterArgs],
    ) -> int:
        """Write the videos the filters keep as ``csv``, ``json`` or ``otio``; return the bytes.

        With ``video_ids``, the videos named instead (at most 10,000, in path order; no
        sort or filters with them): :class:`NotFound` when any is not in the library.
        To a file path (made or replaced), or to a binary stream (written from a worker
        thread, so a slow one does not stall the event loop). The export streams: any
        number of videos takes little memory on either side.
        """
        if video_ids is not None and (sort is not None or order is not None or filters):
            raise ValueError("export takes video_ids or a sort and filters, not both")
        request: dict[str, Any]
        if video_ids is None:
            params = {"format": str(format), **sort_params(sort, order), **filter_params(filters)}
            request = {"method": "GET", "params": params}
        else:
            body = {"format": str(format), "video_ids": list(video_ids)}
            request = {"method": "POST", "json": body}
        if isinstance(path_or_stream, str | os.PathLike):
            async with await trio.open_file(path_or_stream, "wb") as target:
                return await self._download("/api/v1/videos/export", request, target.write)
        stream = path_or_stream

        async def write(chunk: bytes) -> None:
            await trio.to_thread.run_sync(stream.write, chunk)

        return await self._download("/api/v1/videos/export", request, write)

    async def _download(
        self, path: str, request: dict[str, Any], write: Callable[[bytes], Awaitable[object]]
    ) -> int:
        written = 0
        try:
            async with self._http.stream(url=path, **request) as response:
                if response.status_code >= 400:
                    body = await response.aread()
                    try:
                        detail: Any = json.loads(body)
                    except ValueError:
                        detail = body.decode(errors="replace")
                    raise _error_from_response(response.status_code, detail)
                async for chunk in response.aiter_bytes():
                    await write(chunk)
                    written += len(chunk)
        except httpx.TransportError as exc:
            raise ConnectionFailed(self.base_url, str(exc) or type(exc).__name__) from exc
        return written

    async def get_video(self, video_id: str) -> Video:
        return Video.from_json(await self._request("GET", f"/api/v1/videos/{_segment(video_id)}"))

    async def video_copies(self, video_id: str) -> tuple[Video, ...]:
        """The other videos present on disk with the same content fingerprint, by path."""
        body = await self._request("GET", f"/api/v1/videos/{_segment(video_id)}/duplicates")
        return tuple(Video.from_json(v) for v in _items(body, "videos"))

    async def video_jobs(self, video_id: str, *, limit: int = DEFAULT_PAGE_SIZE) -> tuple[Job, ...]:
        """The jobs that covered a video, newest first, among the server's newest 1,000."""
        body = await self._request(
            "GET", f"/api/v1/videos/{_segment(video_id)}/jobs", params={"limit": limit}
        )
        return tuple(Job.from_json(j) for j in _items(body, "jobs"))

    async def delete_video(self, video_id: str) -> None:
        """Remove a video from the library (the file on disk stays)."""
        await self._request("DELETE", f"/api/v1/videos/{_segment(video_id)}")

    async def purge_missing(self, folder: str | None = None) -> PurgeResult:
        """Remove every library entry whose file is missing; ``folder`` keeps to one folder tree.

        Their thumbnails go too; no file on disk is touched. ``folder`` is an absolute
        path on the server's machine (it need not exist any more); ``None`` means the
        whole library. Raises :class:`InvalidRequest` for a relative ``folder``.
        """
        body = await self._request(
            "POST",
            "/api/v1/videos/purge-missing",
            json={} if folder is None else {"folder": folder},
        )
        return PurgeResult.from_json(body)

    async def make_thumbnails(
        self, video_ids: Sequence[str] | None = None, *, force: bool = False
    ) -> Job:
        """Start a job making thumbnails and scrub strips; return the job as it stands then.

        ``video_ids`` names the videos; ``None`` means every video lacking either
        (the server answers with the job already pending for that, if there is one).
        ``force`` makes them again where they exist.
        """
        if isinstance(video_ids, str):
            raise TypeError("video_ids is a sequence of ids, not one id")
        body = await self._request(
            "POST",
            "/api/v1/videos/thumbnails",
            json={"video_ids": None if video_ids is None else list(video_ids), "force": force},
        )
        return await self.get_job(_field(body, "job_id", str))

    # -- jobs -----------------------------------------------------------------------------

    async def scan(self, path: str, *, recursive: bool = True, force: bool = False) -> Job:
        """Start a scan of ``path`` on the server and return the job as it stands then.

        The scan runs on after this returns; :meth:`scan_job` ties it to a block.
        """
        return await self.get_job(await self._submit_scan(path, recursive, force))

    async def _submit_scan(self, path: str, recursive: bool, force: bool) -> str:
        body = await self._request(
            "POST",
            "/api/v1/videos/scan",
            json={"path": path, "recursive": recursive, "force": force},
        )
        return _field(body, "job_id", str)

    async def get_job(self, job_id: str) -> Job:
        return Job.from_json(await self._request("GET", f"/api/v1/jobs/{_segment(job_id)}"))

    async def list_jobs(
        self,
        *,
        status: JobStatus | str | None = None,
        kind: JobKind | str | None = None,
        id_prefix: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> JobPage:
        """Job history, newest first; ``id_prefix`` keeps jobs whose id starts with it."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = str(status)
        if kind is not None:
            params["kind"] = str(kind)
        if id_prefix is not None:
            params["id_prefix"] = id_prefix
        body = await self._request("GET", "/api/v1/jobs", params=params)
        return JobPage(
            jobs=tuple(Job.from_json(j) for j in _items(body, "jobs")),
            total=_field(body, "total", int),
            limit=_field(body, "limit", int),
            offset=_field(body, "offset", int),
        )

    async def resolve_job_id(self, id_or_prefix: str) -> str:
        """The id of the job whose id is ``id_or_prefix``, or the one job whose id starts with it.

        Raises :class:`NotFound` if no job matches, and :class:`AmbiguousJobId`
        (naming the matches) if more than one does.
        """
        if not id_or_prefix:
            raise ValueError("an empty string is no job id")
        try:
            return (await self.get_job(id_or_prefix)).job_id
        except NotFound as exc:
            unknown = exc
        page = await self.list_jobs(id_prefix=id_or_prefix, limit=AMBIGUOUS_SHOWN)
        matches = [job.job_id for job in page.jobs]
        if any(not job_id.startswith(id_or_prefix) for job_id in matches):
            raise ProtocolError("the server does not filter jobs by id_prefix")
        if page.total == 0:
            raise unknown
        if page.total > 1:
            raise AmbiguousJobId(id_or_prefix, matches, page.total)
        return matches[0]

    async def cancel_job(self, job_id: str, *, wait: bool = True) -> Job:
        """Cancel a job on the server and return it once it is ``cancelled``.

        The server answers once the job has stopped, or (rarely, 202) while it is
        still stopping; then this waits for the end too, unless ``wait`` is false.
        Raises :class:`AlreadyTerminal` if the job had finished first.
        """
        job = Job.from_json(await self._request("POST", f"/api/v1/jobs/{_segment(job_id)}/cancel"))
        if wait and not job.terminal:
            job = await self.wait(job_id)
        return job

    async def wait(self, job_id: str) -> Job:
        """Wait until the job is terminal and return it.

        Cancelling this wait only stops waiting: the job goes on on the server.
        """
        async with self.follow(job_id) as updates:
            async for _ in updates:
                pass
        return updates.job

    @asynccontextmanager
    async def follow(self, job_id: str) -> AsyncIterator[JobUpdates]:
        """Follow a job: ``async with client.follow(job_id) as updates: async for job in updates``.

        Yields a :class:`~stoat_ferret.client.follow.JobUpdates` iterator of the job's
        snapshots: the job as it stands, then each change (status, progress, counts,
        current file), ending with the job in its final state. It rides the event
        stream, so it survives dropped connections, and reads the job over HTTP again
        after any ``resync_required``. Leaving the block only stops following.
        """
        async with self.events(job_id=job_id) as stream:
            # Subscribed first, then looked: no transition can fall between the two.
            job = await self.get_job(job_id)
            yield JobUpdates(self.get_job, stream, job)

    @asynccontextmanager
    async def scan_job(
        self, path: str, *, recursive: bool = True, force: bool = False
    ) -> AsyncIterator[JobHandle]:
        """Start a scan whose lifetime is tied to the block.

        If the block is left by an exception or a cancellation, the scan is
        cancelled on the server before the exception goes on, so a cancelled trio
        scope here leaves no orphan scan there; :attr:`JobHandle.final` then holds
        the job as it ended. Leaving the block normally leaves the scan alone.
        """
        # Shielded: a cancellation arriving while the server accepts the scan would
        # otherwise leave it running with nobody knowing its id. (The request has the
        # client's own timeout.)
        with trio.CancelScope(shield=True):
            job_id = await self._submit_scan(path, recursive, force)
        handle = JobHandle(job_id)
        try:
            handle.job = await self.get_job(job_id)
            yield handle
        except BaseException:
            with trio.CancelScope(shield=True), trio.move_on_after(CANCEL_ON_EXIT_TIMEOUT):
                await self._cancel_on_exit(handle)
            raise

    async def _cancel_on_exit(self, handle: JobHandle) -> None:
        try:
            handle.final = await self.cancel_job(handle.job_id)
        except AlreadyTerminal:
            handle.final = await self.get_job(handle.job_id)
        except StoatFerretError as exc:
            log.warning("could not cancel job %s on the way out: %s", handle.job_id, exc)
            await trio.lowlevel.checkpoint()

    # -- watched folders ------------------------------------------------------------------

    async def list_watches(self) -> tuple[Watch, ...]:
        """Every watched folder, oldest first, with how each is being watched."""
        body = await self._request("GET", "/api/v1/watches")
        return tuple(Watch.from_json(w) for w in _items(body, "watches"))

    async def get_watch(self, watch_id: str) -> Watch:
        return Watch.from_json(await self._request("GET", f"/api/v1/watches/{_segment(watch_id)}"))

    async def add_watch(self, path: str, *, poll: bool = False) -> Watch:
        """Watch the folder ``path`` (on the server's machine) from now on; the new watch.

        The server scans the folder in full at once, then keeps the library in step with
        it. ``poll`` walks it at an interval instead of using inotify, for network
        filesystems. Raises :class:`~.errors.PathRefused` for a folder the server will not
        read and :class:`~.errors.WatchOverlap` for one inside or around a watched folder.
        """
        body = await self._request("POST", "/api/v1/watches", json={"path": path, "poll": poll})
        return Watch.from_json(body)

    async def remove_watch(self, watch_id: str) -> None:
        """Stop watching a folder; its running job is cancelled, its videos stay."""
        await self._request("DELETE", f"/api/v1/watches/{_segment(watch_id)}")

    # -- events ---------------------------------------------------------------------------

    def events(
        self,
        *,
        job_id: str | None = None,
        last_event_id: int | None = None,
        heartbeats: bool = False,
    ) -> AbstractAsyncContextManager[EventStream]:
        """``async with client.events() as stream: async for event in stream: ...``

        See :class:`~stoat_ferret.client.events.EventStream`: it reconnects and
        resumes by itself. ``job_id`` keeps one job's events.
        """
        return open_event_stream(
            self.ws_url,
            job_id=job_id,
            last_event_id=last_event_id,
            heartbeats=heartbeats,
            headers=self._ws_headers,
        )


def _field(body: Any, name: str, kind: type[T]) -> T:
    """``body[name]``, which must be a ``kind``; else the answer is not the API's."""
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise ProtocolError(f"the answer lacks {name!r} (or it is not a {kind.__name__})")
    return value


def _items(body: Any, name: str) -> list[Any]:
    items: list[Any] = _field(body, name, list)
    return items


def _segment(text: str) -> str:
    """``text`` as one path segment: a ``/``, ``?`` or ``#`` in an id cannot change the URL."""
    return quote(text, safe="")


@asynccontextmanager
async def open_client(
    base_url: str = DEFAULT_URL,
    *,
    token: str | None = None,
    # Each request's own limit, handed to httpx, not a deadline for this call.
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    request_timeout: float | None = None,
) -> AsyncIterator[Client]:
    """A :class:`Client` for the server at ``base_url``, open for the block.

    ``token`` is sent as ``Authorization: Bearer <token>`` with every HTTP request
    and every event-stream handshake, as are ``headers``. ``timeout`` bounds each
    HTTP request: seconds for each phase, or an ``httpx.Timeout`` that sets connect,
    read, write and pool apart (``None``: no limit). ``transport`` is handed to httpx
    for the HTTP requests (the event stream always connects to ``base_url``).
    ``request_timeout`` is the former name of ``timeout``.
    """
    if request_timeout is not None:
        warnings.warn(
            "open_client(request_timeout=...) is deprecated; use timeout=...",
            DeprecationWarning,
            stacklevel=3,
        )
        timeout = request_timeout
    sent = httpx.Headers(headers)
    if token is not None:
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise ValueError("a token is one word of printable ASCII")
        sent["Authorization"] = f"Bearer {token}"
    base_url = base_url.rstrip("/")
    # Built in a worker thread: httpx loads the system's CA bundle as it starts, a
    # blocking read that can take tens of milliseconds.
    http = await trio.to_thread.run_sync(
        partial(
            httpx.AsyncClient,
            base_url=base_url,
            timeout=timeout,
            headers=sent,
            transport=transport,
        )
    )
    async with http:
        yield Client(http, base_url, ws_headers=sent.raw)


__all__ = [
    "DEFAULT_TIMEOUT",
    "Client",
    "EventStream",
    "JobHandle",
    "JobUpdates",
    "VideoIterator",
    "open_client",
]
