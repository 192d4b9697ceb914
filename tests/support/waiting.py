"""Waiting on things outside the event loop (other processes, files they write)."""

from __future__ import annotations

from collections.abc import Callable

import trio


async def poll_until(predicate: Callable[[], bool]) -> None:
    """Wait until ``predicate()`` holds, checking every 10 ms.

    Only for state another process changes: there is no trio event to wait on for
    "the fake prober has started". In-process state has events; wait on those.
    Callers bound the wait with ``trio.fail_after``.
    """
    while not predicate():  # noqa: ASYNC110 - polls another process; there is no event to await
        await trio.sleep(0.01)
