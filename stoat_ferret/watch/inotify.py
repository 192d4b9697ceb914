"""Change notices from the kernel (inotify), through watchfiles' Rust backend.

watchfiles' ``RustNotify`` wraps the Rust ``notify`` crate: constructing it starts a thread
(``notify-rs inotify loop``) that adds an inotify watch on every directory of the tree and
collects changes; ``watch()`` blocks until changes come (or a stop event is set, checked
every ``step`` milliseconds) and returns them as a set of ``(change, path)``.

The watcher drives ``RustNotify`` itself rather than through ``watchfiles.awatch``:

- ``awatch`` constructs ``RustNotify`` on the event loop, and the construction walks the
  whole tree adding watches: it blocks the loop for as long as that takes. Here it runs in
  a worker thread.
- Under trio, cancelling ``awatch`` waits for its worker thread to come back on its own,
  up to ``rust_timeout`` (5 s by default): trio does not abandon the thread, and ``awatch``
  sets its stop event only once the thread has returned. Here a sibling task sets the stop
  event as soon as the watcher is cancelled, so the thread returns within ``step``.
- ``awatch``'s thread counts against trio's default thread limiter, shared with every
  other worker thread of the service, for as long as the folder is watched.
- ``close()`` only asks the notify thread to stop; the thread (and its inotify, epoll and
  eventfd descriptors) goes away a few milliseconds later. :func:`close` waits for it.

The kernel's watch limit (``fs.inotify.max_user_watches``) shows up as an ``OSError``
naming ``MaxFilesWatch`` when the tree is first watched, and not at all when a directory
created later cannot be watched (the crate drops that error): :meth:`InotifyWatch.watched`
lets the watcher compare the watches in place with the directories it knows.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

import attrs
from watchfiles._rust_notify import RustNotify, WatchfilesRustInternalError

from .tree import at_or_below_any

#: Raw changes as watchfiles reports them: ``(1 added | 2 modified | 3 deleted, path)``.
RawChanges = set[tuple[int, str]]

#: Most milliseconds changes are grouped over before they are handed on.
DEBOUNCE_MS = 500
#: Milliseconds without a new change that end a group; also how often the stop event is
#: checked, so how long a cancelled watcher waits for the thread at most.
STEP_MS = 50
#: Seconds ``close`` waits for the notify thread to end.
CLOSE_TIMEOUT = 5.0

#: One watch in /proc/self/fdinfo/<inotify fd>: "inotify wd:1f ino:a2c1 sdev:800001 ...".
#: The kernel writes the watch descriptor, as every number there, in hexadecimal.
_WATCH_LINE = re.compile(r"inotify wd:([0-9a-f]+) ")
#: The watch descriptor of the watched folder itself: a new inotify instance numbers its
#: watches from 1, and the folder is the first path handed over (see :class:`WatchPlan`).
FOLDER_WD = 1

#: Serialises constructions, so the threads and descriptors each one made can be told apart.
_construct_lock = threading.Lock()


class InotifyError(Exception):
    """inotify cannot watch this folder; the message says why, for people."""


class WatchLimitReached(InotifyError):
    """The kernel's inotify watch limit (``fs.inotify.max_user_watches``) was reached."""


class InotifyUnavailable(InotifyError):
    """No inotify instance could be made (the instance limit, or no inotify at all)."""


class UnreadableSubfolder(InotifyError):
    """A folder in the tree cannot be read, so its directory cannot be watched."""


class FolderVanished(InotifyError):
    """The watched folder went away while its watches were being added."""


class NotifyFailed(Exception):
    """The notify thread reported an error: changes may have been lost."""


def max_user_watches() -> int | None:
    """The inotify watch limit that applies to this process, if it can be read."""
    for path in ("/proc/sys/user/max_inotify_watches", "/proc/sys/fs/inotify/max_user_watches"):
        try:
            with open(path) as f:
                return int(f.read())
        except (OSError, ValueError):
            continue
    return None


@attrs.define
class InotifyWatch:
    """One folder watched through inotify. Every method blocks: call from a worker thread."""

    _notify: RustNotify
    #: OS thread ids of the notify threads this watch started.
    _threads: frozenset[int]
    #: The inotify descriptor the watch uses, to count its watches (``None``: unknown).
    _fd: int | None

    def wait(self, stop: threading.Event) -> RawChanges | None:
        """Block until changes come (``None`` once ``stop`` is set).

        Raises :class:`NotifyFailed` if the notify thread reported an error.
        """
        try:
            result = self._notify.watch(DEBOUNCE_MS, STEP_MS, 0, stop)
        except WatchfilesRustInternalError as exc:
            raise NotifyFailed(str(exc)) from exc
        if isinstance(result, str):
            # "stop", or "timeout"/"signal", which cannot happen here (no timeout is given,
            # and signals are only ever handled on the main thread): stop waiting.
            return None
        return result

    def watched(self) -> frozenset[int] | None:
        """The kernel's watch descriptors for this watch, one per directory watched (``None``
        if they cannot be read: not Linux, or no descriptor known).

        The watched folder's own is :data:`FOLDER_WD`: it is always watched first.
        """
        if self._fd is None:
            return None
        try:
            with open(f"/proc/self/fdinfo/{self._fd}") as f:
                return frozenset(
                    int(match[1], 16) for line in f if (match := _WATCH_LINE.match(line))
                )
        except OSError:
            return None

    def close(self) -> None:
        """Stop watching; return once the notify thread (and its descriptors) is gone."""
        self._notify.close()
        _join(self._threads, CLOSE_TIMEOUT)


