"""Listing video files under a directory, on real directory trees."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stoat_ferret.extensions import VIDEO_EXTENSIONS, video_extensions
from stoat_ferret.scan.paths import resolve_roots
from stoat_ferret.scan.plan import FoundFile
from stoat_ferret.scan.walk import WalkResult, walk_directory

#: Longer paths than this cannot be opened on Linux (PATH_MAX, counting the final NUL).
PATH_MAX = 4096


@pytest.fixture
def root(media_root: Path) -> str:
    return os.path.realpath(media_root)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    return directory


def touch(path: str | Path, data: bytes = b"video") -> str:
    """Write ``data`` to ``path``, making its parents, and return the path as a string."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_bytes(data)
    return str(path)


def walk(
    root: str, *, recursive: bool = True, extensions: frozenset[str] = VIDEO_EXTENSIONS
) -> WalkResult:
    return walk_directory(
        root, recursive=recursive, allowed_roots=resolve_roots([Path(root)]), extensions=extensions
    )


def paths(result: WalkResult) -> list[str]:
    return [f.path for f in result.files]


def make_too_long_directory(parent: str) -> str:
    """Nest directories under ``parent`` until the deepest one's path is longer than PATH_MAX.

    Made through directory file descriptors, so the kernel never sees the long path;
    every ancestor of the deepest directory stays short enough to be listed. The
    deepest directory holds a video file, which nothing can reach by path.
    """
    target = PATH_MAX + 104
    first = target - len(parent) - 1
    names = []
    while first > 201:
        names.append("d" * 200)
        first -= 201
    names.insert(0, "p" * max(first, 1))
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("hidden.mp4", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    deepest = os.path.join(parent, *names)
    assert len(os.fsencode(deepest)) >= PATH_MAX > len(os.fsencode(os.path.dirname(deepest)))
    return deepest


def test_reports_size_and_mtime(root: str) -> None:
    """Each file comes with its size in bytes and its mtime in nanoseconds."""
    path = touch(os.path.join(root, "clip.mp4"), b"12345")
    os.utime(path, ns=(1_600_000_000_123_456_789, 1_700_000_000_987_654_321))
    assert walk(root) == WalkResult(
        files=(FoundFile(path, 5, 1_700_000_000_987_654_321),), errors=(), unreadable=()
    )


def test_extensions_are_case_insensitive(root: str) -> None:
    """Every video extension is found whatever its case."""
    names = ["a.mp4", "b.MKV", "c.Avi", "d.mOv", "e.WEBM", "f.m4v", "g.MP4"]
    for name in names:
        touch(os.path.join(root, name))
    assert paths(walk(root)) == [os.path.join(root, n) for n in names]


def test_non_videos_are_ignored(root: str) -> None:
    """Files without a video extension are not listed nor errors, but counted by extension."""
    for name in ["notes.txt", "song.mp3", "mp4", "clip.mp4.part", "clip.mpg4", ".mp4", "README"]:
        touch(os.path.join(root, name))
    keep = touch(os.path.join(root, "keep.mp4"))
    assert walk(root) == WalkResult(
        files=(FoundFile(keep, 5, os.stat(keep).st_mtime_ns),),
        errors=(),
        unreadable=(),
        ignored={"": 2, ".mp3": 1, ".mpg4": 1, ".part": 1, ".txt": 1},
    )


def test_macos_resource_forks_are_ignored(root: str) -> None:
    """ "._name.mp4" files are skipped, while a name merely containing "._" is kept."""
    touch(os.path.join(root, "._clip.mp4"))
    touch(os.path.join(root, "sub", "._other.MKV"))
    kept = touch(os.path.join(root, "my._clip.mp4"))
    result = walk(root)
    assert paths(result) == [kept]
    assert result.errors == ()


def test_recursive_and_not(root: str) -> None:
    """Recursive walks every level, sorted by path; non-recursive stays in the directory."""
    top = touch(os.path.join(root, "top.mp4"))
    mid = touch(os.path.join(root, "a", "mid.mkv"))
    deep = touch(os.path.join(root, "a", "b", "c", "deep.webm"))
    other = touch(os.path.join(root, "z", "other.avi"))
    assert paths(walk(root, recursive=True)) == sorted([top, mid, deep, other])
    assert paths(walk(root, recursive=False)) == [top]
    assert paths(walk(os.path.join(root, "a"), recursive=False)) == [mid]


def test_directory_named_like_a_video(root: str) -> None:
    """A directory called "x.mp4" is not listed as a file, and is walked into when recursive."""
    inner = touch(os.path.join(root, "x.mp4", "inner.mp4"))
    assert paths(walk(root, recursive=True)) == [inner]
    assert walk(root, recursive=False) == WalkResult(files=(), errors=(), unreadable=())


def test_directory_symlinks_are_not_followed(root: str, outside: Path) -> None:
    """Symlinked directories are skipped, whether they point inside or outside the roots."""
    real = touch(os.path.join(root, "real", "clip.mp4"))
    os.symlink(os.path.join(root, "real"), os.path.join(root, "alias"))
    touch(outside / "secret.mp4")
    os.symlink(outside, os.path.join(root, "escape"))
    os.symlink(root, os.path.join(root, "real", "loop"))
    assert walk(root) == WalkResult(
        files=(FoundFile(real, 5, os.stat(real).st_mtime_ns),), errors=(), unreadable=()
    )


def test_file_symlink_inside_the_roots_is_listed(root: str) -> None:
    """A file symlink to a video inside the roots is listed under the link's own path."""
    target = touch(os.path.join(root, "store", "data.bin"), b"0123456789")
    link = os.path.join(root, "clip.mp4")
    os.symlink(target, link)
    assert walk(root).files == (FoundFile(link, 10, os.stat(target).st_mtime_ns),)


def test_file_symlink_outside_the_roots_is_an_error(root: str, outside: Path) -> None:
    """A file symlink leading out of the roots is reported in errors and not listed."""
    secret = touch(outside / "secret.mp4")
    link = os.path.join(root, "innocent.mp4")
    os.symlink(secret, link)
    kept = touch(os.path.join(root, "kept.mp4"))
    result = walk(root)
    assert paths(result) == [kept]
    assert result.errors == ((link, "symlink points outside the allowed roots"),)
    assert result.unreadable == ()


def test_dangling_file_symlink_is_an_error(root: str) -> None:
    """A video symlink whose target is gone is reported as unreadable, not listed."""
    link = os.path.join(root, "gone.mp4")
    os.symlink(os.path.join(root, "nothing-here.mp4"), link)
    result = walk(root)
    assert result.files == ()
    assert result.errors == ((link, "cannot read file: No such file or directory"),)


def test_special_files_are_not_listed(root: str) -> None:
    """A FIFO with a video name is not a regular file and is not listed."""
    os.mkfifo(os.path.join(root, "pipe.mp4"))
    assert walk(root) == WalkResult(files=(), errors=(), unreadable=())


def test_name_that_is_not_utf8_is_an_error(root: str) -> None:
    """A file name that is not valid UTF-8 is reported in errors and not listed."""
    raw = os.fsencode(root) + b"/bad\xff.mp4"
    os.close(os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644))
    result = walk(root)
    assert result.files == ()
    assert result.errors == ((os.fsdecode(raw), "the file name is not valid UTF-8"),)


