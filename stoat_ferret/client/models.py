"""What the API returns, as typed values."""

from __future__ import annotations

from typing import Any

import attrs

from ..protocol import EventType, JobStatus
from .errors import ProtocolError


def _take(data: Any, cls: type[Any], what: str) -> Any:
    """Build ``cls`` from the fields of ``data`` that ``cls`` declares."""
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object for {what}, got {type(data).__name__}")
    names = {field.name for field in attrs.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"malformed {what}: {exc}") from exc


@attrs.frozen(kw_only=True)
class Video:
    """One video in the library."""

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

    @classmethod
    def from_json(cls, data: Any) -> Video:
        video: Video = _take(data, cls, "video")
        return video


@attrs.frozen(kw_only=True)
class VideoPage:
    videos: tuple[Video, ...]
    total: int
    limit: int
    offset: int


@attrs.frozen(kw_only=True)
class SearchResult:
    videos: tuple[Video, ...]
    total: int
    query: str


@attrs.frozen(kw_only=True)
class Job:
    """A job as the server last reported it."""

    job_id: str
    kind: str
    status: JobStatus = attrs.field(converter=JobStatus)
    params: dict[str, Any]
    progress: float | None
    processed: int
    total: int | None
    current_file: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @classmethod
    def from_json(cls, data: Any) -> Job:
        job: Job = _take(data, cls, "job")
        return job


@attrs.frozen(kw_only=True)
class JobPage:
    jobs: tuple[Job, ...]
    total: int
    limit: int
    offset: int


@attrs.frozen(kw_only=True)
class Readiness:
    ok: bool
    checks: dict[str, str]


@attrs.frozen(kw_only=True)
class Event:
    """One event from ``/ws``. ``id`` is None for heartbeats and resync notices."""

    id: int | None
    type: str
    payload: dict[str, Any]
    correlation_id: str | None
    timestamp: str

    @property
    def job_id(self) -> str | None:
        job_id = self.payload.get("job_id")
        return job_id if isinstance(job_id, str) else None

    @property
    def resync_required(self) -> bool:
        return self.type == EventType.RESYNC_REQUIRED

    @classmethod
    def from_json(cls, data: Any) -> Event:
        event: Event = _take(data, cls, "event")
        if not isinstance(event.payload, dict):
            raise ProtocolError("malformed event: payload is not an object")
        return event
