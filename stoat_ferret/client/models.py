"""What the API returns, as typed values.

Each model is an attrs frozen class built from the server's JSON by ``from_json``,
and turned back into it by ``to_json``. Timestamps are aware ``datetime`` values in
UTC, a video's frame rate is a ``Fraction``, and a job's result is a typed object
(:class:`ScanResult`, :class:`ThumbnailResult`).

A newer server may send more than this client knows: fields it does not know are
kept, as sent, in ``extra`` (left out of equality and ``repr``). A field it knows
but the server left out is ``None`` (or 0 for a count) where the field may be
empty; a field the client cannot do without raises :class:`ProtocolError`. Either
way, ``to_json`` gives back exactly what the server sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, TypeVar

import attrs
from attrs import AttrsInstance

from ..protocol import EventType, JobKind, JobStatus, SortOrder, VideoSort, WatchState
from .errors import ProtocolError

M = TypeVar("M")
A = TypeVar("A", bound=AttrsInstance)

#: Metadata key of a field read from the wire: the function that reads its JSON value.
_READ = "stoat_ferret.client.read"
#: Metadata key of the function that writes a field's value back as JSON.
_WRITE = "stoat_ferret.client.write"


def _wire(read: Callable[[Any], Any], write: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    return {_READ: read, _WRITE: write}


# -- reading and writing JSON values -----------------------------------------------------------


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return dict(value)


def _counts(value: Any) -> dict[str, int]:
    """An object of counts by name: ``{".txt": 3}``."""
    return {_str(name): _int(count) for name, count in _object(value).items()}


def _time(value: Any) -> datetime:
    """An ISO 8601 timestamp as an aware datetime in UTC (a zoneless one is taken as UTC)."""
    when = datetime.fromisoformat(_str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_time(when: datetime) -> str:
    """A datetime as the server writes timestamps: ISO 8601 UTC, milliseconds, ``Z``."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _optional(read: Callable[[Any], M]) -> Callable[[Any], M | None]:
    def read_optional(value: Any) -> M | None:
        return None if value is None else read(value)

    return read_optional


def _write_optional_time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def _build(
    cls: type[A], data: Any, what: str, *, consumed: tuple[str, ...] = (), **values: Any
) -> A:
    """A ``cls`` from the JSON object ``data``: its wire fields read, the rest in ``extra``.

    ``values`` are fields the caller has read itself, and ``consumed`` names the other
    members of ``data`` it has read; neither goes into ``extra``.
    """
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object for {what}, got {type(data).__name__}")
    known = {*values, *consumed}
    for field in attrs.fields(cls):
        read = field.metadata.get(_READ)
        if read is None:
            continue
        known.add(field.name)
        if field.name in data:
            try:
                values[field.name] = read(data[field.name])
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"malformed {what}: {field.name}: {exc}") from exc
        elif field.default is attrs.NOTHING:
            raise ProtocolError(f"malformed {what}: it has no {field.name!r}")
    values["extra"] = {k: v for k, v in data.items() if k not in known}
    values["source"] = data
    return cls(**values)


def _dump(model: Any, **values: Any) -> dict[str, Any]:
    """``model``'s wire fields as JSON, then ``values``, then what ``extra`` kept.

    For a model read from JSON, a field the JSON left out stays out, and a field whose
    value is still the one read is written as it was read, so ``to_json`` gives back
    exactly what ``from_json`` was given (timestamps in the server's own form included).
    """
    source: dict[str, Any] | None = model._source
    data: dict[str, Any] = {}
    for field in attrs.fields(type(model)):
        read = field.metadata.get(_READ)
        if read is None or (source is not None and field.name not in source):
            continue
        value = getattr(model, field.name)
        if source is not None and _reads_as(read, source[field.name], value):
            data[field.name] = source[field.name]
        else:
            write = field.metadata[_WRITE]
            data[field.name] = write(value) if write is not None else value
    data.update({k: v for k, v in values.items() if source is None or k in source})
    data.update(model.extra)
    return data


def _reads_as(read: Callable[[Any], Any], sent: Any, value: Any) -> bool:
    try:
        return bool(read(sent) == value)
    except (TypeError, ValueError):
        return False