@pytest.fixture
def locked(root: str) -> Iterator[str]:
    """A subdirectory with mode 000 holding a video; its mode is restored afterwards."""
    directory = os.path.join(root, "locked")
    touch(os.path.join(directory, "inside.mp4"))
    os.chmod(directory, 0)
    yield directory
    os.chmod(directory, 0o755)


def test_unreadable_subdirectory_is_reported(root: str, locked: str) -> None:
    """A chmod 000 subdirectory goes to unreadable (skipped as root: chmod does not deny root)."""
    if os.access(locked, os.R_OK | os.X_OK):
        pytest.skip("running as root: chmod 000 does not deny reading")
    kept = touch(os.path.join(root, "kept.mp4"))
    result = walk(root)
    assert paths(result) == [kept]
    assert result.unreadable == (locked,)
    assert result.errors == ((locked, "cannot list directory: Permission denied"),)


def test_unlistable_subdirectory_is_reported(root: str) -> None:
    """A subdirectory that cannot be listed (its path is over PATH_MAX) goes to unreadable."""
    deepest = make_too_long_directory(root)
    kept = touch(os.path.join(root, "kept.mp4"))
    result = walk(root)
    assert paths(result) == [kept]
    assert result.unreadable == (deepest,)
    assert result.errors == ((deepest, "cannot list directory: File name too long"),)


