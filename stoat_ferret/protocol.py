"""The words server and clients share: job statuses, job kinds and event types.

The single source of truth for every status string and event type on the wire.
The server, the Python client and the web page all take them from here (the page
through ``GET /api/v1/info``), so none can spell one differently. Pure: it
imports nothing but the standard library, so the client can import it without
pulling in any server code.
"""

from __future__ import annotations

import enum


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    #: The job was pending or running when the server stopped.
    INTERRUPTED = "interrupted"

    @property
    def terminal(self) -> bool:
        return self not in (JobStatus.PENDING, JobStatus.RUNNING)


TERMINAL_STATUSES = frozenset(s for s in JobStatus if s.terminal)


class JobKind(enum.StrEnum):
    SCAN = "scan"
    #: Makes thumbnail images with ffmpeg; queued after a scan that found new or changed
    #: videos, or on request.
    THUMBNAILS = "thumbnails"


class EventType(enum.StrEnum):
    #: Sent on an idle connection every ``STOAT_WS_HEARTBEAT_INTERVAL`` seconds; not numbered.
    HEARTBEAT = "heartbeat"
    #: A scan job began running. Payload: ``job_id``, ``path``, ``recursive``, ``force``.
    SCAN_STARTED = "scan_started"
    #: A scan job reached a final state. Payload: ``job_id``, ``path``, ``status``, ``result``.
    SCAN_COMPLETED = "scan_completed"
    #: Any job changed state (created as pending included). Payload: the job.
    JOB_STATUS = "job_status"
    #: A running job made progress. Payload: ``job_id``, ``kind``, ``progress``,
    #: ``processed``, ``total``, ``current_file``. Coalesced for slow clients.
    JOB_PROGRESS = "job_progress"
    #: A video's thumbnail was made. Payload: ``video_id``, ``job_id``.
    THUMBNAIL_READY = "thumbnail_ready"
    #: Sent instead of events the client can no longer be given; not numbered.
    RESYNC_REQUIRED = "resync_required"


def describe() -> dict[str, object]:
    """The vocabulary as JSON, for clients that cannot import this module (the web page)."""
    return {
        "job_statuses": [str(s) for s in JobStatus],
        "job_status_names": {s.name: str(s) for s in JobStatus},
        "terminal_statuses": sorted(str(s) for s in TERMINAL_STATUSES),
        "job_kinds": [str(k) for k in JobKind],
        "job_kind_names": {k.name: str(k) for k in JobKind},
        "event_types": {e.name: str(e) for e in EventType},
    }
