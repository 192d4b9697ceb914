"""The values a folder watcher hands its caller, and the file facts it settles on. Pure."""

from __future__ import annotations

import os
from collections.abc import Collection

import attrs

from ..protocol import WatchState


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
