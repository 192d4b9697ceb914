"""The folder watcher on real files: what it sends, when, and how it copes."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import trio
import trio.testing

from stoat_ferret.protocol import WatchState
from stoat_ferret.watch.inotify import (
    FOLDER_WD,
    FolderVanished,
    InotifyWatch,
    NotifyFailed,
    NotifySource,
    RawChanges,
    WatchLimitReached,
    WatchPlan,
    notify_threads,
    open_inotify,
)
from stoat_ferret.watch.models import WatchBatch, WatchStatus
from stoat_ferret.watch.watcher import MAX_NOTIFY_FAILURES, POLL_ASKED, FolderWatcher

from .conftest import SETTLE, WAIT, watching, write


def paths(*items: Path) -> tuple[str, ...]:
    return tuple(sorted(str(p) for p in items))


async def test_a_new_file_is_sent_once_when_settled(folder: Path) -> None:
    """A file written in one go is sent settled once; the next batch holds only the next file."""
    async with watching(folder) as w:
        assert w.first_status.state == WatchState.ACTIVE
        await write(folder / "a.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "a.mp4"))
        await write(folder / "b.mkv")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "b.mkv"))


# Writes the file named by argv[1] in 60 chunks, 50 ms apart; prints the time of the
# last write (CLOCK_MONOTONIC, which this process shares) when done.
GROW = """
import sys, time
with open(sys.argv[1], "wb") as f:
    for _ in range(60):
        f.write(b"\\0" * 4096)
        f.flush()
        last = time.monotonic()
        time.sleep(0.05)
print(last)
"""


async def test_a_file_grown_over_seconds_is_sent_once_after_it_stops(folder: Path) -> None:
    """A file written in chunks for 3 s goes out once, a settle window after the last chunk."""
    target = folder / "recording.mov"
    settle = 1.0  # well above the gap between chunks, even on a loaded machine
    writer: list[trio.CompletedProcess[bytes]] = []

    async def grow() -> None:
        argv = [sys.executable, "-c", GROW, str(target)]
        writer.append(await trio.run_process(argv, capture_stdout=True))

    async with watching(folder, settle=settle) as w:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(grow)
            batch = await w.next_batch()
            sent_at = time.monotonic()
            assert writer, "sent while the file was still being written"
        assert batch == WatchBatch(settled=paths(target))
        assert sent_at - float(writer[0].stdout) >= settle
        assert os.stat(target).st_size == 60 * 4096
        # Nothing more about it: the next batch is about another file.
        await write(folder / "next.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "next.mp4"))


async def test_a_renamed_file_is_sent_as_deleted_and_settled_together(folder: Path) -> None:
    """A rename: the old path deleted and the new one settled, in one batch."""
    await write(folder / "old.mp4")
    async with watching(folder) as w:
        await trio.Path(folder / "old.mp4").rename(folder / "new.mp4")
        assert await w.next_batch() == WatchBatch(
            settled=paths(folder / "new.mp4"), deleted=paths(folder / "old.mp4")
        )


async def test_a_file_moved_between_folders_is_sent_as_both_sides(folder: Path) -> None:
    """A move into another folder of the tree: deleted there, settled here, in one batch."""
    (folder / "in").mkdir()
    (folder / "out").mkdir()
    await write(folder / "in" / "clip.mp4")
    async with watching(folder) as w:
        await trio.Path(folder / "in" / "clip.mp4").rename(folder / "out" / "clip.mp4")
        assert await w.next_batch() == WatchBatch(
            settled=paths(folder / "out" / "clip.mp4"),
            deleted=paths(folder / "in" / "clip.mp4"),
        )


async def test_a_deleted_file_is_sent_as_deleted(folder: Path) -> None:
    """Deleting a video sends its path in ``deleted``."""
    await write(folder / "gone.webm")
    async with watching(folder) as w:
        await trio.Path(folder / "gone.webm").unlink()
        assert await w.next_batch() == WatchBatch(deleted=paths(folder / "gone.webm"))


async def test_a_renamed_folder_is_sent_as_a_gone_folder_and_its_files(folder: Path) -> None:
    """A folder renamed: the old one in ``deleted_dirs``, every file now in it settled."""
    old = folder / "day1"
    (old / "cam").mkdir(parents=True)
    for name in ("a.mp4", "cam/b.mp4", "notes.txt"):
        await write(old / name)
    async with watching(folder) as w:
        await trio.Path(old).rename(folder / "day2")
        new = folder / "day2"
        assert await w.next_batch() == WatchBatch(
            settled=paths(new / "a.mp4", new / "cam" / "b.mp4"), deleted_dirs=paths(old)
        )


async def test_folders_moved_in_and_out_of_the_tree(folder: Path, tmp_path: Path) -> None:
    """A folder moved in sends its videos; moved out again, it is sent as a gone folder."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    await write(outside / "deep" / "x.mp4")
    async with watching(folder) as w:
        await trio.Path(outside).rename(folder / "arrived")
        assert await w.next_batch() == WatchBatch(
            settled=paths(folder / "arrived" / "deep" / "x.mp4")
        )
        await trio.Path(folder / "arrived").rename(tmp_path / "left")
        assert await w.next_batch() == WatchBatch(deleted_dirs=paths(folder / "arrived"))


