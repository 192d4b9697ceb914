"""What jobs produce: one result type per job kind. Pure values: no I/O here.

Each result is a frozen attrs value inside the service; :meth:`to_wire` gives the
JSON form the API, the event stream and the job history keep, and
:func:`load_result` reads that form back. The pydantic models in
``stoat_ferret.api.schemas`` describe the same JSON for ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import attrs

from ..protocol import JobKind

#: A result keeps this many per-item errors; ``error_count`` has them all.
MAX_REPORTED_ERRORS = 500


@attrs.frozen
class FileError:
    """A file a scan could not use, and why."""

    path: str
    error: str

    def to_wire(self) -> dict[str, Any]:
        return {"path": self.path, "error": self.error}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> FileError:
        return cls(str(data["path"]), str(data["error"]))


@attrs.frozen
class VideoError:
    """A video whose thumbnail or scrub strip could not be made, and why (``path`` is None for
    unknown ids)."""

    video_id: str
    path: str | None
    error: str

    def to_wire(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "path": self.path, "error": self.error}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> VideoError:
        path = data["path"]
        return cls(str(data["video_id"]), None if path is None else str(path), str(data["error"]))


class _WireItem(Protocol):
    def to_wire(self) -> dict[str, Any]: ...


E = TypeVar("E", bound=_WireItem)


@attrs.frozen
class CappedErrors(Generic[E]):
    """A job's per-item errors: every one counted, the first :data:`MAX_REPORTED_ERRORS` kept."""

    items: tuple[E, ...] = ()
    count: int = 0

    def add(self, error: E) -> CappedErrors[E]:
        if len(self.items) >= MAX_REPORTED_ERRORS:
            return CappedErrors(self.items, self.count + 1)
        kept: tuple[E, ...] = (*self.items, error)
        return CappedErrors(kept, self.count + 1)

    def to_wire(self) -> list[dict[str, Any]]:
        return [e.to_wire() for e in self.items]


@attrs.frozen(kw_only=True)
class ScanResult:
    """The counts of a scan: complete once the job is, the counts so far if it ended otherwise."""

    #: Video files the walk found.
    scanned: int = 0
    #: Files probed and added to the library.
    new: int = 0
    #: Files probed that the library held already.
    updated: int = 0
    #: Files not probed because their size and mtime matched (``skipped`` on the wire too).
    unchanged: int = 0
    #: Library entries this scan marked missing (and did not find moved).
    missing: int = 0
    #: Unchanged files that had been marked missing and are back.
    reappeared: int = 0
    #: Files found at a new path that are videos gone missing (same fingerprint): moved.
    moved: int = 0
    #: Files the walk passed over because of their extension, by extension (lower case,
    #: ``""`` for none): ``{".txt": 3}``.
    ignored: dict[str, int] = attrs.field(factory=dict, hash=False)
    errors: CappedErrors[FileError] = attrs.field(factory=CappedErrors)

    def to_wire(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "new": self.new,
            "updated": self.updated,
            "skipped": self.unchanged,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "reappeared": self.reappeared,
            "moved": self.moved,
            "ignored": dict(self.ignored),
            "error_count": self.errors.count,
            "errors": self.errors.to_wire(),
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ScanResult:
        items = tuple(FileError.from_wire(e) for e in data["errors"])
        # Results a version before moves and ignored files were counted stored lack them.
        ignored = data.get("ignored", {})
        if not isinstance(ignored, Mapping):
            raise TypeError("ignored is not an object")
        return cls(
            scanned=int(data["scanned"]),
            new=int(data["new"]),
            updated=int(data["updated"]),
            unchanged=int(data["unchanged"]),
            missing=int(data["missing"]),
            reappeared=int(data["reappeared"]),
            moved=int(data.get("moved", 0)),
            ignored={str(ext): int(count) for ext, count in ignored.items()},
            errors=CappedErrors(items, int(data["error_count"])),
        )


@attrs.frozen(kw_only=True)
class ThumbnailResult:
    """The counts of a thumbnails job."""

    #: Videos the job set out to make thumbnails (or scrub strips) for.
    total: int = 0
    #: Thumbnails made and recorded.
    made: int = 0
    #: Scrub strips made and recorded.
    strips: int = 0
    errors: CappedErrors[VideoError] = attrs.field(factory=CappedErrors)

    def to_wire(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "made": self.made,
            "strips": self.strips,
            "error_count": self.errors.count,
            "errors": self.errors.to_wire(),
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ThumbnailResult:
        items = tuple(VideoError.from_wire(e) for e in data["errors"])
        return cls(
            total=int(data["total"]),
            made=int(data["made"]),
            # Results stored before strips existed have no count of them.
            strips=int(data.get("strips", 0)),
            errors=CappedErrors(items, int(data["error_count"])),
        )


@attrs.frozen
class OpaqueResult:
    """The result of a job of a kind this version does not know (a newer one stored it).

    Kept and served as it was stored, never interpreted.
    """

    data: Mapping[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return dict(self.data)


JobResult: TypeAlias = ScanResult | ThumbnailResult | OpaqueResult

#: The result type of each job kind that has one.
RESULT_TYPES: Mapping[str, type[ScanResult] | type[ThumbnailResult]] = {
    JobKind.SCAN: ScanResult,
    JobKind.THUMBNAILS: ThumbnailResult,
    # A watch job is a scan limited to a watched folder's changes.
    JobKind.WATCH: ScanResult,
}


def load_result(kind: str, data: Mapping[str, Any]) -> JobResult:
    """The typed result of a ``kind`` job from its JSON form.

    A kind without a result type, or JSON that does not fit it, comes back as an
    :class:`OpaqueResult` holding the data unchanged: history is never lost.
    """
    result_type = RESULT_TYPES.get(kind)
    if result_type is not None:
        try:
            return result_type.from_wire(data)
        except (KeyError, TypeError, ValueError):
            pass
    return OpaqueResult(data)
