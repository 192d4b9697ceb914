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

import heapq
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


@attrs.define
class Settler:
    """Tracks noticed paths until they settle, and batches them.

    All times are seconds on one monotonic clock, chosen by the caller. Each pending path
    is in exactly one of three states, kept as maps so that a round costs little more
    than the paths it concerns: *stale* (noticed since it was last looked at), *waiting*
    (looked at; its window ends at the time held) and *settled* (its window ended, unchanged;
    ready since the time held).
    """

    #: Seconds a path must stay the same, with no notice, before it is handed out.
    settle: float = attrs.field(default=2.0, kw_only=True, validator=_positive)
    #: Seconds a settled path may wait for others still settling before it goes out anyway.
    max_hold: float = attrs.field(default=10.0, kw_only=True, validator=_not_negative)
    #: Settled paths that make a batch go out at once; also the most one batch holds.
    max_batch: int = attrs.field(default=1000, kw_only=True, validator=_positive)

    _pending: dict[str, _Pending] = attrs.field(factory=dict, init=False)
    _stale: set[str] = attrs.field(factory=set, init=False)
    #: Path -> when its settle window ends (if nothing changes).
    _waiting: dict[str, float] = attrs.field(factory=dict, init=False)
    #: Path -> when it became ready to go out.
    _settled: dict[str, float] = attrs.field(factory=dict, init=False)
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
            self._waiting.pop(path, None)
            self._settled.pop(path, None)
        self._stale.add(path)

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
        if entry.noticed > now:
            return  # noticed after this look: it needs another
        self._stale.discard(path)
        ready = max(entry.noticed, entry.since) + self.settle
        if entry.checked >= ready:
            self._waiting.pop(path, None)
            self._settled[path] = ready
        else:
            self._settled.pop(path, None)
            self._waiting[path] = ready

    def forget(self, path: str) -> None:
        """Stop tracking ``path`` (it turned out to be a directory, a socket, ...)."""
        self._drop(path)

    def dir_gone(self, path: str, now: float) -> None:
        """Directory ``path`` was deleted, or moved or renamed away, at ``now``."""
        self._gone_dirs[path] = now

    def request_rescan(self, folder: str) -> None:
        """Ask for a full rescan of ``folder`` in the next batch, which goes out at once."""
        self._rescans[folder] = None

    def clear(self) -> None:
        """Drop everything pending (the folder went away: a rescan will cover it)."""
        self._pending.clear()
        self._stale.clear()
        self._waiting.clear()
        self._settled.clear()
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
        over = [p for p, t in self._waiting.items() if t <= now]
        looks = self._stale.union(over)
        # If the paths whose window is over turn out settled and a batch would then go
        # out, look at everything it would hold in this same round.
        if self._batch_due(now, also_ready=[self._waiting[p] for p in over]):
            looks.update(self._settled)
        return sorted(looks)

    def take(self, now: float) -> WatchBatch | None:
        """The batch to hand out now, if any; its paths are no longer tracked.

        Call it after :meth:`due` and the :meth:`observe` calls of the same round: every
        file in a batch must have been looked at in that round.
        """
        fresh = all(self._pending[p].checked >= self._round for p in self._settled)
        send = fresh and self._batch_due(now)
        if not send and not self._rescans:
            return None
        present: list[str] = []
        absent: list[str] = []
        dirs: list[str] = []
        if send:
            waiting = [(t, p, False) for p, t in self._settled.items()]
            waiting += [(t + self.settle, d, True) for d, t in self._gone_dirs.items()]
            ready = [w for w in waiting if w[0] <= now or not w[2]]
            for _, path, is_dir in heapq.nsmallest(self.max_batch, ready):
                if is_dir:
                    dirs.append(path)
                    del self._gone_dirs[path]
                else:
                    entry = self._pending[path]
                    (absent if entry.stat is None else present).append(path)
                    self._drop(path)
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
        if self._rescans or self._stale or self._batch_due(now):
            return now
        times = list(self._waiting.values())
        times += [t + self.settle for t in self._gone_dirs.values() if t + self.settle > now]
        oldest = self._oldest_ready(now)
        if oldest is not None:
            times.append(oldest + self.max_hold)
        return min(times, default=None)

    # -- rules -----------------------------------------------------------------------------

    def _drop(self, path: str) -> None:
        self._pending.pop(path, None)
        self._stale.discard(path)
        self._waiting.pop(path, None)
        self._settled.pop(path, None)

    def _oldest_ready(self, now: float, also_ready: list[float] | None = None) -> float | None:
        """When the longest-waiting ready path (or gone directory) became ready."""
        candidates = [min(self._settled.values(), default=math.inf), min(also_ready or [math.inf])]
        candidates += [t + self.settle for t in self._gone_dirs.values() if t + self.settle <= now]
        oldest = min(candidates)
        return None if oldest == math.inf else oldest

    def _batch_due(self, now: float, *, also_ready: list[float] | None = None) -> bool:
        """Whether what is ready should go out now: nothing else is still settling, enough
        is waiting for a full batch, or the oldest has waited ``max_hold``.

        ``also_ready``: ready times of paths about to be looked at, counted as settled (to
        decide, before looking, whether a batch may go out after the look).
        """
        gone_ready = sum(1 for t in self._gone_dirs.values() if t + self.settle <= now)
        ready = len(self._settled) + len(also_ready or ()) + gone_ready
        if ready == 0:
            return False
        oldest = self._oldest_ready(now, also_ready)
        return (
            ready >= self.max_batch
            or ready == self.pending_count
            or (oldest is not None and oldest + self.max_hold <= now)
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
