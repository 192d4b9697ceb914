"""fan_out: a bounded pool of workers over one iterator, results on one channel."""

from __future__ import annotations

from functools import partial

import pytest
import trio
import trio.testing

from stoat_ferret.fanout import fan_out


async def test_every_item_is_done_once_and_the_channel_closes() -> None:
    """Each item goes to exactly one worker; the reader's loop ends after the last result."""
    seen: list[int] = []

    async def double(item: int) -> int:
        seen.append(item)
        await trio.lowlevel.checkpoint()
        return item * 2

    send, receive = trio.open_memory_channel[int](0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            partial(fan_out, range(20), double, send, workers=3, limiter=trio.CapacityLimiter(2))
        )
        results = [r async for r in receive]
    assert sorted(seen) == list(range(20))
    assert sorted(results) == [2 * i for i in range(20)]


async def test_the_limiter_bounds_work_in_flight_across_pools() -> None:
    """Two pools sharing a limiter of 2 never run more than 2 calls at once."""
    limiter = trio.CapacityLimiter(2)
    running = peak = 0

    async def work(item: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await trio.sleep(0.01)
        running -= 1
        return item

    async def drain(receive: trio.MemoryReceiveChannel[int]) -> None:
        async for _ in receive:
            pass

    async with trio.open_nursery() as nursery:
        for _ in range(2):
            send, receive = trio.open_memory_channel[int](0)
            nursery.start_soon(partial(fan_out, range(5), work, send, workers=4, limiter=limiter))
            nursery.start_soon(drain, receive)
    assert peak == 2


async def test_a_slow_reader_does_not_hold_a_limiter_slot() -> None:
    """A result waiting for the reader has given its limiter slot back."""
    limiter = trio.CapacityLimiter(1)

    async def work(item: int) -> int:
        await trio.lowlevel.checkpoint()
        return item

    send, receive = trio.open_memory_channel[int](0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(fan_out, [1, 2], work, send, workers=2, limiter=limiter))
        await trio.testing.wait_all_tasks_blocked()
        # Both results are done and wait on the channel; neither holds the limiter.
        assert limiter.borrowed_tokens == 0
        assert sorted([await receive.receive(), await receive.receive()]) == [1, 2]


async def test_a_failing_worker_cancels_the_rest_and_propagates() -> None:
    """One worker's exception cancels the others and comes out of fan_out's nursery."""
    cancelled = 0

    async def work(item: int) -> int:
        nonlocal cancelled
        if item == 0:
            await trio.lowlevel.checkpoint()
            raise OSError("cannot run ffprobe")
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled += 1
            raise
        return item  # pragma: no cover

    send, receive = trio.open_memory_channel[int](0)
    with pytest.RaisesGroup(pytest.RaisesGroup(OSError)):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                partial(fan_out, range(3), work, send, workers=3, limiter=trio.CapacityLimiter(3))
            )
            async for _ in receive:
                pass
    assert cancelled == 2