async def test_a_new_folder_filled_at_once_is_sent_whole(folder: Path) -> None:
    """Files made in a folder just made (before its watch can be added) are all sent."""
    nested = folder / "card" / "DCIM" / "100"

    def offload() -> None:
        nested.mkdir(parents=True)
        for i in range(20):
            (nested / f"C{i:04}.MP4").write_bytes(b"v" * 10)

    async with watching(folder) as w:
        await trio.to_thread.run_sync(offload)
        expected = {str(nested / f"C{i:04}.MP4") for i in range(20)}
        got = await w.settled_until(expected)
        assert sorted(p for b in got for p in b.settled) == sorted(expected)


async def test_a_burst_is_coalesced_and_each_file_sent_once(folder: Path) -> None:
    """200 files copied in a burst go out in at most three batches, each file once."""
    source = folder.parent / "card"

    def fill_card() -> None:
        source.mkdir()
        for i in range(200):
            (source / f"clip{i:03}.mp4").write_bytes(b"c" * 1000)

    await trio.to_thread.run_sync(fill_card)

    expected = {str(folder / f"clip{i:03}.mp4") for i in range(200)}
    # A settle window longer than any pause between two copies, so the burst stays one.
    async with watching(folder, settle=1.0) as w:
        # Another process copies, as a card offload would.
        files = sorted(str(p) for p in source.iterdir())
        await trio.run_process(["cp", "-p", *files, str(folder)])
        got = await w.settled_until(expected)
    sent = [p for b in got for p in b.settled]
    assert sorted(sent) == sorted(expected)
    assert 1 <= len(got) <= 3


async def test_files_that_are_not_videos_are_not_sent(folder: Path) -> None:
    """Sidecars, resource forks and other extensions are left out; the extension set rules."""
    async with watching(folder, extensions={".mxf"}) as w:
        for name in ("a.xml", "._b.mxf", "c.mp4", "d.MXF"):
            await write(folder / name)
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "d.MXF"))


async def test_a_rescan_is_asked_for_on_start_when_wanted(folder: Path) -> None:
    """``rescan_on_start`` makes the first batch a rescan of the folder."""
    async with watching(folder, rescan_on_start=True) as w:
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))


