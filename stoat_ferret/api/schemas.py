"""Request and response bodies of the HTTP API.

These models are what the routes validate against and what ``/openapi.json`` is
generated from, so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from ..protocol import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ErrorCode,
    JobKind,
    JobStatus,
    WatchState,
)
from .metadata_schemas import TechnicalInfo

#: A point in time as the API writes it: ISO 8601 in UTC with milliseconds and a ``Z``.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def _none(value: object) -> bool:
    return value is None


class ErrorDetail(BaseModel):
    code: ErrorCode = Field(description="Stable, machine-readable error code, e.g. NOT_FOUND.")
    message: str = Field(description="What went wrong, for a person.")
    job_id: str | None = Field(default=None, description="The job concerned, where there is one.")
    status: str | None = Field(default=None, description="That job's status, where relevant.")
    watch_id: str | None = Field(
        default=None, description="The watched folder concerned (WATCH_OVERLAP)."
    )


class ErrorResponse(BaseModel):
    detail: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


class CheckResult(BaseModel):
    """One readiness check. Fields that do not apply to it are left out."""

    status: Literal["ok", "error"]
    latency_ms: float | None = Field(
        default=None, exclude_if=_none, description="How long the database took to answer."
    )
    version: str | None = Field(
        default=None, exclude_if=_none, description="The program's version, as it reports it."
    )
    reason: str | None = Field(
        default=None, exclude_if=_none, description="What is wrong, when the status is not ok."
    )


class Readiness(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, CheckResult] = Field(
        description="Each check by name: database, then ffprobe and ffmpeg, or libav "
        "(the media workers) with STOAT_PROBER=libav."
    )


class Video(BaseModel):
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
    container: str = Field(description="ffprobe's format name, e.g. 'matroska,webm'.")
    file_size: int
    thumbnail_path: str | None
    strip_frames: int | None = Field(
        description="Frames in the video's scrub strip (GET /api/v1/videos/{id}/strip), side "
        "by side, each 160 px wide; null while it has none."
    )
    missing: bool = Field(description="The file was not found by the latest scan of its folder.")
    missing_since: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    probed_at: Timestamp
    directory: str = Field(description="The folder the file is in.")
    modified_at: Timestamp = Field(description="The file's modification time when probed.")
    fingerprint: str | None = Field(
        description="Size and hash of the file's first and last 64 KiB, '<size>:<hex>': "
        "the same for a moved, renamed or copied file. Null until a scan has read it."
    )
    display_width: int | None = Field(description="Picture width as shown (aspect, rotation).")
    display_height: int | None
    rotation: int | None = Field(description="Degrees clockwise the picture is turned.")
    pixel_format: str | None
    bit_depth: int | None = Field(description="Bits per colour component.")
    field_order: Literal["progressive", "tff", "bff"] | None
    interlaced: bool | None = Field(description="True for tff/bff, false for progressive.")
    hdr_format: Literal["HDR10", "HLG"] | None
    variable_frame_rate: bool | None = Field(description="r_frame_rate and avg_frame_rate differ.")
    start_timecode: str | None = Field(description="HH:MM:SS:FF, or HH:MM:SS;FF drop-frame.")
    end_timecode: str | None = Field(description="Start timecode + duration in frames.")
    bit_rate: int | None = Field(description="Overall bit rate, bits per second.")
    audio_channels: int | None = Field(description="Channels of the first audio stream.")
    audio_layout: str | None = Field(description="Its channel layout, e.g. 'stereo'.")
    audio_sample_rate: int | None = Field(description="Its sample rate, Hz.")
    creation_time: Timestamp | None = Field(description="When the recording was made.")


class VideoDetail(Video):
    """One video with its whole technical metadata (``GET /api/v1/videos/{id}``)."""

    technical: TechnicalInfo | None = Field(
        default=None,
        description="The container and every stream; null for a video stored by a version "
        "that did not keep them (until the next scan of its folder probes it again).",
    )


class LibrarySummary(BaseModel):
    videos: int = Field(description="Videos in the library, missing ones included.")
    missing: int = Field(description="Videos whose file the latest scan of its folder missed.")
    without_thumbnail: int = Field(description="Videos present on disk that have no thumbnail yet.")


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: StrictStr = Field(description="Absolute directory path under an allowed scan root.")
    recursive: StrictBool = True
    force: StrictBool = Field(default=False, description="Probe every file, changed or not.")


class PurgeMissingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="Only entries in this folder or below it (an absolute path; it need not "
        "exist any more). Null for the whole library.",
    )

    @field_validator("folder")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or "\x00" in value):
            raise ValueError("must be an absolute path, without NUL bytes")
        return value


class PurgeMissingResult(BaseModel):
    removed: int = Field(description="How many library entries were removed.")
    video_ids: list[str] = Field(description="Their ids, in path order.")


class ScanAccepted(BaseModel):
    job_id: str


class FileError(BaseModel):
    path: str
    error: str = Field(description="Why the file could not be used, for a person.")


class ScanResult(BaseModel):
    """A scan's counts. Complete once the job is; the counts so far if it ended otherwise."""

    scanned: int = Field(description="Video files the walk found.")
    new: int = Field(description="Files probed and added to the library.")
    updated: int = Field(description="Files probed that the library held already.")
    skipped: int = Field(description="The same number as unchanged (the original API's name).")
    unchanged: int = Field(description="Files not probed: size and mtime matched.")
    missing: int = Field(
        description="Library entries this scan marked missing (a video it then found moved "
        "counts under moved instead)."
    )
    reappeared: int = Field(description="Unchanged files that had been missing and are back.")
    moved: int = Field(
        description="Files found at a new path whose fingerprint is a missing video's: that "
        "video, moved (same id and thumbnail, new path). Not counted in new."
    )
    ignored: dict[str, int] = Field(
        description="Files passed over because of their extension, by extension (lower case, "
        "'' for none), e.g. {\".txt\": 3}. Hidden files are not counted."
    )
    error_count: int = Field(description="Files that could not be used, all of them.")
    errors: list[FileError] = Field(description="The first 500 of them.")