def _as_enum(enum: Callable[[str], M], value: str) -> M | str:
    """A known word as its enum member; a word this client does not know stays a string."""
    try:
        return enum(value)
    except ValueError:
        return value


# -- videos ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Video:
    """One video in the library."""

    id: str = attrs.field(metadata=_wire(_str))
    path: str = attrs.field(metadata=_wire(_str))
    filename: str = attrs.field(metadata=_wire(_str))
    duration_frames: int = attrs.field(metadata=_wire(_int))
    duration_seconds: float = attrs.field(metadata=_wire(_float))
    frame_rate_numerator: int = attrs.field(metadata=_wire(_int))
    frame_rate_denominator: int = attrs.field(metadata=_wire(_int))
    width: int = attrs.field(metadata=_wire(_int))
    height: int = attrs.field(metadata=_wire(_int))
    video_codec: str = attrs.field(metadata=_wire(_str))
    audio_codec: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    container: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    file_size: int = attrs.field(metadata=_wire(_int))
    thumbnail_path: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    #: Frames in the scrub strip at ``/api/v1/videos/{id}/strip``; None while it has none.
    strip_frames: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    missing: bool = attrs.field(default=False, metadata=_wire(_bool))
    missing_since: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    created_at: datetime = attrs.field(metadata=_wire(_time, format_time))
    updated_at: datetime = attrs.field(metadata=_wire(_time, format_time))
    probed_at: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    #: The folder the file is in.
    directory: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    #: The file's modification time when it was last probed.
    modified_at: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    #: ``<size>:<hex>`` of the first and last 64 KiB: the same for a moved or copied file.
    fingerprint: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    display_width: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    display_height: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    #: Degrees clockwise the picture is turned for display.
    rotation: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    pixel_format: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    bit_depth: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    #: ``progressive``, ``tff`` or ``bff``.
    field_order: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    interlaced: bool | None = attrs.field(default=None, metadata=_wire(_optional(_bool)))
    #: ``HDR10`` or ``HLG``.
    hdr_format: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    variable_frame_rate: bool | None = attrs.field(default=None, metadata=_wire(_optional(_bool)))
    #: ``HH:MM:SS:FF``, or ``HH:MM:SS;FF`` for drop-frame timecode.
    start_timecode: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    end_timecode: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    bit_rate: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    audio_channels: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    audio_layout: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    audio_sample_rate: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    creation_time: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def technical(self) -> dict[str, Any] | None:
        """The container and every stream, as the server wrote them (one video's answer only)."""
        value = self.extra.get("technical")
        return value if isinstance(value, dict) else None

    @property
    def frame_rate(self) -> Fraction:
        """Frames per second, exactly: ``Fraction(30000, 1001)`` for NTSC video."""
        return Fraction(self.frame_rate_numerator, self.frame_rate_denominator)

    @classmethod
    def from_json(cls, data: Any) -> Video:
        video = _build(cls, data, "video")
        if video.frame_rate_denominator <= 0 or video.frame_rate_numerator < 0:
            raise ProtocolError(
                f"malformed video: frame rate {video.frame_rate_numerator}/"
                f"{video.frame_rate_denominator}"
            )
        return video

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


@attrs.frozen(kw_only=True)
class VideoPage:
    videos: tuple[Video, ...]
    #: Videos that match, beyond this page too; a lower bound when ``total_exact`` is False.
    total: int
    limit: int
    offset: int
    total_exact: bool = True
    #: The sort and direction the server used (None from a server that does not say).
    sort: VideoSort | str | None = None
    order: SortOrder | str | None = None
    #: Pass as ``after=`` for the next page; None when no video follows this page.
    next: str | None = None


@attrs.frozen(kw_only=True)
class SearchResult:
    videos: tuple[Video, ...]
    #: Every match, beyond this page too; a lower bound when ``total_exact`` is False.
    total: int
    query: str
    #: How many of the best matches this page skipped.
    offset: int = 0
    total_exact: bool = True


