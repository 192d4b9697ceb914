"""The words server and clients share: job statuses, job kinds and event types.

The single source of truth for every status string and event type on the wire.
The server, the Python client and the web page all take them from here (the page
through ``GET /api/v1/protocol``), so none can spell one differently. Pure: it
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
    #: Sent instead of events the client can no longer be given; not numbered.
    RESYNC_REQUIRED = "resync_required"
