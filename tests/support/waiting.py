"""Waiting on things outside the event loop (other processes, files they write)."""

from __future__ import annotations

from collections.abc import Callable

import trio

from .prober import FakeProber


async def poll_until(predicate: Callable[[], bool]) -> None:
    """Wait until ``predicate()`` holds, checking every 10 ms.

    Only for state another process changes: there is no trio event to wait on for
    "the fake prober has started". In-process state has events; wait on those.
    Callers bound the wait with ``trio.fail_after``.
    """
    while not predicate():  # noqa: ASYNC110 - polls another process; there is no event to await
        await trio.sleep(0.01)


async def wait_for_spawns(prober: FakeProber, count: int) -> list[int]:
    """Wait (up to 20 s) until the fake prober has been started ``count`` times; its pids.

    The prober is another process: its pid log is the only sign it has started.
    """
    with trio.fail_after(20):
        await poll_until(lambda: prober.spawn_count() >= count)
    return prober.pids()
