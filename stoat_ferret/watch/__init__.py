"""Watching folders for new, changed, moved and deleted videos.

:class:`FolderWatcher` watches one folder (through inotify, or by polling) and sends
:class:`WatchBatch` values of files that have finished being written, files and folders
gone, and folders to rescan. :class:`~.settle.Settler` holds the settling rules, free of
I/O. ``docs/watching.md`` describes the whole.
"""

from ..protocol import WatchState
from .models import FileStat, WatchBatch, WatchStatus
from .settle import Settler
from .watcher import FolderWatcher

__all__ = ["FileStat", "FolderWatcher", "Settler", "WatchBatch", "WatchState", "WatchStatus"]
