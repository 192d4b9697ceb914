"""A watcher on a real folder, with what it sends collected; and a check for notify threads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from stoat_ferret.protocol import WatchState
from stoat_ferret.watch.inotify import notify_threads
from stoat_ferret.watch.models import WatchBatch, WatchStatus
from stoat_ferret.watch.watcher import FolderWatcher

#: The settle window most tests use: short, so a test waits little for files to settle.
SETTLE = 0.2
#: Seconds any single wait in these tests may take before it is called a failure.
WAIT = 20.0


@pytest.fixture(autouse=True)
def no_notify_threads() -> Iterator[None]:
    """Fail a test that leaves a notify thread running (each holds inotify descriptors)."""
    before = notify_threads()
    yield
    left = notify_threads() - before
    assert not left, f"notify threads still running: {sorted(left)}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The folder to watch; empty to begin with."""
    root = tmp_path / "watched"
    root.mkdir()
    return root


@attrs.define
class Watching:
    """A running watcher, the batches it sent and the statuses it reported."""

    watcher: FolderWatcher
    first_status: WatchStatus
    batches: trio.MemoryReceiveChannel[WatchBatch]
    statuses: trio.MemoryReceiveChannel[WatchStatus]
    scope: trio.CancelScope
    received: list[WatchBatch] = attrs.field(factory=list)

    async def next_batch(self) -> WatchBatch:
        with trio.fail_after(WAIT):
            batch = await self.batches.receive()
        self.received.append(batch)
        return batch

    async def batches_until(self, done: Callable[[list[WatchBatch]], bool]) -> list[WatchBatch]:
        """Batches received from now until ``done`` holds for them."""
        got: list[WatchBatch] = []
        while not done(got):
            got.append(await self.next_batch())
        return got

    async def settled_until(self, paths: set[str]) -> list[WatchBatch]:
        """Batches received until every path in ``paths`` has been sent as settled."""
        return await self.batches_until(lambda got: paths <= {p for b in got for p in b.settled})

    async def status(self, state: WatchState) -> WatchStatus:
        """The next status reported in ``state`` (others before it are skipped)."""
        with trio.fail_after(WAIT):
            while True:
                status = await self.statuses.receive()
                if status.state == state:
                    return status


@asynccontextmanager
async def watching(root: Path, **options: Any) -> AsyncIterator[Watching]:
    """Run a watcher on ``root`` for the block; cancel it (and check it stopped) after."""
    send, receive = trio.open_memory_channel[WatchBatch](1000)
    status_send, status_receive = trio.open_memory_channel[WatchStatus](1000)
    options = {"settle": SETTLE, "recheck_interval": 0.1, "poll_interval": 0.1} | options
    watcher = FolderWatcher(str(root), send, on_status=status_send.send_nowait, **options)
    async with trio.open_nursery() as nursery:
        with trio.fail_after(WAIT):
            first = await nursery.start(watcher.run)
        yield Watching(watcher, first, receive, status_receive, nursery.cancel_scope)
        nursery.cancel_scope.cancel()
    with trio.fail_after(WAIT):
        async for _ in receive:
            pass  # the watcher closed its end: the loop ends


async def write(path: Path, data: bytes = b"x" * 100) -> None:
    await trio.Path(path).write_bytes(data)
