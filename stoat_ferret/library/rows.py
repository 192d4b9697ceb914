"""Library rows as values: the columns a read selects, and a row turned into a model. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..jobs.models import JobSnapshot
from ..jobs.results import load_result
from ..probe.parse import ProbeResult
from ..protocol import JobStatus
from ..timestamps import parse_optional_timestamp, parse_timestamp
from .models import Technical, Video, WatchRecord

#: A row as the store reads it: its columns by name (``sqlite3.Row``).
Row = Any

VIDEO_COLUMNS = (
    "id, path, directory, filename, duration_frames, duration_seconds, frame_rate_numerator, "
    "frame_rate_denominator, width, height, video_codec, audio_codec, container, file_size, "
    "file_mtime_ns, thumbnail_path, strip_frames, missing_since, created_at, updated_at, "
    "probed_at, "
    "fingerprint, display_width, display_height, rotation, pixel_format, bit_depth, "
    "field_order, hdr_format, variable_frame_rate, start_timecode, end_timecode, bit_rate, "
    "audio_channels, audio_layout, audio_sample_rate, creation_time"
)
#: The same, each named with its table, for reads that join another table.
VIDEO_COLUMNS_QUALIFIED = ", ".join("videos." + c.strip() for c in VIDEO_COLUMNS.split(","))
JOB_COLUMNS = (
    "id, kind, status, params, progress, processed, total, current_file, result, error, "
    "created_at, started_at, finished_at"
)


def video(row: Row, *, technical: Technical | None = None) -> Video:
    vfr = row["variable_frame_rate"]
    return Video(
        id=row["id"],
        path=row["path"],
        directory=row["directory"],
        filename=row["filename"],
        duration_frames=row["duration_frames"],
        duration_seconds=row["duration_seconds"],
        frame_rate_numerator=row["frame_rate_numerator"],
        frame_rate_denominator=row["frame_rate_denominator"],
        width=row["width"],
        height=row["height"],
        video_codec=row["video_codec"],
        audio_codec=row["audio_codec"],
        container=row["container"],
        file_size=row["file_size"],
        modified_at=datetime.fromtimestamp(row["file_mtime_ns"] / 1e9, UTC),
        thumbnail_path=row["thumbnail_path"],
        strip_frames=row["strip_frames"],
        missing=row["missing_since"] is not None,
        missing_since=parse_optional_timestamp(row["missing_since"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        probed_at=parse_timestamp(row["probed_at"]),
        fingerprint=row["fingerprint"],
        display_width=row["display_width"],
        display_height=row["display_height"],
        rotation=row["rotation"],
        pixel_format=row["pixel_format"],
        bit_depth=row["bit_depth"],
        field_order=row["field_order"],
        hdr_format=row["hdr_format"],
        variable_frame_rate=None if vfr is None else bool(vfr),
        start_timecode=row["start_timecode"],
        end_timecode=row["end_timecode"],
        bit_rate=row["bit_rate"],
        audio_channels=row["audio_channels"],
        audio_layout=row["audio_layout"],
        audio_sample_rate=row["audio_sample_rate"],
        creation_time=parse_optional_timestamp(row["creation_time"]),
        technical=technical,
    )


def technical_of(text: str | None) -> Technical | None:
    """The stored probe result's container and streams; None if absent or unreadable."""
    if text is None:
        return None
    try:
        result = ProbeResult.from_json(text)
    except ValueError:
        # Written by a version whose form this one cannot read: probed again at the
        # next scan of its folder (its technical_version says so), and shown without.
        return None
    return Technical(container=result.container, streams=result.streams)


def job(row: Row) -> JobSnapshot:
    kind = row["kind"]
    return JobSnapshot(
        job_id=row["id"],
        kind=kind,
        status=JobStatus(row["status"]),
        params=json.loads(row["params"]),
        progress=row["progress"],
        processed=row["processed"],
        total=row["total"],
        current_file=row["current_file"],
        result=load_result(kind, json.loads(row["result"])) if row["result"] is not None else None,
        error=row["error"],
        created_at=parse_timestamp(row["created_at"]),
        started_at=parse_optional_timestamp(row["started_at"]),
        finished_at=parse_optional_timestamp(row["finished_at"]),
    )


def watch(row: Row) -> WatchRecord:
    return WatchRecord(
        id=row["id"],
        path=row["path"],
        poll=bool(row["poll"]),
        created_at=parse_timestamp(row["created_at"]),
        last_change_at=parse_optional_timestamp(row["last_change_at"]),
        job_id=row["job_id"],
    )
