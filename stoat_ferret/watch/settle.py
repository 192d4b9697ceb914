"""Deciding when changed files are fully written, and grouping them into batches.

Pure: no I/O, no trio, no clock. The watcher feeds a :class:`Settler` the change notices
it is given (a path changed, at a time) and what ``stat`` said about each path it was
asked to look at; the settler says which paths to ``stat`` and when, and hands out
batches of paths that have settled.

A path settles when it has been seen with the same size and mtime (or seen absent) for
``settle`` seconds, with no change notice in that span. Notices only ever delay a path;
only what ``stat`` saw decides it, so a notice that misses its mark (a rename reported as
a deletion and a creation, in either order) does no harm. A file that is still being
written keeps changing, so it is never handed out while it grows.

Batches coalesce bursts: a settled path is held back while other noticed paths are still
settling, so a card offload or a folder copied in goes out in a few batches, not one per
file. Nothing is held longer than ``max_hold`` seconds after it settled, nor once
``max_batch`` paths are waiting. Before a batch goes out every path in it is looked at once
more (the settler asks for it through :meth:`Settler.due`), so a file that changed while
it was held goes back to settling instead of out.

The driver's loop, at each wake-up::

    for path in settler.due(now):          # stat these (together, in one worker thread)
        settler.observe(path, stat_of(path), now)
    batch = settler.take(now)              # None, or a batch to hand on
    wake = settler.wakeup(now)             # when to come back, if nothing is noticed first
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection
from typing import Any

import attrs

from .models import FileStat, WatchBatch


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be greater than 0, got {value!r}")


def _not_negative(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{attribute.name} must be 0 or more, got {value!r}")


@attrs.define
class _Pending:
    """One noticed path on its way to a batch."""

    #: Time of the latest change notice for the path.
    noticed: float
    #: What the latest stat saw: the file's size and mtime, or ``None`` for no file.
    stat: FileStat | None = None
    #: Whether the path has been looked at since it was first noticed.
    observed: bool = False
    #: When ``stat`` was first seen (it has stayed the same since).
    since: float = -math.inf
    #: When the path was last looked at.
    checked: float = -math.inf
    #: A notice came after the last look.
    stale: bool = True


@attrs.define
class Settler:
    """Tracks noticed paths until they settle, and batches them.

    All times are seconds on one monotonic clock, chosen by the caller.
    """

    #: Seconds a path must stay the same, with no notice, before it is handed out.
    settle: float = attrs.field(default=2.0, kw_only=True, validator=_positive)
    #: Seconds a settled path may wait for others still settling before it goes out anyway.
    max_hold: float = attrs.field(default=10.0, kw_only=True, validator=_not_negative)
    #: Settled paths that make a batch go out at once; also the most one batch holds.
    max_batch: int = attrs.field(default=1000, kw_only=True, validator=_positive)

    _pending: dict[str, _Pending] = attrs.field(factory=dict, init=False)
    #: Directory gone -> time it was noticed.
    _gone_dirs: dict[str, float] = attrs.field(factory=dict, init=False)
    #: Folders to rescan, in the order asked (a dict as an ordered set).
    _rescans: dict[str, None] = attrs.field(factory=dict, init=False)
    #: When :meth:`due` was last called: paths looked at since then are fresh.
    _round: float = attrs.field(default=-math.inf, init=False)

    # -- what the watcher tells it ---------------------------------------------------------

    def notice(self, path: str, now: float) -> None:
        """``path`` was reported changed (created, modified, deleted or renamed) at ``now``."""
        entry = self._pending.get(path)
        if entry is None:
            self._pending[path] = _Pending(noticed=now)
        else:
            entry.noticed = max(entry.noticed, now)
            entry.stale = True

    def observe(self, path: str, stat: FileStat | None, now: float) -> None:
        """A ``stat`` of ``path`` at ``now`` saw ``stat`` (``None``: no file there).

        Ignored for a path that is not pending (never noticed, or already handed out).
        """
        entry = self._pending.get(path)
        if entry is None:
            return
        if not entry.observed or stat != entry.stat:
            entry.stat = stat
            entry.since = now
            entry.observed = True
        entry.checked = max(entry.checked, now)
        entry.stale = False

    def forget(self, path: str) -> None:
        """Stop tracking ``path`` (it turned out to be a directory, a socket, ...)."""
        self._pending.pop(path, None)

    def dir_gone(self, path: str, now: float) -> None:
        """Directory ``path`` was deleted, or moved or renamed away, at ``now``."""
        self._gone_dirs[path] = now

    def request_rescan(self, folder: str) -> None:
        """Ask for a full rescan of ``folder`` in the next batch, which goes out at once."""
        self._rescans[folder] = None

    def clear(self) -> None:
        """Drop everything pending (the folder went away: a rescan will cover it)."""
        self._pending.clear()
        self._gone_dirs.clear()
        self._rescans.clear()

    # -- what the watcher asks it ----------------------------------------------------------

    @property
    def pending_count(self) -> int:
        """Paths and directories noticed and not yet handed out."""
        return len(self._pending) + len(self._gone_dirs)

    def due(self, now: float) -> list[str]:
        """The paths to ``stat`` now, sorted; then :meth:`observe` each, then :meth:`take`.

        These are paths noticed since they were last looked at, paths whose settle window
        has run out, and, when a batch is about to go out, the paths that would be in it.
        """
        self._round = now
        looks = {p for p, e in self._pending.items() if e.stale or self._window_over(e, now)}
        # If the paths looked at now turn out settled and a batch would then go out, look
        # at everything it would hold in this same round.
        if self._batch_due(now, assume_settled=looks):
            looks.update(p for p, e in self._pending.items() if self._settled(e))
        return sorted(looks)

    def take(self, now: float) -> WatchBatch | None:
        """The batch to hand out now, if any; its paths are no longer tracked.

        Call it after :meth:`due` and the :meth:`observe` calls of the same round: every
        file in a batch must have been looked at in that round.
        """
        files = [p for p, e in self._pending.items() if self._settled(e)]
        send = self._batch_due(now) and all(self._pending[p].checked >= self._round for p in files)
        if not send and not self._rescans:
            return None
        chosen: list[tuple[float, str, bool]] = []
        if send:
            waiting = [(self._ready_time(self._pending[p]), p, False) for p in files]
            waiting += [(t + self.settle, d, True) for d, t in self._gone_dirs.items()]
            chosen = sorted(w for w in waiting if w[0] <= now or not w[2])[: self.max_batch]
        present: list[str] = []
        absent: list[str] = []
        dirs: list[str] = []
        for _, path, is_dir in chosen:
            if is_dir:
                dirs.append(path)
                del self._gone_dirs[path]
            else:
                entry = self._pending.pop(path)
                (absent if entry.stat is None else present).append(path)
        batch = WatchBatch(
            settled=tuple(sorted(present)),
            deleted=tuple(sorted(absent)),
            deleted_dirs=_outermost(dirs),
            rescan=tuple(self._rescans),
        )
        self._rescans.clear()
        return batch

    def wakeup(self, now: float) -> float | None:
        """When the driver must come back (to look at paths, or to send a batch), at latest.

        ``None`` when nothing is pending: only a new notice needs it then. A time at or
        before ``now`` means at once.
        """
        if self._rescans or any(e.stale for e in self._pending.values()):
            return now
        if self._batch_due(now):
            return now
        times = [self._ready_time(e) for e in self._pending.values() if not self._settled(e)]
        times += [t + self.settle for t in self._gone_dirs.values() if t + self.settle > now]
        ready = self._ready_times(now)
        if ready:
            times.append(min(ready) + self.max_hold)
        return min(times, default=None)

    # -- rules -----------------------------------------------------------------------------

    def _ready_time(self, entry: _Pending) -> float:
        """When ``entry`` settles (or settled), if nothing changes: its settle window's end."""
        return max(entry.noticed, entry.since) + self.settle

    def _settled(self, entry: _Pending) -> bool:
        """Seen unchanged, with no notice, from its window's start to its end (or later)."""
        return entry.observed and not entry.stale and entry.checked >= self._ready_time(entry)

    def _window_over(self, entry: _Pending, now: float) -> bool:
        """Looked at before, unsettled, and its window has run out: a look may settle it."""
        return entry.observed and not self._settled(entry) and self._ready_time(entry) <= now

    def _ready_times(self, now: float, assume_settled: Collection[str] = ()) -> list[float]:
        """When each settled path (and each gone directory now due) became ready to go out.

        ``assume_settled``: paths about to be looked at, counted as settled if their window
        is over (to decide, before looking, whether a batch may go out after the look).
        """
        times = [
            self._ready_time(e)
            for p, e in self._pending.items()
            if self._settled(e) or (p in assume_settled and self._window_over(e, now))
        ]
        times += [t + self.settle for t in self._gone_dirs.values() if t + self.settle <= now]
        return times

    def _batch_due(self, now: float, *, assume_settled: Collection[str] = ()) -> bool:
        """Whether what is ready should go out now: nothing else is still settling, enough
        is waiting for a full batch, or the oldest has waited ``max_hold``."""
        times = self._ready_times(now, assume_settled)
        if not times:
            return False
        return (
            len(times) >= self.max_batch
            or len(times) == self.pending_count
            or min(times) + self.max_hold <= now
        )


def _outermost(dirs: Collection[str]) -> tuple[str, ...]:
    """``dirs`` sorted, without those that lie below another of them."""
    given = set(dirs)

    def below_another(path: str) -> bool:
        parent = os.path.dirname(path)
        while parent != path:
            if parent in given:
                return True
            path, parent = parent, os.path.dirname(parent)
        return False

    return tuple(sorted(d for d in given if not below_another(d)))
