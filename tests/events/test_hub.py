"""The event hub: numbering, replay, per-subscriber buffering, coalescing and closing."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from stoat_ferret.events.hub import Event, EventHub, Subscriber
from stoat_ferret.protocol import EventType

from ..support.events import RawPayload

#: Seconds a test may wait for an event that should already be there (a bound, not a sleep).
WAIT_LIMIT = 5.0

# -- helpers -------------------------------------------------------------------------------


def status(hub: EventHub, n: int, job_id: str = "job-1") -> Event:
    """Publish a (non-progress) job_status event numbered ``n`` in its payload."""
    return hub.publish(
        RawPayload(EventType.JOB_STATUS, {"job_id": job_id, "n": n}), correlation_id=job_id
    )


def progress(hub: EventHub, job_id: str, value: float) -> Event:
    return hub.publish(
        RawPayload(EventType.JOB_PROGRESS, {"job_id": job_id, "progress": value}),
        correlation_id=job_id,
    )


async def next_event(subscriber: Subscriber) -> Event:
    """The subscriber's next event, failing (not hanging) if none ever comes."""
    with trio.fail_after(WAIT_LIMIT):
        return await subscriber.receive()


async def drain(subscriber: Subscriber) -> list[Event]:
    """Every event the subscriber holds now (receive() does not block while some are held)."""
    events = []
    while subscriber.buffered:
        events.append(await subscriber.receive())
    return events


def subscribe_and_fail(hub: EventHub) -> None:
    with hub.subscribe():
        raise RuntimeError("client went away")


# -- numbering -----------------------------------------------------------------------------


def test_ids_strictly_increase_and_a_new_hub_continues_above_the_last() -> None:
    """Ids go up by one per event, and a hub created later starts above the earlier's."""
    first = EventHub(replay_size=10, client_buffer=10)
    start = first.last_id
    ids = [status(first, n).id for n in range(1000)]
    assert ids == list(range(start + 1, start + 1001))
    assert first.last_id == ids[-1]

    second = EventHub(replay_size=10, client_buffer=10)
    later = [status(second, n).id for n in range(3)]
    assert later[0] is not None
    assert later[0] > first.last_id
    assert later == list(range(later[0], later[0] + 3))


# -- replay --------------------------------------------------------------------------------


async def test_replay_delivers_exactly_the_missed_events_then_live_ones() -> None:
    """Resuming from an id replays every later event once, in order, then live events."""
    hub = EventHub(replay_size=100, client_buffer=3)
    seen = [status(hub, n) for n in range(5)]
    # More missed events than client_buffer: a replay must not count as falling behind.
    missed = [status(hub, n) for n in range(5, 10)] + [progress(hub, "job-2", 0.5)]
    missed += [status(hub, 10)]
    with hub.subscribe(last_event_id=seen[-1].id) as sub:
        live = [status(hub, 11), progress(hub, "job-3", 0.7), status(hub, 12)]
        received = await drain(sub)
    assert received == missed + live
    assert sub.resets == 0


async def test_resuming_from_the_latest_id_delivers_only_new_events() -> None:
    """A subscriber resuming from the newest id gets nothing old and no resync."""
    hub = EventHub(replay_size=100, client_buffer=10)
    for n in range(3):
        status(hub, n)
    with hub.subscribe(last_event_id=hub.last_id) as sub:
        assert sub.buffered == 0
        live = status(hub, 3)
        assert await next_event(sub) == live
        assert sub.buffered == 0


@pytest.mark.parametrize(
    ("resume_after", "resync"),
    [(4, False), (3, True)],
    ids=["oldest-still-held", "one-already-dropped"],
)
async def test_resuming_past_the_replay_buffer_requires_resync(
    resume_after: int, resync: bool
) -> None:
    """Replay works while the buffer holds every later event; one dropped means resync."""
    hub = EventHub(replay_size=5, client_buffer=10)
    published = [status(hub, n) for n in range(10)]  # the buffer holds the last five
    with hub.subscribe(last_event_id=published[resume_after].id) as sub:
        live = status(hub, 10)
        first = await next_event(sub)
        rest = await drain(sub)

    if resync:
        assert first.type == EventType.RESYNC_REQUIRED
        assert first.id is None
        assert f"events after id {published[resume_after].id}" in first.payload["reason"]
        assert rest == [live]
    else:
        assert [first, *rest] == [*published[5:], live]