class VideoError(BaseModel):
    video_id: str
    path: str | None = Field(description="The video's file; null for an unknown id.")
    error: str = Field(
        description="Why no thumbnail was made, for a person; 'scrub strip: …' when it is "
        "the strip that was not made."
    )


class ThumbnailResult(BaseModel):
    """A thumbnails job's counts."""

    total: int = Field(description="Videos the job set out to make thumbnails or strips for.")
    made: int = Field(description="Thumbnails made and recorded.")
    strips: int = Field(description="Scrub strips made and recorded.")
    error_count: int = Field(
        description="Thumbnails and strips that could not be made, all of them."
    )
    errors: list[VideoError] = Field(description="The first 500 of them.")


class _JobFields(BaseModel):
    job_id: str
    status: JobStatus
    params: dict[str, Any] = Field(description="What was asked for.")
    progress: float | None = Field(description="0.0 to 1.0, never decreasing; null until known.")
    processed: int
    total: int | None
    current_file: str | None
    error: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


class ScanJob(_JobFields):
    """A scan job. ``params``: ``path`` (resolved), ``recursive``, ``force``; and where they
    apply, ``resumed_from`` (the interrupted job it resumes after a restart) and
    ``watch_id`` (the watched folder of a scheduled rescan)."""

    kind: Literal[JobKind.SCAN]
    result: ScanResult | None = Field(
        description="Null until the job ends; kept (as far as it got) when it does not complete."
    )


class ThumbnailsJob(_JobFields):
    """A thumbnails job. ``params``: ``video_ids`` (null for every video without one), ``force``."""

    kind: Literal[JobKind.THUMBNAILS]
    result: ThumbnailResult | None = Field(
        description="Null until the job ends; kept (as far as it got) when it does not complete."
    )


class WatchJob(_JobFields):
    """A job applying a watched folder's changes: a scan limited to the paths that changed.

    ``params``: ``watch_id``, ``path`` (the watched folder), and ``resumed_from`` (the job
    whose work it took over after a restart) where there is one.
    """

    kind: Literal[JobKind.WATCH]
    result: ScanResult | None = Field(
        description="Null until the job ends; kept (as far as it got) when it does not complete."
    )


