"""Library records. Pure values: no I/O here."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import attrs

from ..timestamps import format_timestamp, optional_timestamp


@attrs.frozen(kw_only=True)
class Video:
    """One video file in the library."""

    id: str
    path: str
    filename: str
    duration_frames: int
    duration_seconds: float
    frame_rate_numerator: int
    frame_rate_denominator: int
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    container: str
    file_size: int
    thumbnail_path: str | None
    #: Frames in the video's scrub strip (``GET /api/v1/videos/{id}/strip``); None: no strip.
    strip_frames: int | None
    missing: bool
    missing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    probed_at: datetime

    @property
    def frame_rate(self) -> Fraction:
        """The exact frame rate (``30000/1001``), as ffprobe gave it."""
        return Fraction(self.frame_rate_numerator, self.frame_rate_denominator)

    def to_wire(self) -> dict[str, Any]:
        """The video object of the API."""
        wire = attrs.asdict(self)
        wire["missing_since"] = optional_timestamp(self.missing_since)
        wire["created_at"] = format_timestamp(self.created_at)
        wire["updated_at"] = format_timestamp(self.updated_at)
        wire["probed_at"] = format_timestamp(self.probed_at)
        return wire


@attrs.frozen
class KnownFile:
    """What the library remembers of a file, for deciding whether to probe it again."""

    path: str
    file_size: int
    mtime_ns: int
    missing: bool


@attrs.frozen(kw_only=True)
class LibraryCounts:
    """Counts over the whole library."""

    videos: int
    missing: int
    without_thumbnail: int

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)
