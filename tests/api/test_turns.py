"""The library's pages take turns at the event loop (stoat_ferret/api/turns.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import trio
import trio.testing

from stoat_ferret.api.turns import GRACE, PageTurns, TakingTurns

Log = list[str]


async def page(turns: PageTurns, name: str, log: Log, *, steps: int = 3, work: float = 0) -> None:
    """A page: a few steps of the loop's work in its turn, logged as it starts and ends."""
    async with turns.turn():
        log.append(f"{name} starts")
        for _ in range(steps):
            await trio.sleep(work / steps if work else 0)
        log.append(f"{name} ends")


async def arrive_in_order(nursery: trio.Nursery, *pages: Callable[[], Awaitable[None]]) -> None:
    """Start ``pages`` so that each is waiting (or running) before the next arrives."""
    for each in pages:
        nursery.start_soon(each)
        await trio.testing.wait_all_tasks_blocked()


async def test_pages_go_one_at_a_time_first_come_first_served(
    autojump_clock: trio.testing.MockClock,
) -> None:
    turns = PageTurns()
    log: Log = []
    with trio.fail_after(10):  # rather than hang, if a turn never ended
        async with trio.open_nursery() as nursery:
            await arrive_in_order(
                nursery, *(lambda n=n: page(turns, n, log, work=0.01) for n in "abcd")
            )
    assert log == [f"{n} {what}" for n in "abcd" for what in ("starts", "ends")]


async def test_without_turns_the_same_pages_interleave() -> None:
    """The control: pages that take no turns run all at once."""
    log: Log = []

    async def free_page(name: str) -> None:
        log.append(f"{name} starts")
        for _ in range(3):
            await trio.sleep(0.01 / 3)
        log.append(f"{name} ends")

    async with trio.open_nursery() as nursery:
        await arrive_in_order(nursery, *(lambda n=n: free_page(n) for n in "ab"))
    assert log[:2] == ["a starts", "b starts"]


async def test_a_quick_read_keeps_the_turn(autojump_clock: trio.testing.MockClock) -> None:
    turns = PageTurns()
    log: Log = []

    async def reader() -> None:
        async with turns.turn():
            log.append("a starts")
            await turns.read(partial(trio.sleep, GRACE / 2))
            log.append("a ends")

    async with trio.open_nursery() as nursery:
        await arrive_in_order(nursery, reader, lambda: page(turns, "b", log))
    assert log == ["a starts", "a ends", "b starts", "b ends"]


async def test_a_slow_read_lets_the_next_page_go_and_comes_back_first(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A read past GRACE hands the turn on; once read, its page goes before pages that
    arrived after it gave the turn up."""
    turns = PageTurns()
    log: Log = []

    async def slow_reader() -> None:
        async with turns.turn():
            log.append("a starts")
            await turns.read(partial(trio.sleep, GRACE * 10))
            log.append("a has read")
        log.append("a ends")

    async with trio.open_nursery() as nursery:
        await arrive_in_order(
            nursery,
            slow_reader,
            # b holds the turn, once it has it, past the end of a's read.
            lambda: page(turns, "b", log, work=GRACE * 20),
        )
        await trio.sleep(GRACE * 2)  # a has given the turn to b
        await arrive_in_order(nursery, lambda: page(turns, "c", log))
    assert log == [
        "a starts",
        "b starts",
        "b ends",
        "a has read",
        "a ends",
        "c starts",
        "c ends",
    ]


class _Spawns(trio.abc.Instrument):
    def __init__(self) -> None:
        self.names: list[str] = []

    def task_spawned(self, task: trio.lowlevel.Task) -> None:
        self.names.append(task.name)


async def test_timing_the_reads_starts_one_task_a_run_not_one_a_read(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A page waits twice (its read, its answer going out): the grace is a deadline on one
    task of the run's, not a task started and cancelled for each wait. Slow reads still
    hand the turn on through it, each time."""
    turns = PageTurns()
    spawns = _Spawns()
    trio.lowlevel.add_instrument(spawns)
    try:
        async with turns.turn():
            for _ in range(50):
                await turns.read(trio.lowlevel.checkpoint)
        log: Log = []

        async def slow_reader(name: str) -> None:
            async with turns.turn():
                log.append(f"{name} starts")
                await turns.read(partial(trio.sleep, GRACE * 10))
                log.append(f"{name} ends")

        async with trio.open_nursery() as nursery:
            await arrive_in_order(
                nursery, *(lambda n=n: slow_reader(n) for n in "ab"), lambda: page(turns, "c", log)
            )
    finally:
        trio.lowlevel.remove_instrument(spawns)
    assert spawns.names.count("page turns' timekeeper") == 1
    assert len(spawns.names) == 1 + 3  # the timekeeper and the three pages
    # a gave its turn to b during its read, and b to c: each slow read handed it on.
    assert log[:3] == ["a starts", "b starts", "c starts"]


async def test_what_a_read_raises_comes_out_as_itself() -> None:
    turns = PageTurns()

    async def failing() -> None:
        await trio.lowlevel.checkpoint()
        raise LookupError("no such video")

    async with turns.turn():
        with pytest.raises(LookupError, match="no such video"):
            await turns.read(failing)
    # Outside a turn it is the read alone.
    with pytest.raises(LookupError):
        await turns.read(failing)
    assert await turns.read(trio.lowlevel.checkpoint) is None


async def test_a_page_cancelled_while_waiting_holds_up_no_one(
    autojump_clock: trio.testing.MockClock,
) -> None:
    turns = PageTurns()
    log: Log = []
    with trio.fail_after(10):  # rather than hang, if the turn were lost
        await _cancelled_while_waiting(turns, log)
    assert log == ["a starts", "a ends", "c starts", "c ends"]


async def _cancelled_while_waiting(turns: PageTurns, log: Log) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(page, turns, "a", log, work=1.0))
        await trio.testing.wait_all_tasks_blocked()
        with trio.move_on_after(0.1):
            await page(turns, "cancelled", log)
        await arrive_in_order(nursery, lambda: page(turns, "c", log))


