"""Where a scan may go: resolving a requested path against the allowed roots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stoat_ferret.scan.errors import InvalidPath, PathNotAllowed
from stoat_ferret.scan.paths import resolve_roots, resolve_scan_path


@pytest.fixture
def root(media_root: Path) -> str:
    """The test's allowed root, fully resolved."""
    return os.path.realpath(media_root)


@pytest.fixture
def roots(root: str) -> tuple[str, ...]:
    return resolve_roots([Path(root)])


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the root, holding a video-like file: never allowed."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.mp4").write_bytes(b"x")
    return directory


@pytest.fixture
def locked_outside(outside: Path) -> Iterator[Path]:
    """A directory outside the roots that nobody but root may enter."""
    locked = outside / "locked"
    locked.mkdir()
    locked.chmod(0)
    yield locked
    locked.chmod(0o755)


def test_the_root_itself_is_allowed(root: str, roots: tuple[str, ...]) -> None:
    """The root is a valid scan path and comes back resolved."""
    assert resolve_scan_path(root, roots) == root
    assert resolve_scan_path(root + "/", roots) == root


def test_a_subdirectory_is_allowed(root: str, roots: tuple[str, ...]) -> None:
    """A directory below the root resolves to its real path, with "." and ".." inside it removed."""
    os.makedirs(os.path.join(root, "a", "b"))
    assert resolve_scan_path(f"{root}/a/./b/../b", roots) == os.path.join(root, "a", "b")


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_path_is_invalid(raw: str, roots: tuple[str, ...]) -> None:
    """An empty or blank path is InvalidPath."""
    with pytest.raises(InvalidPath, match="the path is empty"):
        resolve_scan_path(raw, roots)


def test_nul_byte_is_invalid(root: str, roots: tuple[str, ...]) -> None:
    """A path holding a NUL byte is InvalidPath."""
    with pytest.raises(InvalidPath, match="NUL byte"):
        resolve_scan_path(root + "\x00/x", roots)


@pytest.mark.parametrize("raw", ["media", "./media", "../media", "media/sub"])
def test_relative_path_is_invalid(
    raw: str, roots: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path is InvalidPath even when, from the current directory, it names the root."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidPath, match="the path must be absolute"):
        resolve_scan_path(raw, roots)


def test_outside_the_roots_is_not_allowed(outside: Path, roots: tuple[str, ...]) -> None:
    """A directory outside every root is PathNotAllowed, naming the allowed roots."""
    with pytest.raises(PathNotAllowed, match="outside the allowed scan roots") as excinfo:
        resolve_scan_path(str(outside), roots)
    assert roots[0] in str(excinfo.value)
    assert excinfo.value.code == "PATH_NOT_ALLOWED"


def test_no_roots_allows_nothing(root: str) -> None:
    """With no roots configured, every path is PathNotAllowed."""
    with pytest.raises(PathNotAllowed, match=r"\(none configured\)"):
        resolve_scan_path(root, ())


def test_sibling_with_the_root_as_prefix_is_not_allowed(root: str, roots: tuple[str, ...]) -> None:
    """/x/media2 is not inside the root /x/media."""
    os.mkdir(root + "2")
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(root + "2", roots)


def test_parent_of_the_root_is_not_allowed(root: str, roots: tuple[str, ...]) -> None:
    """The directory holding the root is outside it."""
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(os.path.dirname(root), roots)


def test_dotdot_escape_is_not_allowed(root: str, roots: tuple[str, ...], outside: Path) -> None:
    """A path that starts in the root but climbs out with ".." is PathNotAllowed."""
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(f"{root}/../{outside.name}", roots)


def test_symlink_out_of_the_root_is_not_allowed(
    root: str, roots: tuple[str, ...], outside: Path
) -> None:
    """A symlink inside the root pointing outside it is PathNotAllowed, directly or below it."""
    os.symlink(outside, os.path.join(root, "escape"))
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(os.path.join(root, "escape"), roots)
    os.mkdir(outside / "deeper")
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(os.path.join(root, "escape", "deeper"), roots)


def test_symlink_within_the_root_resolves_to_its_target(root: str, roots: tuple[str, ...]) -> None:
    """A symlink to another directory inside the root is allowed and resolved to the target."""
    os.mkdir(os.path.join(root, "real"))
    os.symlink(os.path.join(root, "real"), os.path.join(root, "alias"))
    assert resolve_scan_path(os.path.join(root, "alias"), roots) == os.path.join(root, "real")


def test_root_given_through_a_symlink(root: str, tmp_path: Path) -> None:
    """A root configured through a symlink allows the real directory behind it."""
    link = tmp_path / "media-link"
    link.symlink_to(root)
    assert resolve_scan_path(root, resolve_roots([link])) == root
    assert resolve_scan_path(str(link), resolve_roots([link])) == root


@pytest.mark.parametrize(
    "below", ["does-not-exist", "secret.mp4", "locked", "locked/below/a-locked-directory"]
)
def test_escape_is_refused_before_the_disk_is_read(
    below: str, roots: tuple[str, ...], outside: Path, locked_outside: Path
) -> None:
    """An outside path is PathNotAllowed whatever it is: missing, a file, or unreadable."""
    with pytest.raises(PathNotAllowed):
        resolve_scan_path(str(outside / below), roots)


def test_a_file_is_invalid(root: str, roots: tuple[str, ...]) -> None:
    """A file inside the root is InvalidPath, not a directory."""
    Path(root, "clip.mp4").write_bytes(b"x")
    with pytest.raises(InvalidPath, match="not a directory"):
        resolve_scan_path(os.path.join(root, "clip.mp4"), roots)


def test_a_missing_directory_under_the_root_is_invalid(root: str, roots: tuple[str, ...]) -> None:
    """A directory that does not exist under the root is InvalidPath."""
    with pytest.raises(InvalidPath, match="no such directory") as excinfo:
        resolve_scan_path(os.path.join(root, "gone"), roots)
    assert excinfo.value.code == "INVALID_PATH"


def test_a_dangling_symlink_under_the_root_is_invalid(root: str, roots: tuple[str, ...]) -> None:
    """A symlink in the root to a missing directory in the root is InvalidPath."""
    os.symlink(os.path.join(root, "nowhere"), os.path.join(root, "dangling"))
    with pytest.raises(InvalidPath, match="no such directory"):
        resolve_scan_path(os.path.join(root, "dangling"), roots)


def test_an_unreadable_directory_under_the_root_is_invalid(
    root: str, roots: tuple[str, ...]
) -> None:
    """An unreadable directory under the root is InvalidPath (skipped as root: chmod can't deny)."""
    locked = Path(root, "locked")
    locked.mkdir()
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK | os.X_OK):
            pytest.skip("running as root: chmod 000 does not deny reading")
        with pytest.raises(InvalidPath, match="the directory cannot be read"):
            resolve_scan_path(str(locked), roots)
    finally:
        locked.chmod(0o755)
