"""The job runner's refusals. Pure: they carry their error code and HTTP status."""

from __future__ import annotations

from ..errors import ServiceError
from ..protocol import ErrorCode
from .models import JobSnapshot


class JobNotFound(ServiceError):
    """No job has this id, live or in the history."""

    code = ErrorCode.NOT_FOUND
    http_status = 404

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class JobAlreadyTerminal(ServiceError):
    """A cancel came for a job that had already reached its final state."""

    code = ErrorCode.ALREADY_TERMINAL
    http_status = 409

    def __init__(self, job: JobSnapshot) -> None:
        super().__init__(
            f"job {job.job_id} has already finished as {job.status}",
            job_id=job.job_id,
            status=str(job.status),
        )
        self.job = job


class RunnerClosed(ServiceError):
    """The runner is shutting down and takes no new jobs."""

    code = ErrorCode.SHUTTING_DOWN
    http_status = 503


class TooManyJobs(ServiceError):
    """As many jobs as allowed are already waiting to run."""

    code = ErrorCode.TOO_MANY_JOBS
    http_status = 429
