"""Fan-out and fan-in: a pool of worker tasks over one iterator, results on one channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

import trio

T = TypeVar("T")
R = TypeVar("R")


async def fan_out(
    items: Iterable[T],
    work: Callable[[T], Awaitable[R]],
    send: trio.MemorySendChannel[R],
    *,
    workers: int,
    limiter: trio.CapacityLimiter,
) -> None:
    """Run ``work(item)`` for every item in ``workers`` tasks; send each result to ``send``.

    Each call holds ``limiter`` while it runs, but not while its result
    waits for room in the channel, so a slow reader never holds a limiter slot.
    Takes ownership of ``send`` and closes it once every worker is done, which ends
    the reader's ``async for``. An exception in one worker cancels the others and
    propagates; cancelling the caller cancels every worker.
    """
    # All workers share one iterator: trio switches tasks only at awaits, so each
    # item is taken by exactly one worker.
    shared = iter(items)
    async with send, trio.open_nursery() as nursery:
        for _ in range(workers):
            nursery.start_soon(_worker, shared, work, send.clone(), limiter)


async def _worker(
    items: Iterator[T],
    work: Callable[[T], Awaitable[R]],
    send: trio.MemorySendChannel[R],
    limiter: trio.CapacityLimiter,
) -> None:
    async with send:
        for item in items:
            async with limiter:
                result = await work(item)
            await send.send(result)
