"""Library rows as values: the columns a read selects, and a row turned into a model. Pure."""

from __future__ import annotations

import json
import operator
from datetime import UTC, datetime
from typing import Any

from ..jobs.models import JobSnapshot
from ..jobs.results import load_result
from ..probe.parse import ProbeResult
from ..protocol import JobStatus
from ..timestamps import format_timestamp, parse_optional_timestamp, parse_timestamp
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


#: Columns a video's wire form holds as SQLite gives them.
_WIRE_AS_STORED = (
    "id",
    "path",
    "directory",
    "filename",
    "duration_frames",
    "duration_seconds",
    "frame_rate_numerator",
    "frame_rate_denominator",
    "width",
    "height",
    "video_codec",
    "audio_codec",
    "container",
    "file_size",
    "thumbnail_path",
    "strip_frames",
    "fingerprint",
    "display_width",
    "display_height",
    "rotation",
    "pixel_format",
    "bit_depth",
    "field_order",
    "hdr_format",
    "start_timecode",
    "end_timecode",
    "bit_rate",
    "audio_channels",
    "audio_layout",
    "audio_sample_rate",
)
#: The length of a timestamp in its one text form, ``2026-11-21T16:33:49.066Z``.
_TIMESTAMP_LENGTH = 24


def _wire_time(text: str) -> str:
    """A stored timestamp in its text form: as stored when it already is (the service
    writes no other), else read and written again."""
    if len(text) == _TIMESTAMP_LENGTH and text[-1] == "Z":
        return text
    return format_timestamp(parse_timestamp(text))


_VIDEO_COLUMN_NAMES = tuple(name.strip() for name in VIDEO_COLUMNS.split(","))
# By position: a sqlite3.Row finds a column by name by comparing it with each name in turn.
_AS_STORED = operator.itemgetter(*(_VIDEO_COLUMN_NAMES.index(n) for n in _WIRE_AS_STORED))
(_MISSING_SINCE, _CREATED_AT, _UPDATED_AT, _PROBED_AT, _MTIME_NS, _VFR, _CREATION_TIME) = (
    _VIDEO_COLUMN_NAMES.index(name)
    for name in (
        "missing_since",
        "created_at",
        "updated_at",
        "probed_at",
        "file_mtime_ns",
        "variable_frame_rate",
        "creation_time",
    )
)


def video_wire(row: Row) -> dict[str, Any]:
    """``video(row).to_wire()`` straight from the row, without the model in between.

    A page of the library is some 50 of these; building the models and then their wire
    form cost more than everything else the page does (``docs/performance.md``).
    ``tests/library/test_rows.py`` holds the two forms equal for every kind of row. The
    row's first columns are :data:`VIDEO_COLUMNS`, in that order.
    """
    wire = dict(zip(_WIRE_AS_STORED, _AS_STORED(row), strict=True))
    missing_since = row[_MISSING_SINCE]
    wire["missing"] = missing_since is not None
    wire["missing_since"] = None if missing_since is None else _wire_time(missing_since)
    wire["created_at"] = _wire_time(row[_CREATED_AT])
    wire["updated_at"] = _wire_time(row[_UPDATED_AT])
    wire["probed_at"] = _wire_time(row[_PROBED_AT])
    wire["modified_at"] = format_timestamp(datetime.fromtimestamp(row[_MTIME_NS] / 1e9, UTC))
    vfr = row[_VFR]
    wire["variable_frame_rate"] = None if vfr is None else bool(vfr)
    field_order = wire["field_order"]
    wire["interlaced"] = None if field_order is None else field_order != "progressive"
    creation_time = row[_CREATION_TIME]
    wire["creation_time"] = None if creation_time is None else _wire_time(creation_time)
    return wire


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