@attrs.frozen(kw_only=True)
class Folder:
    """A folder of the library's tree, with counts of the videos in and below it."""

    path: str = attrs.field(metadata=_wire(_str))
    name: str = attrs.field(metadata=_wire(_str))
    #: Videos in this folder and every folder below it.
    videos: int = attrs.field(metadata=_wire(_int))
    missing: int = attrs.field(default=0, metadata=_wire(_int))
    #: Videos directly in this folder.
    direct_videos: int = attrs.field(default=0, metadata=_wire(_int))
    direct_missing: int = attrs.field(default=0, metadata=_wire(_int))
    #: Folders directly below this one that hold videos.
    folders: int = attrs.field(default=0, metadata=_wire(_int))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Folder:
        return _build(cls, data, "folder")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


@attrs.frozen(kw_only=True)
class FolderList:
    #: The folder asked for; None when none was (then ``folders`` holds the top folder).
    parent: Folder | None
    folders: tuple[Folder, ...]


@attrs.frozen(kw_only=True)
class DuplicateGroup:
    """Videos present on disk with the same content fingerprint: copies of one file."""

    fingerprint: str
    #: Bytes, of each copy.
    file_size: int
    videos: tuple[Video, ...]


@attrs.frozen(kw_only=True)
class DuplicatePage:
    groups: tuple[DuplicateGroup, ...]
    total: int
    limit: int
    offset: int


# -- job results -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ItemError:
    """One file or video a job could not handle, and why."""

    path: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    error: str = attrs.field(metadata=_wire(_str))
    #: The video concerned, for a job that works on videos (thumbnails).
    video_id: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ItemError:
        return _build(cls, data, "error item")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


@attrs.frozen(kw_only=True)
class ErrorList:
    """A job's per-item errors: the first ones (the server keeps a bounded number) and the count.

    ``for item in result.errors`` goes through the kept ones; ``count`` is how many
    there were in all, and ``truncated`` says whether some were left out.
    """

    items: tuple[ItemError, ...] = ()
    count: int = 0

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)

    def __iter__(self) -> Iterator[ItemError]:
        return iter(self.items)

    @classmethod
    def from_json(cls, items: Any, count: Any) -> ErrorList:
        if not isinstance(items, list):
            raise ProtocolError("malformed job result: errors is not a list")
        kept = tuple(ItemError.from_json(item) for item in items)
        if count is None:
            return cls(items=kept, count=len(kept))
        if isinstance(count, bool) or not isinstance(count, int):
            raise ProtocolError("malformed job result: error_count is not an integer")
        return cls(items=kept, count=max(count, len(kept)))


@attrs.frozen(kw_only=True)
class JobResult:
    """What a job did. A job of a kind this client does not know has one of these."""

    errors: ErrorList = ErrorList()
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def error_count(self) -> int:
        return self.errors.count

    @classmethod
    def from_json(cls, data: Any) -> JobResult:
        if not isinstance(data, dict):
            raise ProtocolError(f"expected a JSON object for a job result, got {type(data)}")
        errors = ErrorList.from_json(data.get("errors", []), data.get("error_count"))
        return _build(cls, data, "job result", errors=errors, consumed=("error_count",))

    def to_json(self) -> dict[str, Any]:
        return _dump(
            self, error_count=self.errors.count, errors=[item.to_json() for item in self.errors]
        )


def _count() -> Any:
    return attrs.field(default=0, metadata=_wire(_int))


@attrs.frozen(kw_only=True)
class ScanResult(JobResult):
    """What a scan did: how many video files it found and what became of each."""

    #: Video files found.
    scanned: int = _count()
    #: Added to the library.
    new: int = _count()
    #: Probed again because they had changed (or the scan forced it).
    updated: int = _count()
    #: Found but not probed: they could not be read (see ``errors``).
    skipped: int = _count()
    #: Left alone: size and modification time as before.
    unchanged: int = _count()
    #: In the library but no longer found: marked missing.
    missing: int = _count()
    #: Marked missing before and found again.
    reappeared: int = _count()
    #: Found at a new path: same video, moved (0 from a server that does not track moves).
    moved: int = _count()
    #: Files left out by their extension, counted by extension (lower case, ``""`` for
    #: none): ``{".txt": 3}``. Empty from a server that does not count them.
    ignored: dict[str, int] = attrs.field(factory=dict, metadata=_wire(_counts))

    @property
    def ignored_count(self) -> int:
        """Files left out by their extension, in all."""
        return sum(self.ignored.values())

    @classmethod
    def from_json(cls, data: Any) -> ScanResult:
        if not isinstance(data, dict):
            raise ProtocolError(f"expected a JSON object for a scan result, got {type(data)}")
        errors = ErrorList.from_json(data.get("errors", []), data.get("error_count"))
        return _build(cls, data, "scan result", errors=errors, consumed=("error_count",))


