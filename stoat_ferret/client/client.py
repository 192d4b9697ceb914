"""The trio client for a stoat-ferret server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any, TypeVar

import attrs
import httpx
import trio

from ..protocol import EventType, JobStatus
from .errors import AlreadyTerminal, ConnectionFailed, ProtocolError, StoatFerretError
from .errors import error_from_response as _error_from_response
from .events import EventStream, open_event_stream
from .models import Job, JobPage, Readiness, SearchResult, Video, VideoPage

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8000"
#: Seconds the server-side cancel may take when a ``scan_job`` block is left by an error.
CANCEL_ON_EXIT_TIMEOUT = 15.0


@attrs.define(eq=False)
class VideoIterator:
    """Async iterator over every video, fetching one page at a time.

    A class rather than an async generator, so it holds no suspended frame that a
    cancellation could leave half-finished.
    """

    _client: Client
    _page_size: int
    _buffered: list[Video] = attrs.field(factory=list)
    _offset: int = 0
    _done: bool = False

    def __aiter__(self) -> VideoIterator:
        return self

    async def __anext__(self) -> Video:
        if not self._buffered and not self._done:
            page = await self._client.list_videos(limit=self._page_size, offset=self._offset)
            self._buffered = list(page.videos)
            self._offset += len(page.videos)
            self._done = not page.videos or self._offset >= page.total
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
    """A connection to one stoat-ferret server. Create with :func:`open_client`."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self.base_url = base_url
        scheme, _, rest = base_url.partition("://")
        self.ws_url = ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"

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
        body = await self._request("GET", "/health/ready", ok=(503,))
        if not isinstance(body, dict) or not isinstance(body.get("checks"), dict):
            raise ProtocolError("/health/ready answered with an unexpected shape")
        checks = {str(name): _check_text(check) for name, check in body["checks"].items()}
        return Readiness(ok=body.get("status") == "ok", checks=checks)

    # -- videos ---------------------------------------------------------------------------

    async def list_videos(self, *, limit: int = 100, offset: int = 0) -> VideoPage:
        body = await self._request(
            "GET", "/api/v1/videos", params={"limit": limit, "offset": offset}
        )
        return VideoPage(
            videos=tuple(Video.from_json(v) for v in _items(body, "videos")),
            total=_field(body, "total", int),
            limit=_field(body, "limit", int),
            offset=_field(body, "offset", int),
        )

    def iter_videos(self, *, page_size: int = 100) -> VideoIterator:
        """Every video in the library, page by page, ordered by path.

        ``async for video in client.iter_videos(): ...``
        """
        return VideoIterator(self, page_size)

    async def search_videos(self, query: str, *, limit: int = 20) -> SearchResult:
        """Videos whose name or path holds every word of ``query`` (as a prefix)."""
        body = await self._request(
            "GET", "/api/v1/videos/search", params={"q": query, "limit": limit}
        )
        return SearchResult(
            videos=tuple(Video.from_json(v) for v in _items(body, "videos")),
            total=_field(body, "total", int),
            query=_field(body, "query", str),
        )

    async def get_video(self, video_id: str) -> Video:
        return Video.from_json(await self._request("GET", f"/api/v1/videos/{video_id}"))

    async def delete_video(self, video_id: str) -> None:
        """Remove a video from the library (the file on disk stays)."""
        await self._request("DELETE", f"/api/v1/videos/{video_id}")

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
        return Job.from_json(await self._request("GET", f"/api/v1/jobs/{job_id}"))

    async def list_jobs(
        self,
        *,
        status: JobStatus | str | None = None,
        kind: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> JobPage:
        """Job history, newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = str(status)
        if kind is not None:
            params["kind"] = kind
        body = await self._request("GET", "/api/v1/jobs", params=params)
        return JobPage(
            jobs=tuple(Job.from_json(j) for j in _items(body, "jobs")),
            total=_field(body, "total", int),
            limit=_field(body, "limit", int),
            offset=_field(body, "offset", int),
        )

    async def cancel_job(self, job_id: str, *, wait: bool = True) -> Job:
        """Cancel a job on the server and return it once it is ``cancelled``.

        The server answers once the job has stopped, or (rarely, 202) while it is
        still stopping; then this waits for the end too, unless ``wait`` is false.
        Raises :class:`AlreadyTerminal` if the job had finished first.
        """
        job = Job.from_json(await self._request("POST", f"/api/v1/jobs/{job_id}/cancel"))
        if wait and not job.terminal:
            job = await self.wait(job_id)
        return job

    async def wait(self, job_id: str) -> Job:
        """Wait until the job is terminal and return it.

        Cancelling this wait only stops waiting: the job goes on on the server.
        """
        async with self.events(job_id=job_id) as stream:
            # Subscribed first, then looked: no transition can fall between the two.
            job = await self.get_job(job_id)
            if job.terminal:
                return job
            async for event in stream:
                if event.resync_required:
                    job = await self.get_job(job_id)
                elif event.type == EventType.JOB_STATUS:
                    job = Job.from_json(event.payload)
                if job.terminal:
                    return job
        raise ProtocolError("the event stream ended before the job did")

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
            self.ws_url, job_id=job_id, last_event_id=last_event_id, heartbeats=heartbeats
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


@asynccontextmanager
async def open_client(
    base_url: str = DEFAULT_URL, *, request_timeout: float = 30.0
) -> AsyncIterator[Client]:
    """A :class:`Client` for the server at ``base_url``, open for the block.

    ``request_timeout`` bounds each HTTP request (connecting, sending, reading).
    """
    base_url = base_url.rstrip("/")
    # Built in a worker thread: httpx loads the system's CA bundle as it starts, a
    # blocking read that can take tens of milliseconds.
    http = await trio.to_thread.run_sync(
        partial(httpx.AsyncClient, base_url=base_url, timeout=request_timeout)
    )
    async with http:
        yield Client(http, base_url)


__all__ = ["Client", "EventStream", "JobHandle", "VideoIterator", "open_client"]


def _check_text(check: Any) -> str:
    """A readiness check as one word or sentence: ``ok``, or what is wrong."""
    if isinstance(check, dict):
        if check.get("status") == "ok":
            return "ok"
        return str(check.get("reason") or check.get("status"))
    return str(check)
