"""The scan job: walk a directory, probe what changed, keep the library in step.

A scan first finds what is on disk (a walk of its directory, or, for a scan limited to
given paths such as a watched folder's changes, a look at exactly those paths), and
what the library holds there; the rest is the same for both (:meth:`Scanner._apply`):
plan, mark what is missing or back, probe, write.

Probe workers (:func:`~stoat_ferret.fanout.fan_out`) send outcomes over a memory
channel to a single writer, which commits them to the library in batches and
reports progress after each commit, so progress never runs ahead of what is
stored. Files are read through the service's :class:`~stoat_ferret.probers.Prober`
(ffprobe per file, or the media workers). When the job is cancelled the probes
under way are abandoned and their children killed and reaped, and
the writer commits what it already holds before the job ends: work done before a
cancel is kept, and thumbnails are queued for it as for a scan that completed.

Probe workers also fingerprint each file they probe. Files the library no longer finds are
marked missing before anything new is stored, so a new file whose fingerprint is a missing
video's is recognised as that video, moved, when the writer stores it. Each change is
published as a ``video_*`` event once it is committed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import attrs
import trio

from ..events.library import LibraryEvents
from ..fanout import fan_out
from ..jobs.errors import RunnerClosed, TooManyJobs
from ..jobs.models import JobSnapshot
from ..jobs.results import CappedErrors, FileError, ScanResult
from ..jobs.runner import JobContext, JobRunner, JobSpec, new_job_id
from ..library.models import KnownFile, VideoMove
from ..library.store import FingerprintedFile, Library, ProbedFile
from ..metrics import Metrics
from ..probe.errors import ProbeError, ProberMissing
from ..probe.parse import ProbeResult
from ..probers import Prober
from ..protocol import JobKind
from ..settings import Settings
from .areas import Areas
from .errors import ScanConflict
from .fingerprint import FingerprintError, fingerprint_file, fingerprint_files
from .paths import resolve_roots, resolve_scan_path
from .plan import FoundFile, ScanPlan, is_within, plan_scan
from .walk import WalkResult, look_at_paths, walk_directory

log = logging.getLogger(__name__)

#: Outcomes committed per library transaction, at most.
WRITE_BATCH = 64
#: Seconds the writer may take to commit what it holds after a cancel.
FLUSH_TIMEOUT = 10.0
#: Seconds queueing the thumbnails of a scan may take when the scan was cancelled.
HANDOFF_TIMEOUT = 10.0

#: What runs after a scan that stored new or changed videos (queues their thumbnails).
AfterScan = Callable[[], Awaitable[object]]

#: Why a file whose size differs from the walk's by the time it is fingerprinted is left out.
CHANGED_SINCE_LISTED = "the file changed since it was listed (is it still being copied?)"


@attrs.frozen
class _Outcome:
    file: FoundFile
    probe: ProbeResult | None
    error: str | None
    fingerprint: str | None = None


@attrs.frozen(kw_only=True)
class ScanTargets:
    """What a scan limited to given paths looks at, all of it inside one folder.

    Files gone, and everything below folders gone, are marked missing before anything
    is probed: a file renamed or moved is then one gone and one found in the same scan.
    """

    #: Files to look at: probed if new or changed, marked missing if no longer there.
    files: tuple[str, ...] = ()
    #: Files known to be gone.
    gone: tuple[str, ...] = ()
    #: Folders gone, standing for everything the library holds below them.
    gone_dirs: tuple[str, ...] = ()
    #: Folders to scan in full (recursively).
    folders: tuple[str, ...] = ()


@attrs.define
class _Tally:
    """A scan's counts while it runs; :meth:`result` is the value reported and kept."""

    scanned: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    reappeared: int = 0
    moved: int = 0
    ignored: dict[str, int] = attrs.field(factory=dict)
    errors: CappedErrors[FileError] = attrs.field(factory=CappedErrors)
    #: Videos this scan marked missing: one found moved is counted as moved, not missing.
    gone: frozenset[str] = frozenset()

    def add_moves(self, moves: Sequence[VideoMove]) -> None:
        self.moved += len(moves)
        self.missing -= sum(move.video_id in self.gone for move in moves)

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
            moved=self.moved,
            ignored=dict(self.ignored),
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
        events: LibraryEvents,
        after_scan: AfterScan | None = None,
    ) -> None:
        """``events`` publishes what scans change, once it is committed.

        ``after_scan`` runs once a scan has stored new, changed or moved videos, however
        it ended.
        """
        self._library = library
        self._runner = runner
        self._settings = settings
        self._limiter = probe_limiter
        self._events = events
        self._prober = prober
        self._after_scan = after_scan
        self._roots = resolve_roots(settings.allowed_scan_roots)
        self._extensions = settings.all_video_extensions
        #: Resolved directory -> id of the job scanning it, while pending or running.
        self._active: dict[str, str] = {}
        #: Folders being read and written now, by scans and by scans of given paths.
        self.areas = Areas()
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
        self,
        path: str,
        *,
        recursive: bool = True,
        force: bool = False,
        extra_params: Mapping[str, Any] | None = None,
    ) -> JobSnapshot:
        """Check ``path`` and queue a scan of it.

        ``extra_params`` go into the job's ``params`` beside ``path``, ``recursive`` and
        ``force`` (``resumed_from``, ``watch_id``): they say why the scan was started.

        Raises :class:`~stoat_ferret.scan.errors.ScanPathError` for a path that may
        not or cannot be scanned, :class:`~stoat_ferret.scan.errors.ScanConflict`
        while a scan of the same or an overlapping directory is pending or running,
        and :class:`~stoat_ferret.jobs.errors.RunnerClosed` during shutdown.
        """
        resolved = await trio.to_thread.run_sync(resolve_scan_path, path, self._roots)
        for active, job_id in self._active.items():
            if is_within(resolved, active) or is_within(active, resolved):
                raise ScanConflict(active, job_id)
        params = {**(extra_params or {}), "path": resolved, "recursive": recursive, "force": force}
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
        async with self.areas.hold(root):
            walk = await trio.to_thread.run_sync(
                partial(
                    walk_directory,
                    root,
                    recursive=recursive,
                    allowed_roots=self._roots,
                    extensions=self._extensions,
                ),
                abandon_on_cancel=True,
            )
            known = await self._library.known_files(root, recursive=recursive)
            return await self._apply(walk, known, ctx, force=force)

    async def scan_targets(
        self,
        folder: str,
        ctx: JobContext,
        take: Callable[[], ScanTargets],
    ) -> ScanResult:
        """Scan only the paths ``take()`` names, all inside the resolved ``folder``: a job body.

        Waits while a scan of an overlapping folder runs, then calls ``take`` for the
        targets, so that whatever was added to them while it waited is in this scan. Every
        path is checked against ``folder`` and the allowed roots before it is read (see
        :func:`~stoat_ferret.scan.walk.look_at_paths`); gone paths outside ``folder`` are
        left alone.
        """
        async with self.areas.hold(folder):
            targets = take()
            found = await trio.to_thread.run_sync(
                partial(
                    look_at_paths,
                    targets.files,
                    targets.folders,
                    within=folder,
                    allowed_roots=self._roots,
                    extensions=self._extensions,
                ),
                abandon_on_cancel=True,
            )
            known = await self._library.known_files_at(
                _inside(folder, (*targets.files, *targets.gone)),
                under=_inside(folder, (*targets.gone_dirs, *targets.folders)),
            )
            return await self._apply(found, known, ctx, force=False)

    async def _apply(
        self,
        walk: WalkResult,
        known: Mapping[str, KnownFile],
        ctx: JobContext,
        *,
        force: bool,
    ) -> ScanResult:
        """Bring the library in step with what ``walk`` found, against what it held there."""
        plan = plan_scan(walk.files, known, force=force, unreadable=walk.unreadable)

        tally = _Tally(scanned=len(walk.files), unchanged=len(plan.unchanged), ignored=walk.ignored)
        for path, reason in walk.errors:
            tally.add_error(path, reason)
        # Before anything is stored: a new file may be one of the missing videos, moved.
        await self._mark_missing(plan, tally, ctx.job_id)

        total = len(walk.files)
        processed = tally.unchanged - len(plan.to_fingerprint)
        ctx.report(processed=processed, total=total, partial_result=tally.result())
        if plan.to_fingerprint:
            await self._fingerprint_unchanged(plan.to_fingerprint, ctx, tally, processed, total)
        if not plan.to_probe:
            return tally.result()

        send, receive = trio.open_memory_channel[_Outcome](WRITE_BATCH)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    partial(
                        fan_out,
                        plan.to_probe,
                        self._examine,
                        send,
                        workers=self._settings.probe_concurrency,
                        limiter=self._limiter,
                    )
                )
                await self._write_all(receive, ctx, tally, total)
        finally:
            if tally.new or tally.updated or tally.moved:
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

    async def _mark_missing(self, plan: ScanPlan, tally: _Tally, job_id: str) -> None:
        """Mark the files not found missing, and those found again present; publish both."""
        gone = await self._library.set_missing(plan.missing, missing=True)
        tally.missing = len(gone)
        tally.gone = frozenset(gone)
        self._events.missing(gone, missing=True, job_id=job_id)
        back = await self._library.set_missing(plan.reappeared, missing=False)
        tally.reappeared = len(back)
        self._events.missing(back, missing=False, job_id=job_id)

    # Called only with files to read, so the loop always awaits at least once.
    async def _fingerprint_unchanged(  # noqa: ASYNC910
        self,
        pending: Sequence[FoundFile],
        ctx: JobContext,
        tally: _Tally,
        processed: int,
        total: int,
    ) -> None:
        """Fingerprint unchanged files stored without one: one worker-thread call a batch.

        Each call holds the shared limit, as a probe does. Progress counts the files
        of a batch as processed once their fingerprints are stored.
        """
        for start in range(0, len(pending), WRITE_BATCH):
            batch = pending[start : start + WRITE_BATCH]
            results = await trio.to_thread.run_sync(
                fingerprint_files,
                [item.path for item in batch],
                limiter=self._limiter,
                abandon_on_cancel=True,
            )
            read: list[FingerprintedFile] = []
            for item, result in zip(batch, results, strict=True):
                if isinstance(result, FingerprintError):
                    tally.add_error(item.path, result.reason)
                elif result.size != item.size:
                    tally.add_error(item.path, CHANGED_SINCE_LISTED)
                else:
                    read.append(FingerprintedFile(item.path, item.size, item.mtime_ns, str(result)))
            await self._library.set_fingerprints(read)
            processed += len(batch)
            ctx.report(
                processed=processed,
                total=total,
                current_file=batch[-1].path,
                partial_result=tally.result(),
            )

    async def _examine(self, item: FoundFile) -> _Outcome:
        """Probe a file, then fingerprint it (the probe has just read the parts it hashes).

        A file that cannot be fingerprinted is a file error, and is not stored: it
        vanished, changed or cannot be read since it was listed.
        """
        outcome = await self._probe_one(item)
        if outcome.probe is None:
            return outcome
        try:
            fingerprint = await trio.to_thread.run_sync(
                fingerprint_file, item.path, abandon_on_cancel=True
            )
        except FingerprintError as exc:
            return _Outcome(item, None, exc.reason)
        if fingerprint.size != item.size:
            return _Outcome(item, None, CHANGED_SINCE_LISTED)
        return attrs.evolve(outcome, fingerprint=str(fingerprint))

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
                processed += await self._commit(batch, tally, ctx.job_id)
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
                    processed += await self._commit(leftover, tally, ctx.job_id)
                    ctx.report(processed=processed, total=total, partial_result=tally.result())

    async def _commit(self, batch: list[_Outcome], tally: _Tally, job_id: str) -> int:
        probed = [
            ProbedFile(o.file.path, o.file.mtime_ns, o.probe, o.fingerprint)
            for o in batch
            if o.probe
        ]
        if probed:
            # The thread call is not abandoned on cancel: the transaction always
            # completes and these counts are updated before any later checkpoint.
            saved = await self._library.save_probed(probed)
            tally.new += len(saved.added)
            tally.updated += len(saved.updated)
            tally.add_moves(saved.moved)
            # Committed: a client that reads these videos on hearing of them sees the change.
            self._events.added(saved.added, job_id=job_id)
            self._events.updated(saved.updated, job_id=job_id)
            self._events.moved(saved.moved, job_id=job_id)
        else:
            await trio.lowlevel.checkpoint()
        for outcome in batch:
            if outcome.error is not None:
                tally.add_error(outcome.file.path, outcome.error)
        return len(batch)


def _inside(folder: str, paths: Iterable[str]) -> list[str]:
    """``paths`` normalised, without those outside ``folder``."""
    normal = (os.path.normpath(p) for p in paths)
    return [p for p in normal if os.path.isabs(p) and is_within(p, folder)]


def _drain(receive: trio.MemoryReceiveChannel[_Outcome]) -> list[_Outcome]:
    items: list[_Outcome] = []
    while True:
        try:
            items.append(receive.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return items
