"""Job events: the runner's sink, turning each job snapshot it reports into events."""

from __future__ import annotations

from ..jobs.models import JobChange, JobSnapshot
from ..protocol import JobKind, JobStatus
from .hub import EventHub
from .payloads import JobProgress, JobStatusChanged, ScanCompleted, ScanStarted


class JobEvents:
    """Publishes a job's changes on the hub, as the events the protocol defines for them.

    Every state change is a ``job_status`` event and every progress report a
    ``job_progress`` one. Scans also keep the original API's pair: ``scan_started``
    right after their ``running`` status, ``scan_completed`` right after their final one.
    """

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    def job_changed(self, job: JobSnapshot, change: JobChange) -> None:
        publish = self._hub.publish
        if change is JobChange.PROGRESS:
            publish(JobProgress.of(job), correlation_id=job.job_id)
            return
        publish(JobStatusChanged(job), correlation_id=job.job_id)
        if job.kind == JobKind.SCAN:
            if job.status is JobStatus.RUNNING:
                publish(ScanStarted.of(job), correlation_id=job.job_id)
            elif job.status.terminal:
                publish(ScanCompleted.of(job), correlation_id=job.job_id)