async def test_a_page_cancelled_while_waiting_to_come_back_holds_up_no_one(
    autojump_clock: trio.testing.MockClock,
) -> None:
    turns = PageTurns()
    log: Log = []

    async def slow_reader() -> None:
        async with turns.turn():
            await turns.read(partial(trio.sleep, GRACE * 10))
            log.append("a has read")

    with trio.fail_after(10):  # rather than hang, if the turn were lost
        await _cancelled_coming_back(turns, log, slow_reader)
    assert log == ["b starts", "b ends", "c starts", "c ends"]


async def _cancelled_coming_back(
    turns: PageTurns, log: Log, slow_reader: Callable[[], Awaitable[None]]
) -> None:
    async with trio.open_nursery() as nursery:
        reader_scope = trio.CancelScope()
        nursery.start_soon(_in, reader_scope, slow_reader)
        await trio.testing.wait_all_tasks_blocked()
        await arrive_in_order(nursery, lambda: page(turns, "b", log, work=GRACE * 40))
        await trio.sleep(GRACE * 20)  # a has read, and waits for b to end
        reader_scope.cancel()
        await arrive_in_order(nursery, lambda: page(turns, "c", log))


async def _in(scope: trio.CancelScope, fn: Callable[[], Awaitable[None]]) -> None:
    with scope:
        await fn()


# -- the middleware ----------------------------------------------------------------------


async def test_a_client_that_does_not_read_its_page_keeps_no_page_waiting(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Sending a page's body gives the turn up once it has waited GRACE on the client."""
    turns = PageTurns()
    log: Log = []
    client_reads = trio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        log.append(f"{scope['query_string']} answers")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})
        log.append(f"{scope['query_string']} sent")

    async def stalled_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await client_reads.wait()

    async def quick_send(message: dict[str, Any]) -> None:
        await trio.lowlevel.checkpoint()

    middleware = TakingTurns(app, turns, ["/api/v1/videos"])

    def request(name: str) -> dict[str, Any]:
        return {"type": "http", "method": "GET", "path": "/api/v1/videos", "query_string": name}

    async with trio.open_nursery() as nursery:
        await arrive_in_order(
            nursery,
            lambda: middleware(request("stalled"), None, stalled_send),
            lambda: middleware(request("next"), None, quick_send),
        )
        await trio.sleep(1)
        client_reads.set()
    assert log == ["stalled answers", "next answers", "next sent", "stalled sent"]


async def test_other_paths_and_methods_take_no_turn() -> None:
    turns = PageTurns()
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await trio.lowlevel.checkpoint()
        seen.append(scope["path"])

    middleware = TakingTurns(app, turns, ["/api/v1/videos"])
    async with turns.turn():  # held elsewhere: a request that waited for it would hang
        with trio.fail_after(1):
            await middleware({"type": "http", "method": "GET", "path": "/health/ready"}, None, None)
            await middleware(
                {"type": "http", "method": "POST", "path": "/api/v1/videos"}, None, None
            )
            await middleware({"type": "websocket", "path": "/ws"}, None, None)
    assert seen == ["/health/ready", "/api/v1/videos", "/ws"]
