"""The thumbnails job: one JPEG per video, made in parallel under the shared limit."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import trio

from ..events import EventHub, EventType
from ..jobs.models import JobKind, JobSnapshot, JobStatus
from ..jobs.runner import JobContext, JobRunner, JobSpec
from ..library import Library, Video
from ..metrics import Metrics
from ..settings import Settings
from .ffmpeg import ThumbnailFailed, make_thumbnail

#: The result keeps this many per-video errors; ``error_count`` has them all.
MAX_REPORTED_ERRORS = 500


class Thumbnailer:
    """Submits thumbnail jobs and runs them."""

    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        hub: EventHub,
        metrics: Metrics,
        settings: Settings,
        limiter: trio.CapacityLimiter,
    ) -> None:
        self._library = library
        self._runner = runner
        self._hub = hub
        self._metrics = metrics
        self._settings = settings
        self._limiter = limiter
        # One job writes thumbnails at a time, so two never make the same file at once.
        self._writing = trio.Lock()
        #: Pending jobs by what they were asked for: an identical request joins one.
        self._queued: dict[tuple[tuple[str, ...] | None, bool], str] = {}
        metrics.counter("stoat_thumbnails_total", "Thumbnails made, by outcome.")

    def path_for(self, video_id: str) -> str:
        return os.path.join(self._settings.thumbnail_dir, f"{video_id}.jpg")

    async def submit(
        self, video_ids: Sequence[str] | None = None, *, force: bool = False
    ) -> JobSnapshot:
        """Queue thumbnails for ``video_ids``, or for every video that has none.

        A request identical to one whose job is still pending (the same videos in
        the same order, or every video; the same ``force``) returns that job instead
        of queueing a second.
        """
        ids = None if video_ids is None else list(dict.fromkeys(video_ids))
        key = (None if ids is None else tuple(ids), force)
        queued_id = self._queued.get(key)
        if queued_id is not None:
            queued = self._runner.live_snapshot(queued_id)
            if queued is not None and queued.status is JobStatus.PENDING:
                await trio.lowlevel.checkpoint()
                return queued
            del self._queued[key]
        job = await self._runner.submit(
            JobSpec(
                kind=JobKind.THUMBNAILS,
                body=partial(self._run, ids, force=force),
                timeout=self._settings.scan_timeout,
                params={"video_ids": ids, "force": force},
                on_finish=lambda finished: self._forget(key, finished.job_id),
            )
        )
        self._queued[key] = job.job_id
        return job

    def _forget(self, key: tuple[tuple[str, ...] | None, bool], job_id: str) -> None:
        if self._queued.get(key) == job_id:
            del self._queued[key]

    async def _run(
        self, video_ids: list[str] | None, ctx: JobContext, *, force: bool
    ) -> dict[str, Any]:
        async with self._writing:
            await trio.to_thread.run_sync(
                partial(os.makedirs, self._settings.thumbnail_dir, exist_ok=True)
            )
            present = await self._library.videos_for_thumbnails(video_ids, force=True)
            videos = [v for v in present if force or v.thumbnail_path is None]
            result: dict[str, Any] = {
                "total": len(videos),
                "made": 0,
                "error_count": 0,
                "errors": [],
            }
            found = {v.id for v in present}
            for video_id in video_ids or ():
                if video_id not in found:
                    _add_error(result, video_id, None, "no such video, or its file is missing")
            processed = 0
            ctx.report(processed=0, total=len(videos), partial_result=dict(result))
            send, receive = trio.open_memory_channel[tuple[Video, str | None]](0)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._make_all, iter(videos), send, ctx.job_id)
                async with receive:
                    async for video, error in receive:
                        processed += 1
                        if error is None:
                            result["made"] += 1
                        else:
                            _add_error(result, video.id, video.path, error)
                        ctx.report(
                            processed=processed,
                            total=len(videos),
                            current_file=video.path,
                            partial_result=dict(result),
                        )
            return result

    async def _make_all(
        self,
        videos: Iterator[Video],
        send: trio.MemorySendChannel[tuple[Video, str | None]],
        job_id: str,
    ) -> None:
        async with send, trio.open_nursery() as nursery:
            for _ in range(self._settings.probe_concurrency):
                nursery.start_soon(self._worker, videos, send.clone(), job_id)

    async def _worker(
        self,
        videos: Iterator[Video],
        send: trio.MemorySendChannel[tuple[Video, str | None]],
        job_id: str,
    ) -> None:
        async with send:
            # One iterator shared by every worker: each video is taken exactly once.
            for video in videos:
                async with self._limiter:
                    error = await self._make_one(video, job_id)
                await send.send((video, error))

    async def _make_one(self, video: Video, job_id: str) -> str | None:
        """Make one thumbnail and record it; the reason on failure, else None."""
        target = self.path_for(video.id)
        try:
            with trio.fail_after(self._settings.probe_timeout):
                await make_thumbnail(
                    video.path,
                    target,
                    duration_seconds=video.duration_seconds,
                    ffmpeg=self._settings.ffmpeg_path,
                    nice=self._settings.probe_nice,
                )
        # make_thumbnail has awaited ffmpeg before either can be raised.
        except trio.TooSlowError:
            self._metrics.inc("stoat_thumbnails_total", outcome="timeout")
            return f"ffmpeg took longer than {self._settings.probe_timeout:g}s"  # noqa: ASYNC910
        except ThumbnailFailed as exc:
            self._metrics.inc("stoat_thumbnails_total", outcome="failed")
            return exc.reason  # noqa: ASYNC910
        if await self._library.set_thumbnail(video.id, target):
            self._metrics.inc("stoat_thumbnails_total", outcome="ok")
            self._hub.publish(
                EventType.THUMBNAIL_READY,
                {"video_id": video.id, "job_id": job_id},
                correlation_id=job_id,
            )
        return None


def _add_error(result: dict[str, Any], video_id: str, path: str | None, reason: str) -> None:
    result["error_count"] += 1
    if len(result["errors"]) < MAX_REPORTED_ERRORS:
        result["errors"].append({"video_id": video_id, "path": path, "error": reason})
