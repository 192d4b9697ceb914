"""Runs a folder watcher in a process of its own, for what a test process cannot do itself.

Usage: ``python probe.py SCENARIO ROOT [LIMIT]``. It prints one JSON object a line: each
status (``{"status": ..., "reason": ...}``) and each batch (``{"batch": {...}}``).

- ``limit-start`` (in a user namespace of its own): sets the namespace's inotify watch limit
  to LIMIT, watches ROOT (which has more directories than that), writes ``new.mp4``.
- ``limit-runtime`` (same): with the limit one above ROOT's directory count, watches ROOT,
  then makes three directories, waits for the watcher to poll, writes ``late.mp4`` in one.
- ``unreadable`` (as an unprivileged user): watches ROOT, which holds unreadable
  directories, and writes ``x.mp4`` into every directory it can list.

Setting the limit in a user namespace changes it for this process alone (and anything it
starts); the machine's own limit is not touched.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import trio

from stoat_ferret.protocol import WatchState
from stoat_ferret.watch.models import WatchBatch, WatchStatus
from stoat_ferret.watch.watcher import FolderWatcher

WAIT = 20.0


def emit(item: WatchBatch | WatchStatus) -> None:
    if isinstance(item, WatchStatus):
        line = {"status": str(item.state), "reason": item.reason}
    else:
        line = {
            "batch": {
                "settled": list(item.settled),
                "deleted": list(item.deleted),
                "deleted_dirs": list(item.deleted_dirs),
                "rescan": list(item.rescan),
            }
        }
    print(json.dumps(line), flush=True)


async def main(scenario: str, root: Path, limit: int | None, readable: list[Path]) -> None:
    if limit is not None:
        await trio.Path("/proc/sys/user/max_inotify_watches").write_text(str(limit))
    send, batches = trio.open_memory_channel[WatchBatch](100)
    status_send, statuses = trio.open_memory_channel[WatchStatus](100)
    watcher = FolderWatcher(
        str(root),
        send,
        settle=0.2,
        recheck_interval=0.1,
        poll_interval=0.2,
        on_status=status_send.send_nowait,
    )

    async def batches_until(path: Path) -> None:
        while True:
            batch = await batches.receive()
            emit(batch)
            if str(path) in batch.settled:
                return

    with trio.fail_after(WAIT):
        async with trio.open_nursery() as nursery:
            await nursery.start(watcher.run)
            emit(await statuses.receive())
            if scenario == "limit-start":
                await trio.Path(root / "new.mp4").write_bytes(b"x")
                await batches_until(root / "new.mp4")
            elif scenario == "limit-runtime":
                for name in ("n1", "n2", "n3"):
                    await trio.Path(root / name).mkdir()
                while (status := await statuses.receive()).state != WatchState.POLLING:
                    pass
                emit(status)
                await trio.Path(root / "n3" / "late.mp4").write_bytes(b"x")
                await batches_until(root / "n3" / "late.mp4")
            elif scenario == "unreadable":
                for directory in readable:
                    await trio.Path(directory / "x.mp4").write_bytes(b"x")
                seen: set[str] = set()
                expected = {str(d / "x.mp4") for d in readable}
                while not expected <= seen:
                    batch = await batches.receive()
                    emit(batch)
                    seen.update(batch.settled)
                emit(watcher.status)
            else:
                raise SystemExit(f"unknown scenario {scenario!r}")
            nursery.cancel_scope.cancel()


def listable_dirs(root: Path) -> list[Path]:
    """``root`` and every directory below it that this process can list."""
    found = [root]
    for directory, subdirs, _ in os.walk(root):
        for name in sorted(subdirs):
            path = Path(directory) / name
            if os.access(path, os.R_OK | os.X_OK):
                found.append(path)
    return found


if __name__ == "__main__":
    top = Path(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    trio.run(main, sys.argv[1], top, limit, listable_dirs(top))
