"""Watched folders as a part of the service: one owner for every watcher.

:class:`Watches` keeps the watched folders (stored in the library, so they come back at
each start, with those of ``STOAT_WATCH_ROOTS`` added), runs one
:class:`~.watcher.FolderWatcher` per folder in a nursery of its own, each under a cancel
scope of its own (removing a watch stops exactly its watcher), and turns the batches a
watcher sends into ``watch`` jobs:

- a job applies its folder's changes through the scan pipeline
  (:meth:`~stoat_ferret.scan.job.Scanner.scan_targets`): files gone marked missing, then
  new and changed files probed, folders to rescan scanned in full;
- batches are gathered: while a folder's job has not started applying its changes (it is
  pending, or waiting for a scan of an overlapping folder to end), further batches join
  it instead of queueing more jobs. A card offload is a handful of jobs, each file in one;
- every watch starts with a full rescan of its folder (when added, and at each start of
  the server), which finds what changed while it was not watched.

With ``STOAT_RESCAN_INTERVAL`` set, every watched folder is also scanned at that interval
(a ``scan`` job, skipped while one of it is pending or running).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from functools import partial

import attrs
import trio

from ..errors import ServiceError
from ..events.hub import EventHub
from ..events.payloads import WatchStatusChanged
from ..jobs.errors import JobAlreadyTerminal, JobNotFound, RunnerClosed
from ..jobs.models import JobSnapshot
from ..jobs.results import ScanResult
from ..jobs.runner import JobContext, JobRunner, JobSpec
from ..library.models import WatchRecord
from ..library.store import Library
from ..protocol import JobKind, WatchChange, WatchState
from ..resume import RESUMED_FROM
from ..scan.areas import overlap
from ..scan.errors import ScanConflict
from ..scan.job import Scanner, ScanTargets
from ..scan.paths import resolve_scan_path
from ..settings import Settings
from ..timestamps import utc_now
from .errors import WatchNotFound, WatchOverlap
from .models import Watch, WatchBatch, WatchStatus
from .watcher import FolderWatcher

log = logging.getLogger(__name__)

#: Batches a watcher may send ahead of the job that gathers them.
BATCH_BUFFER = 16
#: Seconds between tries to queue a watch job while the queue is full (or the library
#: cannot be written); meanwhile further batches wait in the watcher's channel.
SUBMIT_RETRY = 1.0
#: Seconds adding a watch waits for its folder's first look, to answer with its state.
FIRST_LOOK_WAIT = 10.0
#: The reason shown for a watch whose folder has not been looked at yet.
NOT_LOOKED_AT = "the folder has not been looked at yet"
#: Seconds removing a watch waits for its watcher to stop.
STOP_WAIT = 10.0


@attrs.define(eq=False)
class _Changes:
    """A folder's changes gathered for one job, until that job takes them to apply."""

    files: set[str] = attrs.field(factory=set)
    gone: set[str] = attrs.field(factory=set)
    gone_dirs: set[str] = attrs.field(factory=set)
    folders: set[str] = attrs.field(factory=set)
    #: The job that will apply them, once queued.
    job_id: str | None = None
    #: The job has taken them: later batches go to another job.
    taken: bool = False

    def merge(self, batch: WatchBatch) -> None:
        """Add a later batch: what it says about a path replaces what was gathered."""
        self.gone_dirs.update(batch.deleted_dirs)
        for path in batch.deleted:
            self.files.discard(path)
            self.gone.add(path)
        for path in batch.settled:
            self.gone.discard(path)
            self.files.add(path)
        self.folders.update(batch.rescan)

    def take(self) -> ScanTargets:
        self.taken = True
        return ScanTargets(
            files=tuple(sorted(self.files)),
            gone=tuple(sorted(self.gone)),
            gone_dirs=tuple(sorted(self.gone_dirs)),
            folders=tuple(sorted(self.folders)),
        )


