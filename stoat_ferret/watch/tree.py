"""Looking at a watched folder on disk. Synchronous: every function here runs in a worker thread.

Walks never follow directory symlinks (as scans do not) and may be stopped between two
directories through a :class:`threading.Event`, so cancelling a watcher never waits for a
whole walk of a large tree.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable, Collection, Iterable

import attrs

from .models import FileStat

#: ``(st_dev, st_ino)``: a directory's identity, which changes if it is replaced or unmounted.
Identity = tuple[int, int]


class WalkStopped(Exception):
    """The walk was asked to stop before it finished."""


@attrs.frozen
class RootCheck:
    """Whether the watched folder can be watched, and which directory it is."""

    identity: Identity | None
    #: Why it cannot be watched, for people; ``None`` when it can.
    problem: str | None = None


def check_root(root: str) -> RootCheck:
    """Look at the watched folder itself."""
    try:
        info = os.stat(root)
    except FileNotFoundError:
        return RootCheck(None, "the folder does not exist (deleted, renamed, or unmounted)")
    except OSError as exc:
        return RootCheck(None, f"the folder cannot be reached: {exc.strerror or exc}")
    if not stat.S_ISDIR(info.st_mode):
        return RootCheck(None, "the path is no longer a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        return RootCheck(None, "the folder cannot be read (permission denied)")
    return RootCheck((info.st_dev, info.st_ino))


@attrs.frozen
class Tree:
    """What a walk found below (and including) its top directory."""

    #: Every directory listed, the top included.
    dirs: frozenset[str]
    #: Directories that could not be listed; they are not in ``dirs``.
    unreadable: frozenset[str]
    #: Video files and their stats; empty unless the walk was asked for files.
    files: dict[str, FileStat]


def walk_tree(
    top: str,
    is_video: Callable[[str], bool],
    *,
    with_files: bool,
    stop: threading.Event | None = None,
) -> Tree:
    """Every directory below ``top``, and (``with_files``) every video file and its stat.

    Raises :class:`WalkStopped` if ``stop`` is set before the walk ends.
    """
    dirs: set[str] = set()
    unreadable: set[str] = set()
    files: dict[str, FileStat] = {}
    stack = [top]
    while stack:
        if stop is not None and stop.is_set():
            raise WalkStopped(top)
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError as exc:
            # A folder gone since its parent was listed is simply gone; the top one (or
            # any that cannot be read) hides what it holds: nothing below it is called gone.
            if directory == top or exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                unreadable.add(directory)
            continue
        dirs.add(directory)
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif with_files and is_video(entry.path):
                    found = _file_stat(entry.path)
                    if found is not None:
                        files[entry.path] = found
            except OSError:
                continue  # gone since it was listed: a notice will tell
    return Tree(frozenset(dirs), frozenset(unreadable), files)


def _file_stat(path: str) -> FileStat | None:
    """The stat of the regular file at ``path`` (symlinks followed), else ``None``."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        return None
    return FileStat(info.st_size, info.st_mtime_ns)


class DirIndex:
    """The directories known below a watched folder.

    Change notices do not say whether a path was a file or a directory, and a directory
    deleted or moved away cannot be looked at any more: this index is how the watcher
    tells that a path gone was a directory. Only touched from one thread at a time.
    """

    def __init__(self, dirs: Iterable[str] = ()) -> None:
        self._dirs = set(dirs)

    def __len__(self) -> int:
        return len(self._dirs)

    def __contains__(self, path: object) -> bool:
        return path in self._dirs

    def add(self, dirs: Iterable[str]) -> None:
        self._dirs.update(dirs)

    def remove(self, gone: Iterable[str]) -> None:
        """Forget each directory in ``gone`` and everything below it."""
        gone = set(gone) & self._dirs
        if not gone:
            return
        self._dirs = {d for d in self._dirs if not at_or_below_any(d, gone)}


def at_or_below_any(path: str, tops: Collection[str]) -> bool:
    """Whether ``path`` is one of ``tops`` or lies below one of them."""
    if not tops:
        return False
    while True:
        if path in tops:
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


@attrs.frozen
class Looked:
    """What one round of looking found."""

    #: Video paths asked about: their stat, or ``None`` if no file is there.
    stats: dict[str, FileStat | None]
    #: Paths asked about that are neither regular files nor gone (sockets, fifos, ...).
    ignored: frozenset[str]
    #: Directories that appeared (new, moved in, or recreated), outermost only.
    new_dirs: frozenset[str]
    #: Video files found inside ``new_dirs``, with their stats.
    found: dict[str, FileStat]
    #: Known directories that are gone (or are no longer directories).
    gone_dirs: frozenset[str]


def look(
    videos: Iterable[str],
    others: Iterable[str],
    index: DirIndex,
    is_video: Callable[[str], bool],
    *,
    stop: threading.Event | None = None,
) -> Looked:
    """One round of looking: stat ``videos``; tell what each of ``others`` now is.

    ``others`` are paths reported changed that are not video files by name: each may be a
    directory that appeared (it is walked, and ``index`` learns what is below it) or one
    that went (``index`` forgets it). A video path that turns out to be a directory is
    treated as one.
    """
    stats: dict[str, FileStat | None] = {}
    ignored: set[str] = set()
    maybe_dirs = set(others)
    for path in videos:
        kind, found = _what_is(path)
        if kind == "dir":
            maybe_dirs.add(path)
            ignored.add(path)
        elif kind == "other":
            ignored.add(path)
        else:
            stats[path] = found
    new_dirs: set[str] = set()
    gone: set[str] = set()
    for path in sorted(maybe_dirs):
        kind, _ = _what_is(path)
        if kind == "dir":
            new_dirs.add(path)
        elif path in index:
            gone.add(path)
    index.remove(gone)
    files: dict[str, FileStat] = {}
    outermost = {d for d in new_dirs if not at_or_below_any(os.path.dirname(d), new_dirs)}
    for path in sorted(outermost):
        tree = walk_tree(path, is_video, with_files=True, stop=stop)
        index.add(tree.dirs)
        files.update(tree.files)
    return Looked(stats, frozenset(ignored), frozenset(outermost), files, frozenset(gone))


def _what_is(path: str) -> tuple[str, FileStat | None]:
    """``("file", stat)``, ``("absent", None)``, ``("dir", None)`` or ``("other", None)``.

    A symlink to a file counts as the file; a symlink to a directory is not followed.
    """
    try:
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            return "dir", None
        if stat.S_ISLNK(info.st_mode):
            info = os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "absent", None
        return "other", None
    if stat.S_ISREG(info.st_mode):
        return "file", FileStat(info.st_size, info.st_mtime_ns)
    return "other", None
