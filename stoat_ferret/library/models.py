"""Library records. Pure values: no I/O here."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import attrs

from ..probe import jsonform
from ..probe.metadata import Container, Stream
from ..timestamps import format_timestamp, optional_timestamp

#: Version of the probe parser whose results the library keeps. A row written by an older
#: one (a lower ``technical_version``) is probed again at the next scan of its folder.
TECHNICAL_VERSION = 1


@attrs.frozen(kw_only=True)
class Technical:
    """A video's full technical metadata: its container and every stream in it."""

    container: Container
    streams: tuple[Stream, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "container": jsonform.dump(self.container),
            "streams": [jsonform.dump(stream) for stream in self.streams],
        }


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
    #: The folder the file is in.
    directory: str
    #: The file's modification time when it was last probed.
    modified_at: datetime
    #: Size and hash of the first and last 64 KiB (``<size>:<hex>``): the same for a moved,
    #: renamed or copied file. None until a scan has read it.
    fingerprint: str | None = None
    # The main video stream and the container, in brief: the fields lists are sorted and
    # filtered by. None where the file does not say (or it was stored by an older version).
    display_width: int | None = None
    display_height: int | None = None
    rotation: int | None = None
    pixel_format: str | None = None
    bit_depth: int | None = None
    field_order: str | None = None
    hdr_format: str | None = None
    variable_frame_rate: bool | None = None
    start_timecode: str | None = None
    end_timecode: str | None = None
    bit_rate: int | None = None
    audio_channels: int | None = None
    audio_layout: str | None = None
    audio_sample_rate: int | None = None
    creation_time: datetime | None = None
    #: The whole technical metadata; only a single video's answer carries it.
    technical: Technical | None = None

    @property
    def interlaced(self) -> bool | None:
        """True for top- or bottom-field-first video, False for progressive, None if unknown."""
        return None if self.field_order is None else self.field_order != "progressive"

    @property
    def frame_rate(self) -> Fraction:
        """The exact frame rate (``30000/1001``), as ffprobe gave it."""
        return Fraction(self.frame_rate_numerator, self.frame_rate_denominator)

    def to_wire(self) -> dict[str, Any]:
        """The video object of the API; ``technical`` only when it was loaded."""
        wire = attrs.asdict(self, recurse=False)
        wire["missing_since"] = optional_timestamp(self.missing_since)
        wire["created_at"] = format_timestamp(self.created_at)
        wire["updated_at"] = format_timestamp(self.updated_at)
        wire["probed_at"] = format_timestamp(self.probed_at)
        wire["modified_at"] = format_timestamp(self.modified_at)
        wire["creation_time"] = optional_timestamp(self.creation_time)
        wire["interlaced"] = self.interlaced
        if self.technical is None:
            del wire["technical"]
        else:
            wire["technical"] = self.technical.to_wire()
        return wire


@attrs.frozen
class KnownFile:
    """What the library remembers of a file, for deciding whether to probe it again."""

    path: str
    file_size: int
    mtime_ns: int
    missing: bool
    #: Stored by an older probe parser: probe it again even if the file is unchanged.
    stale: bool = False
    #: The stored content fingerprint; None for a file stored before fingerprints were kept.
    fingerprint: str | None = None


@attrs.frozen
class VideoMove:
    """A video found at a new path: the same id, thumbnail and history, somewhere else."""

    video_id: str
    from_path: str
    to_path: str

    def to_wire(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "from_path": self.from_path, "to_path": self.to_path}


@attrs.frozen(kw_only=True)
class SavedFiles:
    """What one batch of probed files did to the library: the ids of each kind of change."""

    #: Videos added: files at paths the library did not hold, matching no missing video.
    added: tuple[str, ...] = ()
    #: Videos probed again at the path the library held them at.
    updated: tuple[str, ...] = ()
    #: Missing videos found again, by fingerprint, at a new path.
    moved: tuple[VideoMove, ...] = ()


@attrs.frozen(kw_only=True)
class LibraryCounts:
    """Counts over the whole library."""

    videos: int
    missing: int
    without_thumbnail: int

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class WatchRecord:
    """A watched folder as the library keeps it (its live state is the watcher's)."""

    id: str
    #: The folder, resolved: absolute, without symlinks.
    path: str
    #: Polled rather than watched through inotify (network filesystems).
    poll: bool
    created_at: datetime
    #: When a change under the folder was last seen (files new, changed or gone).
    last_change_at: datetime | None = None
    #: The latest job applying the folder's changes.
    job_id: str | None = None


@attrs.frozen(kw_only=True)
class Folder:
    """A folder of the library's tree, with counts of the videos in and below it."""

    path: str
    #: Videos in this folder and every folder below it.
    videos: int
    #: Of those, the ones whose files are missing.
    missing: int
    #: Videos directly in this folder.
    direct_videos: int
    direct_missing: int
    #: Folders directly below this one that hold videos (somewhere below them).
    folders: int

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1] or "/"

    def to_wire(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "name": self.name}


@attrs.frozen(kw_only=True)
class DuplicateGroup:
    """Videos present on disk whose content fingerprints are the same: copies of one file."""

    fingerprint: str
    file_size: int
    videos: tuple[Video, ...]
