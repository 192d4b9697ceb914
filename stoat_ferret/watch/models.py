"""The values a folder watcher hands its caller, and the file facts it settles on. Pure."""

from __future__ import annotations

import os
from collections.abc import Collection
from datetime import datetime
from typing import Any

import attrs

from ..library.models import WatchRecord
from ..protocol import WatchState
from ..timestamps import format_timestamp, optional_timestamp


@attrs.frozen
class FileStat:
    """What a ``stat`` of a regular file said: a file is settled when these stop changing."""

    size: int
    mtime_ns: int


@attrs.frozen
class WatchBatch:
    """Changes under a watched folder, ready to be applied together.

    Paths are absolute and sorted. ``settled`` and ``deleted`` hold video files only. A file
    renamed or moved within the folder appears as a deletion of its old path and a settled
    new path, usually in the same batch: which new path is which old file is for a later
    stage to tell, by content. A directory moved or deleted is one entry in
    ``deleted_dirs``, standing for every video the library has below it.

    Apply ``deleted_dirs`` and ``deleted`` before ``settled``: a directory deleted and made
    again is in ``deleted_dirs``, and the files now in it are in ``settled``.
    """

    #: Video files created or changed, and now stable: the same size and mtime for the
    #: settle window, with no change reported meanwhile.
    settled: tuple[str, ...] = ()
    #: Video files gone (deleted, or renamed or moved away).
    deleted: tuple[str, ...] = ()
    #: Directories gone, each standing for everything below it; none lies below another.
    deleted_dirs: tuple[str, ...] = ()
    #: Folders to rescan in full, because changes in them may have gone unseen (the folder
    #: came back, or the watcher had to start again).
    rescan: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.settled or self.deleted or self.deleted_dirs or self.rescan)


@attrs.frozen
class WatchStatus:
    """How a folder is being watched, and why when it is not the usual way."""

    state: WatchState
    #: Why the folder is polled or unavailable, for people; ``None`` while ``active``.
    reason: str | None = None


@attrs.frozen(kw_only=True)
class Watch:
    """A watched folder as the API shows it: what the library keeps, and its live status."""

    id: str
    path: str
    poll: bool
    state: WatchState
    reason: str | None
    created_at: datetime
    last_change_at: datetime | None
    job_id: str | None

    @classmethod
    def of(cls, record: WatchRecord, status: WatchStatus) -> Watch:
        return cls(
            id=record.id,
            path=record.path,
            poll=record.poll,
            state=status.state,
            reason=status.reason,
            created_at=record.created_at,
            last_change_at=record.last_change_at,
            job_id=record.job_id,
        )

    def to_wire(self) -> dict[str, Any]:
        """The watch object of the API and of ``watch_status`` events."""
        return {
            "id": self.id,
            "path": self.path,
            "poll": self.poll,
            "state": str(self.state),
            "reason": self.reason,
            "created_at": format_timestamp(self.created_at),
            "last_change_at": optional_timestamp(self.last_change_at),
            "job_id": self.job_id,
        }


def video_filter(extensions: Collection[str]) -> VideoFilter:
    """A predicate telling video paths by their extension (case-insensitive)."""
    return VideoFilter(frozenset(e.lower() for e in extensions))


@attrs.frozen
class VideoFilter:
    """Whether a path names a video file, by its extension.

    macOS resource-fork companions (``._name.mp4``) are not videos, whatever they end with.
    """

    extensions: frozenset[str]

    def __call__(self, path: str) -> bool:
        name = os.path.basename(path)
        return not name.startswith("._") and os.path.splitext(name)[1].lower() in self.extensions