@attrs.frozen(kw_only=True)
class ThumbnailResult(JobResult):
    """What a thumbnails job did."""

    #: Videos the job was asked to make thumbnails for.
    total: int = _count()
    #: Thumbnails made.
    made: int = _count()
    #: Scrub strips made.
    strips: int = _count()

    @classmethod
    def from_json(cls, data: Any) -> ThumbnailResult:
        if not isinstance(data, dict):
            raise ProtocolError(f"expected a JSON object for a thumbnail result, got {type(data)}")
        errors = ErrorList.from_json(data.get("errors", []), data.get("error_count"))
        return _build(cls, data, "thumbnail result", errors=errors, consumed=("error_count",))


_RESULTS: dict[str, Callable[[Any], JobResult]] = {
    JobKind.SCAN: ScanResult.from_json,
    JobKind.THUMBNAILS: ThumbnailResult.from_json,
    # A watch job is a scan limited to what changed in a watched folder.
    JobKind.WATCH: ScanResult.from_json,
}


def _read_result(kind: str, data: Any) -> JobResult | None:
    if data is None:
        return None
    return _RESULTS.get(kind, JobResult.from_json)(data)


@attrs.frozen(kw_only=True)
class PurgeResult:
    """What ``purge_missing`` removed: library entries whose files were missing."""

    removed: int = attrs.field(metadata=_wire(_int))
    #: Their ids, in path order.
    video_ids: tuple[str, ...] = attrs.field(
        metadata=_wire(lambda v: tuple(_str(i) for i in v), list)
    )
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> PurgeResult:
        return _build(cls, data, "purge result")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


# -- jobs --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Job:
    """A job as the server last reported it."""

    job_id: str = attrs.field(metadata=_wire(_str))
    #: A :class:`JobKind`, or the plain string of a kind this client does not know.
    kind: JobKind | str = attrs.field(metadata=_wire(lambda v: _as_enum(JobKind, _str(v)), str))
    status: JobStatus = attrs.field(metadata=_wire(lambda v: JobStatus(_str(v)), str))
    params: dict[str, Any] = attrs.field(factory=dict, metadata=_wire(_object))
    #: 0.0 to 1.0, never decreasing; ``None`` until the job knows its total.
    progress: float | None = attrs.field(default=None, metadata=_wire(_optional(_float)))
    processed: int = _count()
    total: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    current_file: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    #: :class:`ScanResult` for a scan, :class:`ThumbnailResult` for thumbnails.
    result: JobResult | None = attrs.field(default=None)
    error: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    created_at: datetime = attrs.field(metadata=_wire(_time, format_time))
    started_at: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    finished_at: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @property
    def scan_result(self) -> ScanResult | None:
        """The result, if this is a scan that has one."""
        return self.result if isinstance(self.result, ScanResult) else None

    @property
    def thumbnail_result(self) -> ThumbnailResult | None:
        """The result, if this is a thumbnails job that has one."""
        return self.result if isinstance(self.result, ThumbnailResult) else None

    @classmethod
    def from_json(cls, data: Any) -> Job:
        if not isinstance(data, dict):
            raise ProtocolError(f"expected a JSON object for job, got {type(data).__name__}")
        kind = data.get("kind")
        result = _read_result(kind if isinstance(kind, str) else "", data.get("result"))
        return _build(cls, data, "job", result=result)

    def to_json(self) -> dict[str, Any]:
        return _dump(self, result=None if self.result is None else self.result.to_json())


@attrs.frozen(kw_only=True)
class JobPage:
    jobs: tuple[Job, ...]
    total: int
    limit: int
    offset: int


