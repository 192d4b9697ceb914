"""The two ways the service reads media files, behind the one interface its jobs call.

:class:`Prober` is what a scan and a thumbnails job need: what a file holds, its
thumbnail, its scrub strip. ``STOAT_PROBER`` chooses the implementation:

- ``ffprobe`` (the default, and the reference): :class:`ToolProber` runs ``ffprobe``
  or ``ffmpeg`` once per file through :func:`~stoat_ferret.children.run_tool`;
- ``libav``: :class:`LibavProber` asks the long-lived media workers of a
  :class:`~stoat_ferret.workers.pool.WorkerPool`, which the service opens for its
  lifetime and starts in the background (:func:`open_prober`).

Both keep the same guarantees: each call has its own time limit (``STOAT_PROBE_TIMEOUT``
for a probe, ``STOAT_THUMBNAIL_TIMEOUT`` for a picture), past which the child doing it
is killed and reaped; a cancel kills and reaps it at once; no child outlives the call;
nothing blocks the event loop. Both raise the same errors: the probe family
(:mod:`stoat_ferret.probe.errors`) and :class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailFailed`
(:class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailTimeout` for the time limit). Pictures
are written whole: to a ``.part`` file, then renamed over the target.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import attrs
import trio

from .probe.parse import ProbeResult
from .probe.run import probe_file
from .settings import Settings
from .thumbs.ffmpeg import (
    ThumbnailFailed,
    frame_time,
    make_strip,
    make_thumbnail,
    partial_file,
    publish,
)
from .workers.errors import WorkerUnavailable
from .workers.pool import WorkerPool, open_worker_pool

log = logging.getLogger(__name__)

#: What ``serve`` says, and readiness reports, when ``STOAT_PROBER=libav`` finds no PyAV.
PYAV_MISSING = (
    "STOAT_PROBER=libav needs PyAV, which is not installed: pip install 'stoat-ferret[libav]'"
)
#: Seconds readiness waits for the media workers' first start (or a new try at it).
START_WAIT = 5.0


class Prober(Protocol):
    """What the scan and thumbnails jobs ask of a file."""

    @property
    def name(self) -> str:
        """``"ffprobe"`` or ``"libav"``: the ``STOAT_PROBER`` this is."""
        ...

    async def probe_file(self, path: str, *, file_size: int) -> ProbeResult:
        """What ``path`` holds; raises a :class:`~stoat_ferret.probe.errors.ProbeError`."""
        ...

    async def thumbnail(self, source: str, target: str, *, duration_seconds: float) -> None:
        """Write ``source``'s thumbnail to ``target`` whole; raises ``ThumbnailFailed``."""
        ...

    async def strip(
        self, source: str, target: str, *, times: Sequence[float], duration_seconds: float
    ) -> None:
        """Write ``source``'s scrub strip of the frames at ``times`` to ``target`` whole."""
        ...


@attrs.frozen(kw_only=True)
class ToolProber:
    """``ffprobe`` and ``ffmpeg``, one process per file."""

    ffprobe: str
    ffmpeg: str
    probe_timeout: float
    picture_timeout: float
    nice: int = 0

    @property
    def name(self) -> str:
        return "ffprobe"

    async def probe_file(self, path: str, *, file_size: int) -> ProbeResult:
        return await probe_file(
            path,
            file_size=file_size,
            ffprobe=self.ffprobe,
            timeout=self.probe_timeout,
            nice=self.nice,
        )

    async def thumbnail(self, source: str, target: str, *, duration_seconds: float) -> None:
        await make_thumbnail(
            source,
            target,
            duration_seconds=duration_seconds,
            ffmpeg=self.ffmpeg,
            timeout=self.picture_timeout,
            nice=self.nice,
        )

    async def strip(
        self, source: str, target: str, *, times: Sequence[float], duration_seconds: float
    ) -> None:
        await make_strip(
            source,
            target,
            times=times,
            duration_seconds=duration_seconds,
            ffmpeg=self.ffmpeg,
            timeout=self.picture_timeout,
            nice=self.nice,
        )


@attrs.frozen(kw_only=True)
class WorkersState:
    """Whether the media workers can work, as readiness reports it."""

    ready: bool
    #: Why not, when not ready.
    reason: str | None = None
    #: PyAV's version and the FFmpeg libraries' it bundles.
    version: str | None = None


