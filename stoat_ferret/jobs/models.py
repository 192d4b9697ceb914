"""Job states and snapshots: the single source of truth for status strings."""

from __future__ import annotations

import enum
from typing import Any

import attrs


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


@attrs.frozen(kw_only=True)
class JobSnapshot:
    """A job as it stands at one moment: what the API returns and the history keeps."""

    job_id: str
    kind: str
    status: JobStatus
    params: dict[str, Any]
    progress: float | None = None
    processed: int = 0
    total: int | None = None
    current_file: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=False)
        data["status"] = str(self.status)
        return data
