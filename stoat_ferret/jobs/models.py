"""Job snapshots, and the sink the runner reports them to. Pure values: no I/O here.

The status and kind vocabulary lives in :mod:`stoat_ferret.protocol`; results in
:mod:`stoat_ferret.jobs.results`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Protocol

import attrs

from ..protocol import JobStatus
from ..timestamps import format_timestamp, optional_timestamp
from .results import JobResult


@attrs.frozen(kw_only=True)
class JobSnapshot:
    """A job as it stands at one moment: what the API returns and the history keeps."""

    job_id: str
    #: A :class:`~stoat_ferret.protocol.JobKind` value (or, read from a database a newer
    #: version wrote, a kind this one does not know).
    kind: str
    status: JobStatus
    params: dict[str, Any]
    progress: float | None = None
    processed: int = 0
    total: int | None = None
    current_file: str | None = None
    result: JobResult | None = None
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def to_wire(self) -> dict[str, Any]:
        """The job object of the API and of ``job_status`` events."""
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "status": str(self.status),
            "params": self.params,
            "progress": self.progress,
            "processed": self.processed,
            "total": self.total,
            "current_file": self.current_file,
            "result": None if self.result is None else self.result.to_wire(),
            "error": self.error,
            "created_at": format_timestamp(self.created_at),
            "started_at": optional_timestamp(self.started_at),
            "finished_at": optional_timestamp(self.finished_at),
        }


class JobChange(enum.Enum):
    """What a snapshot handed to a :class:`JobSink` reports."""

    #: The job was created (``pending``), started running, or reached its final state.
    STATUS = "status"
    #: A running job's progress moved (or, once, the last progress of a job that ran).
    PROGRESS = "progress"


class JobSink(Protocol):
    """Where the runner reports every job change. Called synchronously; must not block."""

    def job_changed(self, job: JobSnapshot, change: JobChange) -> None: ...
