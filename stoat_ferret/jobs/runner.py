"""The job runner: every job in its own task, under its own cancel scope.

The runner's nursery lives as long as the service. A submitted job gets a task
in that nursery at once, holding a cancel scope that only the runner touches.
The task waits ``pending`` for one of ``max_running`` slots, then runs the job
body under a per-kind timeout. Cancelling a job is ``scope.cancel()``: a pending
job leaves the queue without ever starting; a running one has every child
process it spawned killed and reaped by ``trio.run_process`` before it ends.

A job's terminal state is decided synchronously, in one place
(:meth:`JobRunner._settle`), and never changed afterwards: a cancel that arrives
after the body returned finds the job already terminal and loses cleanly.

The runner knows nothing of events: it reports every snapshot that matters to one
:class:`~stoat_ferret.jobs.models.JobSink`, which turns them into what clients see.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio

from ..excgroups import first_leaf
from ..library.store import Library
from ..metrics import Metrics
from ..protocol import JobStatus
from ..timestamps import utc_now
from .errors import JobAlreadyTerminal, JobNotFound, RunnerClosed, TooManyJobs
from .models import JobChange, JobSink, JobSnapshot
from .results import JobResult

log = logging.getLogger(__name__)

JobBody = Callable[["JobContext"], Awaitable[JobResult | None]]

#: Seconds between progress events for one job (the last one is always sent).
PROGRESS_EVENT_INTERVAL = 0.1
#: Seconds between writes of a running job's progress to the history table.
PROGRESS_SAVE_INTERVAL = 1.0
#: Seconds a job's final state may take to be written before it is given up on.
FINAL_SAVE_TIMEOUT = 10.0


@attrs.frozen(kw_only=True)
class JobSpec:
    """What kind of job to run and how."""

    kind: str
    body: JobBody
    timeout: float
    params: dict[str, Any]
    #: Called (synchronously) once the job is terminal, whatever the outcome.
    on_finish: Callable[[JobSnapshot], None] | None = None


@attrs.define(eq=False)
class _Job:
    spec: JobSpec
    snapshot: JobSnapshot
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    done: trio.Event = attrs.field(factory=trio.Event)
    stop_reason: JobStatus | None = None
    partial_result: JobResult | None = None
    last_progress_event: float = -math.inf
    #: Progress changed since the last job_progress event (held back by the rate limit).
    progress_unsent: bool = False
    #: Progress changed since the history row was last written.
    progress_dirty: bool = False
    #: Terminal, but the final state is not stored yet: kept live (and served from
    #: memory) until a retry stores it.
    final_unsaved: bool = False


@attrs.define(eq=False)
class JobContext:
    """What a job body sees of its job: its id, its parameters, and a progress reporter."""

    _runner: JobRunner
    _job: _Job

    @property
    def job_id(self) -> str:
        return self._job.snapshot.job_id

    @property
    def params(self) -> dict[str, Any]:
        return self._job.spec.params

    def report(
        self,
        *,
        processed: int,
        total: int | None,
        current_file: str | None = None,
        partial_result: JobResult | None = None,
    ) -> None:
        """Record progress. Never waits; events are rate-limited, and progress never drops."""
        self._runner._report(self._job, processed, total, current_file, partial_result)


class JobRunner:
    """Submit, inspect and cancel jobs. Create with :func:`open_job_runner`."""

    def __init__(
        self,
        nursery: trio.Nursery,
        library: Library,
        sink: JobSink,
        metrics: Metrics,
        *,
        max_running: int,
        cancel_wait: float,
        max_pending: int = 100,
    ) -> None:
        self._nursery = nursery
        self._max_pending = max_pending
        self._library = library
        self._sink = sink
        self._slots = trio.Semaphore(max_running)
        self._cancel_wait = cancel_wait
        self._live: dict[str, _Job] = {}
        self._closed = False
        self._progress_held = trio.Event()
        self._finished = metrics.counter(
            "stoat_jobs_finished_total", "Jobs that reached a final state.", ("kind", "status")
        )
        self._durations = metrics.summary(
            "stoat_job_duration_seconds", "Wall time of jobs that ran.", ("kind",)
        )
        metrics.gauge(
            "stoat_jobs_running",
            "Jobs running now.",
            lambda: sum(j.snapshot.status is JobStatus.RUNNING for j in self._live.values()),
        )
        metrics.gauge(
            "stoat_jobs_pending",
            "Jobs waiting for a slot.",
            lambda: sum(j.snapshot.status is JobStatus.PENDING for j in self._live.values()),
        )

    @property
    def live_count(self) -> int:
        """Jobs not yet terminal, or terminal with their final state not yet stored."""
        return len(self._live)

    # -- public API ------------------------------------------------------------------------

    async def submit(self, spec: JobSpec, *, job_id: str | None = None) -> JobSnapshot:
        """Record a new job as ``pending`` and queue it; return its first snapshot.

        ``job_id`` lets a caller that must name the job before it exists (to reserve
        something under that id) choose it; by default a new one is made.
        """
        if self._closed:
            raise RunnerClosed("the server is shutting down")
        pending = sum(j.snapshot.status is JobStatus.PENDING for j in self._live.values())
        if pending >= self._max_pending:
            raise TooManyJobs(
                f"{pending} jobs are already waiting to run, the most allowed "
                "(STOAT_MAX_PENDING_JOBS); try again once some have run"
            )
        if job_id is not None and job_id in self._live:
            raise ValueError(f"job id {job_id!r} is already in use")
        job = _Job(
            spec=spec,
            snapshot=JobSnapshot(
                job_id=job_id or new_job_id(),
                kind=spec.kind,
                status=JobStatus.PENDING,
                params=spec.params,
                created_at=utc_now(),
            ),
        )
        self._live[job.snapshot.job_id] = job
        try:
            await self._persist(job)
        except BaseException:
            # Cancelled (or failed) before the job was stored: it never existed.
            del self._live[job.snapshot.job_id]
            raise
        self._publish_status(job)
        self._nursery.start_soon(self._run, job, name=f"job {spec.kind} {job.snapshot.job_id}")
        return job.snapshot

    def live_snapshot(self, job_id: str) -> JobSnapshot | None:
        """The in-memory state of a job that is not yet finished, if it is one."""
        job = self._live.get(job_id)
        return job.snapshot if job is not None else None

    async def list_jobs(
        self,
        *,
        limit: int,
        offset: int,
        status: JobStatus | None = None,
        kind: str | None = None,
        id_prefix: str | None = None,
    ) -> tuple[list[JobSnapshot], int]:
        """Job history, newest first, with each job that is still live as it stands now.

        A live job's history row lags its progress by up to a second; the snapshot in
        memory does not. ``status``, ``kind`` and ``id_prefix`` filter on the stored rows.
        """
        stored, total = await self._library.list_jobs(
            limit=limit, offset=offset, status=status, kind=kind, id_prefix=id_prefix
        )
        return [self.live_snapshot(job.job_id) or job for job in stored], total

    async def get(self, job_id: str) -> JobSnapshot:
        job = self._live.get(job_id)
        if job is not None:
            await trio.lowlevel.checkpoint()
            return job.snapshot
        stored = await self._library.get_job(job_id)
        if stored is None:
            raise JobNotFound(job_id)
        return stored

    async def cancel(self, job_id: str) -> tuple[JobSnapshot, bool]:
        """Cancel a job and wait (boundedly) for it to end.

        Returns the job and whether it has reached ``cancelled`` yet. Raises
        :class:`JobNotFound`, or :class:`JobAlreadyTerminal` when the job had
        finished before the cancel could take effect.
        """
        job = self._live.get(job_id)
        if job is None or job.snapshot.status.terminal:
            raise JobAlreadyTerminal(await self.get(job_id))
        if job.stop_reason is None:
            job.stop_reason = JobStatus.CANCELLED
        job.scope.cancel()
        with trio.move_on_after(self._cancel_wait):
            await job.done.wait()
        snapshot = job.snapshot
        if snapshot.status.terminal and snapshot.status is not JobStatus.CANCELLED:
            raise JobAlreadyTerminal(snapshot)
        return snapshot, snapshot.status.terminal

    async def wait(self, job_id: str) -> JobSnapshot:
        """Wait until the job is terminal and its final state is stored."""
        job = self._live.get(job_id)
        if job is not None:
            await job.done.wait()
            return job.snapshot
        return await self.get(job_id)

    # -- internals -------------------------------------------------------------------------

    async def _run(self, job: _Job) -> None:
        spec = job.spec
        status: JobStatus | None = None
        result: JobResult | None = None
        error: str | None = None
        try:
            with job.scope:
                async with self._slots:
                    self._update(job, status=JobStatus.RUNNING, started_at=utc_now())
                    await self._persist(job)
                    self._publish_status(job)
                    with trio.move_on_after(spec.timeout) as timeout_scope:
                        result = await spec.body(JobContext(self, job))
                        status = JobStatus.COMPLETE
                    if timeout_scope.cancelled_caught:
                        status = JobStatus.TIMEOUT
                        error = f"the job ran longer than its limit of {spec.timeout:g}s"
            if job.scope.cancelled_caught:
                status = job.stop_reason or JobStatus.CANCELLED
        except Exception as exc:
            log.exception("job %s (%s) failed", job.snapshot.job_id, spec.kind)
            status, error = JobStatus.FAILED, _describe(exc)
        finally:
            if status is None:
                # Only reachable when the runner itself is being torn down.
                status = JobStatus.INTERRUPTED
            with trio.CancelScope(shield=True):
                await self._finish(job, status, result, error)

    def _settle(
        self,
        job: _Job,
        status: JobStatus,
        result: JobResult | None,
        error: str | None,
    ) -> bool:
        """Decide the job's terminal state, once. Returns False if it was decided already."""
        if job.snapshot.status.terminal:
            return False
        changes: dict[str, Any] = {
            "status": status,
            "finished_at": utc_now(),
            "result": result if status is JobStatus.COMPLETE else job.partial_result,
            "error": error,
        }
        if status is JobStatus.COMPLETE:
            changes["progress"] = 1.0
        if status is JobStatus.CANCELLED:
            changes["error"] = "cancelled on request"
        elif status is JobStatus.INTERRUPTED:
            changes["error"] = "the server stopped before the job finished"
        self._update(job, **changes)
        return True

    async def _finish(
        self,
        job: _Job,
        status: JobStatus,
        result: JobResult | None,
        error: str | None,
    ) -> None:
        if self._settle(job, status, result, error):
            snapshot = job.snapshot
            self._finished.labels(kind=snapshot.kind, status=str(status)).inc()
            if snapshot.started_at is not None and snapshot.finished_at is not None:
                elapsed = (snapshot.finished_at - snapshot.started_at).total_seconds()
                self._durations.labels(kind=snapshot.kind).observe(max(elapsed, 0.0))
            stored = False
            with trio.move_on_after(FINAL_SAVE_TIMEOUT):
                stored = await self._try_persist(job)
            if not stored:
                log.error(
                    "job %s ended %s but could not be stored yet; retrying every %gs",
                    snapshot.job_id,
                    status,
                    PROGRESS_SAVE_INTERVAL,
                )
                job.final_unsaved = True
            if snapshot.started_at is not None:
                self._publish_progress(job, force=True)
            self._publish_status(job)
            if job.spec.on_finish is not None:
                job.spec.on_finish(snapshot)
        else:
            await trio.lowlevel.checkpoint()
        if not job.final_unsaved:
            self._live.pop(job.snapshot.job_id, None)
        job.done.set()

    def _update(self, job: _Job, **changes: Any) -> None:
        job.snapshot = attrs.evolve(job.snapshot, **changes)

    async def _persist(self, job: _Job) -> None:
        job.progress_dirty = False
        await self._library.save_job(job.snapshot)

    async def _try_persist(self, job: _Job) -> bool:
        """Store the job's snapshot; on a database error, log it and say so."""
        try:
            await self._persist(job)
        except Exception:
            log.exception("cannot store job %s", job.snapshot.job_id)
            job.progress_dirty = True
            await trio.lowlevel.checkpoint()
            return False
        return True

    def _publish_status(self, job: _Job) -> None:
        self._sink.job_changed(job.snapshot, JobChange.STATUS)

    def _publish_progress(self, job: _Job, *, force: bool = False) -> None:
        now = trio.current_time()
        if not force and now - job.last_progress_event < PROGRESS_EVENT_INTERVAL:
            # Held back, not dropped: _send_held_progress_forever sends it shortly.
            job.progress_unsent = True
            self._progress_held.set()
            return
        job.last_progress_event = now
        job.progress_unsent = False
        self._sink.job_changed(job.snapshot, JobChange.PROGRESS)

    def _report(
        self,
        job: _Job,
        processed: int,
        total: int | None,
        current_file: str | None,
        partial_result: JobResult | None,
    ) -> None:
        s = job.snapshot
        if s.status is not JobStatus.RUNNING:
            return
        progress = s.progress
        if total is not None and total > 0:
            progress = max(progress or 0.0, min(processed / total, 1.0))
        elif total == 0:
            progress = max(progress or 0.0, 0.0)
        self._update(
            job,
            processed=max(processed, s.processed),
            total=total,
            current_file=current_file if current_file is not None else s.current_file,
            progress=progress,
        )
        if partial_result is not None:
            job.partial_result = partial_result
        job.progress_dirty = True
        self._publish_progress(job, force=total is not None and processed >= total)

    async def _send_held_progress_forever(self) -> None:
        """Send progress the rate limit held back, so the latest state always goes out."""
        while True:
            await self._progress_held.wait()
            self._progress_held = trio.Event()
            await trio.sleep(PROGRESS_EVENT_INTERVAL)
            for job in list(self._live.values()):
                if job.progress_unsent and job.snapshot.status is JobStatus.RUNNING:
                    self._publish_progress(job, force=True)

    async def _save_progress_forever(self) -> None:
        """Once a second: store running jobs' progress, and final states not yet stored."""
        while True:
            await trio.sleep(PROGRESS_SAVE_INTERVAL)
            for job in list(self._live.values()):
                if job.final_unsaved:
                    if await self._try_persist(job):
                        job.final_unsaved = False
                        self._live.pop(job.snapshot.job_id, None)
                elif job.progress_dirty and not job.snapshot.status.terminal:
                    await self._try_persist(job)

    async def shutdown(self, grace: float) -> None:
        """Stop taking jobs, end the live ones as ``interrupted``, wait up to ``grace``."""
        self._closed = True
        await trio.lowlevel.checkpoint()
        jobs = list(self._live.values())
        for job in jobs:
            if job.stop_reason is None:
                job.stop_reason = JobStatus.INTERRUPTED
            job.scope.cancel()
        with trio.move_on_after(grace):
            await _all_done(jobs)


