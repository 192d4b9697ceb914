"""Looking at given paths for a scan limited to them, on real files (synchronous)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from stoat_ferret.scan.plan import FoundFile
from stoat_ferret.scan.walk import WalkResult, look_at_paths

from .test_walk import touch


@pytest.fixture
def root(media_root: Path) -> str:
    return os.path.realpath(media_root)


def found(path: str) -> FoundFile:
    info = os.stat(path)
    return FoundFile(path, info.st_size, info.st_mtime_ns)


def look(
    root: str, files: Sequence[str], folders: Sequence[str] = (), *, within: str | None = None
) -> WalkResult:
    return look_at_paths(files, folders, within=within or root, allowed_roots=[root])


def test_files_there_are_found_and_files_gone_are_not(root: str) -> None:
    """A file present is found with its size and mtime; one not there is simply absent."""
    here = touch(f"{root}/w/a.mp4")
    result = look(root, [here, f"{root}/w/gone.mp4"])
    assert result.files == (found(here),)
    assert (result.errors, result.unreadable) == ((), ())


def test_folders_are_walked_in_full(root: str) -> None:
    """A folder to rescan contributes every video below it, as a walk would."""
    a = touch(f"{root}/w/a.mp4")
    b = touch(f"{root}/w/deep/er/b.mkv")
    touch(f"{root}/w/notes.txt")
    result = look(root, [a], [f"{root}/w"])
    assert result.files == (found(a), found(b))
    assert result.ignored == {".txt": 1}


def test_paths_outside_the_folder_are_not_read(root: str, tmp_path: Path) -> None:
    """A path outside the folder scanned is an error and never stat'ed, nor called missing."""
    outside = touch(tmp_path / "outside" / "x.mp4")
    sibling = touch(f"{root}/other/y.mp4")
    result = look(root, [outside, sibling], within=f"{root}/w")
    assert result.files == ()
    assert sorted(result.unreadable) == sorted([outside, sibling])
    assert {reason for _, reason in result.errors} == {"outside the folder being scanned"}


def test_paths_through_a_symlinked_folder_are_passed_over(root: str, tmp_path: Path) -> None:
    """A file reached through a symlinked folder (in or out of the roots) is not taken."""
    outside = tmp_path / "outside"
    touch(outside / "x.mp4")
    os.makedirs(f"{root}/w")
    os.symlink(outside, f"{root}/w/out")
    inside = touch(f"{root}/elsewhere/y.mp4")
    os.symlink(f"{root}/elsewhere", f"{root}/w/in")
    result = look(root, [f"{root}/w/out/x.mp4", f"{root}/w/in/y.mp4"], [f"{root}/w/in"])
    assert result.files == ()
    assert (result.errors, result.unreadable) == ((), ())
    assert os.path.exists(inside)


def test_a_symlinked_file_counts_only_with_its_target_in_a_root(root: str, tmp_path: Path) -> None:
    """A file symlink to inside a root is the file; to outside, an error."""
    target = touch(f"{root}/store/t.mp4")
    os.makedirs(f"{root}/w")
    os.symlink(target, f"{root}/w/in.mp4")
    os.symlink(touch(tmp_path / "outside" / "o.mp4"), f"{root}/w/out.mp4")
    result = look(root, [f"{root}/w/in.mp4", f"{root}/w/out.mp4"])
    info = os.stat(target)
    assert result.files == (FoundFile(f"{root}/w/in.mp4", info.st_size, info.st_mtime_ns),)
    assert result.errors == ((f"{root}/w/out.mp4", "symlink points outside the allowed roots"),)


def test_only_video_names_are_looked_at(root: str) -> None:
    """A path that is not a video's name (or a macOS ``._`` companion) is passed over."""
    names = [touch(f"{root}/w/{n}") for n in ("notes.txt", "._a.mp4", "a.MP4")]
    result = look(root, names)
    assert [f.path for f in result.files] == [f"{root}/w/a.MP4"]


def test_a_folder_to_rescan_that_is_gone_hides_what_was_below_it(root: str) -> None:
    """A folder that cannot be listed is unreadable: nothing below it may be called missing."""
    result = look(root, [], [f"{root}/w/unplugged"])
    assert result.files == ()
    assert result.unreadable == (f"{root}/w/unplugged",)
