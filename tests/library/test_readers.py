"""Reads side by side on a pool of connections, and a readiness check that waits for nothing."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from stoat_ferret.library.access import DEEP_OFFSET
from stoat_ferret.library.store import Library, ProbedFile, default_deep_readers, open_library
from stoat_ferret.probe.parse import ProbeResult


def probed(path: str) -> ProbedFile:
    """A probed file as a scan would store it."""
    result = ProbeResult(
        duration_seconds=1.0,
        frame_rate=Fraction(25),
        duration_frames=25,
        width=64,
        height=48,
        video_codec="h264",
        audio_codec=None,
        file_size=1000,
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
    )
    return ProbedFile(path, 1, result)


#: Seconds a blocked read waits for the test to let it go, so a broken test cannot hang.
RELEASE_WAIT = 30.0


class Gate:
    """Holds reads (or writes) inside their threads until the test opens it."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self.entered = 0
        self._changed = trio.Event()

    def held(self, result: object = None) -> Callable[[sqlite3.Connection], object]:
        def run(conn: sqlite3.Connection) -> object:
            conn.execute("SELECT count(*) FROM videos").fetchone()
            trio.from_thread.run_sync(self._enter)
            assert self._open.wait(RELEASE_WAIT), "the test never opened the gate"
            return result

        return run

    def _enter(self) -> None:
        self.entered += 1
        self._changed.set()
        self._changed = trio.Event()

    async def wait_entered(self, count: int) -> None:
        """Until ``count`` held calls are inside their threads."""
        with trio.fail_after(RELEASE_WAIT):
            while self.entered < count:
                await self._changed.wait()

    def open(self) -> None:
        self._open.set()


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    async with open_library(tmp_path / "library.db", readers=2) as lib:
        await lib.save_probed([probed("/media/a.mp4")])
        yield lib


async def test_a_fast_read_passes_a_slow_one(library: Library) -> None:
    """While one read is held in its thread, another read answers at once on a second connection."""
    gate = Gate()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(library._read, gate.held())
        await gate.wait_entered(1)
        with trio.fail_after(RELEASE_WAIT):
            videos, total = await library.list_videos(limit=10, offset=0)
        assert (total, [v.path for v in videos]) == (1, ["/media/a.mp4"])
        assert gate.entered == 1
        gate.open()


async def test_with_every_reader_busy_a_read_waits_its_turn(library: Library) -> None:
    """The pool's size is the limit: a third read starts only when one of two ends."""
    gate = Gate()
    answered = trio.Event()

    async def third() -> None:
        await library.count_videos()
        answered.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(library._read, gate.held())
        nursery.start_soon(library._read, gate.held())
        await gate.wait_entered(2)
        nursery.start_soon(third)
        await trio.testing.wait_all_tasks_blocked()
        assert not answered.is_set()
        gate.open()
    assert answered.is_set()
    assert library.readers == 2


async def test_each_connection_serves_one_thread_at_a_time(tmp_path: Path) -> None:
    """Reads run three at once on three connections, never two on one."""
    in_use: set[int] = set()
    seen: set[int] = set()
    clashes: list[int] = []
    lock = threading.Lock()
    # Each read waits for two others: only three reads at once on three connections pass.
    three_at_once = threading.Barrier(3, timeout=RELEASE_WAIT)

    def read(conn: sqlite3.Connection) -> None:
        with lock:
            if id(conn) in in_use:
                clashes.append(id(conn))
            in_use.add(id(conn))
            seen.add(id(conn))
        try:
            three_at_once.wait()
            conn.execute("SELECT count(*) FROM videos").fetchone()
        finally:
            with lock:
                in_use.discard(id(conn))

    async with (
        open_library(tmp_path / "library.db", readers=3) as lib,
        trio.open_nursery() as nursery,
    ):
        for _ in range(30):
            nursery.start_soon(lib._read, read)
    assert clashes == []
    assert len(seen) == 3


async def test_a_cancelled_read_finishes_in_its_thread_and_gives_its_connection_back(
    tmp_path: Path,
) -> None:
    """Cancelling a read ends the caller only once the thread is done; the connection returns."""
    async with open_library(tmp_path / "library.db", readers=1) as lib:
        gate = Gate()
        finished: list[object] = []

        async def read(*, task_status: trio.TaskStatus[trio.CancelScope]) -> None:
            with trio.CancelScope() as scope:
                task_status.started(scope)
                finished.append(await lib._read(gate.held("the answer")))
                await trio.lowlevel.checkpoint()
            finished.append(scope.cancelled_caught)

        async with trio.open_nursery() as nursery:
            scope = await nursery.start(read)
            await gate.wait_entered(1)
            scope.cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert finished == []
            gate.open()
        assert finished == ["the answer", True]
        assert await lib.count_videos() == 0


async def test_the_check_waits_behind_no_read_and_no_write(library: Library) -> None:
    """With every reader and the writer held in their threads, check() still answers."""
    gate = Gate()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(library._read, gate.held())
        nursery.start_soon(library._read, gate.held())
        nursery.start_soon(library._write, gate.held())
        await gate.wait_entered(3)
        with trio.fail_after(RELEASE_WAIT):
            assert await library.check() is None
        assert gate.entered == 3
        gate.open()