async def _all_done(jobs: list[_Job]) -> None:
    for job in jobs:
        await job.done.wait()
    await trio.lowlevel.checkpoint()


def new_job_id() -> str:
    return uuid.uuid4().hex


def _describe(exc: BaseException) -> str:
    """A one-line message for a failed job: the first leaf of an exception group."""
    leaf = first_leaf(exc)
    return str(leaf) or type(leaf).__name__


@asynccontextmanager
async def open_job_runner(
    library: Library,
    sink: JobSink,
    metrics: Metrics,
    *,
    max_running: int,
    cancel_wait: float,
    shutdown_grace: float,
    max_pending: int = 100,
) -> AsyncIterator[JobRunner]:
    """Run jobs for the lifetime of the block.

    On entry, jobs a previous process left ``pending`` or ``running`` are marked
    ``interrupted``. On exit, live jobs are cancelled and recorded as
    ``interrupted``, given ``shutdown_grace`` seconds to wind down, then abandoned.
    At most ``max_pending`` jobs wait at once; :meth:`JobRunner.submit` refuses more
    with :class:`TooManyJobs`.
    """
    interrupted = await library.interrupt_unfinished()
    if interrupted:
        log.warning(
            "marked %d job(s) left unfinished by a previous run as interrupted", interrupted
        )
    async with trio.open_nursery() as nursery:
        runner = JobRunner(
            nursery,
            library,
            sink,
            metrics,
            max_running=max_running,
            cancel_wait=cancel_wait,
            max_pending=max_pending,
        )
        nursery.start_soon(runner._save_progress_forever)
        nursery.start_soon(runner._send_held_progress_forever)
        try:
            yield runner
        finally:
            with trio.CancelScope(shield=True):
                await runner.shutdown(shutdown_grace)
            nursery.cancel_scope.cancel()