@pytest.mark.parametrize("published_before", [0, 3])
@pytest.mark.parametrize("origin", ["previous-hub", "future"])
async def test_an_id_this_hub_never_issued_requires_resync(
    origin: str, published_before: int
) -> None:
    """An id from before this hub existed (or beyond its last) starts with resync_required."""
    previous = EventHub(replay_size=100, client_buffer=10)
    old_id = status(previous, 0).id
    hub = EventHub(replay_size=100, client_buffer=10)
    for n in range(published_before):
        status(hub, n)
    last_event_id = old_id if origin == "previous-hub" else hub.last_id + 1

    with hub.subscribe(last_event_id=last_event_id) as sub:
        assert sub.buffered == 0
        first = await next_event(sub)
        live = status(hub, 99)
        assert await next_event(sub) == live
    assert first.type == EventType.RESYNC_REQUIRED


# -- per-subscriber buffering --------------------------------------------------------------


async def test_progress_coalesces_per_job_keeping_the_newest_in_id_order() -> None:
    """Unread progress for one job is replaced by newer; other jobs and events are kept."""
    hub = EventHub(replay_size=10, client_buffer=10)
    published: list[Event] = []
    with hub.subscribe() as sub:
        for n in range(1, 51):
            published.append(progress(hub, "job-a", n / 50))
            if n % 10 == 0:
                published.append(status(hub, n, job_id="job-a"))
            if n % 2 == 0:
                published.append(progress(hub, "job-b", n / 50))
        assert sub.buffered == 5 + 2
        assert sub.coalesced == 49 + 24
        received = await drain(sub)

    newest_a = [e for e in published if e.type == "job_progress" and e.payload["job_id"] == "job-a"]
    newest_b = [e for e in published if e.type == "job_progress" and e.payload["job_id"] == "job-b"]
    statuses = [e for e in published if e.type == "job_status"]
    expected = sorted([*statuses, newest_a[-1], newest_b[-1]], key=lambda e: e.id or 0)
    assert received == expected
    assert [e.payload["progress"] for e in received if e.type == "job_progress"] == [1.0, 1.0]
    assert sub.resets == 0


async def test_overflow_sends_resync_then_live_events_resume() -> None:
    """Falling more than client_buffer events behind empties the buffer and asks to resync."""
    hub = EventHub(replay_size=100, client_buffer=3)
    with hub.subscribe() as sub:
        progress(hub, "job-a", 0.5)
        for n in range(3):
            status(hub, n)
        assert sub.buffered == 4
        status(hub, 3)
        assert sub.buffered == 0
        assert sub.resets == 1
        live = [status(hub, 4), progress(hub, "job-a", 0.6), status(hub, 5)]
        first = await next_event(sub)
        rest = await drain(sub)
        later = status(hub, 6)
        assert await next_event(sub) == later

    assert first.type == EventType.RESYNC_REQUIRED
    assert first.id is None
    assert "fell more than 3 events behind" in first.payload["reason"]
    assert rest == live


def test_buffer_stays_bounded_under_100k_publishes() -> None:
    """A subscriber that never reads holds at most client_buffer events plus one per job."""
    # Synchronous: publishing never waits, and 100k publishes in one async step would
    # trip the suite's guard on event-loop steps.
    limit, jobs = 64, 10
    hub = EventHub(replay_size=1000, client_buffer=limit)
    with hub.subscribe() as sub:
        peak = 0
        for n in range(100_000):
            if n % 3:
                progress(hub, f"job-{n % jobs}", n / 100_000)
            else:
                status(hub, n, job_id=f"job-{n % jobs}")
            peak = max(peak, sub.buffered)
        assert peak == limit + jobs
        assert sub.buffered <= limit + jobs
        assert sub.resets > 0
    assert hub.published == 100_000


