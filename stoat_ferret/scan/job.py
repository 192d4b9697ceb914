"""The scan job: walk a directory, probe what changed, keep the library in step.

Probe workers send outcomes over a memory channel to a single writer, which
commits them to the library in batches and reports progress after each commit,
so progress never runs ahead of what is stored. When the job is cancelled the
workers' ffprobe children are killed, and the writer commits what it already
holds before the job ends: work done before a cancel is kept.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any

import attrs
import trio

from ..events import EventType
from ..jobs.models import JobKind, JobSnapshot
from ..jobs.runner import (
    JobContext,
    JobRunner,
    JobSpec,
    RunnerClosed,
    TooManyJobs,
    new_job_id,
)
from ..library import Library
from ..library.store import ProbedFile
from ..metrics import Metrics
from ..probe import ProbeError, ProbeResult, ProberMissing, probe_with_timeout
from ..settings import Settings
from .paths import is_within, resolve_roots, resolve_scan_path
from .plan import plan_scan
from .walk import FoundFile, walk_directory

log = logging.getLogger(__name__)

#: Outcomes committed per library transaction, at most.
WRITE_BATCH = 64
#: The result keeps this many per-file errors; ``error_count`` has them all.
MAX_REPORTED_ERRORS = 500
#: Seconds the writer may take to commit what it holds after a cancel.
FLUSH_TIMEOUT = 10.0


class ScanConflict(Exception):
    """A scan of the same or an overlapping directory is already pending or running."""

    def __init__(self, path: str, job_id: str) -> None:
        super().__init__(f"a scan of {path} is already pending or running (job {job_id})")
        self.path = path
        self.job_id = job_id


@attrs.frozen
class _Outcome:
    file: FoundFile
    probe: ProbeResult | None
    error: str | None


@attrs.define
class _Tally:
    scanned: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    reappeared: int = 0
    errors: list[dict[str, str]] = attrs.field(factory=list)
    error_count: int = 0

    def add_error(self, path: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"path": path, "error": reason})

    def as_result(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "new": self.new,
            "updated": self.updated,
            "skipped": self.unchanged,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "reappeared": self.reappeared,
            "error_count": self.error_count,
            "errors": list(self.errors),
        }


class Scanner:
    """Submits scan jobs and runs them."""

    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        metrics: Metrics,
        settings: Settings,
        probe_limiter: trio.CapacityLimiter,
    ) -> None:
        self._library = library
        self._runner = runner
        self._metrics = metrics
        self._settings = settings
        self._limiter = probe_limiter
        self._roots = resolve_roots(settings.allowed_scan_roots)
        #: Called when a scan completes having stored new or changed videos.
        self.after_scan: Callable[[], Awaitable[object]] | None = None
        #: Resolved directory -> id of the job scanning it, while pending or running.
        self._active: dict[str, str] = {}
        metrics.counter("stoat_probes_total", "ffprobe runs, by outcome.")
        metrics.summary("stoat_probe_duration_seconds", "Wall time of ffprobe runs.")

    @property
    def allowed_roots(self) -> tuple[str, ...]:
        return self._roots

    async def submit(
        self, path: str, *, recursive: bool = True, force: bool = False
    ) -> JobSnapshot:
        """Check ``path`` and queue a scan of it.

        Raises :class:`~stoat_ferret.scan.paths.ScanPathError` for a path that may
        not or cannot be scanned, and :class:`ScanConflict` while a scan of the same
        or an overlapping directory is pending or running.
        """
        resolved = await trio.to_thread.run_sync(resolve_scan_path, path, self._roots)
        for active, job_id in self._active.items():
            if is_within(resolved, active) or is_within(active, resolved):
                raise ScanConflict(active, job_id)
        params = {"path": resolved, "recursive": recursive, "force": force}
        # Reserved before the first await, so no other submit can slip in between.
        job_id = self._active[resolved] = new_job_id()
        try:
            return await self._runner.submit(
                JobSpec(
                    kind=JobKind.SCAN,
                    body=partial(self._scan, resolved, recursive=recursive, force=force),
                    timeout=self._settings.scan_timeout,
                    params=params,
                    started_event=EventType.SCAN_STARTED,
                    finished_event=EventType.SCAN_COMPLETED,
                    on_finish=lambda _job: self._release(resolved),
                ),
                job_id=job_id,
            )
        except BaseException:
            self._release(resolved)
            raise

    def _release(self, directory: str) -> None:
        self._active.pop(directory, None)

    async def _scan(
        self, root: str, ctx: JobContext, *, recursive: bool, force: bool
    ) -> dict[str, Any]:
        walk = await trio.to_thread.run_sync(
            partial(walk_directory, root, recursive=recursive, allowed_roots=self._roots),
            abandon_on_cancel=True,
        )
        known = await self._library.known_files(root, recursive=recursive)
        plan = plan_scan(walk.files, known, force=force, unreadable=walk.unreadable)

        tally = _Tally(scanned=len(walk.files), unchanged=len(plan.unchanged))
        for path, reason in walk.errors:
            tally.add_error(path, reason)
        tally.missing = await self._library.set_missing(plan.missing, missing=True)
        tally.reappeared = await self._library.set_missing(plan.reappeared, missing=False)

        total = len(walk.files)
        ctx.report(processed=tally.unchanged, total=total, partial_result=tally.as_result())
        if not plan.to_probe:
            return tally.as_result()

        send, receive = trio.open_memory_channel[_Outcome](WRITE_BATCH)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._probe_all, iter(plan.to_probe), send)
            await self._write_all(receive, ctx, tally, total)
        if (tally.new or tally.updated) and self.after_scan is not None:
            # While shutting down nothing new is queued: a later request makes them.
            with contextlib.suppress(RunnerClosed):
                try:
                    await self.after_scan()
                except TooManyJobs as exc:
                    log.warning("no thumbnails queued after the scan of %s: %s", root, exc)
        return tally.as_result()

    async def _probe_all(
        self, files: Iterator[FoundFile], send: trio.MemorySendChannel[_Outcome]
    ) -> None:
        async with send, trio.open_nursery() as nursery:
            for _ in range(self._settings.probe_concurrency):
                nursery.start_soon(self._probe_worker, files, send.clone())

    async def _probe_worker(
        self, files: Iterator[FoundFile], send: trio.MemorySendChannel[_Outcome]
    ) -> None:
        async with send:
            # All workers share one iterator: trio switches tasks only at awaits, so
            # each file is taken by exactly one worker.
            for item in files:
                async with self._limiter:
                    outcome = await self._probe_one(item)
                await send.send(outcome)

    async def _probe_one(self, item: FoundFile) -> _Outcome:
        started = time.monotonic()
        try:
            result = await probe_with_timeout(
                item.path,
                file_size=item.size,
                ffprobe=self._settings.ffprobe_path,
                seconds=self._settings.probe_timeout,
                nice=self._settings.probe_nice,
            )
        except ProbeError as exc:
            self._count_probe(type(exc).__name__, started)
            if isinstance(exc, ProberMissing):
                raise
            # probe_file checkpoints before every raise, which flake8-async cannot see.
            return _Outcome(item, None, exc.reason)  # noqa: ASYNC910
        self._count_probe("ok", started)
        return _Outcome(item, result, None)

    def _count_probe(self, outcome: str, started: float) -> None:
        """Probes that ran to an outcome; one cut short by a cancel counts in neither."""
        self._metrics.inc("stoat_probes_total", outcome=outcome)
        self._metrics.observe("stoat_probe_duration_seconds", time.monotonic() - started)

    async def _write_all(
        self,
        receive: trio.MemoryReceiveChannel[_Outcome],
        ctx: JobContext,
        tally: _Tally,
        total: int,
    ) -> None:
        processed = tally.unchanged
        try:
            async for outcome in receive:
                batch = [outcome]
                while len(batch) < WRITE_BATCH:
                    try:
                        batch.append(receive.receive_nowait())
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                processed += await self._commit(batch, tally)
                ctx.report(
                    processed=processed,
                    total=total,
                    current_file=batch[-1].file.path,
                    partial_result=tally.as_result(),
                )
        finally:
            # Probes that finished but were not yet committed when the job was
            # cancelled are still work done: commit them before the job ends.
            leftover = _drain(receive)
            receive.close()
            if leftover:
                with trio.CancelScope(shield=True), trio.move_on_after(FLUSH_TIMEOUT):
                    processed += await self._commit(leftover, tally)
                    ctx.report(processed=processed, total=total, partial_result=tally.as_result())

    async def _commit(self, batch: list[_Outcome], tally: _Tally) -> int:
        probed = [ProbedFile(o.file.path, o.file.mtime_ns, o.probe) for o in batch if o.probe]
        if probed:
            # The thread call is not abandoned on cancel: the transaction always
            # completes and these counts are updated before any later checkpoint.
            new, updated = await self._library.save_probed(probed)
            tally.new += new
            tally.updated += updated
        else:
            await trio.lowlevel.checkpoint()
        for outcome in batch:
            if outcome.error is not None:
                tally.add_error(outcome.file.path, outcome.error)
        return len(batch)


def _drain(receive: trio.MemoryReceiveChannel[_Outcome]) -> list[_Outcome]:
    items: list[_Outcome] = []
    while True:
        try:
            items.append(receive.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return items