async def test_a_removed_folder_is_unavailable_then_back_with_a_rescan(
    folder: Path, tmp_path: Path
) -> None:
    """Folder renamed away: unavailable, with a reason; back: active, and a rescan asked for."""
    await write(folder / "kept.mp4")
    async with watching(folder) as w:
        await trio.Path(folder).rename(tmp_path / "away")
        gone = await w.status(WatchState.UNAVAILABLE)
        assert gone.reason == "the folder does not exist (deleted, renamed, or unmounted)"
        assert w.watcher.status == gone
        await trio.Path(tmp_path / "away").rename(folder)
        assert (await w.status(WatchState.ACTIVE)).reason is None
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))
        # And it is watched again.
        await write(folder / "after.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "after.mp4"))


async def test_a_folder_missing_at_start_is_watched_once_it_appears(tmp_path: Path) -> None:
    """A watcher started on a missing folder starts unavailable and picks the folder up."""
    folder = tmp_path / "later"
    async with watching(folder) as w:
        assert w.first_status.state == WatchState.UNAVAILABLE
        await trio.Path(folder).mkdir()
        await w.status(WatchState.ACTIVE)
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))


async def test_a_replaced_folder_is_watched_afresh_with_a_rescan(folder: Path) -> None:
    """The folder deleted and made again (as a remount does): rescanned, and watched."""
    async with watching(folder) as w:
        await trio.to_thread.run_sync(shutil.rmtree, folder)
        await trio.Path(folder).mkdir()
        batch = await w.next_batch()
        assert batch.rescan == (str(folder),)
        await write(folder / "fresh.mp4")
        got = await w.settled_until({str(folder / "fresh.mp4")})
        assert [b.settled for b in got if b.settled] == [paths(folder / "fresh.mp4")]
        assert w.watcher.status.state == WatchState.ACTIVE


async def test_forced_polling_reports_polling_and_sees_changes(folder: Path) -> None:
    """``poll=True``: status polling with its reason; new, deleted and moved all seen."""
    (folder / "sub").mkdir()
    await write(folder / "sub" / "old.mp4")
    async with watching(folder, poll=True) as w:
        assert w.first_status.state == WatchState.POLLING
        assert w.first_status.reason == POLL_ASKED
        await write(folder / "new.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "new.mp4"))
        await trio.Path(folder / "new.mp4").unlink()
        assert await w.next_batch() == WatchBatch(deleted=paths(folder / "new.mp4"))
        await trio.Path(folder / "sub").rename(folder / "moved")
        assert await w.next_batch() == WatchBatch(
            settled=paths(folder / "moved" / "old.mp4"),
            deleted=paths(folder / "sub" / "old.mp4"),
            deleted_dirs=paths(folder / "sub"),
        )


async def test_polling_waits_for_a_growing_file(folder: Path) -> None:
    """While polling, a file that grows between polls is sent once, after it stops."""
    target = folder / "slow.mp4"
    async with watching(folder, poll=True, settle=0.5) as w:
        async with await trio.open_file(target, "wb") as f:
            for _ in range(5):
                await f.write(b"\0" * 1000)
                await f.flush()
                await trio.sleep(0.15)  # writing slowly is what is under test
        assert await w.next_batch() == WatchBatch(settled=paths(target))
        assert os.stat(target).st_size == 5000


async def test_the_inotify_limit_falls_back_to_polling(folder: Path) -> None:
    """inotify refusing (watch limit reached): the folder is polled, and says why."""

    def refuse(plan: WatchPlan) -> NotifySource:
        raise WatchLimitReached("the inotify watch limit (8192) was reached")

    async with watching(folder, inotify=refuse) as w:
        assert w.first_status.state == WatchState.POLLING
        assert w.first_status.reason == "the inotify watch limit (8192) was reached"
        await write(folder / "seen.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "seen.mp4"))


class Undercounted:
    """A real inotify watch whose kernel watches leave out every folder but the root."""

    def __init__(self, real: NotifySource) -> None:
        self._real = real

    def wait(self, stop: threading.Event) -> RawChanges | None:
        return self._real.wait(stop)

    def watched(self) -> frozenset[int] | None:
        real = self._real.watched()
        assert real is not None
        return real & {FOLDER_WD}

    def close(self) -> None:
        self._real.close()


async def test_folders_left_unwatched_are_noticed_and_the_folder_polled(folder: Path) -> None:
    """Fewer kernel watches than folders (the limit hit silently): polling, with a rescan."""
    (folder / "a").mkdir()

    async with watching(folder, inotify=lambda plan: Undercounted(open_inotify(plan))) as w:
        assert w.first_status.state == WatchState.ACTIVE
        polling = await w.status(WatchState.POLLING)
        assert polling.reason is not None
        assert polling.reason.startswith("not every folder could be watched through inotify")
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))