def test_unlistable_root_is_reported(root: str) -> None:
    """A root that vanished before the walk gives no files and is itself unreadable."""
    gone = os.path.join(root, "gone")
    result = walk(gone)
    assert result == WalkResult(
        files=(),
        errors=((gone, "cannot list directory: No such file or directory"),),
        unreadable=(gone,),
    )


#: Every container family a scan must recognise without being told.
EDITOR_EXTENSIONS = [
    "mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "wmv", "asf", "flv", "f4v", "ogv", "mxf",
    "mts", "m2ts", "ts", "m2t", "mpg", "mpeg", "m2v", "m1v", "vob", "3gp", "3g2", "dv", "y4m",
]  # fmt: skip


def test_every_family_is_a_video(root: str) -> None:
    """Each extension editors meet, in lower or upper case, is listed as a video."""
    names = [f"clip.{ext}" for ext in EDITOR_EXTENSIONS] + [
        f"CAM.{ext.upper()}" for ext in EDITOR_EXTENSIONS
    ]
    for name in names:
        touch(os.path.join(root, name))
    result = walk(root)
    assert paths(result) == sorted(os.path.join(root, n) for n in names)
    assert result.ignored == {}


def test_extra_extensions_are_videos(root: str) -> None:
    """Extensions added by setting are walked as videos; without them they are counted."""
    r3d = touch(os.path.join(root, "A001.R3D"))
    braw = touch(os.path.join(root, "sub", "clip.braw"))
    mp4 = touch(os.path.join(root, "clip.mp4"))
    assert walk(root).ignored == {".braw": 1, ".r3d": 1}
    extended = walk(root, extensions=video_extensions([".r3d", "BRAW"]))
    assert paths(extended) == sorted([r3d, braw, mp4])
    assert extended.ignored == {}


def test_extension_set_replaces_the_default(root: str) -> None:
    """The walk uses exactly the extensions it is given: .mp4 is ignored if not among them."""
    mxf = touch(os.path.join(root, "a.mxf"))
    touch(os.path.join(root, "b.mp4"))
    result = walk(root, extensions=frozenset({".mxf"}))
    assert paths(result) == [mxf]
    assert result.ignored == {".mp4": 1}


def test_ignored_files_are_counted_in_every_folder_walked(root: str) -> None:
    """Counts cover every walked folder; a non-recursive walk counts only its own folder."""
    for name in ["a.txt", "b.TXT", "sub/c.txt", "sub/deeper/d.jpg", "sub/deeper/e"]:
        touch(os.path.join(root, name))
    assert walk(root).ignored == {"": 1, ".jpg": 1, ".txt": 3}
    assert walk(root, recursive=False).ignored == {".txt": 2}


def test_hidden_files_are_passed_over_quietly(root: str) -> None:
    """Dotfiles and ._ resource forks are neither listed nor counted; a hidden video is listed."""
    for name in [".DS_Store", "._clip.mp4", "._notes.txt", ".localized", "sub/.hidden.txt"]:
        touch(os.path.join(root, name))
    hidden_video = touch(os.path.join(root, ".take2.mov"))
    result = walk(root)
    assert paths(result) == [hidden_video]
    assert result.ignored == {}


def test_only_regular_files_are_counted(root: str) -> None:
    """Folders, FIFOs and dangling symlinks without a video extension are not counted."""
    os.mkdir(os.path.join(root, "folder.txt"))
    os.mkfifo(os.path.join(root, "pipe.txt"))
    os.symlink(os.path.join(root, "nowhere"), os.path.join(root, "dangling.txt"))
    touch(os.path.join(root, "real.txt"))
    os.symlink(os.path.join(root, "real.txt"), os.path.join(root, "link.txt"))
    assert walk(root).ignored == {".txt": 2}


def test_generated_media_of_every_family_is_found(corpus: dict[str, Path]) -> None:
    """Real files of every container family, as generated, are all walked as videos."""
    directory = next(iter(corpus.values())).parent
    result = walk(os.path.realpath(directory))
    assert [os.path.basename(f.path) for f in result.files] == sorted(corpus)
    assert (result.errors, result.ignored) == ((), {})
