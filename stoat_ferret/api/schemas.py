"""Request and response bodies of the HTTP API.

These models are what the routes validate against and what ``/openapi.json`` is
generated from, so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from ..jobs.models import JobStatus

MAX_PAGE = 500


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable error code, e.g. NOT_FOUND.")
    message: str = Field(description="What went wrong, for a person.")
    job_id: str | None = Field(default=None, description="The job concerned, where there is one.")
    status: str | None = Field(default=None, description="That job's status, where relevant.")


class ErrorResponse(BaseModel):
    detail: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description='Each check: "ok" or what is wrong.')


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
    missing: bool = Field(description="The file was not found by the latest scan of its folder.")
    missing_since: str | None
    created_at: str
    updated_at: str
    probed_at: str


class LibrarySummary(BaseModel):
    videos: int = Field(description="Videos in the library, missing ones included.")
    missing: int = Field(description="Videos whose file the latest scan of its folder missed.")
    without_thumbnail: int = Field(description="Videos present on disk that have no thumbnail yet.")


class PageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=2**62)


class VideoList(BaseModel):
    videos: list[Video]
    total: int
    limit: int
    offset: int


class SearchQuery(BaseModel):
    q: str = Field(min_length=1, max_length=1000, description="Words to find in name or path.")
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)


class SearchResult(BaseModel):
    videos: list[Video]
    total: int
    query: str


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: StrictStr = Field(description="Absolute directory path under an allowed scan root.")
    recursive: StrictBool = True
    force: StrictBool = Field(default=False, description="Probe every file, changed or not.")


class ScanAccepted(BaseModel):
    job_id: str


class Job(BaseModel):
    job_id: str
    kind: str
    status: JobStatus
    params: dict[str, Any]
    progress: float | None = Field(description="0.0 to 1.0, never decreasing; null until known.")
    processed: int
    total: int | None
    current_file: str | None
    result: dict[str, Any] | None = Field(
        description="For a scan: scanned, new, updated, skipped, unchanged, missing, "
        "reappeared, error_count, errors[{path, error}]. Kept when cancelled."
    )
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


class JobsQuery(BaseModel):
    status: JobStatus | None = None
    kind: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=2**62)


class JobList(BaseModel):
    jobs: list[Job]
    total: int
    limit: int
    offset: int


class Protocol(BaseModel):
    job_statuses: list[str]
    job_status_names: dict[str, str] = Field(description="Statuses by name: NAME -> value.")
    terminal_statuses: list[str]
    job_kinds: list[str]
    job_kind_names: dict[str, str] = Field(description="Job kinds by name: NAME -> value.")
    event_types: dict[str, str] = Field(description="Event type names: NAME -> wire value.")
    error_codes: dict[str, str] = Field(description="Error codes by name: NAME -> value.")


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