class FolderWatchGone(Undercounted):
    """A real inotify watch whose kernel watches no longer include the folder's own."""

    def watched(self) -> frozenset[int] | None:
        real = self._real.watched()
        assert real is not None
        return real - {FOLDER_WD}


async def test_a_folder_whose_own_watch_is_gone_is_watched_afresh(folder: Path) -> None:
    """The folder's watch gone though the folder looks the same: watched again, rescanned."""
    opened: list[NotifySource] = []

    def factory(plan: WatchPlan) -> NotifySource:
        real = open_inotify(plan)
        opened.append(real if opened else FolderWatchGone(real))
        return opened[-1]

    async with watching(folder, inotify=factory) as w:
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))
        assert len(opened) == 2
        assert w.watcher.status == WatchStatus(WatchState.ACTIVE)
        await write(folder / "seen.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "seen.mp4"))


class FailingOnce:
    """A real inotify watch whose ``wait`` fails once (as lost events would) when told."""

    def __init__(self, real: InotifyWatch, fail: threading.Event) -> None:
        self._real = real
        self._fail = fail

    def wait(self, stop: threading.Event) -> RawChanges | None:
        if self._fail.is_set():
            self._fail.clear()
            raise NotifyFailed("error in underlying watcher: lost")
        return self._real.wait(stop)

    def watched(self) -> frozenset[int] | None:
        return self._real.watched()

    def close(self) -> None:
        self._real.close()


async def test_an_inotify_failure_asks_for_a_rescan_and_watches_on(folder: Path) -> None:
    """When inotify reports an error, the folder is rescanned and watched again."""
    fail = threading.Event()
    fail.set()
    opened = []

    def factory(plan: WatchPlan) -> NotifySource:
        opened.append(plan)
        return FailingOnce(open_inotify(plan), fail)

    async with watching(folder, inotify=factory) as w:
        assert await w.next_batch() == WatchBatch(rescan=(str(folder),))
        assert len(opened) == 2
        assert w.watcher.status.state == WatchState.ACTIVE
        await write(folder / "later.mp4")
        assert await w.next_batch() == WatchBatch(settled=paths(folder / "later.mp4"))


async def test_inotify_failing_again_and_again_falls_back_to_polling(folder: Path) -> None:
    """After MAX_NOTIFY_FAILURES failures in a row the folder is polled instead."""

    class AlwaysFailing:
        def wait(self, stop: threading.Event) -> RawChanges | None:
            raise NotifyFailed("error in underlying watcher: broken")

        def watched(self) -> frozenset[int] | None:
            return None

        def close(self) -> None:
            pass

    async with watching(folder, inotify=lambda plan: AlwaysFailing()) as w:
        polling = await w.status(WatchState.POLLING)
        assert polling.reason == "inotify kept failing: error in underlying watcher: broken"
        rescans = await w.batches_until(lambda got: len(got) == MAX_NOTIFY_FAILURES)
        assert rescans == [WatchBatch(rescan=(str(folder),))] * MAX_NOTIFY_FAILURES


#: Seconds a cancelled watcher may take to stop: its thread notices the stop event within
#: 50 ms; this leaves room for a loaded machine, and is still well below the 5 s a watcher
#: built on watchfiles.awatch takes under trio.
CANCEL_LIMIT = 2.0


@pytest.mark.parametrize("poll", [False, True])
async def test_cancelling_returns_promptly_and_leaves_nothing(folder: Path, poll: bool) -> None:
    """Cancelled, the watcher stops at once: no notify thread left, its channel closed."""
    send, receive = trio.open_memory_channel[WatchBatch](10)
    watcher = FolderWatcher(str(folder), send, settle=SETTLE, poll=poll)
    async with trio.open_nursery() as nursery:
        await nursery.start(watcher.run)
        if not poll:
            assert len(notify_threads()) >= 1
        await write(folder / "pending.mp4")  # something mid-settle
        await trio.testing.wait_all_tasks_blocked()
        cancelled_at = trio.current_time()
        nursery.cancel_scope.cancel()
    assert trio.current_time() - cancelled_at < CANCEL_LIMIT
    assert notify_threads() == set()
    with pytest.raises(trio.EndOfChannel):
        receive.receive_nowait()


async def test_cancelling_while_unavailable_returns_promptly(tmp_path: Path) -> None:
    """A watcher waiting for its folder to come back stops at once when cancelled."""
    async with watching(tmp_path / "absent", recheck_interval=3600.0) as w:
        assert w.first_status.state == WatchState.UNAVAILABLE
        await trio.testing.wait_all_tasks_blocked()
        cancelled_at = trio.current_time()
    assert trio.current_time() - cancelled_at < CANCEL_LIMIT


async def test_closing_the_receiving_end_stops_the_watcher(folder: Path) -> None:
    """Nobody receiving any more: the watcher's ``run`` returns on its own."""
    send, receive = trio.open_memory_channel[WatchBatch](0)
    watcher = FolderWatcher(str(folder), send, settle=SETTLE)
    with trio.fail_after(WAIT):
        async with trio.open_nursery() as nursery:
            await nursery.start(watcher.run)
            await receive.aclose()
            await write(folder / "unwanted.mp4")
    assert notify_threads() == set()


async def test_statuses_are_passed_to_the_callback_as_they_change(
    folder: Path, tmp_path: Path
) -> None:
    """Each status change is reported once, in order: active, unavailable, active."""
    async with watching(folder) as w:
        await trio.Path(folder).rename(tmp_path / "away")
        await w.status(WatchState.UNAVAILABLE)
        await trio.Path(tmp_path / "away").rename(folder)
        await w.status(WatchState.ACTIVE)
        await trio.testing.wait_all_tasks_blocked()
    reported = []
    while True:
        try:
            reported.append(w.statuses.receive_nowait())
        except trio.WouldBlock:
            break
    assert reported == []
    assert w.first_status == WatchStatus(WatchState.ACTIVE)


async def test_opening_inotify_closes_cleanly(folder: Path) -> None:
    """An inotify watch has one kernel watch per directory; closed, its thread is gone."""
    for name in ("a", "b", "a/c"):
        (folder / name).mkdir()
    before = notify_threads()
    watch = await trio.to_thread.run_sync(open_inotify, WatchPlan.whole(str(folder)))
    assert len(notify_threads() - before) == 1
    assert await trio.to_thread.run_sync(watch.watched) == {FOLDER_WD, 2, 3, 4}
    await trio.to_thread.run_sync(watch.close)
    assert notify_threads() == before


def test_a_folder_that_does_not_exist_cannot_be_opened(tmp_path: Path) -> None:
    """open_inotify on a missing folder raises FolderVanished and leaves no thread."""
    with pytest.raises(FolderVanished):
        open_inotify(WatchPlan.whole(str(tmp_path / "nope")))
    assert notify_threads() == set()


async def test_a_root_given_with_a_trailing_slash_is_watched_as_the_same_folder(
    folder: Path,
) -> None:
    """A root of ``/x/watched/`` is ``/x/watched``, and its files are ``/x/watched/a.mp4``."""
    send, receive = trio.open_memory_channel[WatchBatch](10)
    watcher = FolderWatcher(str(folder) + "/", send, settle=SETTLE, recheck_interval=0.1)
    assert watcher.root == str(folder)
    async with trio.open_nursery() as nursery:
        await nursery.start(watcher.run)
        await write(folder / "a.mp4")
        with trio.fail_after(WAIT):
            assert await receive.receive() == WatchBatch(settled=paths(folder / "a.mp4"))
        nursery.cancel_scope.cancel()
