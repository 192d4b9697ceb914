"""Library records. Pure values: no I/O here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs


def utc_now() -> str:
    """The current time as ISO 8601 UTC with a ``Z``, the form every timestamp is kept in."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    missing: bool
    missing_since: str | None
    created_at: str
    updated_at: str
    probed_at: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


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
