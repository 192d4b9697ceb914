"""Exports of the library: CSV, JSON and OpenTimelineIO, written a batch of videos at a time.

Each format is a :class:`Writer`: text to send first, the text of each batch, and text to
send last, so the route can stream any number of videos holding one batch at a time.
Formatting is synchronous (the route runs it in a worker thread).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath
from typing import Any

import attrs
import opentimelineio as otio

from ..library.models import Video
from ..protocol import ExportFormat
from ..timecode import Timecode, TimecodeError

#: The CSV columns, in order: each a video field (see docs/api.md for units).
CSV_COLUMNS = (
    "id",
    "path",
    "directory",
    "filename",
    "container",
    "duration_seconds",
    "duration_frames",
    "frame_rate",
    "variable_frame_rate",
    "width",
    "height",
    "display_width",
    "display_height",
    "rotation",
    "video_codec",
    "pixel_format",
    "bit_depth",
    "field_order",
    "hdr_format",
    "start_timecode",
    "end_timecode",
    "audio_codec",
    "audio_channels",
    "audio_layout",
    "audio_sample_rate",
    "bit_rate",
    "file_size",
    "fingerprint",
    "missing",
    "modified_at",
    "creation_time",
    "created_at",
)
#: The name of the OpenTimelineIO bin.
BIN_NAME = "stoat-ferret library"


@attrs.frozen
class Writer:
    """How one format begins, writes a batch (``first``: whether it is the first), and ends."""

    media_type: str
    extension: str
    head: str
    batch: Callable[[Sequence[Video], bool], str]
    tail: str


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_batch(videos: Sequence[Video], first: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for video in videos:
        wire = video.to_wire()
        wire["frame_rate"] = f"{video.frame_rate_numerator}/{video.frame_rate_denominator}"
        writer.writerow([_csv_value(wire[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _csv_head() -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return out.getvalue()


def _json_batch(videos: Sequence[Video], first: bool) -> str:
    items = [json.dumps(video.to_wire(), ensure_ascii=False) for video in videos]
    if not items:
        return ""
    return ("" if first else ",\n") + ",\n".join(items)


def start_frame(video: Video) -> int:
    """The frame number of the video's first frame: its start timecode at its rate, else 0."""
    if video.start_timecode is None:
        return 0
    try:
        return Timecode.parse(video.start_timecode).to_frames(video.frame_rate)
    except TimecodeError:
        return 0


def clip(video: Video) -> otio.schema.Clip:
    """The video as an OpenTimelineIO clip: the whole file, from its start timecode."""
    rate = float(video.frame_rate)
    available = otio.opentime.TimeRange(
        otio.opentime.RationalTime(start_frame(video), rate),
        otio.opentime.RationalTime(video.duration_frames, rate),
    )
    reference = otio.schema.ExternalReference(
        target_url=PurePosixPath(video.path).as_uri(), available_range=available
    )
    metadata = {
        "stoat_ferret": {
            "id": video.id,
            "frame_rate": f"{video.frame_rate_numerator}/{video.frame_rate_denominator}",
            "start_timecode": video.start_timecode,
            "width": video.width,
            "height": video.height,
            "video_codec": video.video_codec,
            "audio_codec": video.audio_codec,
            "fingerprint": video.fingerprint,
        }
    }
    return otio.schema.Clip(
        name=video.filename, media_reference=reference, source_range=available, metadata=metadata
    )


def _otio_head() -> str:
    # The bin's own fields, its children list left open: each batch appends clips to it.
    empty = otio.schema.SerializableCollection(name=BIN_NAME)
    text = otio.adapters.write_to_string(empty, "otio_json")
    document = json.loads(text)
    document.pop("children")
    opening = json.dumps(document, indent=4)
    return opening[: opening.rindex("}")].rstrip() + ',\n    "children": [\n'


def _otio_batch(videos: Sequence[Video], first: bool) -> str:
    items = [otio.adapters.write_to_string(clip(video), "otio_json") for video in videos]
    if not items:
        return ""
    return ("" if first else ",\n") + ",\n".join(items)


def writer(kind: ExportFormat) -> Writer:
    if kind == ExportFormat.CSV:
        return Writer("text/csv", "csv", _csv_head(), _csv_batch, "")
    if kind == ExportFormat.JSON:
        return Writer("application/json", "json", "[\n", _json_batch, "\n]\n")
    return Writer("application/json", "otio", _otio_head(), _otio_batch, "\n    ]\n}\n")
