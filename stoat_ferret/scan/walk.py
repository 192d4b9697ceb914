"""Listing the video files under a directory. Synchronous: run it in a worker thread."""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

import attrs

from ..extensions import VIDEO_EXTENSIONS, extension_of
from .plan import FoundFile, is_within


@attrs.frozen
class WalkResult:
    files: tuple[FoundFile, ...]
    #: ``(path, reason)`` for entries that look like videos but cannot be used.
    errors: tuple[tuple[str, str], ...]
    #: Directories that could not be listed and files that were listed but could not be
    #: read: they may well exist, so nothing at or under these paths can be called missing.
    unreadable: tuple[str, ...]
    #: Files passed over because their extension is not a video's, counted by extension
    #: (lower case, ``""`` for none): ``{".txt": 3, "": 1}``. Hidden files are not counted.
    ignored: dict[str, int] = attrs.field(factory=dict)


def is_video_name(name: str, extensions: Collection[str] = VIDEO_EXTENSIONS) -> bool:
    # "._name.mp4" files are macOS resource forks, not videos.
    return not name.startswith("._") and extension_of(name) in extensions


def walk_directory(
    root: str,
    *,
    recursive: bool,
    allowed_roots: Sequence[str],
    extensions: Collection[str] = VIDEO_EXTENSIONS,
) -> WalkResult:
    """Every video file in ``root`` (and below it, if ``recursive``), sorted by path.

    A video file is one whose extension, in any case, is in ``extensions`` (lower case,
    with the dot). Other regular files are counted in ``ignored`` by extension. Hidden
    files (names starting with ``.``, such as ``.DS_Store``) are not counted: they are the
    system's, and would be noise on every card. A hidden file with a video extension is
    still a video, except a macOS ``._`` resource fork, which only shadows the file beside it.

    Directory symlinks are not followed. A file symlink is taken only if its
    target lies inside an allowed root.
    """
    files: list[FoundFile] = []
    errors: list[tuple[str, str]] = []
    unreadable: list[str] = []
    ignored: Counter[str] = Counter()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError as exc:
            unreadable.append(directory)
            errors.append((directory, f"cannot list directory: {exc.strerror or exc}"))
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        stack.append(entry.path)
                    continue
                if not is_video_name(entry.name, extensions):
                    if not entry.name.startswith(".") and entry.is_file():
                        ignored[extension_of(entry.name)] += 1
                    continue
                if not _encodable(entry.path):
                    errors.append((entry.path, "the file name is not valid UTF-8"))
                    continue
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not any(is_within(target, r) for r in allowed_roots):
                        errors.append((entry.path, "symlink points outside the allowed roots"))
                        continue
                    info = os.stat(entry.path)
                else:
                    info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                unreadable.append(entry.path)
                errors.append((entry.path, f"cannot read file: {exc.strerror or exc}"))
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(FoundFile(entry.path, info.st_size, info.st_mtime_ns))
    files.sort(key=lambda f: f.path)
    return WalkResult(tuple(files), tuple(errors), tuple(unreadable), dict(sorted(ignored.items())))


def look_at_paths(
    files: Iterable[str],
    folders: Iterable[str],
    *,
    within: str,
    allowed_roots: Sequence[str],
    extensions: Collection[str] = VIDEO_EXTENSIONS,
) -> WalkResult:
    """What is on disk now at ``files``, and in ``folders`` (each walked in full).

    For a scan limited to given paths, as :func:`walk_directory` is for a scan of a
    directory, and by the same rules. Every path is checked before anything at it is
    read: it must lie in the resolved folder ``within`` (and an allowed root), and be
    reached without a symlinked folder on the way (walks do not follow those; a path
    through one is passed over). A file that is not there (any more) is simply not
    found. A file symlink is taken only if its target lies inside an allowed root.
    """
    found: dict[str, FoundFile] = {}
    errors: list[tuple[str, str]] = []
    unreadable: list[str] = []
    ignored: Counter[str] = Counter()
    plain_dirs: dict[str, bool] = {}

    def allowed(path: str, *, folder: bool) -> bool:
        if not is_within(path, within) or not any(is_within(path, r) for r in allowed_roots):
            unreadable.append(path)
            errors.append((path, "outside the folder being scanned"))
            return False
        directory = path if folder else os.path.dirname(path)
        if directory not in plain_dirs:
            plain_dirs[directory] = os.path.realpath(directory) == directory
        return plain_dirs[directory]

    for path in sorted({os.path.normpath(p) for p in files}):
        if not allowed(path, folder=False) or not is_video_name(os.path.basename(path), extensions):
            continue
        if not _encodable(path):
            errors.append((path, "the file name is not valid UTF-8"))
            continue
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                target = os.path.realpath(path)
                if not any(is_within(target, r) for r in allowed_roots):
                    errors.append((path, "symlink points outside the allowed roots"))
                    continue
                info = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            unreadable.append(path)
            errors.append((path, f"cannot read file: {exc.strerror or exc}"))
            continue
        if stat.S_ISREG(info.st_mode):
            found[path] = FoundFile(path, info.st_size, info.st_mtime_ns)
    for folder in sorted({os.path.normpath(f) for f in folders}):
        if not allowed(folder, folder=True):
            continue
        walk = walk_directory(
            folder, recursive=True, allowed_roots=allowed_roots, extensions=extensions
        )
        found.update((f.path, f) for f in walk.files)
        errors.extend(walk.errors)
        unreadable.extend(walk.unreadable)
        ignored.update(walk.ignored)
    files_found = tuple(sorted(found.values(), key=lambda f: f.path))
    return WalkResult(files_found, tuple(errors), tuple(unreadable), dict(sorted(ignored.items())))


def _encodable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