@attrs.define(eq=False)
class _Live:
    """One watched folder while the service runs."""

    record: WatchRecord
    status: WatchStatus
    #: Announced with an ``added`` event (or there from the start): changes are published.
    announced: bool
    #: The job that takes over an interrupted one's work; given to its first job.
    resumed_from: str | None = None
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    #: Set once the folder has been looked at (or its watching ended).
    looked: trio.Event = attrs.field(factory=trio.Event)
    #: Set once its watching has ended.
    done: trio.Event = attrs.field(factory=trio.Event)
    #: Being removed: no more jobs, and a second removal finds nothing.
    removing: bool = False
    #: Changes gathered for a job that has not taken them yet.
    changes: _Changes | None = None
    #: Its jobs that have not ended.
    jobs: set[str] = attrs.field(factory=set)

    def view(self) -> Watch:
        return Watch.of(self.record, self.status)


class Watches:
    """The watched folders: add, list, remove; their watchers and jobs.

    Create it, then ``await nursery.start(watches.run)``; :meth:`stop` ends it.
    ``resume``: watch id -> the id of its job a stop interrupted, which its first job
    (the rescan every watch starts with) takes over.
    """

    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        scanner: Scanner,
        hub: EventHub,
        settings: Settings,
        *,
        resume: Mapping[str, str] | None = None,
    ) -> None:
        self._library = library
        self._runner = runner
        self._scanner = scanner
        self._hub = hub
        self._settings = settings
        self._resume = dict(resume or {})
        self._watches: dict[str, _Live] = {}
        self._nursery: trio.Nursery | None = None
        self._closed = False
        self._stopped = trio.Event()

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> list[Watch]:
        """Every watched folder, oldest first."""
        return [live.view() for live in self._watches.values() if not live.removing]

    def get(self, watch_id: str) -> Watch:
        return self._live(watch_id).view()

    def _live(self, watch_id: str) -> _Live:
        live = self._watches.get(watch_id)
        if live is None or live.removing:
            raise WatchNotFound(watch_id)
        return live

    # -- running ---------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Watch every stored folder and those of ``STOAT_WATCH_ROOTS``, until cancelled.

        Started once the stored watches are loaded and those of the setting added; each
        folder's first look goes on in the background.
        """
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for record in await self._library.list_watches():
                    self._start(self._register(record, announced=True))
                for root in self._settings.watch_roots:
                    await self._add_from_settings(str(root))
                interval = self._settings.rescan_interval
                if interval is not None:
                    nursery.start_soon(self._rescan_forever, interval)
                task_status.started()
                # Watches come and go: the nursery stays open for them until cancelled.
                await trio.sleep_forever()
        finally:
            self._closed = True
            self._stopped.set()

    async def stop(self) -> None:
        """Stop every watcher (their jobs are the runner's to end) and wait for them."""
        self._closed = True
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()
            await self._stopped.wait()
        else:
            await trio.lowlevel.checkpoint()

    # -- adding and removing ---------------------------------------------------------------

    async def add(self, path: str, *, poll: bool = False) -> Watch:
        """Watch the folder ``path`` from now on (and after restarts); the watch as it starts.

        Raises :class:`~stoat_ferret.scan.errors.ScanPathError` for a folder that may not
        or cannot be scanned, :class:`~.errors.WatchOverlap` for one that is watched, or
        lies inside or around a watched folder, and
        :class:`~stoat_ferret.jobs.errors.RunnerClosed` during shutdown.
        """
        resolved = await trio.to_thread.run_sync(
            resolve_scan_path, path, self._scanner.allowed_roots
        )
        live = await self._create(resolved, poll=poll)
        with trio.move_on_after(FIRST_LOOK_WAIT):
            await live.looked.wait()
        return live.view()

    async def _add_from_settings(self, path: str) -> None:
        """Watch a folder of ``STOAT_WATCH_ROOTS``, unless it is watched already.

        One that is not there yet (a drive not mounted) is watched as unavailable until
        it is; one that cannot be watched is logged and passed over.
        """
        try:
            resolved = await trio.to_thread.run_sync(
                partial(resolve_scan_path, path, self._scanner.allowed_roots, must_exist=False)
            )
            if any(live.record.path == resolved for live in self._watches.values()):
                return
            await self._create(resolved, poll=False)
        except ServiceError as exc:
            log.warning("STOAT_WATCH_ROOTS: %s is not watched: %s", path, exc.message)
            await trio.lowlevel.checkpoint()

    async def _create(self, resolved: str, *, poll: bool) -> _Live:
        if self._closed or self._nursery is None:
            raise RunnerClosed("the server is shutting down")
        for other in self._watches.values():
            if overlap(resolved, other.record.path):
                raise WatchOverlap(resolved, other.record.id, other.record.path)
        record = WatchRecord(id=uuid.uuid4().hex, path=resolved, poll=poll, created_at=utc_now())
        # Registered before the first await, so no overlapping add can slip in between.
        live = self._register(record, announced=False)
        try:
            await self._library.add_watch(record)
        except BaseException:
            del self._watches[record.id]
            raise
        self._start(live)
        return live

    async def remove(self, watch_id: str) -> None:
        """Stop watching a folder: its watcher stops, its pending or running job is cancelled.

        What its jobs stored stays in the library.
        """
        live = self._live(watch_id)
        live.removing = True
        try:
            await self._library.remove_watch(watch_id)
        except BaseException:
            live.removing = False
            raise
        del self._watches[watch_id]
        live.scope.cancel()
        # Gone from the library: finish the job even if the request is given up on, so no
        # job of a removed watch runs on. (Each cancel has its own bounded wait.)
        with trio.CancelScope(shield=True):
            for job_id in sorted(live.jobs):
                with contextlib.suppress(JobAlreadyTerminal, JobNotFound):
                    await self._runner.cancel(job_id)
            with trio.move_on_after(STOP_WAIT):
                await live.done.wait()
        if live.announced:
            self._publish(live, WatchChange.REMOVED)

    def _register(self, record: WatchRecord, *, announced: bool) -> _Live:
        live = _Live(
            record,
            WatchStatus(WatchState.UNAVAILABLE, NOT_LOOKED_AT),
            announced,
            resumed_from=self._resume.pop(record.id, None),
        )
        self._watches[record.id] = live
        return live

    def _start(self, live: _Live) -> None:
        assert self._nursery is not None
        self._nursery.start_soon(self._watch, live, name=f"watch {live.record.path}")

    # -- one watched folder ----------------------------------------------------------------

    async def _watch(self, live: _Live) -> None:
        """Watch one folder until its watch is removed or the service stops."""
        await trio.lowlevel.checkpoint()
        send, receive = trio.open_memory_channel[WatchBatch](BATCH_BUFFER)
        settings = self._settings
        watcher = FolderWatcher(
            live.record.path,
            send,
            settle=settings.watch_settle,
            extensions=settings.all_video_extensions,
            poll=live.record.poll or settings.watch_poll,
            poll_interval=settings.watch_poll_interval,
            rescan_on_start=True,
            on_status=partial(self._on_status, live),
        )
        try:
            with live.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._take_batches, live, receive)
                    self._on_status(live, await nursery.start(watcher.run))
                    self._looked(live)
        except Exception as exc:
            # A watcher's failure is its folder's alone: the service and the other
            # watches go on, and the status says what happened.
            log.exception("watching %s failed", live.record.path)
            self._on_status(live, WatchStatus(WatchState.UNAVAILABLE, f"watching failed: {exc}"))
        finally:
            if not live.removing:
                self._looked(live)
            live.looked.set()
            live.done.set()

    def _looked(self, live: _Live) -> None:
        """The folder's first look is done: a new watch is announced, with its state."""
        if not live.announced:
            live.announced = True
            self._publish(live, WatchChange.ADDED)
        live.looked.set()

    def _on_status(self, live: _Live, status: WatchStatus) -> None:
        if status == live.status:
            return
        live.status = status
        self._publish(live, WatchChange.CHANGED)

    async def _take_batches(
        self, live: _Live, receive: trio.MemoryReceiveChannel[WatchBatch]
    ) -> None:
        async with receive:
            async for batch in receive:
                if batch.empty:
                    continue
                self._gather(live, batch)
                if not await self._queue(live):
                    return

    def _gather(self, live: _Live, batch: WatchBatch) -> None:
        if live.changes is None or live.changes.taken:
            live.changes = _Changes()
        live.changes.merge(batch)
        if batch.settled or batch.deleted or batch.deleted_dirs:
            live.record = attrs.evolve(live.record, last_change_at=utc_now())

    async def _queue(self, live: _Live) -> bool:
        """Make sure a job will apply the changes gathered; False once the service stops."""
        changes = live.changes
        assert changes is not None
        while changes.job_id is None and not changes.taken:
            if live.removing:
                await trio.lowlevel.checkpoint()
                return False
            params = {"watch_id": live.record.id, "path": live.record.path}
            if live.resumed_from is not None:
                params[RESUMED_FROM] = live.resumed_from
            spec = JobSpec(
                kind=JobKind.WATCH,
                body=partial(self._apply, live, changes),
                timeout=self._settings.scan_timeout,
                params=params,
                on_finish=partial(self._job_finished, live, changes),
            )
            try:
                job = await self._runner.submit(spec)
            except RunnerClosed:
                await trio.lowlevel.checkpoint()
                return False
            except ServiceError as exc:
                # The queue is full, or the library cannot be written: the changes wait
                # (and gather more) until a job can be queued.
                log.warning("watching %s: cannot queue a job yet: %s", live.record.path, exc)
                await trio.sleep(SUBMIT_RETRY)
                continue
            changes.job_id = job.job_id
            live.jobs.add(job.job_id)
            live.resumed_from = None
            live.record = attrs.evolve(live.record, job_id=job.job_id)
        await self._save(live)
        self._publish(live, WatchChange.CHANGED)
        return True

    # The library call that raised was itself a checkpoint.
    async def _save(self, live: _Live) -> None:  # noqa: ASYNC910
        try:
            await self._library.update_watch(live.record)
        except ServiceError as exc:
            # Only the latest change and job are lost; the watch and its jobs are not.
            log.warning("watching %s: cannot store its latest job: %s", live.record.path, exc)

    async def _apply(self, live: _Live, changes: _Changes, ctx: JobContext) -> ScanResult:
        """The body of a watch job."""
        return await self._scanner.scan_targets(live.record.path, ctx, changes.take)

    def _job_finished(self, live: _Live, changes: _Changes, job: JobSnapshot) -> None:
        live.jobs.discard(job.job_id)
        if live.changes is changes and not changes.taken:
            # Cancelled (or interrupted) before it took its changes: they are dropped,
            # and the next batch starts a new job. A rescan finds what they held.
            live.changes = None

    # -- scheduled rescans -----------------------------------------------------------------

    async def _rescan_forever(self, interval: float) -> None:
        """Scan every watched folder every ``interval`` seconds."""
        while True:
            await trio.sleep(interval)
            for live in list(self._watches.values()):
                if live.removing or live.status.state is WatchState.UNAVAILABLE:
                    # Nothing there to scan; it is rescanned when it comes back.
                    continue
                try:
                    await self._scanner.submit(
                        live.record.path, extra_params={"watch_id": live.record.id}
                    )
                except ScanConflict:
                    log.debug("rescan of %s skipped: a scan of it is under way", live.record.path)
                except RunnerClosed:
                    return
                except ServiceError as exc:
                    log.warning("rescan of %s not started: %s", live.record.path, exc.message)

    # -- events ----------------------------------------------------------------------------

    def _publish(self, live: _Live, change: WatchChange) -> None:
        """Publish a ``watch_status`` event; changes only of an announced watch, not removed."""
        if change is WatchChange.CHANGED and (live.removing or not live.announced):
            return
        self._hub.publish(WatchStatusChanged(watch=live.view(), change=change))
