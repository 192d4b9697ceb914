"""Looking at a watched tree: walks, rounds of looks, the directory index, polling diffs, plans."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoat_ferret.extensions import VIDEO_EXTENSIONS
from stoat_ferret.watch.inotify import WatchPlan, plan_around
from stoat_ferret.watch.models import FileStat, video_filter
from stoat_ferret.watch.poll import carry_hidden, diff_trees
from stoat_ferret.watch.tree import (
    DirIndex,
    Tree,
    WalkStopped,
    at_or_below_any,
    check_root,
    look,
    walk_tree,
)

is_video = video_filter(VIDEO_EXTENSIONS)


def stat_of(path: Path) -> FileStat:
    info = os.stat(path)
    return FileStat(info.st_size, info.st_mtime_ns)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/{a.mp4, notes.txt, sub/{b.MKV, deeper/c.mov}, link -> sub}"""
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.mp4").write_bytes(b"a")
    (root / "notes.txt").write_bytes(b"n")
    (root / "sub" / "b.MKV").write_bytes(b"bb")
    (root / "sub" / "deeper" / "c.mov").write_bytes(b"ccc")
    (root / "link").symlink_to(root / "sub")
    return root


def test_video_filter_goes_by_extension_case_blind_and_skips_resource_forks() -> None:
    """Extensions match in any case; ``._`` companions never count as videos."""
    only_mxf = video_filter([".MXF"])
    assert only_mxf("/x/A.mxf")
    assert only_mxf("/x/b.MXF")
    assert not only_mxf("/x/._a.mxf")
    assert not only_mxf("/x/a.mp4")
    assert not only_mxf("/x/mxf")


def test_walk_lists_directories_and_videos_without_following_directory_links(
    tree: Path,
) -> None:
    """Every real directory and every video with its stat; the directory symlink is not entered."""
    found = walk_tree(str(tree), is_video, with_files=True)
    assert found.dirs == {str(tree), str(tree / "sub"), str(tree / "sub" / "deeper")}
    assert found.unreadable == frozenset()
    videos = [tree / "a.mp4", tree / "sub" / "b.MKV", tree / "sub" / "deeper" / "c.mov"]
    assert found.files == {str(p): stat_of(p) for p in videos}
    assert walk_tree(str(tree), is_video, with_files=False).files == {}


def test_a_walk_asked_to_stop_stops(tree: Path) -> None:
    """A set stop event ends the walk with WalkStopped."""
    stop = threading.Event()
    stop.set()
    with pytest.raises(WalkStopped):
        walk_tree(str(tree), is_video, with_files=True, stop=stop)


def test_check_root_tells_missing_files_and_folders_apart(tree: Path) -> None:
    """A folder has an identity; a missing path or a file has a reason instead."""
    info = os.stat(tree)
    assert check_root(str(tree)).identity == (info.st_dev, info.st_ino)
    missing = check_root(str(tree / "nope"))
    assert missing.identity is None
    assert missing.problem == "the folder does not exist (deleted, renamed, or unmounted)"
    assert check_root(str(tree / "a.mp4")).problem == "the path is no longer a folder"


def test_a_look_stats_videos_and_tells_new_and_gone_directories(tree: Path) -> None:
    """Videos get their stat (or None); new directories are walked, gone ones found."""
    index = DirIndex([str(tree), str(tree / "sub"), str(tree / "sub" / "deeper"), "/x/old"])
    (tree / "new" / "inner").mkdir(parents=True)
    (tree / "new" / "inner" / "d.mp4").write_bytes(b"d")
    (tree / "sub" / "deeper" / "c.mov").unlink()
    (tree / "sub" / "deeper").rmdir()
    (tree / "bundle.mov").mkdir()
    looked = look(
        [str(tree / "a.mp4"), str(tree / "sub" / "deeper" / "c.mov"), str(tree / "bundle.mov")],
        [str(tree / "new"), str(tree / "new" / "inner"), str(tree / "sub" / "deeper")],
        index,
        is_video,
    )
    assert looked.stats == {
        str(tree / "a.mp4"): stat_of(tree / "a.mp4"),
        str(tree / "sub" / "deeper" / "c.mov"): None,
    }
    assert looked.new_dirs == {str(tree / "new"), str(tree / "bundle.mov")}
    assert looked.found == {
        str(tree / "new" / "inner" / "d.mp4"): stat_of(tree / "new" / "inner" / "d.mp4")
    }
    assert looked.gone_dirs == {str(tree / "sub" / "deeper")}
    assert str(tree / "new" / "inner") in index
    assert str(tree / "sub" / "deeper") not in index
    # Named like a video, but a directory: walked as one, not stat'ed as a file.
    assert looked.ignored == {str(tree / "bundle.mov")}


def test_a_look_ignores_paths_that_are_neither_files_nor_gone(tree: Path) -> None:
    """A fifo named like a video is ignored; a non-video file is neither new nor gone."""
    os.mkfifo(tree / "pipe.mp4")
    looked = look([str(tree / "pipe.mp4")], [str(tree / "notes.txt")], DirIndex(), is_video)
    assert looked.ignored == {str(tree / "pipe.mp4")}
    assert looked.stats == {}
    assert looked.new_dirs == looked.gone_dirs == frozenset()


def test_the_index_forgets_a_directory_and_everything_below_it() -> None:
    """Removing /a drops /a and /a/b, not /ab."""
    index = DirIndex(["/a", "/a/b", "/ab", "/c"])
    index.remove(["/a", "/not-known"])
    assert len(index) == 2
    assert "/ab" in index
    assert "/c" in index
    assert "/a/b" not in index


