"""Background jobs: states and snapshots here; the runner in :mod:`.runner`."""

from .models import TERMINAL_STATUSES, JobKind, JobSnapshot, JobStatus

__all__ = ["TERMINAL_STATUSES", "JobKind", "JobSnapshot", "JobStatus"]
