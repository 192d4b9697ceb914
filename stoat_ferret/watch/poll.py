"""What changed between two walks of a polled folder. Pure.

Polling is the fallback where inotify cannot be used (its watch limit reached, a tree it
cannot watch, network filesystems where it sees nothing): the folder is walked at an
interval and each walk compared with the one before. Only video files are stat'ed, and a
directory that could not be listed hides nothing: what was below it is not called gone.
"""

from __future__ import annotations

import os

import attrs

from .models import FileStat
from .tree import Tree, at_or_below_any


@attrs.frozen
class PollChanges:
    """The difference between two walks."""

    #: Video files new or changed since the last walk, with their stat in the new one.
    changed: dict[str, FileStat]
    #: Video files gone since the last walk.
    removed: frozenset[str]
    #: Directories gone since the last walk, outermost only.
    gone_dirs: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.changed or self.removed or self.gone_dirs)


def diff_trees(old: Tree, new: Tree) -> PollChanges:
    """What changed from walk ``old`` to walk ``new`` of the same folder."""
    changed = {p: s for p, s in new.files.items() if old.files.get(p) != s}
    hidden = new.unreadable

    def visible(path: str) -> bool:
        return not at_or_below_any(path, hidden)

    removed = frozenset(p for p in old.files.keys() - new.files.keys() if visible(p))
    gone = {d for d in old.dirs - new.dirs if visible(d)}
    outermost = frozenset(d for d in gone if not at_or_below_any(os.path.dirname(d), gone))
    return PollChanges(changed, removed, outermost)


def carry_hidden(old: Tree, new: Tree) -> Tree:
    """``new``, with what ``old`` knew below the directories ``new`` could not list.

    The next walk is compared with this: files below a directory that has become
    unreadable are neither gone nor changed until it can be listed again, and if it is then
    gone, what was below it is reported gone.
    """
    hidden = new.unreadable
    if not hidden:
        return new
    dirs = new.dirs | {d for d in old.dirs if at_or_below_any(d, hidden)}
    files = {p: s for p, s in old.files.items() if at_or_below_any(p, hidden)} | new.files
    return Tree(dirs, new.unreadable, files)
