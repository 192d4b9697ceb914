"""Counting the kernel's watches, which tells a full watch from one cut short by the limit."""

from __future__ import annotations

from pathlib import Path

import trio

from stoat_ferret.watch.inotify import FOLDER_WD, WatchPlan, open_inotify


def make_tree(root: Path, folders: int) -> int:
    """``folders`` folders below ``root``; how many directories there are, ``root`` included."""
    for i in range(folders):
        (root / f"day{i // 10}" / f"card{i:03}").mkdir(parents=True)
    return 1 + folders + (folders + 9) // 10


async def test_every_directory_of_a_large_tree_is_counted_as_watched(tmp_path: Path) -> None:
    """40+ directories: one watch each, read from /proc (where the kernel writes them in hex)."""
    root = tmp_path / "tree"
    directories = await trio.to_thread.run_sync(make_tree, root, 40)
    source = await trio.to_thread.run_sync(open_inotify, WatchPlan.whole(str(root)))
    try:
        watched = await trio.to_thread.run_sync(source.watched)
    finally:
        await trio.to_thread.run_sync(source.close)
    assert watched == frozenset(range(1, directories + 1))
    assert FOLDER_WD in watched
