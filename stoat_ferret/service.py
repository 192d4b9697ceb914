"""The service's parts, opened and closed together for the lifetime of a server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs
import trio

from .events.hub import EventHub
from .events.jobs import JobEvents
from .events.library import LibraryEvents
from .health import Check, ToolChecks, check_database, check_prober
from .jobs.runner import JobRunner, open_job_runner
from .library.store import Library, open_library
from .loopwatch import LoopWatch, SlowStep, watch_loop
from .metrics import Metrics
from .probers import Prober, open_prober
from .resume import resume_interrupted
from .scan.job import Scanner
from .settings import Settings
from .thumbs.job import Thumbnailer
from .watch.service import Watches

log = logging.getLogger(__name__)


@attrs.frozen
class Service:
    """Everything a request handler needs."""

    settings: Settings
    library: Library
    hub: EventHub
    runner: JobRunner
    scanner: Scanner
    thumbnailer: Thumbnailer
    watches: Watches
    metrics: Metrics
    loop_watch: LoopWatch
    #: Publishes changes to the library (``video_*`` events).
    library_events: LibraryEvents
    #: What reads media files: ffprobe and ffmpeg per file, or the media workers.
    prober: Prober

    tool_checks: ToolChecks = attrs.field(factory=ToolChecks)
    _stopping: trio.Lock = attrs.field(factory=trio.Lock)
    _stopped: trio.Event = attrs.field(factory=trio.Event)

    async def readiness(self) -> dict[str, Check]:
        """Each readiness check by name: the database, then ``ffprobe`` and ``ffmpeg``, or
        ``libav`` (the media workers) with ``STOAT_PROBER=libav``."""
        return {
            "database": await check_database(self.library),
            **await check_prober(self.prober, self.tool_checks),
        }

    async def stop(self) -> None:
        """Stop the service's work, in the one order shutdown has.

        First the watched folders' watchers, so that no change becomes a new job. Then
        the jobs: the runner takes no new ones, and live ones end as
        ``interrupted`` within ``STOAT_SHUTDOWN_GRACE``, their final events still
        published. Then the event streams close, each ``/ws`` handler sending what
        it still holds first. The HTTP server stops once this returns (see
        :func:`stoat_ferret.server.serve_service`). A second call waits for the first.
        """
        async with self._stopping:
            if self._stopped.is_set():
                return
            await self.watches.stop()
            await self.runner.shutdown(self.settings.shutdown_grace)
            self.hub.close()
            self._stopped.set()


@asynccontextmanager
async def open_service(settings: Settings) -> AsyncIterator[Service]:
    """Open the library, start the job runner, resume what the last stop interrupted and
    start watching the watched folders; on exit, stop the service and close all."""
    with watch_loop(settings.loop_warn_threshold, on_slow_step=_log_slow_step) as loop_watch:
        async with _open_parts(settings, loop_watch) as service:
            yield service


def _log_slow_step(step: SlowStep) -> None:
    log.warning("event loop blocked: %s", step.describe())


@asynccontextmanager
async def _open_parts(settings: Settings, loop_watch: LoopWatch) -> AsyncIterator[Service]:
    metrics = Metrics()
    metrics.gauge(
        "stoat_loop_longest_step_seconds",
        "Longest time one task step held the event loop since start.",
        lambda: loop_watch.longest,
    )
    metrics.gauge(
        "stoat_loop_slow_steps",
        "Task steps that held the event loop longer than STOAT_LOOP_WARN_THRESHOLD.",
        lambda: loop_watch.slow_count,
    )
    hub = EventHub(replay_size=settings.ws_replay_size, client_buffer=settings.ws_client_buffer)
    metrics.gauge("stoat_ws_subscribers", "Open /ws connections.", lambda: len(hub.subscribers))
    metrics.counter_from(
        "stoat_events_published_total", "Events published since start.", lambda: hub.published
    )
    async with (
        open_library(settings.database_path, readers=settings.database_readers) as library,
        # Opened before the runner, so it outlives every job: the workers are killed
        # only once the jobs using them have ended.
        open_prober(settings) as prober,
        open_job_runner(
            library,
            JobEvents(hub),
            metrics,
            max_running=settings.max_running_jobs,
            cancel_wait=settings.cancel_wait,
            shutdown_grace=settings.shutdown_grace,
            max_pending=settings.max_pending_jobs,
        ) as runner,
    ):
        # One limit on probes and pictures together: they compete for the same CPUs.
        media_tools = trio.CapacityLimiter(settings.probe_concurrency)
        thumbnailer = Thumbnailer(library, runner, hub, metrics, settings, media_tools, prober)
        library_events = LibraryEvents(hub)
        scanner = Scanner(
            library,
            runner,
            metrics,
            settings,
            media_tools,
            prober,
            events=library_events,
            after_scan=thumbnailer.submit if settings.thumbnails_after_scan else None,
        )
        resume = await resume_interrupted(library, scanner, enabled=settings.resume_interrupted)
        watches = Watches(library, runner, scanner, hub, settings, resume=resume)
        service = Service(
            settings,
            library,
            hub,
            runner,
            scanner,
            thumbnailer,
            watches,
            metrics,
            loop_watch,
            library_events,
            prober,
        )
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(watches.run)
                nursery.start_soon(service.tool_checks.keep_fresh)
                yield service
            finally:
                # Served, the service was stopped already (a no-op now); cancelled or used
                # without a server, this is where it stops.
                with trio.CancelScope(shield=True):
                    await service.stop()
                nursery.cancel_scope.cancel()  # the program checks' refresher