# -- watched folders ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Watch:
    """A watched folder, and how it is being watched."""

    id: str = attrs.field(metadata=_wire(_str))
    #: The folder on the server's machine, resolved (absolute, without symlinks).
    path: str = attrs.field(metadata=_wire(_str))
    #: Polled at an interval rather than watched through inotify.
    poll: bool = attrs.field(default=False, metadata=_wire(_bool))
    #: A :class:`WatchState`, or the plain string of a state this client does not know.
    state: WatchState | str = attrs.field(
        metadata=_wire(lambda v: _as_enum(WatchState, _str(v)), str)
    )
    #: Why the folder is polled or unavailable, for people; ``None`` while active.
    reason: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    created_at: datetime = attrs.field(metadata=_wire(_time, format_time))
    #: When files under the folder were last seen new, changed or gone.
    last_change_at: datetime | None = attrs.field(
        default=None, metadata=_wire(_optional(_time), _write_optional_time)
    )
    #: The latest job applying the folder's changes.
    job_id: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Watch:
        return _build(cls, data, "watch")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


# -- health and server -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Check:
    """One readiness check: ``status`` ``"ok"``, or not, with the ``reason``."""

    status: str = attrs.field(metadata=_wire(_str))
    #: Why the check failed.
    reason: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    #: How long the check took (the database's).
    latency_ms: float | None = attrs.field(default=None, metadata=_wire(_optional(_float)))
    #: The program's version (ffprobe's and ffmpeg's).
    version: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def from_json(cls, data: Any) -> Check:
        """An object ``{"status": …}``, or a bare string: ``"ok"`` or what is wrong."""
        if isinstance(data, str):
            if data == "ok":
                return cls(status="ok", source={"status": "ok"})
            return cls(status="error", reason=data, source={"status": "error", "reason": data})
        return _build(cls, data, "readiness check")

    def to_json(self) -> dict[str, Any]:
        """The check as an object, the form a server that sends bare strings lacks."""
        return _dump(self)

    def describe(self) -> str:
        """One line for people: ``ok (5.1.6)``, ``ok (0.4 ms)``, or the reason."""
        if not self.ok:
            return self.reason or self.status
        details = []
        if self.version:
            details.append(self.version)
        if self.latency_ms is not None:
            details.append(f"{self.latency_ms:.1f} ms")
        return "ok" + (f" ({', '.join(details)})" if details else "")


@attrs.frozen(kw_only=True)
class Readiness:
    """``/health/ready``: whether every check passed, and each check."""

    ok: bool
    checks: Mapping[str, Check]

    @classmethod
    def from_json(cls, data: Any) -> Readiness:
        if not isinstance(data, dict) or not isinstance(data.get("checks"), dict):
            raise ProtocolError("/health/ready answered with an unexpected shape")
        return cls(
            ok=data.get("status") == "ok",
            checks={str(name): Check.from_json(check) for name, check in data["checks"].items()},
        )


@attrs.frozen(kw_only=True)
class ServerInfo:
    """``/api/v1/info``: the server's version, where it may scan, and its vocabulary."""

    version: str = attrs.field(metadata=_wire(_str))
    allowed_scan_roots: tuple[str, ...] = attrs.field(
        metadata=_wire(lambda v: tuple(_str(root) for root in v), list)
    )
    #: Every job status, job kind, event type and error code, as the server spells them.
    protocol: dict[str, Any] = attrs.field(factory=dict, metadata=_wire(_object))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ServerInfo:
        return _build(cls, data, "server info")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


# -- events ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Event:
    """One event from ``/ws``. ``id`` is None for heartbeats and resync notices."""

    id: int | None = attrs.field(default=None, metadata=_wire(_optional(_int)))
    #: An :class:`EventType`, or the plain string of a type this client does not know.
    type: EventType | str = attrs.field(metadata=_wire(lambda v: _as_enum(EventType, _str(v)), str))
    payload: dict[str, Any] = attrs.field(factory=dict, metadata=_wire(_object))
    correlation_id: str | None = attrs.field(default=None, metadata=_wire(_optional(_str)))
    timestamp: datetime = attrs.field(metadata=_wire(_time, format_time))
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    _source: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def job_id(self) -> str | None:
        job_id = self.payload.get("job_id")
        return job_id if isinstance(job_id, str) else None

    @property
    def resync_required(self) -> bool:
        return self.type == EventType.RESYNC_REQUIRED

    @classmethod
    def from_json(cls, data: Any) -> Event:
        return _build(cls, data, "event")

    def to_json(self) -> dict[str, Any]:
        return _dump(self)
