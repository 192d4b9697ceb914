"""The thumbnails job: one JPEG per video, made in parallel under the shared limit.

The :class:`Thumbnailer` owns the thumbnail files: it makes them, and removes the
one of a video that leaves the library.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from functools import partial

import attrs
import trio

from ..events.hub import EventHub
from ..events.payloads import ThumbnailReady
from ..fanout import fan_out
from ..jobs.models import JobSnapshot
from ..jobs.results import CappedErrors, ThumbnailResult, VideoError
from ..jobs.runner import JobContext, JobRunner, JobSpec
from ..library.models import Video
from ..library.store import Library
from ..metrics import Metrics
from ..protocol import JobKind, JobStatus
from ..settings import Settings
from .ffmpeg import ThumbnailFailed, ThumbnailTimeout, make_thumbnail


class Thumbnailer:
    """Submits thumbnail jobs and runs them; removes the thumbnails of removed videos."""

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
        self._settings = settings
        self._limiter = limiter
        # One job writes thumbnails at a time, so two never make the same file at once.
        self._writing = trio.Lock()
        #: Pending jobs by what they were asked for: an identical request joins one.
        self._queued: dict[tuple[tuple[str, ...] | None, bool], str] = {}
        self._made = metrics.counter(
            "stoat_thumbnails_total", "Thumbnails made, by outcome.", ("outcome",)
        )

    def path_for(self, video_id: str) -> str:
        return os.path.join(self._settings.thumbnail_dir, f"{video_id}.jpg")

    async def remove(self, video_id: str) -> None:
        """Delete the thumbnail file of a video that left the library, if there is one.

        By the video's id rather than its recorded path, so a thumbnail that a change
        to the file made stale goes too.
        """
        await trio.to_thread.run_sync(_remove_quietly, self.path_for(video_id))

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
                timeout=self._settings.thumbnail_job_timeout,
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
    ) -> ThumbnailResult:
        async with self._writing:
            await trio.to_thread.run_sync(
                partial(os.makedirs, self._settings.thumbnail_dir, exist_ok=True)
            )
            present = await self._library.videos_for_thumbnails(video_ids, force=True)
            videos = [v for v in present if force or v.thumbnail_path is None]
            found = {v.id for v in present}
            errors: CappedErrors[VideoError] = CappedErrors()
            for video_id in video_ids or ():
                if video_id not in found:
                    errors = errors.add(
                        VideoError(video_id, None, "no such video, or its file is missing")
                    )
            result = ThumbnailResult(total=len(videos), errors=errors)
            processed = 0
            ctx.report(processed=0, total=len(videos), partial_result=result)
            send, receive = trio.open_memory_channel[tuple[Video, str | None]](0)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    partial(
                        fan_out,
                        videos,
                        partial(self._make_one, job_id=ctx.job_id),
                        send,
                        workers=self._settings.probe_concurrency,
                        limiter=self._limiter,
                    )
                )
                async with receive:
                    async for video, error in receive:
                        processed += 1
                        if error is None:
                            result = attrs.evolve(result, made=result.made + 1)
                        else:
                            failed = VideoError(video.id, video.path, error)
                            result = attrs.evolve(result, errors=result.errors.add(failed))
                        ctx.report(
                            processed=processed,
                            total=len(videos),
                            current_file=video.path,
                            partial_result=result,
                        )
            return result

    async def _make_one(self, video: Video, *, job_id: str) -> tuple[Video, str | None]:
        """Make one thumbnail and record it: the video, and the reason on failure."""
        target = self.path_for(video.id)
        try:
            await make_thumbnail(
                video.path,
                target,
                duration_seconds=video.duration_seconds,
                ffmpeg=self._settings.ffmpeg_path,
                timeout=self._settings.thumbnail_timeout,
                nice=self._settings.probe_nice,
            )
        # make_thumbnail has awaited ffmpeg before either can be raised.
        except ThumbnailTimeout as exc:
            self._made.labels(outcome="timeout").inc()
            return video, exc.reason  # noqa: ASYNC910
        except ThumbnailFailed as exc:
            self._made.labels(outcome="failed").inc()
            return video, exc.reason  # noqa: ASYNC910
        if await self._library.set_thumbnail(video.id, target):
            self._made.labels(outcome="ok").inc()
            self._hub.publish(
                ThumbnailReady(video_id=video.id, job_id=job_id), correlation_id=job_id
            )
        return video, None


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
