"""The client's models read from JSON: typed values, tolerance of a growing server, round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import attrs
import pytest

from stoat_ferret.client import (
    ErrorList,
    Event,
    EventType,
    ItemError,
    Job,
    JobKind,
    JobResult,
    JobStatus,
    ProtocolError,
    ScanResult,
    ThumbnailResult,
    Video,
)

CREATED = datetime(2026, 3, 1, 12, tzinfo=UTC)


def video_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "v1",
        "path": "/m/clip.mp4",
        "filename": "clip.mp4",
        "duration_frames": 30,
        "duration_seconds": 1.001,
        "frame_rate_numerator": 30000,
        "frame_rate_denominator": 1001,
        "width": 64,
        "height": 48,
        "video_codec": "h264",
        "audio_codec": "aac",
        "container": "mov,mp4,m4a,3gp,3g2,mj2",
        "file_size": 35500,
        "thumbnail_path": None,
        "missing": False,
        "missing_since": None,
        "created_at": "2026-03-01T12:00:00.123Z",
        "updated_at": "2026-03-01T12:00:00.123Z",
        "probed_at": "2026-03-01T12:00:00.123Z",
    }
    data.update(changes)
    return data


def job_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "job_id": "j1",
        "kind": "scan",
        "status": "complete",
        "params": {"path": "/m", "recursive": True, "force": False},
        "progress": 1.0,
        "processed": 2,
        "total": 2,
        "current_file": "/m/b.mp4",
        "result": {
            "scanned": 2,
            "new": 1,
            "updated": 0,
            "skipped": 1,
            "unchanged": 0,
            "missing": 0,
            "reappeared": 0,
            "error_count": 1,
            "errors": [{"path": "/m/b.mp4", "error": "the file is empty (0 bytes)"}],
        },
        "error": None,
        "created_at": "2026-03-01T12:00:00.000Z",
        "started_at": "2026-03-01T12:00:00.250Z",
        "finished_at": "2026-03-01T12:00:01.500Z",
    }
    data.update(changes)
    return data


def test_a_video_has_datetimes_and_an_exact_frame_rate() -> None:
    """Timestamps become aware UTC datetimes and the frame rate a Fraction."""
    video = Video.from_json(video_json(missing_since="2026-03-02T08:30:00.000+02:00"))
    assert video.created_at == datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert video.created_at.tzinfo is UTC
    assert video.missing_since == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    assert video.frame_rate == Fraction(30000, 1001)


def test_a_video_from_a_newer_server_keeps_what_it_does_not_know() -> None:
    """Unknown fields go to extra (not into equality), and to_json gives the input back."""
    sent = video_json(shot_by="A camera", streams=[{"index": 0}])
    video = Video.from_json(sent)
    assert video.extra == {"shot_by": "A camera", "streams": [{"index": 0}]}
    assert video == Video.from_json(video_json())
    assert video.to_json() == sent


def test_a_video_without_its_optional_fields_reads_them_as_none() -> None:
    """Optional fields the server left out are None (False for missing), and stay out of JSON."""
    sent = video_json()
    for name in ("audio_codec", "container", "thumbnail_path", "missing", "probed_at"):
        del sent[name]
    video = Video.from_json(sent)
    assert (video.audio_codec, video.container, video.thumbnail_path) == (None, None, None)
    assert (video.missing, video.probed_at) == (False, None)
    assert video.to_json() == sent


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (video_json(id=None), "malformed video: id: expected a string, got NoneType"),
        (video_json(width="64"), "malformed video: width: expected an integer, got str"),
        (video_json(width=True), "malformed video: width: expected an integer, got bool"),
        (video_json(created_at="yesterday"), "malformed video: created_at: Invalid isoformat"),
        (video_json(frame_rate_denominator=0), "malformed video: frame rate 30000/0"),
        ({k: v for k, v in video_json().items() if k != "path"}, "it has no 'path'"),
        (["not", "an", "object"], "expected a JSON object for video, got list"),
    ],
)
def test_a_malformed_video_raises_protocol_error(data: Any, complaint: str) -> None:
    """A required field missing or of the wrong type raises ProtocolError saying which."""
    with pytest.raises(ProtocolError, match=complaint):
        Video.from_json(data)


def test_a_scan_job_has_a_typed_result() -> None:
    """A scan's result is a ScanResult whose errors are a capped ErrorList."""
    job = Job.from_json(job_json())
    assert (job.kind, job.status) == (JobKind.SCAN, JobStatus.COMPLETE)
    assert job.result == ScanResult(
        scanned=2,
        new=1,
        skipped=1,
        errors=ErrorList(
            items=(ItemError(path="/m/b.mp4", error="the file is empty (0 bytes)"),), count=1
        ),
    )
    assert job.scan_result is job.result
    assert job.result.error_count == 1
    assert [item.path for item in job.result.errors] == ["/m/b.mp4"]
    assert job.finished_at is not None
    assert job.started_at is not None
    assert (job.finished_at - job.started_at).total_seconds() == 1.25
    assert job.to_json() == job_json()


