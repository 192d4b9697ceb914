"""Event type names: the single source of truth for what ``/ws`` sends."""

from __future__ import annotations

import enum


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
