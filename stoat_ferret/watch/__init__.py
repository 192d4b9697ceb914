"""Watching folders for new, changed, moved and deleted videos.

:class:`~.watcher.FolderWatcher` watches one folder (through inotify, or by polling) and
sends :class:`~.models.WatchBatch` values of files that have finished being written,
files and folders gone, and folders to rescan. :class:`~.settle.Settler` holds the
settling rules, free of I/O. ``docs/watching.md`` describes the whole.
"""
