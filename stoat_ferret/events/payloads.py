"""The payload of every event type, as a typed value shaped for the wire. Pure: no I/O here.

Each payload class names its :class:`~stoat_ferret.protocol.EventType`, and its
:meth:`to_wire` gives the JSON object the event carries: what ``/ws`` clients see
under ``payload``. The hub numbers and delivers them; nothing else builds a payload.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import attrs

from ..jobs.models import JobSnapshot
from ..jobs.results import JobResult
from ..library.models import VideoMove
from ..protocol import EventType, JobStatus, WatchChange
from ..watch.models import Watch


class EventPayload(Protocol):
    """What the hub can publish: a payload that knows its event type and its JSON form."""

    @property
    def event_type(self) -> EventType: ...

    def to_wire(self) -> dict[str, Any]: ...


@attrs.frozen
class JobStatusChanged:
    """Any job changed state (created as pending included): the whole job."""

    event_type: ClassVar[EventType] = EventType.JOB_STATUS

    job: JobSnapshot

    def to_wire(self) -> dict[str, Any]:
        return self.job.to_wire()


@attrs.frozen(kw_only=True)
class JobProgress:
    """A running job made progress (and once more when a job that ran ends)."""

    event_type: ClassVar[EventType] = EventType.JOB_PROGRESS

    job_id: str
    kind: str
    status: JobStatus
    progress: float | None
    processed: int
    total: int | None
    current_file: str | None

    @classmethod
    def of(cls, job: JobSnapshot) -> JobProgress:
        return cls(
            job_id=job.job_id,
            kind=job.kind,
            status=job.status,
            progress=job.progress,
            processed=job.processed,
            total=job.total,
            current_file=job.current_file,
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "status": str(self.status),
            "progress": self.progress,
            "processed": self.processed,
            "total": self.total,
            "current_file": self.current_file,
        }


@attrs.frozen(kw_only=True)
class ScanStarted:
    """A scan job began running (the original API's event)."""

    event_type: ClassVar[EventType] = EventType.SCAN_STARTED

    job_id: str
    path: str
    recursive: bool
    force: bool

    @classmethod
    def of(cls, job: JobSnapshot) -> ScanStarted:
        return cls(job_id=job.job_id, **_scan_params(job))

    def to_wire(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "path": self.path,
            "recursive": self.recursive,
            "force": self.force,
        }


@attrs.frozen(kw_only=True)
class ScanCompleted:
    """A scan job reached a final state, whichever (the original API's event)."""

    event_type: ClassVar[EventType] = EventType.SCAN_COMPLETED

    job_id: str
    path: str
    recursive: bool
    force: bool
    status: JobStatus
    result: JobResult | None
    error: str | None

    @classmethod
    def of(cls, job: JobSnapshot) -> ScanCompleted:
        return cls(
            job_id=job.job_id,
            **_scan_params(job),
            status=job.status,
            result=job.result,
            error=job.error,
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "path": self.path,
            "recursive": self.recursive,
            "force": self.force,
            "status": str(self.status),
            "result": None if self.result is None else self.result.to_wire(),
            "error": self.error,
        }


def _scan_params(job: JobSnapshot) -> dict[str, Any]:
    params = job.params
    return {
        "path": str(params["path"]),
        "recursive": bool(params["recursive"]),
        "force": bool(params["force"]),
    }


@attrs.frozen(kw_only=True)
class ThumbnailReady:
    """A video's new pictures are in place: its thumbnail, its scrub strip, or both.

    Published once per video, when the job is done with it.
    """

    event_type: ClassVar[EventType] = EventType.THUMBNAIL_READY

    video_id: str
    job_id: str
    #: Whether a new thumbnail was made.
    thumbnail: bool = True
    #: Frames in the new scrub strip; None when no strip was made.
    strip_frames: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "job_id": self.job_id,
            "thumbnail": self.thumbnail,
            "strip_frames": self.strip_frames,
        }


@attrs.frozen(kw_only=True)
class WatchStatusChanged:
    """A watched folder was added or removed, or its state, latest change or job changed."""

    event_type: ClassVar[EventType] = EventType.WATCH_STATUS

    watch: Watch
    change: WatchChange

    def to_wire(self) -> dict[str, Any]:
        return {**self.watch.to_wire(), "change": str(self.change)}


@attrs.frozen(kw_only=True)
class VideoAdded:
    """Videos were added to the library."""

    event_type: ClassVar[EventType] = EventType.VIDEO_ADDED

    video_ids: tuple[str, ...]
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"video_ids": list(self.video_ids), "job_id": self.job_id}


@attrs.frozen(kw_only=True)
class VideoUpdated:
    """Videos were probed again (their files changed, or a scan forced it)."""

    event_type: ClassVar[EventType] = EventType.VIDEO_UPDATED

    video_ids: tuple[str, ...]
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"video_ids": list(self.video_ids), "job_id": self.job_id}


@attrs.frozen(kw_only=True)
class VideoMissing:
    """Videos whose files a scan did not find (``missing``), or found again (not ``missing``)."""

    event_type: ClassVar[EventType] = EventType.VIDEO_MISSING

    video_ids: tuple[str, ...]
    missing: bool
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"video_ids": list(self.video_ids), "missing": self.missing, "job_id": self.job_id}


@attrs.frozen(kw_only=True)
class VideoMoved:
    """Videos found at a new path: the same ids, their paths changed."""

    event_type: ClassVar[EventType] = EventType.VIDEO_MOVED

    moves: tuple[VideoMove, ...]
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"moves": [move.to_wire() for move in self.moves], "job_id": self.job_id}


@attrs.frozen(kw_only=True)
class VideoRemoved:
    """Videos were removed from the library (``job_id`` is None when a request removed them)."""

    event_type: ClassVar[EventType] = EventType.VIDEO_REMOVED

    video_ids: tuple[str, ...]
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"video_ids": list(self.video_ids), "job_id": self.job_id}


@attrs.frozen(kw_only=True)
class Heartbeat:
    """Sent on an idle connection; not part of the numbered stream."""

    event_type: ClassVar[EventType] = EventType.HEARTBEAT

    #: The id of the newest event published so far.
    last_event_id: int

    def to_wire(self) -> dict[str, Any]:
        return {"last_event_id": self.last_event_id}


@attrs.frozen(kw_only=True)
class ResyncRequired:
    """Sent instead of events a client can no longer be given; not numbered."""

    event_type: ClassVar[EventType] = EventType.RESYNC_REQUIRED

    reason: str

    def to_wire(self) -> dict[str, Any]:
        return {"reason": self.reason}
