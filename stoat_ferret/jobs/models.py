"""Job snapshots; the status vocabulary itself lives in :mod:`stoat_ferret.protocol`."""

from __future__ import annotations

from typing import Any

import attrs

from ..protocol import TERMINAL_STATUSES, JobKind, JobStatus

__all__ = ["TERMINAL_STATUSES", "JobKind", "JobSnapshot", "JobStatus"]


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
