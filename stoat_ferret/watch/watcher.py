"""Watching one folder: change notices in, batches of settled changes out.

A :class:`FolderWatcher` runs as one task in a nursery its caller owns (``await
nursery.start(watcher.run)``) until that nursery is cancelled. Inside it:

- a *source* of change notices: inotify (through watchfiles, see :mod:`.inotify`) while it
  can be used, else a walk of the folder every ``poll_interval`` seconds (:mod:`.poll`);
- the *settle loop*: it feeds the notices to a :class:`~.settle.Settler`, stats what the
  settler asks about (all of one round in one worker thread), and sends each batch the
  settler hands out on the caller's channel;
- a *root check*: every ``recheck_interval`` seconds, and at once when the folder itself is
  reported changed, the folder is looked at. Gone (deleted, renamed, its drive unmounted)
  makes the watch ``unavailable``; it is looked for at that interval and, once back,
  watched again with a full rescan of it asked for. A folder replaced by another (a new
  directory at the same path, another filesystem mounted there) is watched afresh, with a
  rescan too.

The status (``active``, ``polling`` or ``unavailable``, with a reason) is in
:attr:`FolderWatcher.status`; every change of it is passed to ``on_status``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Collection, Iterator
from functools import partial

import attrs
import trio

from ..extensions import VIDEO_EXTENSIONS
from ..protocol import WatchState
from .inotify import (
    CLOSE_TIMEOUT,
    FOLDER_WD,
    FolderVanished,
    InotifyError,
    InotifyFactory,
    NotifyFailed,
    NotifySource,
    RawChanges,
    UnreadableSubfolder,
    WatchPlan,
    max_user_watches,
    open_inotify,
    plan_around,
)
from .models import WatchBatch, WatchStatus, video_filter
from .poll import carry_hidden, diff_trees
from .settle import Settler
from .tree import (
    DirIndex,
    Identity,
    Looked,
    Tree,
    WalkStopped,
    check_root,
    look,
    walk_tree,
)

log = logging.getLogger(__name__)

#: watchfiles' code for a modification (1 is added, 3 deleted).
_MODIFIED = 2
#: inotify failures in a row after which the folder is polled instead.
MAX_NOTIFY_FAILURES = 3
#: Seconds between noticing fewer kernel watches than directories and looking again,
#: before deciding that the watch limit was reached.
AUDIT_CONFIRM_DELAY = 0.5

#: Observations handed to the settler between two checkpoints.
APPLY_SLICE = 5000

POLL_ASKED = "polling was asked for (for filesystems where inotify sees no changes)"


@attrs.frozen
class _Ended:
    """Why a watching session ended."""

    #: Watch again with a full rescan (changes may have been missed).
    rescan: bool = True
    #: Poll from now on, for this reason.
    poll_reason: str | None = None


class FolderWatcher:
    """Watches one folder (recursively) and sends batches of settled changes.

    ``root``: an absolute, resolved directory path. ``send``: where batches go; the
    watcher owns it and closes it when it stops. ``settle``: seconds a file must keep the
    same size and mtime before it is sent. ``extensions``: the video file extensions, with
    the dot (any case). ``poll``: poll from the start (network filesystems).
    ``poll_interval``: seconds between walks while polling. ``recheck_interval``: seconds
    between looks at the folder itself (and for it, while unavailable). ``max_hold`` and
    ``max_batch``: see :class:`~.settle.Settler`. ``rescan_on_start``: ask for a rescan of
    the folder as soon as it is first watched. ``on_status``: called with each new status,
    on the event loop: it must neither block nor raise.
    ``inotify``: starts inotify on a folder, in a worker thread.

    Closing the receiving end of ``send`` stops the watcher too.
    """

    def __init__(
        self,
        root: str,
        send: trio.MemorySendChannel[WatchBatch],
        *,
        settle: float = 2.0,
        extensions: Collection[str] = VIDEO_EXTENSIONS,
        poll: bool = False,
        poll_interval: float = 10.0,
        recheck_interval: float = 5.0,
        max_hold: float = 10.0,
        max_batch: int = 1000,
        rescan_on_start: bool = False,
        on_status: Callable[[WatchStatus], object] | None = None,
        inotify: InotifyFactory = open_inotify,
    ) -> None:
        if not poll_interval > 0 or not recheck_interval > 0:
            raise ValueError("poll_interval and recheck_interval must be greater than 0")
        self.root = os.path.normpath(root)
        self._send = send
        self._settler = Settler(settle=settle, max_hold=max_hold, max_batch=max_batch)
        self._is_video = video_filter(extensions)
        self._poll_reason: str | None = POLL_ASKED if poll else None
        self._poll_interval = poll_interval
        self._recheck_interval = recheck_interval
        self._rescan_on_start = rescan_on_start
        self._on_status = on_status
        self._open_inotify = inotify
        self.status = WatchStatus(WatchState.UNAVAILABLE, "not watched yet")
        #: Directories known below the folder (replaced by each watching session).
        self._index = DirIndex()
        #: Non-video paths reported added or deleted: directories to tell apart, next round.
        self._others: set[str] = set()
        self._source: NotifySource | None = None
        #: Why inotify last failed, while it keeps failing.
        self._source_failed: str | None = None
        #: Set when the settler may have something to do.
        self._changed = trio.Event()
        #: Set to make the root check look now: the folder itself was reported changed, or
        #: ``_audit`` asks for the kernel's watches to be counted.
        self._check_now = trio.Event()
        self._audit = False
        #: The folder itself was reported deleted or moved: its kernel watch is gone, even
        #: if a new folder now stands at the path (with, maybe, the same inode number).
        self._root_notice = False
        #: Set once the folder has been looked at and the first status is known.
        self._first_status = trio.Event()
        #: Counts the folder's disappearances: what was looked at before one is moot.
        self._generation = 0

    # -- running ---------------------------------------------------------------------------

    async def run(
        self, *, task_status: trio.TaskStatus[WatchStatus] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Watch until cancelled. Through ``nursery.start``, it starts once the folder has
        been looked at, with the first status."""
        # Set on cancellation: a walk in a worker thread stops at its next directory.
        halt = threading.Event()
        with self._send:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_set_on_cancel, halt)
                nursery.start_soon(self._settle_loop, halt, nursery.cancel_scope)
                nursery.start_soon(self._supervise, halt)
                await self._first_status.wait()
                task_status.started(self.status)

    async def _supervise(self, halt: threading.Event) -> None:
        """Watch through sessions, one after another, for as long as the watcher runs."""
        rescan = self._rescan_on_start
        failures = 0
        while True:
            check = await trio.to_thread.run_sync(check_root, self.root)
            if check.identity is None:
                self._go_unavailable(check.problem or "the folder cannot be watched")
                self._report_started()
                rescan = True
                await trio.sleep(self._recheck_interval)
                continue
            ended = await self._session(check.identity, halt, rescan)
            rescan = ended.rescan
            if ended.poll_reason is not None:
                self._poll_reason = ended.poll_reason
            if self._source_failed is None:
                failures = 0
                continue
            failures += 1
            if failures >= MAX_NOTIFY_FAILURES:
                self._poll_reason = f"inotify kept failing: {self._source_failed}"
            self._source_failed = None
            await trio.sleep(min(1.0, self._recheck_interval))

    async def _session(self, identity: Identity, halt: threading.Event, rescan: bool) -> _Ended:
        """Watch the folder one way until that has to change; why it had to."""
        if self._poll_reason is not None:
            return await self._poll_session(identity, halt, rescan, self._poll_reason)
        try:
            whole = WatchPlan.whole(self.root)
            try:
                source = await trio.to_thread.run_sync(self._open_inotify, whole)
            except UnreadableSubfolder:
                tree = await self._walk(halt, with_files=False)
                plan = plan_around(self.root, tree.dirs, tree.unreadable)
                source = await trio.to_thread.run_sync(self._open_inotify, plan)
        except FolderVanished:
            ended = _Ended()
        except InotifyError as exc:
            log.warning("watching %s: %s; polling it instead", self.root, exc)
            ended = _Ended(rescan=rescan, poll_reason=str(exc))
        else:
            return await self._inotify_session(source, identity, halt, rescan)
        # (The thread call above was a checkpoint even though it raised; flake8-async
        # cannot tell.)
        await trio.lowlevel.checkpoint()
        return ended

    async def _inotify_session(
        self, source: NotifySource, identity: Identity, halt: threading.Event, rescan: bool
    ) -> _Ended:
        stop = threading.Event()
        ended: list[_Ended] = []
        try:
            # Watched first, then walked: a directory made meanwhile is in the index.
            tree = await self._walk(halt, with_files=False)
            self._index = DirIndex(tree.dirs)
            self._source = source
            self._root_notice = False
            self._begin(WatchStatus(WatchState.ACTIVE), rescan)
            self._audit = False
            # Every directory should have its watch now. If some have none (the limit was
            # reached where the crate does not say so), the root check confirms and polls.
            if await self._audit_watches() != "ok":
                self._audit = True
                self._check_now.set()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_set_on_cancel, stop)
                nursery.start_soon(self._pump, source, stop, ended, nursery.cancel_scope)
                nursery.start_soon(self._check_root, identity, ended, nursery.cancel_scope)
        finally:
            self._source = None
            with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT + 1):
                await trio.to_thread.run_sync(source.close)
        return ended[0]

    async def _poll_session(
        self, identity: Identity, halt: threading.Event, rescan: bool, reason: str
    ) -> _Ended:
        tree = await self._walk(halt, with_files=True)
        self._index = DirIndex(tree.dirs)
        self._begin(WatchStatus(WatchState.POLLING, reason), rescan)
        ended: list[_Ended] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._poll, tree, halt)
            nursery.start_soon(self._check_root, identity, ended, nursery.cancel_scope)
        return ended[0]

    def _begin(self, status: WatchStatus, rescan: bool) -> None:
        self._set_status(status)
        if rescan:
            self._settler.request_rescan(self.root)
            self._changed.set()
        self._report_started()

    def _report_started(self) -> None:
        self._first_status.set()

    async def _walk(self, halt: threading.Event, *, with_files: bool) -> Tree:
        try:
            return await trio.to_thread.run_sync(
                partial(walk_tree, self.root, self._is_video, with_files=with_files, stop=halt)
            )
        except WalkStopped:
            pass
        # Only a cancelled watcher stops walks: let the cancellation through.
        await trio.sleep_forever()

    # -- the sources -----------------------------------------------------------------------

    # The thread call that raised NotifyFailed was itself a checkpoint.
    async def _pump(  # noqa: ASYNC910
        self,
        source: NotifySource,
        stop: threading.Event,
        ended: list[_Ended],
        scope: trio.CancelScope,
    ) -> None:
        """Hand inotify's notices to the settler until ``stop`` is set."""
        # A thread of its own for the whole session, outside trio's shared thread limit.
        limiter = trio.CapacityLimiter(1)
        try:
            while True:
                changes = await trio.to_thread.run_sync(source.wait, stop, limiter=limiter)
                if changes is None:
                    return
                self._on_notices(changes)
        except NotifyFailed as exc:
            log.warning("watching %s: %s; watching it again, with a rescan", self.root, exc)
            self._source_failed = str(exc)
            ended.append(_Ended())
            scope.cancel()

    def _on_notices(self, changes: RawChanges) -> None:
        now = trio.current_time()
        for change, path in changes:
            if path == self.root:
                if change != _MODIFIED:
                    self._root_notice = True
                self._check_now.set()
            elif self._is_video(path):
                self._settler.notice(path, now)
            elif change != _MODIFIED:
                self._others.add(path)
        self._changed.set()

    async def _poll(self, tree: Tree, halt: threading.Event) -> None:
        """Walk the folder every ``poll_interval`` seconds and hand on what changed."""
        while True:
            await trio.sleep(self._poll_interval)
            new = await self._walk(halt, with_files=True)
            changes = await trio.to_thread.run_sync(diff_trees, tree, new)
            tree = await trio.to_thread.run_sync(carry_hidden, tree, new)
            self._index = DirIndex(tree.dirs)
            if changes.empty:
                continue
            now = trio.current_time()
            for path, stat in changes.changed.items():
                self._settler.notice(path, now)
                self._settler.observe(path, stat, now)
            for path in changes.removed:
                self._settler.notice(path, now)
                self._settler.observe(path, None, now)
            for path in changes.gone_dirs:
                self._settler.dir_gone(path, now)
            self._changed.set()

    async def _check_root(
        self, identity: Identity, ended: list[_Ended], scope: trio.CancelScope
    ) -> None:
        """End the session when the folder is gone or replaced, or the watch limit is hit."""
        while True:
            with trio.move_on_after(self._recheck_interval):
                await self._check_now.wait()
            self._check_now = trio.Event()
            audit = self._audit
            if audit:
                # Watches looked missing. The crate adds a new directory's watch just after
                # reporting it, and a deleted folder's own notice may still be on its way:
                # look again a little later, the folder itself first.
                await trio.sleep(AUDIT_CONFIRM_DELAY)
            check = await trio.to_thread.run_sync(check_root, self.root)
            if check.identity != identity or self._root_notice:
                self._root_notice = False
                ended.append(_Ended())
                scope.cancel()
                return
            if audit:
                self._audit = False
                found = await self._audit_watches()
                if found == "folder":
                    # The folder's own watch is gone, yet a folder is there: it was replaced
                    # (by one with the same inode number). Watch the new one, with a rescan.
                    ended.append(_Ended())
                    scope.cancel()
                    return
                if found == "missing":
                    limit = max_user_watches()
                    shown = f" (watch limit: {limit})" if limit is not None else ""
                    reason = f"not every folder could be watched through inotify{shown}"
                    log.warning("watching %s: %s; polling it instead", self.root, reason)
                    ended.append(_Ended(poll_reason=reason))
                    scope.cancel()
                    return

    async def _audit_watches(self) -> str:
        """Compare the kernel's watches with the folders known: ``"ok"``; ``"folder"`` when
        the watched folder's own watch is gone; ``"missing"`` when fewer folders are watched
        than are known."""
        watched = await trio.to_thread.run_sync(_watched, self._source)
        if watched is None:
            return "ok"
        log.debug("watching %s: %d watches, %d folders", self.root, len(watched), len(self._index))
        if FOLDER_WD not in watched:
            return "folder"
        return "missing" if len(watched) < len(self._index) else "ok"

    # -- settling --------------------------------------------------------------------------

    # The send that raised BrokenResourceError was itself a checkpoint.
    async def _settle_loop(  # noqa: ASYNC910
        self, halt: threading.Event, watcher_scope: trio.CancelScope
    ) -> None:
        """Look at what the settler asks about, and send the batches it hands out.

        When the receiving end of the channel has been closed, nobody wants the batches any
        more: the watcher stops.
        """
        try:
            await self._settle_forever(halt)
        except trio.BrokenResourceError:
            watcher_scope.cancel()

    async def _settle_forever(self, halt: threading.Event) -> None:
        while True:
            now = trio.current_time()
            due = self._settler.due(now)
            others, self._others = self._others, set()
            if due or others:
                generation = self._generation
                looked = await self._look(due, others, halt)
                now = trio.current_time()
                if generation == self._generation:
                    await self._apply(looked, now)
                # The crate drops the error when a new directory cannot be watched:
                # compare the kernel's watches with the directories known.
                if looked.new_dirs and self._source and await self._audit_watches() != "ok":
                    self._audit = True
                    self._check_now.set()
            batch = self._settler.take(now)
            if batch is not None:
                await self._send.send(batch)
                continue
            wake = self._settler.wakeup(now)
            with trio.move_on_at(math.inf if wake is None else wake):
                await self._changed.wait()
            if self._changed.is_set():
                self._changed = trio.Event()

    async def _look(self, due: list[str], others: set[str], halt: threading.Event) -> Looked:
        try:
            return await trio.to_thread.run_sync(
                partial(look, due, others, self._index, self._is_video, stop=halt)
            )
        except WalkStopped:
            pass
        await trio.sleep_forever()

    # _apply_slices always yields at least once, so there is always a checkpoint.
    async def _apply(self, looked: Looked, now: float) -> None:  # noqa: ASYNC910
        """Tell the settler what a look found, a slice at a time: a folder of 100,000 files
        moved in is 100,000 observations, and the loop is not held for all of them."""
        for _ in self._apply_slices(looked, now):
            await trio.lowlevel.checkpoint()

    def _apply_slices(self, looked: Looked, now: float) -> Iterator[None]:
        """Apply ``looked``, yielding after every ``APPLY_SLICE`` updates and at the end."""
        settler = self._settler
        count = 0
        for path, stat in looked.stats.items():
            settler.observe(path, stat, now)
            count += 1
            if count % APPLY_SLICE == 0:
                yield
        for path, found in looked.found.items():
            settler.notice(path, now)
            settler.observe(path, found, now)
            count += 1
            if count % APPLY_SLICE == 0:
                yield
        for path in looked.ignored:
            settler.forget(path)
        for path in looked.gone_dirs:
            settler.dir_gone(path, now)
        yield

    # -- status ----------------------------------------------------------------------------

    def _go_unavailable(self, reason: str) -> None:
        # What was settling is moot: the rescan asked for when the folder is back covers it.
        self._settler.clear()
        self._others.clear()
        self._index = DirIndex()
        self._generation += 1
        self._set_status(WatchStatus(WatchState.UNAVAILABLE, reason))

    def _set_status(self, status: WatchStatus) -> None:
        if status == self.status:
            return
        because = f" ({status.reason})" if status.reason else ""
        log.info("watching %s: %s%s", self.root, status.state, because)
        self.status = status
        if self._on_status is not None:
            self._on_status(status)


def _watched(source: NotifySource | None) -> frozenset[int] | None:
    return None if source is None else source.watched()


async def _set_on_cancel(event: threading.Event) -> None:
    """Set ``event`` when cancelled: how a worker thread learns that nobody waits any more."""
    try:
        await trio.sleep_forever()
    finally:
        event.set()
