"""Fan-out of server events to WebSocket subscribers.

Publishing never waits: each subscriber has a buffer of its own, so a client
that stops reading falls behind alone. A subscriber's buffer holds at most one
progress event per job (a newer one replaces the older: progress is coalesced,
never queued without bound) and at most ``client_buffer`` other events. A
subscriber that overflows that is reset: its buffer is emptied and the next
thing it receives is a ``resync_required`` event, after which it gets live
events again.

Every published event gets an ``id`` one greater than the last. Ids start from
the wall clock in microseconds when the hub is created, so they keep increasing
across restarts and a client's last id from an earlier run is recognised as
too old to resume from.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs
import trio

from .. import wirejson
from ..protocol import EventType
from ..timestamps import format_timestamp, utc_now
from .payloads import EventPayload, ResyncRequired


@attrs.frozen
class Event:
    """One server event: its envelope, and its payload already in wire form.

    The payload is shaped once, when the event is published, so every subscriber and
    the replay buffer share one immutable form of it.
    """

    id: int | None
    type: EventType
    payload: dict[str, Any]
    correlation_id: str | None
    timestamp: datetime

    #: The event as ``/ws`` sends it, encoded once for every subscriber.
    _text: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        text = wirejson.dumps_text(
            {
                "id": self.id,
                "type": str(self.type),
                "payload": self.payload,
                "correlation_id": self.correlation_id,
                "timestamp": format_timestamp(self.timestamp),
            }
        )
        # attrs' way of setting a field of a frozen instance while it is being made.
        object.__setattr__(self, "_text", text)

    def to_json(self) -> str:
        """The event as ``/ws`` sends it."""
        return self._text


def make_event(payload: EventPayload, *, correlation_id: str | None = None) -> Event:
    """An event that is not part of the numbered stream (heartbeats, resync notices)."""
    return Event(None, payload.event_type, payload.to_wire(), correlation_id, utc_now())


@attrs.define(eq=False)
class Subscriber:
    """One client's view of the event stream. Get one from :meth:`EventHub.subscribe`."""

    limit: int
    _queue: collections.OrderedDict[Hashable, Event] = attrs.field(factory=collections.OrderedDict)
    _others: int = 0
    _wakeup: trio.Event = attrs.field(factory=trio.Event)
    _resync_reason: str | None = None
    _closed: bool = False
    #: Replayed (non-progress) events still queued, and the id of the last one: these
    #: are allowed on top of ``limit`` until the client has read them.
    _replayed: int = 0
    _replay_end: int = 0
    coalesced: int = 0
    resets: int = 0

    @property
    def buffered(self) -> int:
        return len(self._queue)

    def replay(self, events: list[Event]) -> None:
        """Queue events the client missed; they do not count against ``limit``."""
        for event in events:
            self.offer(event, enforce_limit=False)
            if event.type != EventType.JOB_PROGRESS:
                self._replayed += 1
        if events and events[-1].id is not None:
            self._replay_end = events[-1].id

    def offer(self, event: Event, *, enforce_limit: bool = True) -> None:
        if self._closed:
            return
        if event.type == EventType.JOB_PROGRESS:
            key: Hashable = ("progress", event.payload.get("job_id"))
            if self._queue.pop(key, None) is not None:
                self.coalesced += 1
        else:
            key = ("event", event.id)
            self._others += 1
            if enforce_limit and self._others > self.limit + self._replayed:
                self.resets += 1
                self.request_resync(
                    f"the client fell more than {self.limit} events behind; "
                    "fetch current state over HTTP"
                )
                return
        self._queue[key] = event
        self._wakeup.set()

    def request_resync(self, reason: str) -> None:
        self._queue.clear()
        self._others = self._replayed = 0
        self._resync_reason = reason
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def receive(self) -> Event:
        """The next event, oldest first. Raises :class:`trio.EndOfChannel` once closed.

        Always a checkpoint, like a memory channel's ``receive``: a sender loop over a
        subscriber that never runs dry still lets other tasks run and can be cancelled.
        """
        await trio.lowlevel.checkpoint()
        while True:
            if self._resync_reason is not None:
                reason, self._resync_reason = self._resync_reason, None
                return make_event(ResyncRequired(reason=reason))
            if self._queue:
                _, event = self._queue.popitem(last=False)
                if event.type != EventType.JOB_PROGRESS:
                    self._others -= 1
                    if event.id is not None and event.id <= self._replay_end:
                        self._replayed -= 1
                return event
            if self._closed:
                raise trio.EndOfChannel
            self._wakeup = trio.Event()
            await self._wakeup.wait()


class EventHub:
    """Numbered, replayable, never-blocking publish/subscribe."""

    def __init__(self, *, replay_size: int, client_buffer: int) -> None:
        self._last_id = time.time_ns() // 1000
        self._replay: collections.deque[Event] = collections.deque(maxlen=replay_size)
        self._client_buffer = client_buffer
        self._subscribers: set[Subscriber] = set()
        self._closed = False
        self.published = 0

    @property
    def last_id(self) -> int:
        return self._last_id

    def history(self) -> tuple[Event, ...]:
        """The events the replay buffer holds now, oldest first."""
        return tuple(self._replay)

    @property
    def subscribers(self) -> frozenset[Subscriber]:
        return frozenset(self._subscribers)

    def publish(self, payload: EventPayload, *, correlation_id: str | None = None) -> Event:
        """Number ``payload`` as the next event and hand it to every subscriber."""
        self._last_id += 1
        event = Event(
            self._last_id, payload.event_type, payload.to_wire(), correlation_id, utc_now()
        )
        self._replay.append(event)
        self.published += 1
        for subscriber in self._subscribers:
            subscriber.offer(event)
        return event

    @contextmanager
    def subscribe(self, *, last_event_id: int | None = None) -> Iterator[Subscriber]:
        """Subscribe to events published from now on.

        With ``last_event_id``, events after it that the replay buffer still holds
        are delivered first; if some are no longer held (or the id is from another
        run), the subscriber starts with a ``resync_required`` event instead.
        """
        subscriber = Subscriber(limit=self._client_buffer)
        if self._closed:
            subscriber.close()
        elif last_event_id is not None:
            oldest = self._replay[0].id if self._replay else self._last_id + 1
            assert oldest is not None
            if oldest - 1 <= last_event_id <= self._last_id:
                subscriber.replay(
                    [e for e in self._replay if e.id is not None and e.id > last_event_id]
                )
            else:
                subscriber.request_resync(
                    f"events after id {last_event_id} are no longer held; "
                    "fetch current state over HTTP"
                )
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def close(self) -> None:
        """End every subscription: receivers get :class:`trio.EndOfChannel`."""
        self._closed = True
        for subscriber in self._subscribers:
            subscriber.close()