def test_a_scan_result_reads_counts_a_newer_server_adds() -> None:
    """moved and ignored are read when sent, 0 and {} when not; other new counts land in extra."""
    sent = job_json()["result"] | {"moved": 3, "ignored": {".txt": 5, "": 2}, "renamed": 1}
    result = ScanResult.from_json(sent)
    assert (result.moved, result.ignored, result.extra) == (
        3,
        {".txt": 5, "": 2},
        {"renamed": 1},
    )
    assert result.ignored_count == 7
    assert result.to_json() == sent
    older = ScanResult.from_json(job_json()["result"])
    assert (older.moved, older.ignored, older.ignored_count) == (0, {}, 0)
    assert "moved" not in older.to_json()
    assert "ignored" not in older.to_json()


@pytest.mark.parametrize("ignored", [7, [".txt"], {".txt": "3"}, {".txt": True}])
def test_a_malformed_ignored_count_is_a_protocol_error(ignored: Any) -> None:
    """ignored must be an object of whole numbers by extension."""
    with pytest.raises(ProtocolError, match="ignored"):
        ScanResult.from_json(job_json()["result"] | {"ignored": ignored})


def test_an_error_list_knows_when_it_was_cut() -> None:
    """error_count above the errors kept marks the list truncated."""
    errors = [{"video_id": "v", "path": None, "error": "ffmpeg failed"}]
    result = ThumbnailResult.from_json(
        {"total": 900, "made": 0, "error_count": 900, "errors": errors}
    )
    assert (result.errors.count, len(result.errors.items), result.errors.truncated) == (
        900,
        1,
        True,
    )
    assert result.errors.items[0] == ItemError(video_id="v", path=None, error="ffmpeg failed")
    assert not ScanResult.from_json(job_json()["result"]).errors.truncated


def test_a_job_of_a_kind_the_client_does_not_know_still_reads() -> None:
    """An unknown kind stays a string and its result is a plain JobResult with the extras."""
    sent = job_json(kind="transcode", result={"error_count": 0, "errors": [], "frames": 9})
    job = Job.from_json(sent)
    assert (job.kind, type(job.result)) == ("transcode", JobResult)
    assert job.result is not None
    assert job.result.extra == {"frames": 9}
    assert (job.scan_result, job.thumbnail_result) == (None, None)
    assert job.to_json() == sent


def test_a_running_job_without_a_result_or_times() -> None:
    """A job the server reports without result, error and times reads them as None."""
    sent = {"job_id": "j", "kind": "scan", "status": "pending", "created_at": "2026-03-01T12:00Z"}
    job = Job.from_json(sent)
    assert (job.result, job.progress, job.total, job.started_at, job.processed) == (
        None,
        None,
        None,
        None,
        0,
    )
    assert job.created_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert job.to_json() == sent


def test_changed_and_hand_made_values_are_written_in_the_servers_form() -> None:
    """A field changed since it was read, and every field of a model built by hand, is written
    as the server writes it (timestamps in UTC with milliseconds and Z)."""
    job = Job.from_json(job_json(created_at="2026-03-01T12:00Z", processed=1))
    moved = attrs.evolve(job, created_at=datetime(2026, 3, 2, 9, 30, 0, 5000, tzinfo=UTC))
    assert moved.to_json() == job_json(created_at="2026-03-02T09:30:00.005Z", processed=1)
    made = Job(job_id="j", kind=JobKind.SCAN, status=JobStatus.PENDING, created_at=CREATED)
    assert made.to_json() == {
        "job_id": "j",
        "kind": "scan",
        "status": "pending",
        "params": {},
        "progress": None,
        "processed": 0,
        "total": None,
        "current_file": None,
        "result": None,
        "error": None,
        "created_at": "2026-03-01T12:00:00.000Z",
        "started_at": None,
        "finished_at": None,
    }


def test_an_unknown_job_status_raises_protocol_error() -> None:
    """A status outside the vocabulary cannot be read as a job."""
    with pytest.raises(ProtocolError, match="malformed job: status"):
        Job.from_json(job_json(status="paused"))


def test_events_keep_types_the_client_does_not_know() -> None:
    """A known type is an EventType member; an unknown one stays its string."""
    stamp = "2026-03-01T12:00:00.000Z"
    known = Event.from_json(
        {"id": 4, "type": "job_status", "payload": {}, "correlation_id": None, "timestamp": stamp}
    )
    unknown = Event.from_json(
        {"id": 5, "type": "comet_seen", "payload": {}, "correlation_id": None, "timestamp": stamp}
    )
    assert known.type is EventType.JOB_STATUS
    assert unknown.type == "comet_seen"
    assert not isinstance(unknown.type, EventType)
    assert unknown.timestamp == datetime(2026, 3, 1, 12, tzinfo=UTC)
