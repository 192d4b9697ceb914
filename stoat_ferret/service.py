"""The service's parts, opened and closed together for the lifetime of a server."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs
import trio

from .events import EventHub
from .jobs.runner import JobRunner, open_job_runner
from .library import Library, open_library
from .loopwatch import LoopWatch, SlowStep, watch_loop
from .metrics import Metrics
from .scan import Scanner
from .settings import Settings
from .thumbs import Thumbnailer

log = logging.getLogger(__name__)

#: Seconds a health check of an external program may take.
TOOL_CHECK_TIMEOUT = 5.0
#: Seconds a program check's answer is reused, so frequent /health/ready probes spawn little.
TOOL_CHECK_TTL = 10.0


@attrs.frozen
class Service:
    """Everything a request handler needs."""

    settings: Settings
    library: Library
    hub: EventHub
    runner: JobRunner
    scanner: Scanner
    thumbnailer: Thumbnailer
    metrics: Metrics
    loop_watch: LoopWatch

    #: Program -> (when it was checked, the problem or None): recent ``check_tool`` answers.
    _tool_checks: dict[str, tuple[float, str | None]] = attrs.field(factory=dict)

    async def check_tool(self, program: str) -> str | None:
        """:func:`check_tool`, its answer reused for :data:`TOOL_CHECK_TTL` seconds."""
        now = trio.current_time()
        cached = self._tool_checks.get(program)
        if cached is not None and now - cached[0] < TOOL_CHECK_TTL:
            await trio.lowlevel.checkpoint()
            return cached[1]
        problem = await check_tool(program)
        self._tool_checks[program] = (now, problem)
        return problem

    async def stop(self) -> None:
        """Interrupt live jobs (their final events still go out), then end every stream."""
        await self.runner.shutdown(self.settings.shutdown_grace)
        self.hub.close()


async def check_tool(program: str) -> str | None:
    """``None`` if ``program -version`` runs cleanly, else a message saying what is wrong."""
    if await trio.to_thread.run_sync(shutil.which, program) is None:
        return f"{program} not found" + ("" if os.sep in program else " on PATH")
    try:
        with trio.fail_after(TOOL_CHECK_TIMEOUT):
            done = await trio.run_process(
                [program, "-version"],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
    except trio.TooSlowError:
        return f"{program} -version took longer than {TOOL_CHECK_TIMEOUT:g}s"
    except OSError as exc:
        return f"cannot run {program}: {exc.strerror or exc}"
    if done.returncode != 0:
        return f"{program} -version exited with status {done.returncode}"
    return None


@asynccontextmanager
async def open_service(settings: Settings) -> AsyncIterator[Service]:
    """Open the library, start the job runner; on exit, interrupt jobs and close all."""
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
    metrics.gauge(
        "stoat_events_published_total",
        "Events published since start.",
        lambda: hub.published,
        kind="counter",
    )
    async with (
        open_library(settings.database_path) as library,
        open_job_runner(
            library,
            hub,
            metrics,
            max_running=settings.max_running_jobs,
            cancel_wait=settings.cancel_wait,
            shutdown_grace=settings.shutdown_grace,
            max_pending=settings.max_pending_jobs,
        ) as runner,
    ):
        # One limit on ffprobe and ffmpeg children together: they compete for the same CPUs.
        media_tools = trio.CapacityLimiter(settings.probe_concurrency)
        scanner = Scanner(library, runner, metrics, settings, media_tools)
        thumbnailer = Thumbnailer(library, runner, hub, metrics, settings, media_tools)
        if settings.thumbnails_after_scan:
            scanner.after_scan = thumbnailer.submit
        service = Service(settings, library, hub, runner, scanner, thumbnailer, metrics, loop_watch)
        try:
            yield service
        finally:
            with trio.CancelScope(shield=True):
                await service.stop()