async def test_the_check_reads_no_table(tmp_path: Path) -> None:
    """The check's query reads the database header only: its cost does not grow with the library."""
    async with open_library(tmp_path / "library.db", readers=1) as lib:
        await lib.save_probed([probed(f"/media/{i:04}.mp4") for i in range(200)])
        asked: list[tuple[int, str | None]] = []

        def note(action: int, what: str | None, *_rest: object) -> int:
            asked.append((action, what))
            return sqlite3.SQLITE_OK

        lib._checker.set_authorizer(note)
        assert await lib.check() is None
        lib._checker.set_authorizer(None)
        assert asked == [(sqlite3.SQLITE_PRAGMA, "user_version")]
        # What the authorizer would have seen of a query over the table:
        lib._checker.set_authorizer(note)
        await trio.to_thread.run_sync(
            lambda: lib._checker.execute("SELECT count(*) FROM videos").fetchone()
        )
        lib._checker.set_authorizer(None)
        assert (sqlite3.SQLITE_READ, "videos") in asked


async def test_closing_waits_for_a_check_its_caller_gave_up_on(tmp_path: Path) -> None:
    """A caller that stops waiting leaves check() to end in its thread; closing waits for it."""
    release = threading.Event()
    order: list[str] = []

    def slow(_statement: str) -> None:
        release.wait(RELEASE_WAIT)

    async def let_go() -> None:
        await trio.testing.wait_all_tasks_blocked()
        order.append("released")
        release.set()

    async with trio.open_nursery() as nursery:
        async with open_library(tmp_path / "library.db", readers=1) as lib:
            lib._checker.set_trace_callback(slow)
            with trio.move_on_after(0.05) as gave_up:
                await lib.check()
            assert gave_up.cancelled_caught
            nursery.start_soon(let_go)
        order.append("closed")
    assert order == ["released", "closed"]


DEEP_PAGES: dict[str, Callable[[Library, int], Any]] = {
    "list": lambda lib, offset: lib.list_videos(limit=10, offset=offset),
    "search": lambda lib, offset: lib.search_videos("a", limit=10, offset=offset),
    "duplicates": lambda lib, offset: lib.duplicates(limit=10, offset=offset),
}


async def _answers_while_held(lib: Library, page: Callable[[], Any]) -> bool:
    """Whether ``page`` answers while a deep read is held in its thread (it always answers
    once the read is let go)."""
    gate = Gate()
    answered = trio.Event()

    async def ask() -> None:
        await page()
        answered.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(lib._read, gate.held(), deep=True))
        await gate.wait_entered(1)
        nursery.start_soon(ask)
        with trio.move_on_after(0.5):
            await answered.wait()
        while_held = answered.is_set()
        gate.open()
    assert answered.is_set()
    return while_held


@pytest.mark.parametrize("kind", sorted(DEEP_PAGES))
async def test_deep_pages_run_beside_no_more_deep_reads_than_allowed(
    tmp_path: Path, kind: str
) -> None:
    """With one deep read allowed and one held, a page by an offset of DEEP_OFFSET waits for
    it, while a page by a smaller offset answers on another reader; with two allowed, the
    deep page answers too."""
    page = DEEP_PAGES[kind]
    async with open_library(tmp_path / "one.db", readers=3, deep_readers=1) as lib:
        assert not await _answers_while_held(lib, partial(page, lib, DEEP_OFFSET))
        assert await _answers_while_held(lib, partial(page, lib, DEEP_OFFSET - 1))
    async with open_library(tmp_path / "two.db", readers=3, deep_readers=2) as lib:
        assert await _answers_while_held(lib, partial(page, lib, DEEP_OFFSET))


def test_deep_reads_leave_the_event_loop_a_cpu() -> None:
    cpus = os.cpu_count() or 1
    assert default_deep_readers() == max(1, cpus - 1)


def _read_syscalls() -> int:
    """Read system calls the calling thread has made (``syscr`` of its ``/proc`` io)."""
    with open("/proc/thread-self/io", encoding="ascii") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["syscr"])


@pytest.mark.skipif(not Path("/proc/thread-self/io").exists(), reason="no per-thread io counts")
async def test_a_reader_reads_a_table_of_some_megabytes_once_from_the_os(tmp_path: Path) -> None:
    """A reader's page cache holds a few megabytes of the library: reading the same rows
    again reads nothing from the OS. With SQLite's default cache (2 MiB) every page of the
    second pass is read again."""
    async with open_library(tmp_path / "library.db", readers=1) as lib:
        folder = "/media/" + "/".join(f"{'f' * 60}{i}" for i in range(14))  # 860 characters
        await lib.save_probed([probed(f"{folder}/{i:05}.mp4") for i in range(3000)])

        def second_pass(conn: sqlite3.Connection) -> tuple[int, int]:
            scan = "SELECT sum(length(path)), sum(file_size) FROM videos"
            conn.execute(scan).fetchone()
            before = _read_syscalls()
            conn.execute(scan).fetchone()
            return _read_syscalls() - before, int(conn.execute("PRAGMA page_count").fetchone()[0])

        read_again, pages = await lib._read(second_pass)
        assert pages * 4096 > 4 * 2**20, "the library is too small to tell the caches apart"
        assert read_again < 20

        def default_cache(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA cache_size = -2000")

        await lib._read(default_cache)
        read_again, _ = await lib._read(second_pass)
        assert read_again > 500