def test_at_or_below_any_compares_whole_path_components() -> None:
    """/ab is not below /a; /a/b is; nothing is below an empty set."""
    assert at_or_below_any("/a/b", {"/a"})
    assert at_or_below_any("/a", {"/a"})
    assert not at_or_below_any("/ab", {"/a"})
    assert not at_or_below_any("/a", set())


def test_diff_trees_reports_changes_removals_and_outermost_gone_directories() -> None:
    """New and changed files with their stats, removed files, gone directories (outermost)."""
    one, two = FileStat(1, 1), FileStat(2, 2)
    old = Tree(
        frozenset({"/r", "/r/x", "/r/x/y", "/r/hidden"}),
        frozenset(),
        {"/r/same.mp4": one, "/r/grew.mp4": one, "/r/x/y/gone.mp4": one, "/r/hidden/h.mp4": one},
    )
    new = Tree(
        frozenset({"/r"}),
        frozenset({"/r/hidden"}),
        {"/r/same.mp4": one, "/r/grew.mp4": two, "/r/new.mp4": one},
    )
    changes = diff_trees(old, new)
    assert changes.changed == {"/r/grew.mp4": two, "/r/new.mp4": one}
    # Below a directory that could not be listed, nothing is called gone.
    assert changes.removed == {"/r/x/y/gone.mp4"}
    assert changes.gone_dirs == {"/r/x"}
    assert diff_trees(new, new).empty


def test_what_an_unreadable_folder_held_is_carried_to_the_next_comparison() -> None:
    """A folder unreadable in one walk and gone in the next: its files reported gone then."""
    one = FileStat(1, 1)
    first = Tree(
        frozenset({"/r", "/r/h", "/r/h/i"}), frozenset(), {"/r/h/a.mp4": one, "/r/x.mp4": one}
    )
    locked = Tree(frozenset({"/r"}), frozenset({"/r/h"}), {"/r/x.mp4": one})
    assert diff_trees(first, locked).empty
    carried = carry_hidden(first, locked)
    assert carried.dirs == first.dirs
    assert carried.files == first.files
    gone = Tree(frozenset({"/r"}), frozenset(), {"/r/x.mp4": one})
    changes = diff_trees(carried, gone)
    assert changes.removed == {"/r/h/a.mp4"}
    assert changes.gone_dirs == {"/r/h"}
    assert carry_hidden(carried, gone) is gone


def test_a_folder_gone_during_a_walk_is_left_out_not_hidden(tmp_path: Path) -> None:
    """A folder deleted after its parent was listed is gone, not unreadable; a missing top
    hides everything."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.mp4").write_bytes(b"a")

    def delete_sub_meanwhile(path: str) -> bool:
        # Called while the top is being listed, before "sub" is: it vanishes in between.
        if (tmp_path / "sub").exists():
            (tmp_path / "sub").rmdir()
        return is_video(path)

    walked = walk_tree(str(tmp_path), delete_sub_meanwhile, with_files=True)
    assert walked.dirs == {str(tmp_path)}
    assert walked.unreadable == frozenset()
    assert walk_tree(str(tmp_path / "nope"), is_video, with_files=True) == Tree(
        frozenset(), frozenset({str(tmp_path / "nope")}), {}
    )


# A tree as the set of its directories: paths below /r built from a few names.
names = st.sampled_from(["a", "b", "c"])
dir_paths = st.lists(names, min_size=1, max_size=4).map(lambda parts: "/r/" + "/".join(parts))


@given(st.sets(dir_paths, max_size=25), st.data())
def test_a_plan_around_unreadable_folders_starts_a_walk_at_every_readable_one(
    listed: set[str], data: st.DataObject
) -> None:
    """Each readable directory is a planned path, or lies below one with nothing unreadable
    between them: a walk from the planned path reaches it before any unreadable folder."""
    # Complete the tree (every ancestor exists), then lock some directories.
    dirs = {"/r"}
    for path in listed:
        while path != "/r":
            dirs.add(path)
            path = os.path.dirname(path)
    locked = (
        data.draw(st.sets(st.sampled_from(sorted(dirs - {"/r"})), max_size=4))
        if len(dirs) > 1
        else set()
    )
    # What a walk can see: nothing below a locked directory; locked ones are unreadable.
    readable = {d for d in dirs if not at_or_below_any(d, locked)}
    unreadable = {d for d in locked if not at_or_below_any(os.path.dirname(d), locked)}
    plan = plan_around("/r", readable, unreadable)
    assert plan.tolerant
    assert plan.paths[0] == "/r"  # watched first: its watch descriptor is FOLDER_WD
    assert len(set(plan.paths)) == len(plan.paths)
    assert set(plan.paths) <= readable
    subtree_has_locked = {d for d in readable if any(at_or_below_any(u, {d}) for u in unreadable)}
    for directory in readable:
        # The nearest planned path at or above it...
        top = directory
        while top not in plan.paths:
            top = os.path.dirname(top)
        # ...has no unreadable folder anywhere below it, or is the directory itself.
        assert top == directory or top not in subtree_has_locked


def test_the_whole_plan_watches_the_root_alone() -> None:
    """With nothing unreadable, the root is handed over as one tree, errors not tolerated."""
    assert WatchPlan.whole("/r") == WatchPlan("/r", ("/r",), tolerant=False)