@attrs.frozen
class WatchPlan:
    """Which paths to hand the notify crate, each watched with everything below it."""

    root: str
    #: ``root`` first, so that its watch is the first one made.
    paths: tuple[str, ...]
    #: Go on past directories that cannot be watched (see :func:`plan_around`). The crate
    #: then drops every such error, the watch limit's included: count the watches after.
    tolerant: bool = False

    @classmethod
    def whole(cls, root: str) -> WatchPlan:
        return cls(root, (root,))


def plan_around(root: str, dirs: Collection[str], unreadable: Collection[str]) -> WatchPlan:
    """A plan that watches every readable directory of a tree holding unreadable ones.

    The crate adds a tree's watches walking it depth-first and gives up at the first
    directory it cannot watch, silently when told to go on: the directories after it
    are left unwatched. So each directory on the way from ``root`` to an unreadable one
    (the "spine") is handed over as a tree of its own, and so is each readable directory
    just below the spine: every readable directory is then first in some walk.
    ``dirs``: the tree's readable directories, from a walk; ``unreadable``: the others.
    """
    spine = {root}
    for blocked in unreadable:
        parent = os.path.dirname(blocked)
        while parent not in spine and at_or_below_any(parent, (root,)):
            spine.add(parent)
            parent = os.path.dirname(parent)
    below = {d for d in dirs if d not in spine and os.path.dirname(d) in spine}
    paths = (root, *sorted(spine - {root}), *sorted(below))
    return WatchPlan(root, paths, tolerant=True)


def open_inotify(plan: WatchPlan) -> InotifyWatch:
    """Watch the plan's paths and everything below them through inotify.

    Raises an :class:`InotifyError` saying why inotify cannot watch them.
    """
    with _construct_lock:
        threads_before = notify_threads()
        fds_before = _inotify_fds()
        try:
            notify = RustNotify(list(plan.paths), False, False, 0, True, plan.tolerant)
        except Exception as exc:
            # The failed watcher's thread is on its way out: wait for it, then say why.
            _join(notify_threads() - threads_before, CLOSE_TIMEOUT)
            raise _translate(exc) from exc
        threads = frozenset(notify_threads() - threads_before)
        new_fds = _inotify_fds() - fds_before
    fd = next(iter(new_fds)) if len(new_fds) == 1 else None
    return InotifyWatch(notify, threads, fd)


def _translate(exc: Exception) -> Exception:
    message = str(exc)
    if "MaxFilesWatch" in message:
        limit = max_user_watches()
        shown = f" ({limit})" if limit is not None else ""
        return WatchLimitReached(f"the inotify watch limit{shown} was reached")
    if isinstance(exc, PermissionError):
        return UnreadableSubfolder(f"a folder in the tree cannot be read: {message}")
    if isinstance(exc, FileNotFoundError):
        return FolderVanished(message)
    if "Too many open files" in message or "os error 24" in message:
        return InotifyUnavailable("the inotify instance limit was reached")
    return InotifyUnavailable(f"inotify cannot watch the folder: {message}")


class NotifySource(Protocol):
    """What the watcher needs of a folder's change notices (an :class:`InotifyWatch`)."""

    def wait(self, stop: threading.Event) -> RawChanges | None: ...

    def watched(self) -> frozenset[int] | None: ...

    def close(self) -> None: ...


#: What the watcher calls (in a worker thread) to start watching a folder through inotify:
#: :func:`open_inotify`, or a stand-in in tests.
InotifyFactory = Callable[[WatchPlan], NotifySource]


# -- the process's own threads and descriptors (Linux /proc; elsewhere nothing is known) ---


def notify_threads() -> set[int]:
    """Ids of this process's threads started by the notify crate (empty if unknown)."""
    found: set[int] = set()
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return found
    for tid in tids:
        with contextlib.suppress(OSError), open(f"/proc/self/task/{tid}/comm") as f:
            if f.read().startswith("notify-rs"):
                found.add(int(tid))
    return found


def _inotify_fds() -> set[int]:
    found: set[int] = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify":
                found.add(int(fd))
    return found


def _join(threads: set[int] | frozenset[int], timeout: float) -> None:
    """Wait until none of ``threads`` is alive any more, for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(os.path.exists(f"/proc/self/task/{tid}") for tid in threads):
        if time.monotonic() > deadline:
            return
        time.sleep(0.002)  # noqa: TID251 - runs in a worker thread, never on the event loop
