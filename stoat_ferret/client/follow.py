"""Following one job: its snapshots as they change, from events, until it ends.

:func:`apply_event` is pure: the job as it stands after an event, never going back
(a stale status or an old progress count is left out). :class:`JobUpdates` is the
iterator :meth:`Client.follow <stoat_ferret.client.Client.follow>` gives: a class
rather than an async generator, so it holds no suspended frame inside the event
stream's nursery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import trio

from ..protocol import EventType, JobStatus
from .errors import ProtocolError
from .events import EventStream
from .models import Event, Job


def _rank(status: JobStatus) -> int:
    """Where a status stands in a job's life: statuses only ever move up."""
    if status.terminal:
        return 2
    return 1 if status is JobStatus.RUNNING else 0


def apply_event(job: Job, event: Event) -> Job:
    """``job`` as it stands after ``event``: the same object if the event changes nothing.

    A ``job_status`` event carries the whole job and replaces it, unless it is older
    than what is known (an earlier status, or fewer files processed, whose counts are
    then kept). A ``job_progress`` event updates the counts if they moved forward.
    Events of other jobs and of other types change nothing. A terminal job never changes.
    """
    if job.terminal or event.job_id != job.job_id:
        return job
    if event.type == EventType.JOB_STATUS:
        return _with_status(job, Job.from_json(event.payload))
    if event.type == EventType.JOB_PROGRESS:
        return _with_progress(job, event.payload)
    return job


def _with_status(job: Job, reported: Job) -> Job:
    if reported.terminal:
        return reported
    if _rank(reported.status) < _rank(job.status):
        return job
    if reported.processed < job.processed:
        return attrs.evolve(
            reported,
            progress=job.progress,
            processed=job.processed,
            total=job.total,
            current_file=job.current_file,
        )
    return reported


def _with_progress(job: Job, payload: Mapping[str, Any]) -> Job:
    processed = payload.get("processed")
    progress = payload.get("progress")
    total = payload.get("total")
    current_file = payload.get("current_file")
    well_formed = (
        _is_int(processed)
        and (progress is None or _is_int(progress) or isinstance(progress, float))
        and (total is None or _is_int(total))
        and (current_file is None or isinstance(current_file, str))
    )
    if not well_formed:
        raise ProtocolError(f"malformed job_progress event: {dict(payload)!r:.200}")
    assert isinstance(processed, int)
    if processed < job.processed:
        return job
    if progress is not None and job.progress is not None and progress < job.progress:
        return job
    updated = attrs.evolve(
        job,
        progress=None if progress is None else float(progress),
        processed=processed,
        total=total,
        current_file=current_file,
    )
    return job if updated == job else updated


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.define(eq=False)
class JobUpdates:
    """``async for job in updates``: the job each time it changes, ending at its final state.

    The first snapshot is the job as read over HTTP once the event stream was live;
    each later one follows an event that changed it. After a ``resync_required`` the
    job is read again over HTTP, which then stands as the truth. The last snapshot
    is terminal, and iteration stops after it. :attr:`job` is the latest snapshot.
    """

    _fetch: Callable[[str], Awaitable[Job]]
    _stream: EventStream
    #: The job as it stood at the latest snapshot handed out (or about to be, at first).
    job: Job
    #: How many times the job was read again after a ``resync_required``.
    resyncs: int = 0
    _started: bool = False
    _done: bool = False

    @property
    def reconnects(self) -> int:
        """How many times the event stream re-established its connection."""
        return self._stream.reconnects

    def __aiter__(self) -> JobUpdates:
        return self

    async def __anext__(self) -> Job:
        if self._done:
            await trio.lowlevel.checkpoint()
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            self._done = self.job.terminal
            await trio.lowlevel.checkpoint()
            return self.job
        while True:
            try:
                event = await self._stream.__anext__()
            except StopAsyncIteration:
                raise ProtocolError("the event stream ended before the job did") from None
            if event.resync_required:
                self.resyncs += 1
                updated = await self._fetch(self.job.job_id)
            else:
                updated = apply_event(self.job, event)
            if updated != self.job:
                self.job = updated
                self._done = updated.terminal
                return updated