@attrs.define(kw_only=True)
class LibavProber:
    """The long-lived media workers of a pool (use through :func:`open_prober`)."""

    pool: WorkerPool
    probe_timeout: float
    picture_timeout: float
    _started: trio.Event = attrs.field(factory=trio.Event)

    @property
    def name(self) -> str:
        return "libav"

    async def start(self) -> None:
        """Start the pool's workers (in the background: scans need not wait for it)."""
        try:
            reason = await self._try_start()
        finally:
            self._started.set()
        if reason is not None:
            log.warning("the media workers could not start: %s", reason)

    async def _try_start(self) -> str | None:
        """Start workers up to the pool's size; why any could not start, or None."""
        await trio.lowlevel.checkpoint()
        try:
            await self.pool.prestart()
        except WorkerUnavailable as exc:
            return exc.reason
        return None

    async def state(self) -> WorkersState:
        """Whether the workers can work: once their start has been tried, or a new try."""
        with trio.move_on_after(START_WAIT):
            await self._started.wait()
        if not self._started.is_set():
            return WorkersState(
                ready=False, reason=f"the media workers did not start within {START_WAIT:g}s"
            )
        if self.pool.versions is None and self.pool.unavailable is None:
            # Every start so far failed for a reason that may pass: try once more.
            reason: str | None = f"no media worker started within {START_WAIT:g}s"
            with trio.move_on_after(START_WAIT):
                reason = await self._try_start()
            if reason is not None:
                return WorkersState(ready=False, reason=reason)
        if self.pool.unavailable is not None:
            return WorkersState(ready=False, reason=self.pool.unavailable)
        versions = self.pool.versions
        if versions is None:
            return WorkersState(
                ready=False, reason=f"no media worker started within {START_WAIT:g}s"
            )
        return WorkersState(ready=True, version=_describe_versions(versions))

    async def probe_file(self, path: str, *, file_size: int) -> ProbeResult:
        return await self.pool.probe_file(path, file_size=file_size, timeout=self.probe_timeout)

    async def thumbnail(self, source: str, target: str, *, duration_seconds: float) -> None:
        async with partial_file(target) as partial:
            await self.pool.thumbnail(
                source,
                partial,
                at_seconds=frame_time(duration_seconds),
                timeout=self.picture_timeout,
            )
            if not await publish(partial, target):
                raise ThumbnailFailed(source, "the media worker wrote no picture")

    async def strip(
        self, source: str, target: str, *, times: Sequence[float], duration_seconds: float
    ) -> None:
        async with partial_file(target) as partial:
            await self.pool.strip(source, partial, times=times, timeout=self.picture_timeout)
            if not await publish(partial, target):
                raise ThumbnailFailed(source, "the media worker wrote no picture")


def _describe_versions(versions: object) -> str | None:
    if not isinstance(versions, dict):
        return None
    pyav, libavformat = versions.get("pyav"), versions.get("libavformat")
    if not isinstance(pyav, str):
        return None
    return f"PyAV {pyav}" + (f", libavformat {libavformat}" if isinstance(libavformat, str) else "")


def libav_problem(settings: Settings) -> str | None:
    """Why the prober ``settings`` name cannot work here, found without starting anything.

    ``STOAT_PROBER=libav`` needs PyAV in this Python (the workers run this same
    interpreter); looking it up does not import it.
    """
    if settings.prober == "libav" and importlib.util.find_spec("av") is None:
        return PYAV_MISSING
    return None


@asynccontextmanager
async def open_prober(
    settings: Settings, *, worker_env: dict[str, str] | None = None
) -> AsyncIterator[Prober]:
    """The prober ``STOAT_PROBER`` names, for the block.

    For ``libav`` a pool of ``STOAT_PROBE_CONCURRENCY`` media workers (each probe
    limited to ``STOAT_PROBE_TIMEOUT``, each picture to ``STOAT_THUMBNAIL_TIMEOUT``,
    running at ``STOAT_PROBE_NICE``), started in the background at once, so the first
    scan does not pay for their start-up; every worker is killed and reaped when the
    block ends. ``worker_env`` adds to the workers' environment (for tests).
    """
    if settings.prober == "ffprobe":
        await trio.lowlevel.checkpoint()
        yield ToolProber(
            ffprobe=settings.ffprobe_path,
            ffmpeg=settings.ffmpeg_path,
            probe_timeout=settings.probe_timeout,
            picture_timeout=settings.thumbnail_timeout,
            nice=settings.probe_nice,
        )
        return
    async with (
        open_worker_pool(
            size=settings.probe_concurrency,
            timeout=settings.probe_timeout,
            nice=settings.probe_nice,
            env=worker_env,
        ) as pool,
        trio.open_nursery() as nursery,
    ):
        prober = LibavProber(
            pool=pool,
            probe_timeout=settings.probe_timeout,
            picture_timeout=settings.thumbnail_timeout,
        )
        nursery.start_soon(prober.start)
        try:
            yield prober
        finally:
            nursery.cancel_scope.cancel()


__all__ = [
    "PYAV_MISSING",
    "LibavProber",
    "Prober",
    "ToolProber",
    "WorkersState",
    "libav_problem",
    "open_prober",
]
