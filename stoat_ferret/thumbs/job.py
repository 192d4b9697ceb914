"""The thumbnails job: a thumbnail and a scrub strip per video, made in parallel under the
shared limit, through the service's :class:`~stoat_ferret.probers.Prober`.

The :class:`Thumbnailer` owns the picture files (``<id>.jpg`` and ``<id>.strip.jpg`` in
the thumbnail directory): it makes them, and removes those of a video that leaves the
library.
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
from ..probers import Prober
from ..protocol import JobKind, JobStatus
from ..settings import Settings
from .ffmpeg import ThumbnailFailed, ThumbnailTimeout
from .strips import strip_times


@attrs.frozen
class _Made:
    """What a job did for one video: what it made, and why anything failed."""

    video: Video
    thumbnail: bool = False
    strip_frames: int | None = None
    errors: tuple[str, ...] = ()


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
        prober: Prober,
    ) -> None:
        self._library = library
        self._runner = runner
        self._hub = hub
        self._settings = settings
        self._limiter = limiter
        self._prober = prober
        # One job writes thumbnails at a time, so two never make the same file at once.
        self._writing = trio.Lock()
        #: Pending jobs by what they were asked for: an identical request joins one.
        self._queued: dict[tuple[tuple[str, ...] | None, bool], str] = {}
        self._made = metrics.counter(
            "stoat_thumbnails_total", "Thumbnails made, by outcome.", ("outcome",)
        )
        self._strips = metrics.counter(
            "stoat_strips_total", "Scrub strips made, by outcome.", ("outcome",)
        )

    def path_for(self, video_id: str) -> str:
        return os.path.join(self._settings.thumbnail_dir, f"{video_id}.jpg")

    def strip_path_for(self, video_id: str) -> str:
        """Where a video's scrub strip is kept: next to its thumbnail."""
        return os.path.join(self._settings.thumbnail_dir, f"{video_id}.strip.jpg")

    async def remove(self, video_id: str) -> None:
        """Delete the thumbnail and scrub strip of a video that left the library, if any.

        By the video's id rather than its recorded path, so pictures that a change to
        the file made stale go too.
        """
        for path in (self.path_for(video_id), self.strip_path_for(video_id)):
            await trio.to_thread.run_sync(_remove_quietly, path)

    def _lacks_pictures(self, video: Video) -> bool:
        """Whether the video lacks its thumbnail, or its strip (when strips are made)."""
        wants_strip = self._settings.strip_frames > 0
        return video.thumbnail_path is None or (wants_strip and video.strip_frames is None)

    async def submit(
        self, video_ids: Sequence[str] | None = None, *, force: bool = False
    ) -> JobSnapshot:
        """Queue thumbnails and strips for ``video_ids``, or for every video lacking either.

        With ``force`` both are made anew; without, only what a video lacks.

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
            videos = [v for v in present if force or self._lacks_pictures(v)]
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
            send, receive = trio.open_memory_channel[_Made](0)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    partial(
                        fan_out,
                        videos,
                        partial(self._make_one, job_id=ctx.job_id, force=force),
                        send,
                        workers=self._settings.probe_concurrency,
                        limiter=self._limiter,
                    )
                )
                async with receive:
                    async for made in receive:
                        processed += 1
                        result = _tally(result, made)
                        ctx.report(
                            processed=processed,
                            total=len(videos),
                            current_file=made.video.path,
                            partial_result=result,
                        )
            return result

    async def _make_one(self, video: Video, *, job_id: str, force: bool) -> _Made:
        """Make what the video lacks (everything, with ``force``), record it, announce it once.

        A strip that fails is an error of its own: it takes nothing from a thumbnail made.
        """
        made = _Made(video)
        await trio.lowlevel.checkpoint()
        if force or video.thumbnail_path is None:
            made = await self._make_thumbnail(made)
        if self._settings.strip_frames > 0 and (force or video.strip_frames is None):
            made = await self._make_strip(made)
        if made.thumbnail or made.strip_frames is not None:
            self._hub.publish(
                ThumbnailReady(
                    video_id=video.id,
                    job_id=job_id,
                    thumbnail=made.thumbnail,
                    strip_frames=made.strip_frames,
                ),
                correlation_id=job_id,
            )
        return made

    async def _make_thumbnail(self, made: _Made) -> _Made:
        video = made.video
        target = self.path_for(video.id)
        try:
            await self._prober.thumbnail(
                video.path, target, duration_seconds=video.duration_seconds
            )
        # Every prober has awaited its child before either can be raised.
        except ThumbnailTimeout as exc:
            self._made.labels(outcome="timeout").inc()
            return attrs.evolve(made, errors=(*made.errors, exc.reason))  # noqa: ASYNC910
        except ThumbnailFailed as exc:
            self._made.labels(outcome="failed").inc()
            return attrs.evolve(made, errors=(*made.errors, exc.reason))  # noqa: ASYNC910
        if not await self._library.set_thumbnail(video.id, target):
            return made  # the video left the library meanwhile
        self._made.labels(outcome="ok").inc()
        return attrs.evolve(made, thumbnail=True)

    async def _make_strip(self, made: _Made) -> _Made:
        video = made.video
        times = strip_times(
            self._settings.strip_frames,
            duration_seconds=video.duration_seconds,
            duration_frames=video.duration_frames,
            frame_rate=video.frame_rate,
        )
        try:
            await self._prober.strip(
                video.path,
                self.strip_path_for(video.id),
                times=times,
                duration_seconds=video.duration_seconds,
            )
        # Every prober has awaited its child before either can be raised.
        except ThumbnailFailed as exc:
            outcome = "timeout" if isinstance(exc, ThumbnailTimeout) else "failed"
            self._strips.labels(outcome=outcome).inc()
            reason = f"scrub strip: {exc.reason}"
            return attrs.evolve(made, errors=(*made.errors, reason))  # noqa: ASYNC910
        if not await self._library.set_strip(video.id, len(times)):
            return made
        self._strips.labels(outcome="ok").inc()
        return attrs.evolve(made, strip_frames=len(times))


def _tally(result: ThumbnailResult, made: _Made) -> ThumbnailResult:
    errors = result.errors
    for reason in made.errors:
        errors = errors.add(VideoError(made.video.id, made.video.path, reason))
    return attrs.evolve(
        result,
        made=result.made + made.thumbnail,
        strips=result.strips + (made.strip_frames is not None),
        errors=errors,
    )


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
