"""The job-event sink and the payloads: what each job change becomes on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from stoat_ferret.events.hub import Event, EventHub
from stoat_ferret.events.jobs import JobEvents
from stoat_ferret.events.payloads import (
    Heartbeat,
    JobProgress,
    ResyncRequired,
    ThumbnailReady,
)
from stoat_ferret.jobs.models import JobChange, JobSnapshot
from stoat_ferret.jobs.results import CappedErrors, FileError, ScanResult, ThumbnailResult
from stoat_ferret.protocol import EventType, JobKind, JobStatus
from stoat_ferret.timestamps import parse_timestamp

CREATED = parse_timestamp("2026-11-21T16:33:49.066Z")
SCAN_PARAMS = {"path": "/srv/media", "recursive": True, "force": False}


def snapshot(kind: str, status: JobStatus, **fields: Any) -> JobSnapshot:
    params = SCAN_PARAMS if kind == JobKind.SCAN else {"video_ids": None, "force": False}
    return JobSnapshot(
        job_id="j1", kind=kind, status=status, params=params, created_at=CREATED, **fields
    )


def published(change: JobChange, job: JobSnapshot) -> list[Event]:
    hub = EventHub(replay_size=10, client_buffer=10)
    JobEvents(hub).job_changed(job, change)
    return list(hub.history())


def test_a_scan_starting_is_its_status_then_scan_started() -> None:
    """A scan's running status is followed by the original API's scan_started."""
    job = snapshot(JobKind.SCAN, JobStatus.RUNNING, started_at=CREATED)
    events = published(JobChange.STATUS, job)
    assert [(e.type, e.correlation_id) for e in events] == [
        (EventType.JOB_STATUS, "j1"),
        (EventType.SCAN_STARTED, "j1"),
    ]
    assert events[0].payload == job.to_wire()
    assert events[1].payload == {"job_id": "j1", **SCAN_PARAMS}


def test_a_scan_ending_is_its_status_then_scan_completed() -> None:
    """A scan's final status is followed by scan_completed with its result in wire form."""
    result = ScanResult(
        scanned=2,
        new=1,
        moved=1,
        ignored={".txt": 2},
        errors=CappedErrors((FileError("/a", "bad"),), 1),
    )
    job = snapshot(JobKind.SCAN, JobStatus.CANCELLED, result=result, error="cancelled on request")
    events = published(JobChange.STATUS, job)
    assert [e.type for e in events] == [EventType.JOB_STATUS, EventType.SCAN_COMPLETED]
    assert events[1].payload == {
        "job_id": "j1",
        **SCAN_PARAMS,
        "status": "cancelled",
        "result": {
            "scanned": 2,
            "new": 1,
            "updated": 0,
            "skipped": 0,
            "unchanged": 0,
            "missing": 0,
            "reappeared": 0,
            "moved": 1,
            "ignored": {".txt": 2},
            "error_count": 1,
            "errors": [{"path": "/a", "error": "bad"}],
        },
        "error": "cancelled on request",
    }


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.COMPLETE])
def test_other_kinds_send_only_their_status(status: JobStatus) -> None:
    """A thumbnails job's changes are job_status events only, never the scan pair."""
    job = snapshot(JobKind.THUMBNAILS, status, result=ThumbnailResult(total=1, made=1))
    assert [e.type for e in published(JobChange.STATUS, job)] == [EventType.JOB_STATUS]


def test_progress_is_one_job_progress_event() -> None:
    """A progress change is one job_progress event with the counts the protocol names."""
    job = snapshot(
        JobKind.SCAN,
        JobStatus.RUNNING,
        progress=0.25,
        processed=1,
        total=4,
        current_file="/srv/media/a.mp4",
    )
    [event] = published(JobChange.PROGRESS, job)
    assert event.type == EventType.JOB_PROGRESS
    assert event.payload == {
        "job_id": "j1",
        "kind": "scan",
        "status": "running",
        "progress": 0.25,
        "processed": 1,
        "total": 4,
        "current_file": "/srv/media/a.mp4",
    }
    assert JobProgress.of(job).to_wire() == event.payload


@pytest.mark.parametrize(
    ("payload", "event_type", "wire"),
    [
        (
            ThumbnailReady(video_id="v", job_id="j"),
            EventType.THUMBNAIL_READY,
            {"video_id": "v", "job_id": "j", "thumbnail": True, "strip_frames": None},
        ),
        (
            ThumbnailReady(video_id="v", job_id="j", thumbnail=False, strip_frames=16),
            EventType.THUMBNAIL_READY,
            {"video_id": "v", "job_id": "j", "thumbnail": False, "strip_frames": 16},
        ),
        (Heartbeat(last_event_id=7), EventType.HEARTBEAT, {"last_event_id": 7}),
        (ResyncRequired(reason="why"), EventType.RESYNC_REQUIRED, {"reason": "why"}),
    ],
)
def test_each_payload_names_its_type_and_wire_form(
    payload: Any, event_type: EventType, wire: dict[str, Any]
) -> None:
    """A payload carries its event type and gives its JSON object."""
    assert (payload.event_type, payload.to_wire()) == (event_type, wire)


def test_the_envelope_writes_the_timestamp_with_a_z() -> None:
    """Event.to_json writes the type as its wire word and the time as ISO 8601 with a Z."""
    hub = EventHub(replay_size=10, client_buffer=10)
    event = hub.publish(Heartbeat(last_event_id=1))
    text = event.to_json()
    assert '"type":"heartbeat"' in text
    assert f'"timestamp":"{event.timestamp.isoformat(timespec="milliseconds")[:-6]}Z"' in text
    assert event.to_json() is text  # encoded once, for every subscriber