async def test_resumed_subscriber_falls_back_to_the_client_buffer_limit() -> None:
    """Once its replay is read, a resumed subscriber may fall only client_buffer behind."""
    hub = EventHub(replay_size=100, client_buffer=3)
    mark = status(hub, 0).id
    missed = [status(hub, n) for n in range(1, 6)]
    with hub.subscribe(last_event_id=mark) as sub:
        assert await drain(sub) == missed
        for n in range(10, 14):  # one more than client_buffer, none of them read
            status(hub, n)
        first = await next_event(sub)
    assert first.type == EventType.RESYNC_REQUIRED


async def test_resumed_subscriber_may_hold_its_replay_plus_client_buffer() -> None:
    """Unread replay is allowed on top of client_buffer; one live event more resyncs."""
    hub = EventHub(replay_size=100, client_buffer=3)
    mark = status(hub, 0).id
    missed = [status(hub, n) for n in range(1, 6)]
    with hub.subscribe(last_event_id=mark) as sub:
        live = [status(hub, n) for n in range(10, 13)]
        assert sub.buffered == len(missed) + len(live)
        assert sub.resets == 0
        status(hub, 13)
        assert sub.buffered == 0
        first = await next_event(sub)
        assert first.type == EventType.RESYNC_REQUIRED
        # The reset dropped the replay, and its allowance with it.
        for n in range(20, 24):
            status(hub, n)
        again = await next_event(sub)
    assert again.type == EventType.RESYNC_REQUIRED
    assert sub.resets == 2


async def test_slow_subscriber_does_not_affect_a_fast_one() -> None:
    """A subscriber that never reads is reset alone; a reading one gets every event."""
    hub = EventHub(replay_size=100, client_buffer=8)
    received: list[Event] = []

    async def read_until_closed(sub: Subscriber) -> None:
        while True:
            try:
                event = await sub.receive()
            except trio.EndOfChannel:
                return
            received.append(event)

    published: list[Event] = []
    with hub.subscribe() as slow, hub.subscribe() as fast, trio.fail_after(WAIT_LIMIT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_until_closed, fast)
            for n in range(1000):
                if n % 4:
                    published.append(status(hub, n))
                else:
                    published.append(progress(hub, f"job-{n % 3}", n / 1000))
                if n % 4 == 3:
                    await trio.testing.wait_all_tasks_blocked()
            hub.close()

    assert received == published
    assert fast.resets == 0
    assert slow.resets > 0
    assert slow.buffered <= 8 + 3


# -- closing and unsubscribing -------------------------------------------------------------


async def test_close_ends_every_subscriber_with_end_of_channel() -> None:
    """close() wakes a waiting receiver with EndOfChannel; held events still come first."""
    hub = EventHub(replay_size=10, client_buffer=10)
    ended: list[str] = []

    async def wait_for_end(sub: Subscriber) -> None:
        with pytest.raises(trio.EndOfChannel), trio.fail_after(WAIT_LIMIT):
            await sub.receive()
        ended.append("idle")

    with hub.subscribe() as idle, hub.subscribe() as behind:
        held = status(hub, 1)
        assert await next_event(idle) == held
        async with trio.open_nursery() as nursery:
            nursery.start_soon(wait_for_end, idle)
            await trio.testing.wait_all_tasks_blocked()
            assert ended == []
            hub.close()
        assert ended == ["idle"]

        status(hub, 2)  # published after close: delivered to nobody
        assert await next_event(behind) == held
        with pytest.raises(trio.EndOfChannel):
            await next_event(behind)

    with hub.subscribe() as late, pytest.raises(trio.EndOfChannel):
        await next_event(late)


async def test_subscriber_is_removed_when_its_block_exits() -> None:
    """Leaving subscribe() removes the subscriber, whether normally, by error or by cancel."""
    hub = EventHub(replay_size=10, client_buffer=10)
    with hub.subscribe() as sub:
        assert hub.subscribers == frozenset({sub})
    assert hub.subscribers == frozenset()
    status(hub, 1)
    assert sub.buffered == 0

    with pytest.raises(RuntimeError, match=r"^client went away$"):
        subscribe_and_fail(hub)
    assert hub.subscribers == frozenset()

    async def read_one() -> None:
        with hub.subscribe() as reader:
            await reader.receive()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read_one)
        await trio.testing.wait_all_tasks_blocked()
        assert len(hub.subscribers) == 1
        nursery.cancel_scope.cancel()
    assert hub.subscribers == frozenset()
