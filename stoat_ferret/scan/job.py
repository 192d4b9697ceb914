"""The scan job: walk a directory, probe what changed, keep the library in step.

Probe workers (:func:`~stoat_ferret.fanout.fan_out`) send outcomes over a memory
channel to a single writer, which commits them to the library in batches and
reports progress after each commit, so progress never runs ahead of what is
stored. Files are read through the service's :class:`~stoat_ferret.probers.Prober`
(ffprobe per file, or the media workers). When the job is cancelled the probes
under way are abandoned and their children killed and reaped, and
the writer commits what it already holds before the job ends: work done before a
cancel is kept, and thumbnails are queued for it as for a scan that completed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial

import attrs
import trio

from ..fanout import fan_out
from ..jobs.errors import RunnerClosed, TooManyJobs
from ..jobs.models import JobSnapshot
from ..jobs.results import CappedErrors, FileError, ScanResult
from ..jobs.runner import JobContext, JobRunner, JobSpec, new_job_id
from ..library.store import Library, ProbedFile
from ..metrics import Metrics
from ..probe.errors import ProbeError, ProberMissing
from ..probe.parse import ProbeResult
from ..probers import Prober
from ..protocol import JobKind
from ..settings import Settings
from .errors import ScanConflict
from .paths import resolve_roots, resolve_scan_path
from .plan import FoundFile, is_within, plan_scan
from .walk import walk_directory

log = logging.getLogger(__name__)

#: Outcomes committed per library transaction, at most.
WRITE_BATCH = 64
#: Seconds the writer may take to commit what it holds after a cancel.
FLUSH_TIMEOUT = 10.0
#: Seconds queueing the thumbnails of a scan may take when the scan was cancelled.
HANDOFF_TIMEOUT = 10.0

#: What runs after a scan that stored new or changed videos (queues their thumbnails).
AfterScan = Callable[[], Awaitable[object]]


@attrs.frozen
class _Outcome:
    file: FoundFile
    probe: ProbeResult | None
    error: str | None


@attrs.define
class _Tally:
    """A scan's counts while it runs; :meth:`result` is the value reported and kept."""

    scanned: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    reappeared: int = 0
    errors: CappedErrors[FileError] = attrs.field(factory=CappedErrors)

    def add_error(self, path: str, reason: str) -> None:
        self.errors = self.errors.add(FileError(path, reason))

    def result(self) -> ScanResult:
        return ScanResult(
            scanned=self.scanned,
            new=self.new,
            updated=self.updated,
            unchanged=self.unchanged,
            missing=self.missing,
            reappeared=self.reappeared,
            errors=self.errors,
        )


class Scanner:
    """Submits scan jobs and runs them."""

    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        metrics: Metrics,
        settings: Settings,
        probe_limiter: trio.CapacityLimiter,
        prober: Prober,
        *,
        after_scan: AfterScan | None = None,
    ) -> None:
        """``after_scan`` runs once a scan has stored new or changed videos, however it ended."""
        self._library = library
        self._runner = runner
        self._settings = settings
        self._limiter = probe_limiter
        self._prober = prober
        self._after_scan = after_scan
        self._roots = resolve_roots(settings.allowed_scan_roots)
        #: Resolved directory -> id of the job scanning it, while pending or running.
        self._active: dict[str, str] = {}
        self._probes = metrics.counter(
            "stoat_probes_total", "Files probed, by outcome.", ("outcome",)
        )
        self._probe_seconds = metrics.histogram(
            "stoat_probe_duration_seconds", "Wall time of each probe."
        )

    @property
    def allowed_roots(self) -> tuple[str, ...]:
        return self._roots

    async def submit(
        self, path: str, *, recursive: bool = True, force: bool = False
    ) -> JobSnapshot:
        """Check ``path`` and queue a scan of it.

        Raises :class:`~stoat_ferret.scan.errors.ScanPathError` for a path that may
        not or cannot be scanned, :class:`~stoat_ferret.scan.errors.ScanConflict`
        while a scan of the same or an overlapping directory is pending or running,
        and :class:`~stoat_ferret.jobs.errors.RunnerClosed` during shutdown.
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
    ) -> ScanResult:
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
        ctx.report(processed=tally.unchanged, total=total, partial_result=tally.result())
        if not plan.to_probe:
            return tally.result()

        send, receive = trio.open_memory_channel[_Outcome](WRITE_BATCH)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    partial(
                        fan_out,
                        plan.to_probe,
                        self._probe_one,
                        send,
                        workers=self._settings.probe_concurrency,
                        limiter=self._limiter,
                    )
                )
                await self._write_all(receive, ctx, tally, total)
        finally:
            if tally.new or tally.updated:
                # Shielded: a cancelled scan still hands on what it stored.
                with trio.CancelScope(shield=True), trio.move_on_after(HANDOFF_TIMEOUT):
                    await self._hand_off()
        return tally.result()

    async def _hand_off(self) -> None:
        """Run ``after_scan`` for what this scan stored, however the scan ended.

        While the runner shuts down nothing new is queued: a later request makes them.
        """
        if self._after_scan is not None:
            try:
                await self._after_scan()
            except RunnerClosed:
                pass
            except TooManyJobs as exc:
                log.warning("no thumbnails queued after a scan: %s", exc)
            except Exception:
                # The scan's own outcome stands; thumbnails can be asked for later.
                log.exception("could not queue thumbnails after a scan")
        await trio.lowlevel.checkpoint()

    async def _probe_one(self, item: FoundFile) -> _Outcome:
        started = time.monotonic()
        try:
            result = await self._prober.probe_file(item.path, file_size=item.size)
        except ProbeError as exc:
            self._count_probe(type(exc).__name__, started)
            if isinstance(exc, ProberMissing):
                raise
            # Every prober checkpoints before it raises, which flake8-async cannot see.
            return _Outcome(item, None, exc.reason)  # noqa: ASYNC910
        self._count_probe("ok", started)
        return _Outcome(item, result, None)

    def _count_probe(self, outcome: str, started: float) -> None:
        """Probes that ran to an outcome; one cut short by a cancel counts in neither."""
        self._probes.labels(outcome=outcome).inc()
        self._probe_seconds.observe(time.monotonic() - started)

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
                    partial_result=tally.result(),
                )
        finally:
            # Probes that finished but were not yet committed when the job was
            # cancelled are still work done: commit them before the job ends.
            leftover = _drain(receive)
            receive.close()
            if leftover:
                with trio.CancelScope(shield=True), trio.move_on_after(FLUSH_TIMEOUT):
                    processed += await self._commit(leftover, tally)
                    ctx.report(processed=processed, total=total, partial_result=tally.result())

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