class OtherJob(_JobFields):
    """A job of a kind without a result schema of its own here."""

    kind: str
    result: dict[str, Any] | None


#: A job: the shape of ``params`` and ``result`` follows ``kind``.
AnyJob = Annotated[ScanJob | ThumbnailsJob | WatchJob | OtherJob, Field(union_mode="left_to_right")]


class Job(RootModel[AnyJob]):
    """A job; the shape of its ``result`` follows its ``kind``."""


class JobsQuery(BaseModel):
    status: JobStatus | None = None
    kind: str | None = Field(default=None, max_length=64)
    id_prefix: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Only jobs whose id starts with this (to find a job by the start of its id).",
    )
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=2**62)


class JobList(BaseModel):
    jobs: list[AnyJob]
    total: int
    limit: int
    offset: int


class Protocol(BaseModel):
    job_statuses: list[str]
    job_status_names: dict[str, str] = Field(description="Statuses by name: NAME -> value.")
    terminal_statuses: list[str]
    job_kinds: list[str]
    job_kind_names: dict[str, str] = Field(description="Job kinds by name: NAME -> value.")
    watch_states: list[str]
    watch_state_names: dict[str, str] = Field(
        description="Watched folders' states by name: NAME -> value."
    )
    watch_changes: dict[str, str] = Field(
        description="What a watch_status event reports, by name: NAME -> value."
    )
    event_types: dict[str, str] = Field(description="Event type names: NAME -> wire value.")
    error_codes: dict[str, str] = Field(description="Error codes by name: NAME -> value.")
    video_sorts: dict[str, str] = Field(description="The list's sorts by name: NAME -> value.")
    video_sort_defaults: dict[str, str] = Field(
        description="Each sort's default order: sort value -> order value."
    )
    sort_orders: dict[str, str] = Field(description="Sort directions by name: NAME -> value.")
    hdr_filters: dict[str, str] = Field(description="Values of hdr= by name: NAME -> value.")
    export_formats: dict[str, str] = Field(description="Export formats by name: NAME -> value.")


class ServerInfo(BaseModel):
    version: str
    allowed_scan_roots: list[str] = Field(description="Directories scans may read below.")
    protocol: Protocol


class ThumbnailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video_ids: list[StrictStr] | None = Field(
        default=None,
        max_length=10_000,
        description="Videos to make thumbnails for; null for every video that has none.",
    )
    force: StrictBool = Field(default=False, description="Make them again even if they exist.")


class JobAccepted(BaseModel):
    job_id: str


class Watch(BaseModel):
    """A watched folder and how it is being watched."""

    id: str
    path: str = Field(description="The folder, resolved (absolute, without symlinks).")
    poll: bool = Field(description="Polled at an interval instead of watched through inotify.")
    state: WatchState = Field(description="active, polling or unavailable.")
    reason: str | None = Field(
        description="Why the folder is polled or unavailable, for people; null while active."
    )
    created_at: Timestamp
    last_change_at: Timestamp | None = Field(
        description="When files under the folder were last seen new, changed or gone."
    )
    job_id: str | None = Field(description="The latest job applying the folder's changes.")


class WatchList(BaseModel):
    watches: list[Watch] = Field(description="Every watched folder, oldest first.")


class WatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: StrictStr = Field(description="Absolute directory path under an allowed scan root.")
    poll: StrictBool = Field(
        default=False,
        description="Poll the folder at an interval instead of using inotify (network "
        "filesystems, where inotify does not see other machines' changes).",
    )


#: Jobs looked through for one video's history: the newest ones only, so the work is bounded.
HISTORY_WINDOW = 1000


class VideoJobsQuery(BaseModel):
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class VideoJobList(BaseModel):
    jobs: list[AnyJob] = Field(description="The jobs that covered the video, newest first.")
    examined: int = Field(
        description=f"How many of the newest jobs were looked through (at most {HISTORY_WINDOW})."
    )
    limit: int


class VideoCopies(BaseModel):
    videos: list[Video] = Field(
        description="The other videos present on disk with the same content fingerprint, "
        "by path; empty while the video's fingerprint is not known."
    )
